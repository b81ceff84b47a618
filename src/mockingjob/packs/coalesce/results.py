"""Per-node results of a run, derived from its plan and the clock.

Nodes run in batches of ``parallelism``, each batch taking ``node_seconds`` from the moment the run enters
``running``. A node is listed once its batch has started; the failing node of a failed run fails at the
run's end; the nodes still running when a run is canceled are canceled with it. Nodes that never started (a
later batch, after a failure or a cancel) are not listed.

Each node's state is where the official spec puts it: in its query results (``queryResults[].status``,
``success``, ``isRunning``, and ``error`` with ``errorString`` and ``errorDetail`` when it failed or was
canceled); the node itself carries only ``isRunning``.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from .documents import ts
from .model import CANCELED, FAILED, nodes_at_once

RUNNING, SUCCESS, FAILED_STATE, CANCELED_STATE = "Running", "Success", "Failed", "Canceled"


def _sql(run_type: str, node: Any) -> str:
    schema = f'"{node.database}"."{node.schema}"'
    if run_type == "deploy":
        return f'CREATE OR REPLACE TABLE {schema}."{node.name}" AS SELECT * FROM {schema}."{node.name}_STAGE"'
    return f'INSERT OVERWRITE INTO {schema}."{node.name}" SELECT * FROM {schema}."{node.name}_SOURCE"'


def _rows(run_id: int, node_id: str) -> int:
    """A stable, plausible row count for one node of one run."""
    return zlib.crc32(f"{run_id}:{node_id}".encode()) % 50000


def node_states(run: Any, now: datetime) -> list[tuple[str, str, datetime, datetime | None]]:
    """(node id, state, started, ended) for each node of `run` that has started by `now`, in order."""
    if run.run_at is None or run.run_at > now:
        return []
    ended = run.end_at if run.end_at is not None and run.end_at <= now else None
    states = []
    for index, node_id in enumerate(run.node_ids):
        start = run.run_at + timedelta(seconds=(index // nodes_at_once(run.parallelism)) * run.node_seconds)
        finish = start + timedelta(seconds=run.node_seconds)
        if start > now or (ended is not None and start >= ended):
            continue
        if ended is not None and run.outcome == FAILED and node_id == run.fail_node_id:
            states.append((node_id, FAILED_STATE, start, ended))
        elif ended is not None and run.outcome == CANCELED and finish > ended:
            states.append((node_id, CANCELED_STATE, start, ended))
        elif finish <= now or (ended is not None and finish > ended):
            states.append((node_id, SUCCESS, start, min(finish, ended) if ended else finish))
        else:
            states.append((node_id, RUNNING, start, None))
    return states


def unfinished_nodes(run: Any, now: datetime) -> list[str]:
    """The nodes of `run` that did not succeed: what a rerun processes."""
    succeeded = {node_id for node_id, state, _, _ in node_states(run, now) if state == SUCCESS}
    return [node_id for node_id in run.node_ids if node_id not in succeeded]


def run_results(run: Any, nodes: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The ``data`` of List Run Results for `run` (a runs row with ``warehouse``)."""
    warehouse = run.warehouse or "COMPUTE_WH"
    results = []
    for node_id, state, start, end in node_states(run, now):
        node = nodes[node_id]
        sql = _sql(run.run_type, node)
        query: dict[str, Any] = {
            "name": "Create Table" if run.run_type == "deploy" else "Insert Data",
            "queryID": f"01b{zlib.crc32(f'{run.id}:{node_id}'.encode()):08x}-0000-{run.id:04d}",
            "sql": sql, "status": state, "success": state == SUCCESS, "isRunning": state == RUNNING,
            "startTime": ts(start), "warehouse": warehouse,
        }
        if end is not None:
            query["endTime"] = ts(end)
        if state == SUCCESS:
            rows = _rows(run.id, node_id)
            query.update(rowsInserted=rows if run.run_type == "refresh" else 0, rowsUpdated=0, rowsDeleted=0)
        elif state == FAILED_STATE:
            reason = run.failure_reason or f"Error executing node {node.name}."
            query["error"] = {"errorString": reason,
                              "errorDetail": f"{query['name']} failed for node {node.name}: {reason}"}
        elif state == CANCELED_STATE:
            query["error"] = {"errorString": "Query canceled",
                              "errorDetail": f"Run {run.id} was canceled while node {node.name} was running."}
        results.append({
            "nodeID": node_id,
            "name": node.name,
            "isRunning": state == RUNNING,
            "queryResults": [query],
            "renderQueryResult": {
                "name": "Render", "sql": sql, "status": SUCCESS, "success": True, "isRunning": False,
                "startTime": ts(run.render_at), "endTime": ts(run.run_at), "warehouse": warehouse,
            },
        })
    return results
