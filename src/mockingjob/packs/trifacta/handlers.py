"""Handlers of the Trifacta v4 job group endpoints, one per operationId of ``specs/trifacta.yaml``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call, Operations, Reply

from .documents import created_document, group_document, job_document
from .errors import invalid
from .model import GROUP_UPDATED, Settings, cancel, plan_for_new_run, start_run
from .queries import GROUPS, chain, datasets_with_flows, group_row, group_status, jobs_of, recipe
from .tables import TABLES as T

HANDLERS = Operations()

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


@HANDLERS
async def run_job_group(call: Call) -> Reply:
    body = call.body
    conn = call.conn
    target, previous = recipe(conn, body["wrangledDataset"]["id"])
    overrides = body.get("overrides") or {}
    settings = _settings(target.id, overrides, previous)
    # Older clients nest the run parameters inside the overrides.
    run_parameters = body.get("runParameters", overrides.get("runParameters"))
    plan = plan_for_new_run(chain(conn, target), settings, call.effect)
    # What was just written is what the client is told; nothing needs reading back.
    started = start_run(conn, target.id, plan, settings, call.now, ranfrom=body.get("ranfrom", "ui"),
                        run_parameters=run_parameters)
    return Reply(created_document(started.id, started.session_id, started.job_ids, started.edges), 201)


def _documents(call: Call, groups: Sequence[Any]) -> list[dict[str, Any]]:
    embed = {part.strip() for part in (call.params.get("embed") or "").split(",")}
    jobs = jobs_of(call.conn, call.now, [group.id for group in groups]) if "jobs" in embed else None
    datasets = (datasets_with_flows(call.conn, list(dict.fromkeys(group.dataset_id for group in groups)))
                if "wrangledDataset" in embed else {})
    return [group_document(group, jobs=None if jobs is None else jobs[group.id],
                           dataset=datasets.get(group.dataset_id), now=call.now) for group in groups]


def _list_statement(field: str, descending: bool, limited: bool) -> sa.Select[Any]:
    g = T.job_groups.c
    column = {"id": g.id, "createdAt": g.created_at, "updatedAt": GROUP_UPDATED}[field]
    query = GROUPS.order_by(column.desc() if descending else column.asc(), g.id.desc() if descending else g.id.asc())
    if limited:
        query = query.limit(sa.bindparam("limit", type_=sa.Integer()))
    return query.offset(sa.bindparam("offset", type_=sa.Integer()))


# One statement per order the spec offers, with and without a limit; the page is bound when it runs.
_LISTS = {(field, descending, limited): _list_statement(field, descending, limited)
          for field in ("id", "createdAt", "updatedAt") for descending in (False, True) for limited in (False, True)}


@HANDLERS
async def list_job_groups(call: Call) -> Reply:
    p = call.params
    sort = p.get("sort") or "-createdAt"
    limited = not p.get("noLimit")
    query = _LISTS[sort.lstrip("-"), sort.startswith("-"), limited]
    values: dict[str, Any] = {"now": call.now, "offset": p.get("offset") or 0}
    if limited:
        values["limit"] = p.get("limit") or _DEFAULT_PAGE
    return Reply({"data": _documents(call, call.conn.execute(query, values).all())})


@HANDLERS
async def get_job_group(call: Call) -> Reply:
    group = group_row(call.conn, call.now, call.params["id"])
    return Reply(_documents(call, [group])[0])


@HANDLERS
async def get_job_group_status(call: Call) -> Reply:
    return Reply(group_status(call.conn, call.now, call.params["id"]))


@HANDLERS
async def get_job_group_jobs(call: Call) -> Reply:
    group_id = call.params["id"]
    jobs = jobs_of(call.conn, call.now, [group_id])[group_id]
    if not jobs:  # every job group has jobs: this one may not exist (a 404)
        group_status(call.conn, call.now, group_id)
    return Reply({"data": [job_document(job, call.now) for job in jobs]})


@HANDLERS
async def cancel_job_group(call: Call) -> Reply:
    group_id = call.params["id"]
    canceled = cancel(call.conn, group_id, call.now, group_status(call.conn, call.now, group_id))
    return Reply({"jobIds": canceled, "jobgroupId": group_id})
