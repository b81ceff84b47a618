"""Job and dataset versions as Marquez derives and records them.

Each version has two names (JobVersionDao, DatasetVersionDao): a row id, random, which a job's and a dataset's
``currentVersion`` give; and a hash of what the version says, which a run's ``jobVersion`` and its dataset versions
give, and by which a job version is looked up. Equal contents make equal hashes, so an unchanged job keeps its
version, as Marquez keeps it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tables import TABLES as T

__all__ = ["dataset_ids", "dataset_version_hash", "job_version_hash", "record_job_version"]

_jv = T.job_versions.c


def _name_uuid(parts: Iterable[str | None]) -> str:
    """``UUID.nameUUIDFromBytes`` of the parts that are given, joined with ``:`` (Utils.newJobVersionFor)."""
    text = ":".join(part for part in parts if part is not None)
    return str(uuid.UUID(bytes=hashlib.md5(text.encode("utf-8")).digest(), version=3))


def dataset_ids(datasets: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The ``{namespace, name}`` of each dataset, once each, sorted (a job version's inputs and outputs)."""
    return [{"namespace": ns, "name": name}
            for ns, name in sorted({(str(d["namespace"]), str(d["name"])) for d in datasets})]


def job_version_hash(namespace: str, name: str, inputs: Sequence[Mapping[str, Any]],
                     outputs: Sequence[Mapping[str, Any]], location: str | None) -> str:
    """Utils.newJobVersionFor: the namespace, the job's full name, its sorted inputs and outputs, its location."""
    def text(datasets: Sequence[Mapping[str, Any]]) -> str:
        return ":".join(f"{d['namespace']}:{d['name']}" for d in dataset_ids(datasets))
    return _name_uuid([namespace, name, text(inputs), text(outputs), location])


def dataset_version_hash(namespace: str, source: str, name: str, fields: Sequence[Mapping[str, Any]],
                         lifecycle: str | None, run_id: str | None) -> str:
    """Utils.newDatasetVersionFor: what a version of a dataset says, and the run that wrote it (none for a
    version first read)."""
    triples = sorted({(str(f.get("name")), None if f.get("type") is None else str(f["type"]).upper(),
                       f.get("description")) for f in fields},
                     key=lambda t: tuple((v is not None, v or "") for v in t))
    fields_text = ":".join(":".join(v for v in triple if v is not None) for triple in triples)
    return _name_uuid([namespace, source, name, name, fields_text, lifecycle, run_id])


def record_job_version(conn: Connection, job: Any, run_id: str | None, inputs: Sequence[Mapping[str, Any]],
                       outputs: Sequence[Mapping[str, Any]], at: datetime) -> tuple[str, str]:
    """JobVersionDao.upsertJobVersionOnRunTransition: the version of `job` that the run `run_id`, reading `inputs`
    and writing `outputs`, ran (none: a job event's); created at `at` if new. Returns the version's row id and hash."""
    version = job_version_hash(job.namespace, job.name, inputs, outputs, job.location)
    values = {"updated_at": at, "location": job.location, "inputs": dataset_ids(inputs),
              "outputs": dataset_ids(outputs), "latest_run_id": run_id}
    where = (_jv.job_id == job.id) & (_jv.version == version)
    row_id = conn.execute(sa.select(_jv.uuid).where(where)).scalar()
    if row_id is None:
        row_id = str(uuid.uuid4())
        conn.execute(T.job_versions.insert(), {"uuid": row_id, "version": version, "job_id": job.id,
                                               "created_at": at, **values})
    else:
        conn.execute(T.job_versions.update().where(where), values)
    return row_id, version
