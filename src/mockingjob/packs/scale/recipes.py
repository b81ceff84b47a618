"""Scale's recipes and batches, read-only: their counts of jobs by status, completion and last change derive
from their jobs at the clock's now, as Scale's recipe and batch managers keep them up to date.

The collections are the fixtures' (nothing in the job API creates recipes or batches), so each answer is computed
in full and paged in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from mockingjob.kit import ApiError, Call, Operations, Reply

from .documents import job_type_summary, recipe_type_summary, shown_configuration, ts
from .errors import NOT_FOUND
from .job_types import recipe_type_document
from .listing import page_of
from .model import ENDED, LAST_MODIFIED, STARTED, STATUS
from .params import flag, time_range
from .tables import TABLES as T

OPERATIONS = Operations()

_j, _jt = T.jobs.c, T.job_types.c
STATUSES = ("PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED")
_JOBS = (sa.select(_j.id, _j.recipe_id, _j.batch_id, _j.is_superseded, _j.source_started, _j.source_ended,
                   _j.source_sensor_class, _j.source_sensor, _j.source_collection, _j.source_task,
                   STATUS.label("status"), LAST_MODIFIED.label("last_modified"), STARTED.label("started"),
                   ENDED.label("ended"), _jt.name.label("job_type_name"))
         .select_from(T.jobs.join(T.job_types, _jt.id == _j.job_type_id))
         .where(sa.or_(_j.recipe_id.is_not(None), _j.batch_id.is_not(None))).order_by(_j.id))


@dataclass
class _Jobs:
    """Jobs counted as Scale counts them for a recipe or a batch."""

    rows: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_status = Counter(row.status for row in self.rows)
        return {"jobs_total": len(self.rows),
                **{f"jobs_{status.lower()}": by_status.get(status, 0) for status in STATUSES}}

    @property
    def completed(self) -> bool:
        return bool(self.rows) and all(row.status == "COMPLETED" for row in self.rows)


def _jobs_by(conn: Connection, now: datetime, key: str) -> dict[int, _Jobs]:
    grouped: dict[int, _Jobs] = {}
    for row in conn.execute(_JOBS, {"now": now}):
        if getattr(row, key) is not None:
            grouped.setdefault(getattr(row, key), _Jobs()).rows.append(row)
    return grouped


def _latest(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return max(present) if present else None


def _without_version(data: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (data or {}).items() if key != "version"}


def _duration(value: timedelta) -> str:
    """Scale's parse_utils.duration_to_string: ``P[nD]T[nH][nM]nS``, whole seconds rounded."""
    seconds = round(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return ("P" + (f"{days}D" if days else "") + "T" + (f"{hours}H" if hours else "")
            + (f"{minutes}M" if minutes else "") + f"{seconds}S")


# --- recipes -------------------------------------------------------------------------------------------

_RT = T.recipe_types
_RECIPES = (sa.select(T.recipes, *(_RT.c[name].label(f"rt_{name}") for name in (
    "id", "name", "title", "description", "revision_num", "is_active", "is_system", "definition", "created",
    "deprecated", "last_modified")), T.events.c.type.label("ev_type"), T.events.c.occurred.label("ev_occurred"))
            .join(_RT, _RT.c.id == T.recipes.c.recipe_type_id).join(T.events, T.events.c.id == T.recipes.c.event_id)
            .order_by(T.recipes.c.id))
_BATCHES = (sa.select(T.batches, *(_RT.c[name].label(f"rt_{name}") for name in (
    "id", "name", "title", "description", "revision_num", "created")),
    T.events.c.type.label("ev_type"), T.events.c.occurred.label("ev_occurred"))
            .outerjoin(_RT, _RT.c.id == T.batches.c.recipe_type_id)
            .outerjoin(T.events, T.events.c.id == T.batches.c.event_id).order_by(T.batches.c.id))
JOB_TYPES = sa.select(T.job_types).order_by(_jt.id)


def _batch_summary(batch: Row[Any] | None) -> dict[str, Any] | None:
    if batch is None:
        return None
    return {"id": batch.id, "title": batch.title, "description": batch.description, "created": ts(batch.created)}


@dataclass
class _Recipe:
    row: Row[Any]
    jobs: _Jobs
    batch: Row[Any] | None

    @property
    def is_completed(self) -> bool:
        return self.jobs.completed

    @property
    def completed(self) -> datetime | None:
        return _latest(*(job.ended for job in self.jobs.rows)) if self.is_completed else None

    @property
    def last_modified(self) -> datetime:
        return _latest(self.row.created, self.row.superseded, *(job.last_modified for job in self.jobs.rows)) \
            or self.row.created

    def summary(self) -> dict[str, Any]:
        """RecipeBaseSerializerV6."""
        r = self.row
        return {"id": r.id, "recipe_type": recipe_type_summary(r, "rt"),
                "recipe_type_rev": {"id": r.recipe_type_rev_id}, "event": {"id": r.event_id}}

    def document(self, recipes: dict[int, _Recipe]) -> dict[str, Any]:
        """RecipeSerializerV6."""
        r = self.row
        first = self.jobs.rows[0] if self.jobs.rows else None
        parent = recipes.get(r.recipe_id) if r.recipe_id else None
        return {
            "id": r.id, "recipe_type": recipe_type_summary(r, "rt"),
            "recipe_type_rev": {"id": r.recipe_type_rev_id, "recipe_type": {"id": r.rt_id},
                                "revision_num": r.rt_revision_num},
            "event": {"id": r.event_id, "type": r.ev_type, "occurred": ts(r.ev_occurred)},
            "ingest_event": None, "batch": _batch_summary(self.batch),
            "recipe": parent.summary() if parent else None, "is_superseded": r.is_superseded,
            "superseded_recipe": {"id": r.superseded_recipe_id} if r.superseded_recipe_id else None,
            "input_file_size": r.input_file_size,
            **{f"source_{name}": (ts(getattr(first, f"source_{name}")) if name in ("started", "ended")
                                  else getattr(first, f"source_{name}")) if first else None
               for name in ("started", "ended", "sensor_class", "sensor", "collection", "task")},
            **self.jobs.counts(),
            "sub_recipes_total": sum(1 for other in recipes.values() if other.row.recipe_id == r.id),
            "sub_recipes_completed": sum(1 for other in recipes.values()
                                         if other.row.recipe_id == r.id and other.is_completed),
            "is_completed": self.is_completed, "created": ts(r.created), "completed": ts(self.completed),
            "superseded": ts(r.superseded), "last_modified": ts(self.last_modified),
        }

    def details(self, recipes: dict[int, _Recipe], job_types: Iterable[Row[Any]]) -> dict[str, Any]:
        """RecipeDetailsSerializerV6."""
        r = self.row
        definition = r.rt_definition or {}
        doc = self.document(recipes)
        recipe_type = {name: getattr(r, f"rt_{name}") for name in (
            "id", "name", "title", "description", "revision_num", "is_active", "is_system", "created", "deprecated",
            "last_modified")}
        doc["recipe_type_rev"] = {
            "id": r.recipe_type_rev_id, "recipe_type": recipe_type_document(SimpleNamespace(**recipe_type)),
            "revision_num": r.rt_revision_num, "created": ts(r.rt_created),
            "definition": _without_version(definition)}
        doc["event"] = {"id": r.event_id, "type": r.ev_type, "occurred": ts(r.ev_occurred), "description": {}}
        superseded = recipes.get(r.superseded_recipe_id) if r.superseded_recipe_id else None
        superseded_by = recipes.get(r.superseded_by_recipe_id) if r.superseded_by_recipe_id else None
        doc["superseded_recipe"] = superseded.summary() if superseded else None
        doc["superseded_by_recipe"] = superseded_by.summary() if superseded_by else None
        doc["input"] = _without_version(r.input or {"files": {}, "json": {}})
        doc["details"] = {"nodes": self._nodes(definition)}
        named = [(node.get("node_type") or {}) for node in (definition.get("nodes") or {}).values()]
        doc["job_types"] = [job_type_summary(t) for t in job_types
                            if any(n.get("job_type_name") == t.name and n.get("job_type_version") == t.version
                                   for n in named)]
        doc["sub_recipe_types"] = []
        return doc

    def _nodes(self, definition: dict[str, Any]) -> dict[str, Any]:
        """The definition's job nodes that have a job in this recipe (its latest of that job type)."""
        nodes = {}
        for name, node in (definition.get("nodes") or {}).items():
            node_type = node.get("node_type") or {}
            jobs = [job for job in self.jobs.rows if job.job_type_name == node_type.get("job_type_name")]
            if node_type.get("node_type") != "job" or not jobs:
                continue
            job = max(jobs, key=lambda row: (not row.is_superseded, row.id))
            nodes[name] = {
                "dependencies": [{"name": dependency["name"]} for dependency in node.get("dependencies") or []],
                "node_type": {"node_type": "job", "job_type_name": node_type.get("job_type_name"),
                              "job_type_version": node_type.get("job_type_version"),
                              "job_type_revision": node_type.get("job_type_revision"), "job_id": job.id,
                              "status": job.status}}
        return nodes



def all_recipes(conn: Connection, now: datetime) -> dict[int, _Recipe]:
    """Every recipe, with its jobs as they are at `now`."""
    jobs = _jobs_by(conn, now, "recipe_id")
    batches = {row.id: row for row in conn.execute(_BATCHES)}
    return {row.id: _Recipe(row, jobs.get(row.id, _Jobs()), batches.get(row.batch_id))
            for row in conn.execute(_RECIPES)}


def _ordered(items: list[Any], order: Iterable[str], key: Callable[[Any, str], Any]) -> list[Any]:
    """`items` sorted by each field of `order` (``-`` descending), the first field first; None sorts last
    ascending and first descending, as in PostgreSQL."""
    result = sorted(items, key=lambda item: item.row.id)
    for field_name in reversed(list(order)):
        name, descending = field_name.lstrip("-"), field_name.startswith("-")
        present = [item for item in result if key(item, name) is not None]
        absent = [item for item in result if key(item, name) is None]
        present.sort(key=lambda item: key(item, name), reverse=descending)
        result = absent + present if descending else present + absent
    return result


def _recipe_field(recipe: _Recipe, name: str) -> Any:
    if name in ("completed", "last_modified", "is_completed"):
        return getattr(recipe, name)
    if name in ("source_started", "source_ended", "source_sensor_class", "source_sensor", "source_collection",
                "source_task"):
        return getattr(recipe.jobs.rows[0], name) if recipe.jobs.rows else None
    return getattr(recipe.row, name)


@OPERATIONS
async def list_recipes(call: Call) -> Reply:
    p, now = call.params, call.now
    started, ended = time_range(p, now)
    source_started, source_ended = time_range(p, now, "source_started", "source_ended")
    recipes = all_recipes(call.conn, now)
    chosen = []
    for recipe in recipes.values():
        r = recipe.row
        lists = {"recipe_id": r.id, "root_recipe_id": r.root_recipe_id, "recipe_type_id": r.recipe_type_id,
                 "recipe_type_name": r.rt_name, "batch_id": r.batch_id,
                 **{name: _recipe_field(recipe, name) for name in (
                     "source_sensor_class", "source_sensor", "source_collection", "source_task")}}
        if any(p.get(name) and value not in p[name] for name, value in lists.items()):
            continue
        if (started and recipe.last_modified < started) or (ended and recipe.last_modified > ended):
            continue
        first_started = _recipe_field(recipe, "source_started")
        first_ended = _recipe_field(recipe, "source_ended")
        if source_started and (first_started is None or first_started < source_started):
            continue
        if source_ended and (first_ended is None or first_ended > source_ended):
            continue
        if p.get("is_superseded") is not None and r.is_superseded != flag(p["is_superseded"]):
            continue
        if p.get("is_completed") is not None and recipe.is_completed != flag(p["is_completed"]):
            continue
        chosen.append(recipe)
    ordered = _ordered(chosen, p.get("order") or ["last_modified"], _recipe_field)
    return Reply(page_of(call, [recipe.document(recipes) for recipe in ordered]))


@OPERATIONS
async def get_recipe(call: Call) -> Reply:
    recipes = all_recipes(call.conn, call.now)
    recipe = recipes.get(call.params["recipe_id"])
    if recipe is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(recipe.details(recipes, call.conn.execute(JOB_TYPES).all()))


# --- batches -------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    row: Row[Any]
    jobs: _Jobs
    recipes: list[_Recipe]

    @property
    def last_modified(self) -> datetime:
        return _latest(self.row.last_modified, self.row.created, *(job.last_modified for job in self.jobs.rows)) \
            or self.row.created

    def document(self, batches: dict[int, _Batch]) -> dict[str, Any]:
        """BatchSerializerV6."""
        b = self.row
        root = batches.get(b.root_batch_id) if b.root_batch_id else None
        superseded = batches.get(b.superseded_batch_id) if b.superseded_batch_id else None
        return {
            "id": b.id, "title": b.title, "description": b.description, "created": ts(b.created),
            "recipe_type": recipe_type_summary(b, "rt"),
            "recipe_type_rev": {"id": b.recipe_type_rev_id, "recipe_type": {"id": b.rt_id},
                                "revision_num": b.rt_revision_num} if b.rt_id is not None else None,
            "event": {"id": b.event_id, "type": b.ev_type, "occurred": ts(b.ev_occurred)} if b.event_id else None,
            "is_superseded": b.is_superseded, "root_batch": _batch_summary(root.row) if root else None,
            "superseded_batch": _batch_summary(superseded.row) if superseded else None,
            "is_creation_done": b.is_creation_done, **self.jobs.counts(),
            "recipes_estimated": b.recipes_estimated, "recipes_total": len(self.recipes),
            "recipes_completed": sum(1 for recipe in self.recipes if recipe.is_completed),
            "superseded": ts(b.superseded), "last_modified": ts(self.last_modified),
        }

    def details(self, batches: dict[int, _Batch]) -> dict[str, Any]:
        """BatchDetailsSerializerV6."""
        b = self.row
        doc = self.document(batches)
        if b.rt_id is not None:
            doc["recipe_type_rev"] = {"id": b.recipe_type_rev_id, "recipe_type": recipe_type_summary(b, "rt"),
                                      "revision_num": b.rt_revision_num, "created": ts(b.rt_created)}
        if doc["event"] is not None:
            doc["event"] = {**doc["event"], "description": {}}
        doc["definition"] = _without_version(b.definition)
        doc["configuration"] = shown_configuration(b.configuration or {}, {})
        doc["job_metrics"] = self._metrics()
        return doc

    def _metrics(self) -> dict[str, Any]:
        """BatchMetrics per recipe job node (here, the job type's name): counts and run times."""
        by_node: dict[str, _Jobs] = {}
        for job in self.jobs.rows:
            by_node.setdefault(job.job_type_name, _Jobs()).rows.append(job)
        metrics = {}
        for node, jobs in sorted(by_node.items()):
            durations = [job.ended - job.started for job in jobs.rows
                         if job.status == "COMPLETED" and job.started and job.ended]
            timing: dict[str, str | None] = dict.fromkeys(
                [f"{kind}_{what}_duration" for what in ("seed", "job") for kind in ("min", "avg", "max")])
            if durations:
                low, high = min(durations), max(durations)
                mean = sum(durations, timedelta()) / len(durations)
                for what in ("seed", "job"):  # one task per execution here: the seed run is the job's run
                    timing.update({f"min_{what}_duration": _duration(low), f"avg_{what}_duration": _duration(mean),
                                   f"max_{what}_duration": _duration(high)})
            metrics[node] = {**jobs.counts(), **timing}
        return metrics


def all_batches(conn: Connection, now: datetime) -> dict[int, _Batch]:
    """Every batch, with its jobs and recipes as they are at `now`."""
    jobs = _jobs_by(conn, now, "batch_id")
    recipes = all_recipes(conn, now)
    return {row.id: _Batch(row, jobs.get(row.id, _Jobs()),
                           [recipe for recipe in recipes.values() if recipe.row.batch_id == row.id])
            for row in conn.execute(_BATCHES)}


def _batch_field(batch: _Batch, name: str) -> Any:
    if name == "last_modified":
        return batch.last_modified
    if name.startswith("jobs_"):
        return batch.jobs.counts()[name]
    if name == "recipes_total":
        return len(batch.recipes)
    if name == "recipes_completed":
        return sum(1 for recipe in batch.recipes if recipe.is_completed)
    return getattr(batch.row, {"recipe_type": "recipe_type_id", "recipe_type_rev": "recipe_type_rev_id",
                               "event": "event_id"}.get(name, name))


@OPERATIONS
async def list_batches(call: Call) -> Reply:
    p, now = call.params, call.now
    started, ended = time_range(p, now)
    batches = all_batches(call.conn, now)
    chosen = []
    for batch in batches.values():
        b = batch.row
        lists = {"recipe_type_id": b.recipe_type_id, "root_batch_id": b.root_batch_id}
        if any(p.get(name) and value not in p[name] for name, value in lists.items()):
            continue
        if (started and batch.last_modified < started) or (ended and batch.last_modified > ended):
            continue
        if any(p.get(name) is not None and getattr(b, name) != flag(p[name])
               for name in ("is_creation_done", "is_superseded")):
            continue
        chosen.append(batch)
    ordered = _ordered(chosen, p.get("order") or ["last_modified"], _batch_field)
    return Reply(page_of(call, [batch.document(batches) for batch in ordered]))


@OPERATIONS
async def get_batch(call: Call) -> Reply:
    batches = all_batches(call.conn, call.now)
    batch = batches.get(call.params["batch_id"])
    if batch is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(batch.details(batches))



