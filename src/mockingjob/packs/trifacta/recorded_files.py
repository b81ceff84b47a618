"""The recorded records as the fixture files are written from them (`recorded_files`), merged across answers.

Every kind is written in id order and job groups in the order they were created, as seeding numbers their jobs
in file order (the real service numbered them as the runs started). What no answer told of a job group is
filled in here, not by the answer that names it: its write settings can be told by a run request, counted by
its jobs or not shown at all, and a neutral value given by one answer would stand in the way of a count given
by another. A recipe's plan is the one its last run was seen with, from its jobs when an answer embedded them,
else from its status: kept apart on each job group while recording, so that neither a plan seen with less nor
the order of the answers decides it. The stand-in flow of recipes whose flow no answer told is left out once
every recipe's is told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mockingjob.kit import parse_duration

from .recorded import PLAN_BY_JOBS, PLAN_BY_STATUS, UNKNOWN_FLOW, UNKNOWN_FLOW_NAME, Records, in_field_order

# What the mock does when a run's request, output object and last run do not say: its usual environment, no
# profiling, no file. No job group document shows them without its jobs.
JOB_GROUP_DEFAULTS: Mapping[str, Any] = {"execution": "photon", "profiler": False, "writeSettings": []}


def recorded_files(records: Records) -> Records:
    """`records` (merged, by kind) in seeding order, job groups completed, recipes given their last run's plan,
    the unused stand-in flow left out. The records given are not changed: later answers are merged into them."""
    recipes = records.get("wrangled_datasets", [])
    plans = _plans_of_last_runs(records.get("job_groups", []))
    written: Records = {}
    for kind, rows in records.items():
        kept = [row for row in rows if not (kind == "flows" and _unused_stand_in(row, recipes))]
        completed = [in_field_order(kind, _completed(kind, row, plans), written=True) for row in kept]
        written[kind] = sorted(completed, key=_creation_order if kind == "job_groups" else _id_order)
    return written


def _completed(kind: str, record: dict[str, Any], plans: Mapping[int, Any]) -> dict[str, Any]:
    if kind == "job_groups":
        return {**JOB_GROUP_DEFAULTS, **record}
    if kind == "wrangled_datasets" and record.get("id") in plans:
        return {**record, "plan": plans[record["id"]]}
    return record


def _plans_of_last_runs(groups: list[dict[str, Any]]) -> dict[int, Any]:
    """Recipe id → the plan its newest job group seen with one was seen with."""
    plans: dict[int, Any] = {}
    for group in sorted(groups, key=_creation_order):
        plan, recipe = group.get(PLAN_BY_JOBS, group.get(PLAN_BY_STATUS)), group.get("wrangledDataset")
        if plan is not None and isinstance(recipe, int):
            plans[recipe] = plan
    return plans


def _unused_stand_in(flow: Mapping[str, Any], recipes: list[dict[str, Any]]) -> bool:
    return (flow.get("id") == UNKNOWN_FLOW and flow.get("name") == UNKNOWN_FLOW_NAME
            and not any(recipe.get("flow") == UNKNOWN_FLOW for recipe in recipes))


def _id_order(record: Mapping[str, Any]) -> int:
    ident = record.get("id")
    return ident if isinstance(ident, int) else 0


def _creation_order(record: Mapping[str, Any]) -> tuple[timedelta, int]:
    try:
        created = parse_duration(str(record.get("created")))
    except ValueError:  # every recorded group has one; a stray value goes first rather than fail the write
        created = timedelta.min
    return created, _id_order(record)
