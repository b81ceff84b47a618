"""``mockingjob check``: every spec is valid OpenAPI 3.0, every operation has a handler, and every fixture
loads and yields documents that satisfy the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from . import registry
from ._connexion import connexion_spec_problem
from .errors import LoadError
from .pack import Pack, require_handlers
from .resources import load_spec
from .store import Store

__all__ = ["Problem", "check_pack", "run_checks"]

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@dataclass(frozen=True)
class Problem:
    api: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.api}: {self.where}: {self.message}"


def _operation_ids(spec: dict[str, Any]) -> list[str]:
    return [op["operationId"] for item in spec.get("paths", {}).values()
            for method, op in item.items() if method in _METHODS and "operationId" in op]


def _schema_validator(spec: dict[str, Any], name: str) -> OAS30Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT4)
    refs = Registry().with_resource("urn:mockingjob:spec", resource)
    return OAS30Validator({"$ref": f"urn:mockingjob:spec#/components/schemas/{name}"}, registry=refs,
                          format_checker=OAS30Validator.FORMAT_CHECKER)


def _check_spec_and_handlers(pack: Pack) -> Iterator[Problem | dict[str, Any]]:
    """Problems with `pack`'s spec or handlers; the spec itself last, when it is usable."""
    api = pack.name
    try:
        spec = load_spec(pack.spec_path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        yield Problem(api, str(pack.spec_path), f"cannot read the spec: {exc}")
        return
    try:
        validate_spec(spec)
    except Exception as exc:  # the validator raises several unrelated exception types
        yield Problem(api, str(pack.spec_path), f"not valid OpenAPI: {getattr(exc, 'message', exc)}")
        return
    # Serving skips connexion's own validation of a spec (it costs start-up time), so it is run here.
    problem = connexion_spec_problem(spec)
    if problem is not None:
        yield Problem(api, str(pack.spec_path), f"rejected by connexion: {problem}")
        return
    if not str(spec.get("openapi", "")).startswith("3.0."):
        yield Problem(api, str(pack.spec_path), "must be OpenAPI 3.0.x (connexion does not serve 3.1)")
    operation_ids = _operation_ids(spec)
    for missing in require_handlers(pack, operation_ids):
        yield Problem(api, str(pack.spec_path), f"operationId {missing!r} has no handler")
    for extra in sorted(set(pack.handlers) - set(operation_ids)):
        yield Problem(api, "handlers", f"handler {extra!r} matches no operation in the spec")
    yield spec


def check_admin() -> Iterator[Problem]:
    """The admin API's spec and handlers (served beside every pack)."""
    from .app import MockApp
    from .config import Config

    mock = MockApp(Config(apis=registry.available()[:1], speed=0))
    try:
        for found in _check_spec_and_handlers(mock.admin):
            if isinstance(found, Problem):
                yield found
    finally:
        mock.close()


def check_pack(pack: Pack, now: datetime | None = None) -> Iterator[Problem]:
    api = pack.name
    spec: dict[str, Any] | None = None
    for found in _check_spec_and_handlers(pack):
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
                    yield Problem(api, f"fixtures/{api}: {sample.label}", f"{error.message} (at /{path})")
    except LoadError as exc:
        yield Problem(api, f"fixtures/{api}", str(exc))
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        yield Problem(api, f"fixtures/{api}", f"cannot load: {exc.__class__.__name__}: {cause}")
    finally:
        store.dispose()


def run_checks(apis: list[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for name in apis or registry.available():
        try:
            pack = registry.load(name)
        except LoadError as exc:
            problems.append(Problem(name, "pack", str(exc)))
            continue
        problems.extend(check_pack(pack))
    if not apis:
        problems.extend(check_admin())
    return problems
