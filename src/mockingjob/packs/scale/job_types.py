"""Scale's job types (job/views.py JobTypesView and its neighbours): every version, the names, the details, the
revisions; registering, editing (pausing, deprecating) and validating one; and the status lists the web UI's
dashboards poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from mockingjob.kit import ApiError, Call, Operations, PortableString, Reply, UtcDateTime, inserted_id

from . import manifest as seed
from .documents import error_summary, job_type_document, job_type_summary, ts
from .errors import NOT_FOUND, bad_parameter
from .listing import like_escaped
from .model import LAST_MODIFIED, STATUS, hold_jobs, resume_jobs
from .params import flag, paginate, parse_timestamp
from .tables import TABLES as T
from .tally import add_job_type

OPERATIONS = Operations()

jt, rev, rt = T.job_types.c, T.job_type_revisions.c, T.recipe_types.c
_LIMIT, _OFFSET = sa.bindparam("limit", type_=sa.Integer()), sa.bindparam("offset", type_=sa.Integer())


# --- lists of job types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    keywords: int
    ids: bool
    is_active: bool
    is_system: bool


def _matching(shape: _Shape) -> sa.Select[Any]:
    """The ids of the job type versions a list's filters match: a keyword in the name or a tag, any case
    (JobTypeManager.get_job_types_v6)."""
    versions = sa.select(jt.id)
    if shape.keywords:
        versions = versions.where(sa.or_(*(
            sa.func.lower(column, type_=PortableString()).like(
                sa.bindparam(f"keyword_{n}", type_=PortableString()), escape="\\")
            for n in range(shape.keywords) for column in (jt.name, jt.tag_text))))
    if shape.ids:
        versions = versions.where(jt.id.in_(sa.bindparam("id", expanding=True)))
    for name, given in (("is_active", shape.is_active), ("is_system", shape.is_system)):
        if given:
            versions = versions.where(jt[name] == sa.bindparam(name))
    return versions


@lru_cache(maxsize=64)
def _version_statements(shape: _Shape) -> tuple[sa.Select[Any], sa.Select[Any]]:
    query = sa.select(T.job_types).where(jt.id.in_(_matching(shape)))
    count = sa.select(sa.func.count()).select_from(query.subquery())
    page = query.order_by(sa.func.lower(jt.name, type_=PortableString()), jt.id).limit(_LIMIT).offset(_OFFSET)
    return count, page


@lru_cache(maxsize=64)
def _name_statements(shape: _Shape) -> tuple[sa.Select[Any], sa.Select[Any]]:
    names = sa.select(jt.name).distinct().where(jt.id.in_(_matching(shape)))
    count = sa.select(sa.func.count()).select_from(names.subquery())
    return count, names.order_by(jt.name).limit(_LIMIT).offset(_OFFSET)


def _filters(call: Call) -> tuple[_Shape, dict[str, Any]]:
    p = call.params
    keywords = p.get("keyword") or []
    values: dict[str, Any] = {f"keyword_{n}": f"%{like_escaped(keyword.lower())}%"
                              for n, keyword in enumerate(keywords)}
    if p.get("id"):
        values["id"] = list(p["id"])
    for name in ("is_active", "is_system"):
        if p.get(name) is not None:
            values[name] = flag(p[name])
    shape = _Shape(len(keywords), bool(p.get("id")), p.get("is_active") is not None, p.get("is_system") is not None)
    return shape, values


@OPERATIONS
async def list_job_types(call: Call) -> Reply:
    shape, values = _filters(call)
    count, page = _version_statements(shape)
    envelope, rows = paginate(call, call.conn, page, count, values)
    return Reply({**envelope, "results": [job_type_document(row) for row in rows]})


_VERSIONS_OF = sa.select(T.job_types).where(jt.name.in_(sa.bindparam("names", expanding=True))).order_by(jt.id)


def _semver(version: str) -> tuple[int, int, int, str]:
    """Scale's version_array: major, minor, patch and pre-release, [0, 0, 0, ...] when it is no semver."""
    core, _, pre = version.partition("-")
    parts = core.split(".")
    try:
        major, minor, patch = (int(part) for part in parts[:3])
    except ValueError:
        return 0, 0, 0, ""
    return major, minor, patch, pre


