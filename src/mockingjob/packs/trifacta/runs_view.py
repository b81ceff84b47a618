"""The dashboard's view of Designer Cloud's job groups (``GET /_mockingjob/runs``): Created → InProgress →
Complete, Failed or Canceled, from the instants a job group stores, by the rule its status is derived by
(`model.GROUP_STATUS`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import RunTimeline, Timeline

from .model import FINAL
from .tables import TABLES as T

_g, _d = T.job_groups.c, T.wrangled_datasets.c

_LATEST_GROUPS = (
    sa.select(_g.id, _g.created_at, _g.run_at, _g.end_at, _g.outcome, _d.name)
    .join_from(T.job_groups, T.wrangled_datasets, _d.id == _g.dataset_id)
    .order_by(_g.created_at.desc(), _g.id.desc())
    .limit(sa.bindparam("limit"))
)


def run_timelines(api: str, conn: Connection, now: datetime, limit: int) -> list[RunTimeline]:
    """The `limit` job groups created last, newest first, each with the states it went through by `now`."""
    return [
        RunTimeline.derived(api, group.id, group.name, Timeline((
            ("Created", group.created_at), ("InProgress", group.run_at), (group.outcome, group.end_at))), now, FINAL)
        for group in conn.execute(_LATEST_GROUPS, {"limit": limit})
    ]
