"""``mockingjob check``: every spec is valid OpenAPI 3.0, every operation has a handler, and every fixture
loads and yields documents that satisfy the spec's schemas; with the user's fixture folders (``--fixtures``),
the merged fixtures, each problem of a user's folder told in one line naming its file and record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from .control.admin import OPERATIONS as ADMIN_OPERATIONS
from .control.rules import SPEC_NAME as ADMIN_SPEC
from .core import registry
from .core.engine import operation_ids
from .core.errors import LoadError
from .core.fixtures import Layer, fixture_names, one_line, overlay_label, read_user_fixtures, seeding
from .core.pack import Pack
from .core.resources import load_spec, specs_dir
from .core.store import Store
from .http import connexion_spec_problem
from .http.leniency import marking_problems

__all__ = ["Problem", "check_pack", "run_checks"]

@dataclass(frozen=True)
class Problem:
    api: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.api}: {self.where}: {self.message}" if self.where else f"{self.api}: {self.message}"


def _schema_validator(spec: dict[str, Any], name: str) -> OAS30Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT4)
    refs = Registry().with_resource("urn:mockingjob:spec", resource)
    return OAS30Validator({"$ref": f"urn:mockingjob:spec#/components/schemas/{name}"}, registry=refs,
                          format_checker=OAS30Validator.FORMAT_CHECKER)


def _check_spec(api: str, path: Path, handlers: Iterable[str]) -> Iterator[Problem | dict[str, Any]]:
    """Problems with the spec at `path` or with the `handlers` for it; the spec itself last, when it is usable."""
    try:
        spec = load_spec(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        yield Problem(api, str(path), f"cannot read the spec: {exc}")
        return
    try:
        validate_spec(spec)
    except Exception as exc:  # the validator raises several unrelated exception types
        yield Problem(api, str(path), f"not valid OpenAPI: {getattr(exc, 'message', exc)}")
        return
    # Serving skips connexion's own validation of a spec (it costs start-up time), so it is run here.
    problem = connexion_spec_problem(spec)
    if problem is not None:
        yield Problem(api, str(path), f"rejected by connexion: {problem}")
        return
    if not str(spec.get("openapi", "")).startswith("3.0."):
        yield Problem(api, str(path), "must be OpenAPI 3.0.x (connexion does not serve 3.1)")
    for marking in marking_problems(spec):
        yield Problem(api, str(path), marking)
    operations = operation_ids(spec)
    handled = set(handlers)
    for missing in sorted(operations - handled):
        yield Problem(api, str(path), f"operationId {missing!r} has no handler")
    for extra in sorted(handled - operations):
        yield Problem(api, "handlers", f"handler {extra!r} matches no operation in the spec")
    yield spec


def check_admin() -> Iterator[Problem]:
    """The admin API's spec and handlers (served beside every pack)."""
    for found in _check_spec(ADMIN_SPEC, specs_dir() / f"{ADMIN_SPEC}.yaml", ADMIN_OPERATIONS):
        if isinstance(found, Problem):
            yield found


def check_pack(pack: Pack, now: datetime | None = None, layers: Sequence[Layer] = ()) -> Iterator[Problem]:
    """The pack's spec, handlers and fixtures (merged with the user's `layers`, when given)."""
    api = pack.name
    source = overlay_label(api, pack.fixtures_path, layers) if layers else f"fixtures/{api}"
    spec: dict[str, Any] | None = None
    for found in _check_spec(api, pack.spec_path, pack.handlers):
        if isinstance(found, Problem):
            yield found
        else:
            spec = found
    if spec is None:
        return

    store = Store()
    store.add_tables(pack.tables())
    store.create_tables()
    now = now or datetime.now(UTC)
    validators: dict[str, OAS30Validator] = {}
    try:
        with store.begin() as conn:
            with seeding(api, pack.fixtures_path, layers):
                pack.seed(conn, now)
            for sample in pack.samples(conn, now):
                if sample.schema not in spec.get("components", {}).get("schemas", {}):
                    yield Problem(api, sample.label, f"no schema {sample.schema!r} in the spec")
                    continue
                validator = validators.get(sample.schema) or _schema_validator(spec, sample.schema)
                validators[sample.schema] = validator
                error = next(iter(validator.iter_errors(sample.instance)), None)
                if error is not None:
                    path = "/".join(str(p) for p in error.absolute_path)
                    yield Problem(api, f"{source}: {sample.label}", f"{error.message} (at /{path})")
    except LoadError as exc:
        yield Problem(api, "" if layers else f"fixtures/{api}", str(exc))
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        yield Problem(api, source, f"cannot load: {exc.__class__.__name__}: {one_line(str(cause))}")
    finally:
        store.dispose()


def run_checks(apis: list[str] | None = None, fixtures: Sequence[str | Path] = ()) -> list[Problem]:
    """Every problem of the named APIs (default: all, and the admin API), with the user's `fixtures` folders
    merged over the built-in fixtures."""
    problems: list[Problem] = []
    packs: dict[str, Pack] = {}
    for name in apis or registry.available():
        try:
            packs[name] = registry.load(name)
        except LoadError as exc:
            problems.append(Problem(name, "pack", str(exc)))
    user = read_user_fixtures(fixtures, {name: fixture_names(pack.fixtures_path) for name, pack in packs.items()},
                              registry.available())
    problems.extend(Problem("fixtures", problem.where, problem.message) for problem in user.problems_of(None))
    for name, pack in packs.items():
        found = user.problems_of(name)
        problems.extend(Problem(name, problem.where, problem.message) for problem in found)
        # A user's folder with problems is not merged: what it would break would only repeat them.
        problems.extend(check_pack(pack, layers=() if found else user.layers.get(name, ())))
    if not apis:
        problems.extend(check_admin())
    return problems
