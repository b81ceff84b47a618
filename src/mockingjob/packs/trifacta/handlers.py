"""Handlers of the Trifacta v4 job group endpoints, one per operationId of ``specs/trifacta.yaml``."""

from __future__ import annotations

from typing import Any

from mockingjob.pack import Call, Reply

from .exceptions import invalid
from .model import Derived, Settings, cancel, plan_for_new_run, start_run
from .queries import chain, dataset, datasets_with_flows, group_row, groups_query, jobs_of, last_settings
from .serialize import created_document, group_document, job_document
from .tables import TABLES as T

_WRITE_SETTING_DEFAULTS = {"compression": "none", "header": False, "asSingleFile": False}
_DEFAULT_PAGE = 25


def _write_settings(overrides: dict[str, Any]) -> tuple[dict[str, Any], ...] | None:
    """The write settings the client gave, under either spelling, with the documented defaults filled in."""
    given = overrides.get("writeSettings", overrides.get("writesettings"))
    if given is None:
        return None
    return tuple({**_WRITE_SETTING_DEFAULTS, **setting} for setting in given)


def _settings(dataset_id: int, overrides: dict[str, Any], previous: Settings | None) -> Settings:
    """This run's settings: the overrides, and for whatever they leave out, the recipe's last run's settings.

    The first run of a recipe has nothing to fall back on, so all three must be given then.
    """
    write_settings = _write_settings(overrides)
    if previous is None:
        missing = [name for name, value in (("execution", overrides.get("execution")),
                                            ("profiler", overrides.get("profiler")),
                                            ("writeSettings", write_settings)) if value is None]
        if missing:
            names = ", ".join(f"overrides.{name}" for name in missing)
            raise invalid(f"wrangledDataset {dataset_id} has never been run: {names} required when running a job "
                          "for the first time", missing=[f"overrides.{name}" for name in missing])
        assert write_settings is not None
        return Settings(overrides["execution"], overrides["profiler"], write_settings)
    return Settings(
        overrides.get("execution", previous.execution),
        overrides.get("profiler", previous.profiler),
        write_settings if write_settings is not None else previous.write_settings,
    )


async def run_job_group(call: Call) -> Reply:
    body = call.body
    conn, now = call.conn, call.now
    target = dataset(conn, body["wrangledDataset"]["id"])
    overrides = body.get("overrides") or {}
    settings = _settings(target.id, overrides, last_settings(conn, target.id))
    # Older clients nest the run parameters inside the overrides.
    run_parameters = body.get("runParameters", overrides.get("runParameters"))
    plan = plan_for_new_run(chain(conn, target), settings, call.effect)
    group_id = start_run(conn, T, target.id, plan, settings, now, ranfrom=body.get("ranfrom", "ui"),
                         run_parameters=run_parameters)
    d = Derived(T, now)
    group = group_row(conn, d, group_id)
    return Reply(created_document(group, jobs_of(conn, d, [group_id])[group_id]), 201)


def _embedded(call: Call) -> set[str]:
    return {part.strip() for part in (call.params.get("embed") or "").split(",") if part.strip()}


def _documents(call: Call, d: Derived, groups: list[Any]) -> list[dict[str, Any]]:
    embed = _embedded(call)
    ids = [group.id for group in groups]
    jobs = jobs_of(call.conn, d, ids) if "jobs" in embed else {}
    datasets = datasets_with_flows(call.conn, [g.dataset_id for g in groups]) if "wrangledDataset" in embed else {}
    return [group_document(group, jobs=jobs.get(group.id) if "jobs" in embed else None,
                           dataset=datasets.get(group.dataset_id), now=call.now) for group in groups]


async def list_job_groups(call: Call) -> Reply:
    d = Derived(T, call.now)
    p = call.params
    g = T.job_groups.c
    sort = p.get("sort") or "-createdAt"
    column = {"id": g.id, "createdAt": g.created_at, "updatedAt": d.updated}[sort.lstrip("-")]
    descending = sort.startswith("-")
    query = groups_query(d).order_by(column.desc() if descending else column.asc(),
                                     g.id.desc() if descending else g.id.asc())
    if not p.get("noLimit"):
        query = query.limit(p.get("limit") or _DEFAULT_PAGE)
    query = query.offset(p.get("offset") or 0)
    groups = list(call.conn.execute(query).all())
    return Reply({"data": _documents(call, d, groups)})


async def get_job_group(call: Call) -> Reply:
    d = Derived(T, call.now)
    group = group_row(call.conn, d, call.params["id"])
    return Reply(_documents(call, d, [group])[0])


async def get_job_group_status(call: Call) -> Reply:
    d = Derived(T, call.now)
    return Reply(group_row(call.conn, d, call.params["id"]).status)


async def get_job_group_jobs(call: Call) -> Reply:
    d = Derived(T, call.now)
    group = group_row(call.conn, d, call.params["id"])
    jobs = jobs_of(call.conn, d, [group.id])[group.id]
    return Reply({"data": [job_document(job, call.now) for job in jobs]})


async def cancel_job_group(call: Call) -> Reply:
    d = Derived(T, call.now)
    group = group_row(call.conn, d, call.params["id"])
    canceled = cancel(call.conn, T, group.id, call.now)
    return Reply({"jobIds": canceled, "jobgroupId": group.id})


HANDLERS = {fn.__name__: fn for fn in (
    run_job_group, list_job_groups, get_job_group, get_job_group_status, get_job_group_jobs, cancel_job_group,
)}