@OPERATIONS
async def list_job_type_names(call: Call) -> Reply:
    """Names whose versions the filters match; each shows its latest version and lists every version, whatever
    the filters (JobTypeManager.get_job_type_names_v6)."""
    shape, values = _filters(call)
    count, page = _name_statements(shape)
    envelope, rows = paginate(call, call.conn, page, count, values)
    versions: dict[str, list[Row[Any]]] = {row.name: [] for row in rows}
    if versions:
        for version in call.conn.execute(_VERSIONS_OF, {"names": list(versions)}):
            versions[version.name].append(version)
    results = []
    for all_versions in versions.values():
        latest = max(all_versions, key=lambda v: _semver(v.version))
        summary = job_type_summary(latest)
        results.append({**{key: value for key, value in summary.items() if key not in ("id", "version")},
                        "versions": [v.version for v in all_versions], "latest_version": latest.version})
    return Reply({**envelope, "results": results})


_VERSIONS_NAMED = sa.select(T.job_types).where(jt.name == sa.bindparam("name", type_=PortableString()))
_ACTIVE_VERSIONS_NAMED = _VERSIONS_NAMED.where(jt.is_active == sa.bindparam("is_active"))
# Scale orders the versions by the version string, descending (not as semver: "9.0.0" before "10.0.0").
_VERSIONS_PAGES = {
    active: (sa.select(sa.func.count()).select_from(query.subquery()),
             query.order_by(jt.version.desc(), jt.id).limit(_LIMIT).offset(_OFFSET))
    for active, query in ((False, _VERSIONS_NAMED), (True, _ACTIVE_VERSIONS_NAMED))
}


@OPERATIONS
async def list_job_type_versions(call: Call) -> Reply:
    active = call.params.get("is_active")
    count, page = _VERSIONS_PAGES[active is not None]
    values = {"name": call.params["name"], "is_active": None if active is None else flag(active)}
    envelope, rows = paginate(call, call.conn, page, count, values)
    return Reply({**envelope, "results": [job_type_document(row) for row in rows]})


# --- one job type --------------------------------------------------------------------------------------

_JOB_TYPE_VERSION = sa.select(T.job_types).where(jt.name == sa.bindparam("name", type_=PortableString()),
                                                 jt.version == sa.bindparam("version", type_=PortableString()))
_RECIPE_TYPES = sa.select(T.recipe_types).order_by(rt.title, rt.id)


def recipe_type_document(row: Any) -> dict[str, Any]:
    """RecipeTypeSerializerV6."""
    return {"id": row.id, "name": row.name, "title": row.title, "description": row.description,
            "revision_num": row.revision_num, "is_active": row.is_active, "is_system": row.is_system,
            "created": ts(row.created), "deprecated": ts(row.deprecated), "last_modified": ts(row.last_modified)}


def _runs(recipe_type: Row[Any], name: str, version: str) -> bool:
    """Whether a recipe type's definition has a job node of this job type (Scale's RecipeTypeJobLink)."""
    nodes = (recipe_type.definition or {}).get("nodes") or {}
    return any((node.get("node_type") or {}).get("job_type_name") == name
               and (node.get("node_type") or {}).get("job_type_version") == version for node in nodes.values())


def linked_recipe_types(conn: Connection, name: str, version: str) -> list[Row[Any]]:
    return [row for row in conn.execute(_RECIPE_TYPES) if _runs(row, name, version)]


