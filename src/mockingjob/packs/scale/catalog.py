"""What Scale's job documents link to and its web UI lists beside them: errors, nodes, workspaces, and the
version of the API. Fixtures define them; they change with nothing a client does through the job API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from mockingjob.kit import ApiError, Call, Operations, Reply

from .documents import ts
from .errors import NOT_FOUND
from .listing import Filter, Listing
from .params import time_range
from .tables import TABLES as T

OPERATIONS = Operations()

# settings.VERSION of the Scale release whose API this serves (scale/__init__.py).
SCALE_VERSION = "7.2.2"
MASK = "************"
e, n, w = T.errors.c, T.nodes.c, T.workspaces.c


def _found(call: Call, statement: sa.Select[Any], key: str) -> Row[Any]:
    """The row `statement` finds by the path parameter `key`, or Scale's 404."""
    row = call.conn.execute(statement, {key: call.params[key]}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


def _document(row: Row[Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The row's fields named, in order, its times written as Scale writes them."""
    return {name: ts(value) if isinstance(value := getattr(row, name), datetime) else value for name in names}


def _fields(table: sa.Table, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: table.c[name] for name in names}


# --- errors --------------------------------------------------------------------------------------------

_ERROR_FIELDS = ("id", "name", "title", "description", "job_type_name", "category", "is_builtin",
                 "should_be_retried", "created", "last_modified")
_ERRORS = Listing(
    sa.select(T.errors),
    filters={"started": Filter(e.last_modified, "min"), "ended": Filter(e.last_modified, "max"),
             "is_builtin": Filter(e.is_builtin, "flag"), "job_type_name": Filter(e.job_type_name, "eq"),
             "name": Filter(e.name, "eq"), "category": Filter(e.category, "eq")},
    orders=_fields(T.errors, _ERROR_FIELDS), default_order=("last_modified",), tiebreak=e.id,
)
_ERROR = sa.select(T.errors).where(e.id == sa.bindparam("error_id"))


def error_document(row: Row[Any]) -> dict[str, Any]:
    """ErrorSerializerV6."""
    return _document(row, _ERROR_FIELDS)


@OPERATIONS
async def list_errors(call: Call) -> Reply:
    time_range(call.params, call.now)  # Scale's check_time_range
    return Reply(_ERRORS.page(call, error_document))


@OPERATIONS
async def get_error(call: Call) -> Reply:
    row = _found(call, _ERROR, "error_id")
    return Reply(error_document(row))


# --- version -------------------------------------------------------------------------------------------


@OPERATIONS
async def get_version(call: Call) -> Reply:
    return Reply({"version": SCALE_VERSION})


# --- nodes ---------------------------------------------------------------------------------------------

_NODE_FIELDS = ("id", "hostname", "pause_reason", "is_paused", "is_active", "deprecated", "created", "last_modified")
_NODES = Listing(
    sa.select(T.nodes),
    filters={"started": Filter(n.last_modified, "min"), "ended": Filter(n.last_modified, "max"),
             "is_active": Filter(n.is_active, "flag")},
    orders=_fields(T.nodes, _NODE_FIELDS), default_order=("last_modified",), tiebreak=n.id,
    lowered=frozenset({"hostname", "pause_reason"}),
)
_NODE = sa.select(T.nodes).where(n.id == sa.bindparam("node_id"))


def node_document(row: Row[Any]) -> dict[str, Any]:
    """NodeSerializerV6."""
    return _document(row, _NODE_FIELDS)


@OPERATIONS
async def list_nodes(call: Call) -> Reply:
    time_range(call.params, call.now)
    return Reply(_NODES.page(call, node_document))


@OPERATIONS
async def get_node(call: Call) -> Reply:
    row = _found(call, _NODE, "node_id")
    return Reply(node_document(row))


_UPDATE_NODE = T.nodes.update().where(n.id == sa.bindparam("id_"))


@OPERATIONS
async def update_node(call: Call) -> Reply:
    """NodeDetailsView.patch: a paused or inactive node gets no new executions (handlers.py picks nodes)."""
    row = _found(call, _NODE, "node_id")
    values = dict(call.body)
    if "is_active" in values and values["is_active"] != row.is_active:
        values["deprecated"] = None if values["is_active"] else call.now
    if values.get("is_paused") is False:  # restarting the node clears its pause reason (NodeManager.update_node)
        values["pause_reason"] = None
    call.conn.execute(_UPDATE_NODE, {"id_": row.id, **values})
    return Reply(None, 204)


# --- the scheduler -------------------------------------------------------------------------------------

# Scale's Scheduler model defaults: the mock's cluster is never paused as a whole.
SCHEDULER = {"is_paused": False, "num_message_handlers": 1, "system_logging_level": "INFO", "queue_mode": "FIFO"}


@OPERATIONS
async def get_scheduler(call: Call) -> Reply:
    return Reply(SCHEDULER)


# --- workspaces ----------------------------------------------------------------------------------------

_WORKSPACE_FIELDS = ("id", "name", "title", "description", "base_url", "is_active", "created", "deprecated",
                     "last_modified")
_WORKSPACES = Listing(
    sa.select(T.workspaces),
    filters={"started": Filter(w.last_modified, "min"), "ended": Filter(w.last_modified, "max"),
             "name": Filter(w.name, "in")},
    orders=_fields(T.workspaces, _WORKSPACE_FIELDS), default_order=("name",), tiebreak=w.id,
    lowered=frozenset({"name", "title", "description"}),
)
_WORKSPACE = sa.select(T.workspaces).where(w.id == sa.bindparam("workspace_id"))


def workspace_document(row: Row[Any]) -> dict[str, Any]:
    """WorkspaceSerializerV6."""
    return _document(row, _WORKSPACE_FIELDS)


def shown_workspace_configuration(config: dict[str, Any] | None) -> dict[str, Any]:
    """The workspace's configuration without its schema version, and with an S3 broker's keys masked, as Scale
    shows it to a caller who is not staff (every caller of a Scale without authentication)."""
    shown = {key: value for key, value in (config or {}).items() if key != "version"}
    broker = dict(shown.get("broker") or {})
    if "credentials" in broker:
        broker["credentials"] = {**broker["credentials"], "access_key_id": MASK, "secret_access_key": MASK}
        shown["broker"] = broker
    return shown


@OPERATIONS
async def list_workspaces(call: Call) -> Reply:
    time_range(call.params, call.now)
    return Reply(_WORKSPACES.page(call, workspace_document))


@OPERATIONS
async def get_workspace(call: Call) -> Reply:
    row = _found(call, _WORKSPACE, "workspace_id")
    return Reply({**workspace_document(row), "configuration": shown_workspace_configuration(row.json_config)})
