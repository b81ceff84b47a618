"""The records merged across Scale's answers, as they are written (`ScalePack.recorded_files`): in id order,
without the stand-ins nothing refers to any more."""

from __future__ import annotations

from typing import Any

from .recorded_records import UNKNOWN_ID, Record, is_stand_in_file, is_stand_in_workspace, obj, output_workspaces

__all__ = ["recorded_files"]


def recorded_files(records: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """`records` by kind, each kind in id order (the mock numbers executions in the order of its jobs, as Scale
    did in the order the jobs were made), less the made-up workspaces and node no record needs."""
    ordered = {kind: sorted(kept, key=lambda record: record["id"]) for kind, kept in records.items()}
    if "files" in ordered:
        ordered.update(_with_told_input_files(ordered))
    if "workspaces" in ordered:
        ordered["workspaces"] = _needed_workspaces(ordered)
    if "nodes" in ordered:
        ordered["nodes"] = _needed_nodes(ordered)
    return ordered


_WITH_INPUT = ("jobs", "recipes")


def _with_told_input_files(records: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """The files, jobs and recipes, each file made up for a name that a told file has (the only one of that
    name) replaced by it, and those made up that no input names left out."""
    ids_by_name: dict[Any, set[int]] = {}
    for file in records["files"]:
        if not is_stand_in_file(file["id"]):
            ids_by_name.setdefault(file.get("file_name"), set()).add(file["id"])
    told_id = {file["id"]: min(ids_by_name[file.get("file_name")]) for file in records["files"]
               if is_stand_in_file(file["id"]) and len(ids_by_name.get(file.get("file_name"), ())) == 1}
    changed = {kind: [_with_input_files(record, told_id) for record in records.get(kind, ())] for kind in _WITH_INPUT}
    named = {file_id for kind in _WITH_INPUT for record in changed[kind]
             for ids in _input_files(record).values() for file_id in ids}
    files = [file for file in records["files"] if not is_stand_in_file(file["id"]) or file["id"] in named]
    return {**{kind: kept for kind, kept in changed.items() if kind in records}, "files": files}


def _input_files(record: Record) -> dict[str, list[int]]:
    return obj(obj(record.get("input")).get("files"))


def _with_input_files(record: Record, told_id: dict[int, int]) -> Record:
    files = _input_files(record)
    if not any(file_id in told_id for ids in files.values() for file_id in ids):
        return record
    files = {name: sorted(told_id.get(file_id, file_id) for file_id in ids) for name, ids in files.items()}
    return {**record, "input": {**record["input"], "files": files}}


def _needed_workspaces(records: dict[str, list[Record]]) -> list[Record]:
    """The workspaces answers told, and those made up that a file holds, or that a job type's outputs go to by
    a name no told workspace has (the told one is theirs then)."""
    workspaces = records["workspaces"]
    told_names = {workspace.get("name") for workspace in workspaces if not is_stand_in_workspace(workspace["id"])}
    held = {file.get("workspace_id") for file in records.get("files", ())}
    targeted = {name for job_type in records.get("job_types", ())
                for name in output_workspaces(job_type.get("configuration"))} - told_names
    return [workspace for workspace in workspaces if not is_stand_in_workspace(workspace["id"])
            or workspace["id"] in held or workspace.get("name") in targeted]


def _needed_nodes(records: dict[str, list[Record]]) -> list[Record]:
    """The nodes, less the one made up for attempts that show none once no attempt names it."""
    named = {attempt.get("node") for job in records.get("jobs", ()) for attempt in job.get("attempts", ())}
    return [node for node in records["nodes"] if node["id"] != UNKNOWN_ID or UNKNOWN_ID in named]