def _find(call: Call) -> Row[Any]:
    row = call.conn.execute(_JOB_TYPE_VERSION, {"name": call.params["name"],
                                                "version": call.params["version"]}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


def details(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    """JobTypeDetailsSerializerV6."""
    return {**job_type_document(row, details=True),
            "recipe_types": [recipe_type_document(r) for r in linked_recipe_types(conn, row.name, row.version)]}


@OPERATIONS
async def get_job_type(call: Call) -> Reply:
    return Reply(details(call.conn, _find(call)))


# --- registering, editing, validating ------------------------------------------------------------------

_WORKSPACES = sa.select(T.workspaces.c.name, T.workspaces.c.is_active)
_INSERT_JOB_TYPE = T.job_types.insert()
_INSERT_REVISION = T.job_type_revisions.insert()
_UPDATE_JOB_TYPE = T.job_types.update().where(jt.id == sa.bindparam("id_"))
_DEACTIVATE_RECIPE_TYPE = T.recipe_types.update().where(rt.id == sa.bindparam("id_"))
DEFAULT_PLAN = {"queued": 5, "running": 30, "outcomes": ["COMPLETED"]}


def _workspaces(conn: Connection) -> dict[str, bool]:
    return {row.name: row.is_active for row in conn.execute(_WORKSPACES)}


def _checked_manifest(manifest: dict[str, Any]) -> None:
    problem = seed.manifest_error(manifest)
    if problem is not None:
        raise bad_parameter(f"Seed Manifest invalid: {problem.description}")


def _checked_configuration(conn: Connection, configuration: dict[str, Any], manifest: dict[str, Any],
                           prefix: str) -> dict[str, Any]:
    """The configuration with its defaults, or Scale's 400 for its first error (warnings are dropped, as Scale
    drops them when it creates or edits a job type)."""
    problem = seed.configuration_error(configuration)
    if problem is None:
        configuration = seed.with_defaults(configuration)
        errors = seed.check_against_manifest(configuration, manifest, _workspaces(conn)).errors
        problem = errors[0] if errors else None
    if problem is not None:
        raise bad_parameter(f"{prefix}{problem.description}")
    return configuration


def tag_text(tags: list[str]) -> str:
    """The tags one per line, so that a keyword matches within one tag (Scale's ``jobtypetag__tag__icontains``)."""
    return "\n".join(tags)


_ERROR_NAMED = sa.select(T.errors.c.id).where(T.errors.c.name == sa.bindparam("name", type_=PortableString()))
_INSERT_ERROR = T.errors.insert()
_UPDATE_ERROR = T.errors.update().where(T.errors.c.id == sa.bindparam("id_"))


def _save_errors(conn: Connection, manifest: dict[str, Any], now: Any) -> None:
    """The manifest's errors become Scale errors, named as the manifest names them (job type's
    error_mapping.save_models): `job` ones are ALGORITHM errors, `data` ones DATA errors."""
    job = manifest.get("job", {})
    for error in job.get("errors") or []:
        values = {"title": error.get("title") or error["name"], "description": error.get("description"),
                  "job_type_name": job.get("name"),
                  "category": "DATA" if error.get("category") == "data" else "ALGORITHM", "last_modified": now}
        found = conn.execute(_ERROR_NAMED, {"name": error["name"]}).first()
        if found is None:
            conn.execute(_INSERT_ERROR, {**values, "name": error["name"], "is_builtin": False,
                                         "should_be_retried": False, "created": now})
        else:
            conn.execute(_UPDATE_ERROR, {"id_": found.id, **values})


def _checked_plan(conn: Connection, plan: dict[str, Any] | None) -> None:
    """A plan's error must be one Scale knows, for its jobs' failures to report it."""
    name = (plan or {}).get("error")
    if name is not None and conn.execute(_ERROR_NAMED, {"name": name}).first() is None:
        raise bad_parameter(f"Plan error '{name}' is not the name of an error")


def _manifest_columns(manifest: dict[str, Any]) -> dict[str, Any]:
    """The job type columns Scale reads from its manifest."""
    job = manifest["job"]
    scalar = {r["name"]: r["value"] for r in (job.get("resources") or {}).get("scalar") or []}
    return {"title": job.get("title"), "description": job.get("description"), "timeout": job.get("timeout", 0),
            "tags": job.get("tags") or [], "tag_text": tag_text(job.get("tags") or []), "manifest": manifest,
            "resources": {name: float(scalar.get(name, 0.0)) for name in ("cpus", "mem", "disk", "gpus")}
            | {name: float(value) for name, value in scalar.items()}}


@OPERATIONS
async def validate_job_type(call: Call) -> Reply:
    body = call.body or {}
    return Reply(seed.validate(body["manifest"], body["configuration"], _workspaces(call.conn)).json())


@OPERATIONS
async def create_job_type(call: Call) -> Reply:
    """A new name and version is created (201, its details); an existing one is edited with the manifest given,
    which makes a revision (200, the edit's validation), as JobTypesView.create does."""
    body = call.body
    manifest = body["manifest"]
    _checked_manifest(manifest)
    if body.get("configuration"):
        problem = seed.configuration_error(body["configuration"])
        if problem is not None:
            raise bad_parameter(f"Job type configuration invalid: {problem.description}")
    _save_errors(call.conn, manifest, call.now)
    _checked_plan(call.conn, body.get("plan"))
    name, version = manifest["job"]["name"], manifest["job"]["jobVersion"]
    if name == "validation":
        raise bad_parameter('Unable to create job type named "validation"')
    existing = call.conn.execute(_JOB_TYPE_VERSION, {"name": name, "version": version}).first()
    if existing is not None:
        # JobTypesView.create words a configuration error of this edit as it words one of a creation.
        return Reply(_edit(call, existing, {**body, "auto_update": body.get("auto_update", True)},
                           "Job type configuration invalid: ").json())
    configuration = _checked_configuration(call.conn, body.get("configuration") or {}, manifest,
                                           "Job type configuration invalid: ")
    now = call.now
    values = {
        "name": name, "version": version, **_manifest_columns(manifest), "icon_code": body.get("icon_code") or None,
        "is_active": True, "is_system": False, "is_paused": False, "is_published": bool(body.get("is_published")),
        "unmet_resources": None, "max_scheduled": body.get("max_scheduled") or None, "max_tries": 3,
        "revision_id": 0, "revision_num": 1, "docker_image": body["docker_image"], "configuration": configuration,
        "plan": body.get("plan") or DEFAULT_PLAN, "created": now, "deprecated": None, "paused": None,
        "last_modified": now,
    }
    job_type_id = inserted_id(call.conn.execute(_INSERT_JOB_TYPE, values))
    revision_id = inserted_id(call.conn.execute(_INSERT_REVISION, {
        "job_type_id": job_type_id, "revision_num": 1, "docker_image": body["docker_image"], "manifest": manifest,
        "created": now}))
    call.conn.execute(_UPDATE_JOB_TYPE, {"id_": job_type_id, "revision_id": revision_id})
    add_job_type(call.conn, job_type_id)
    row = call.conn.execute(_JOB_TYPE_VERSION, {"name": name, "version": version}).one()
    location = call.url(f"/v6/job-types/{name}/{version}/")
    return Reply(details(call.conn, row), 201, {"Location": location})


@OPERATIONS
async def edit_job_type(call: Call) -> Reply:
    body = call.body or {}
    name, version = call.params["name"], call.params["version"]
    if body.get("manifest"):
        _checked_manifest(body["manifest"])
        given = body["manifest"]["job"]
        if given["name"] != name:
            raise bad_parameter(f"Manifest name {given['name']} does not match current Job Type name {name}.")
        if given["jobVersion"] != version:
            raise bad_parameter(
                f"Manifest version {given['jobVersion']} does not match current Job Type version {version}.")
    if body.get("configuration"):
        problem = seed.configuration_error(body["configuration"])
        if problem is not None:
            raise bad_parameter(f"Job type configuration invalid: {problem.description}")
    row = _find(call)
    if body.get("manifest"):
        _save_errors(call.conn, body["manifest"], call.now)
    _checked_plan(call.conn, body.get("plan"))
    return Reply(_edit(call, row, body).json())


def _edit(call: Call, row: Row[Any], body: dict[str, Any], prefix: str = "") -> seed.Validation:
    """JobTypeManager.edit_job_type_v6: a field given as None (or, for most, as a false value) is left alone."""
    conn, now = call.conn, call.now
    result = seed.Validation()
    if row.is_system and any(body.get(name) for name in ("manifest", "icon_code", "is_active", "max_scheduled",
                                                         "configuration")):
        raise bad_parameter("You can only modify the is_paused field for a System Job")
    values: dict[str, Any] = {"last_modified": now}
    manifest = row.manifest
    if body.get("manifest"):
        manifest = body["manifest"]
        values.update(_manifest_columns(manifest), revision_num=row.revision_num + 1, unmet_resources=None)
    configuration = body.get("configuration") or row.configuration
    values["configuration"] = _checked_configuration(conn, configuration, manifest, prefix)
    for name in ("docker_image", "icon_code", "max_scheduled"):
        if body.get(name):
            values[name] = body[name]
    if body.get("is_published"):
        values["is_published"] = True
    if body.get("plan"):
        values["plan"] = body["plan"]
    if body.get("is_active") is not None and body["is_active"] != row.is_active:
        values.update(is_active=body["is_active"], deprecated=None if body["is_active"] else now)
        if not body["is_active"]:
            deprecated = linked_recipe_types(conn, row.name, row.version)
            if deprecated:
                names = ", ".join(f"u'{r.name}'" for r in deprecated)
                result.warnings.append(seed.Finding(
                    "DEPRECATED_RECIPES",
                    f"The following recipes were deprecated as a result of deprecating this job type: [{names}] "))
                for recipe_type in deprecated:
                    conn.execute(_DEACTIVATE_RECIPE_TYPE, {"id_": recipe_type.id, "is_active": False,
                                                           "deprecated": now, "last_modified": now})
    if body.get("is_paused") is not None and body["is_paused"] != row.is_paused:
        values.update(is_paused=body["is_paused"], paused=now if body["is_paused"] else None)
        (hold_jobs if body["is_paused"] else resume_jobs)(conn, now, row.id)
    if body.get("manifest"):
        revision = inserted_id(conn.execute(_INSERT_REVISION, {
            "job_type_id": row.id, "revision_num": values["revision_num"],
            "docker_image": values.get("docker_image", row.docker_image), "manifest": manifest, "created": now}))
        values["revision_id"] = revision
    conn.execute(_UPDATE_JOB_TYPE, {"id_": row.id, **values})
    return result


# --- revisions -----------------------------------------------------------------------------------------

_REVISIONS = sa.select(T.job_type_revisions).where(rev.job_type_id == sa.bindparam("job_type_id"))
_REVISIONS_PAGE = (sa.select(sa.func.count()).select_from(_REVISIONS.subquery()),
                   _REVISIONS.order_by(rev.revision_num.desc()).limit(_LIMIT).offset(_OFFSET))
_REVISION = _REVISIONS.where(rev.revision_num == sa.bindparam("revision_num"))


def _revision_document(revision: Row[Any], job_type: Row[Any], *, details: bool = False) -> dict[str, Any]:
    doc = {"id": revision.id, "job_type": job_type_summary(job_type), "revision_num": revision.revision_num,
           "docker_image": revision.docker_image, "created": ts(revision.created)}
    if details:
        doc["manifest"] = revision.manifest
    return doc


@OPERATIONS
async def list_job_type_revisions(call: Call) -> Reply:
    job_type = _find(call)
    count, page = _REVISIONS_PAGE
    envelope, rows = paginate(call, call.conn, page, count, {"job_type_id": job_type.id})
    return Reply({**envelope, "results": [_revision_document(row, job_type) for row in rows]})


@OPERATIONS
async def get_job_type_revision(call: Call) -> Reply:
    job_type = _find(call)
    row = call.conn.execute(_REVISION, {"job_type_id": job_type.id,
                                        "revision_num": call.params["revision_num"]}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(_revision_document(row, job_type, details=True))


# --- status lists --------------------------------------------------------------------------------------

_j, _e = T.jobs.c, T.errors.c
_TYPES_BY_CHANGE = sa.select(T.job_types)
_TYPES_PAGES = {
    active: (sa.select(sa.func.count()).select_from(query.subquery()),
             query.order_by(jt.last_modified, jt.id).limit(_LIMIT).offset(_OFFSET))
    for active, query in ((False, _TYPES_BY_CHANGE), (True, _TYPES_BY_CHANGE.where(jt.is_active == sa.bindparam(
        "is_active"))))
}
# Each job's state now, with the category of the error it failed with: grouped outside, because PostgreSQL
# does not see two expressions bound to `now` as the same GROUP BY key.
_CATEGORY = sa.case((STATUS == "FAILED", _e.category), else_=sa.null())
_STATES = (sa.select(_j.job_type_id, STATUS.label("status"), _CATEGORY.label("category"),
                     LAST_MODIFIED.label("changed"), _j.error_id)
           .select_from(T.jobs.outerjoin(T.errors, _e.id == _j.error_id)))



@lru_cache(maxsize=4)
def _status_counts(ended: bool) -> sa.Select[Any]:
    where = [_j.job_type_id.in_(sa.bindparam("ids", expanding=True))]
    window = sa.bindparam("started", type_=UtcDateTime()) <= LAST_MODIFIED
    if ended:
        window = sa.and_(window, sa.bindparam("ended", type_=UtcDateTime()) >= LAST_MODIFIED)
    states = _STATES.where(*where, sa.or_(STATUS == "RUNNING", window)).subquery("states")
    return (sa.select(states.c.job_type_id, states.c.status, states.c.category, sa.func.count().label("jobs"),
                      sa.func.max(states.c.changed).label("most_recent"))
            .group_by(states.c.job_type_id, states.c.status, states.c.category)
            .order_by(states.c.job_type_id, states.c.status, states.c.category))


@OPERATIONS
async def list_job_type_status(call: Call) -> Reply:
    """Every job type version by last change, with its jobs counted by status (and error category): the running
    ones, and those whose status changed in the window (three hours back by default)."""
    p = call.params
    started = parse_timestamp("started", p.get("started") or "PT3H0M0S", call.now)
    ended = parse_timestamp("ended", p["ended"], call.now) if p.get("ended") else None
    active = p.get("is_active")
    count, page = _TYPES_PAGES[active is not None]
    envelope, rows = paginate(call, call.conn, page, count,
                              {"is_active": None if active is None else flag(active)})
    counts: dict[int, list[dict[str, Any]]] = {row.id: [] for row in rows}
    if counts:
        for c in call.conn.execute(_status_counts(ended is not None), {
                "now": call.now, "ids": list(counts), "started": started, "ended": ended}):
            counts[c.job_type_id].append({"status": c.status, "count": c.jobs,
                                          "most_recent": ts(c.most_recent), "category": c.category})
    return Reply({**envelope, "results": [{"job_type": job_type_summary(row), "job_counts": counts[row.id]}
                                          for row in rows]})


def _in_state(status: str, key: str) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """Job types with jobs in `status`: how many, and since when the oldest (`key`), oldest first."""
    states = _STATES.where(STATUS.in_([status])).subquery("states")
    grouped = (sa.select(states.c.job_type_id, sa.func.count().label("jobs"),
                         sa.func.min(states.c.changed).label(key))
               .group_by(states.c.job_type_id).subquery("grouped"))
    query = sa.select(grouped, T.job_types).join(T.job_types, jt.id == grouped.c.job_type_id)
    count = sa.select(sa.func.count()).select_from(grouped)
    return count, query.order_by(grouped.c[key], jt.id).limit(_LIMIT).offset(_OFFSET)


_RUNNING, _PENDING = _in_state("RUNNING", "longest_running"), _in_state("PENDING", "longest_pending")


def _base_fields_only(row: Row[Any]) -> dict[str, Any]:
    """The job type as these views show it: Scale loads only JobType.BASE_FIELDS for them, so ``is_system`` reads
    false and ``unmet_resources`` null whatever they are."""
    return {**job_type_summary(row), "is_system": False, "unmet_resources": None}


def _in_state_page(call: Call, statements: tuple[sa.Select[Any], sa.Select[Any]], key: str) -> Reply:
    count, page = statements
    envelope, rows = paginate(call, call.conn, page, count, {"now": call.now})
    return Reply({**envelope, "results": [{"job_type": _base_fields_only(row), "count": row.jobs,
                                           key: ts(getattr(row, key))} for row in rows]})


@OPERATIONS
async def list_running_job_types(call: Call) -> Reply:
    return _in_state_page(call, _RUNNING, "longest_running")


@OPERATIONS
async def list_pending_job_types(call: Call) -> Reply:
    return _in_state_page(call, _PENDING, "longest_pending")


def _system_failures() -> tuple[sa.Select[Any], sa.Select[Any]]:
    states = _STATES.where(STATUS == "FAILED", _e.category == "SYSTEM").subquery("states")
    grouped = (sa.select(states.c.job_type_id, states.c.error_id, sa.func.count().label("jobs"),
                         sa.func.min(states.c.changed).label("first_error"),
                         sa.func.max(states.c.changed).label("last_error"))
               .group_by(states.c.job_type_id, states.c.error_id).subquery("grouped"))
    errors = T.errors.alias("failure")
    query = (sa.select(grouped, T.job_types, *(errors.c[name].label(f"er_{name}") for name in (
        "id", "name", "title", "description", "job_type_name", "category", "is_builtin", "should_be_retried",
        "created", "last_modified")))
             .join(T.job_types, jt.id == grouped.c.job_type_id).join(errors, errors.c.id == grouped.c.error_id))
    count = sa.select(sa.func.count()).select_from(grouped)
    return count, query.order_by(grouped.c.last_error.desc(), jt.id).limit(_LIMIT).offset(_OFFSET)


_SYSTEM_FAILURES = _system_failures()


@OPERATIONS
async def list_job_type_system_failures(call: Call) -> Reply:
    count, page = _SYSTEM_FAILURES
    envelope, rows = paginate(call, call.conn, page, count, {"now": call.now})
    results = []
    for row in rows:
        error = error_summary(row, "er") or {}
        error.update(created=ts(row.er_created), last_modified=ts(row.er_last_modified))
        results.append({"job_type": _base_fields_only(row), "error": error, "count": row.jobs,
                        "first_error": ts(row.first_error), "last_error": ts(row.last_error)})
    return Reply({**envelope, "results": results})

