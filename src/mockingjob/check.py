"""``mockingjob check``: every spec is valid OpenAPI 3.0, every operation has a handler, every example the spec
gives fits its schema (as written and as documented), and every fixture loads and yields documents that satisfy
the spec's schemas; with the user's fixture folders (``--fixtures``), the merged fixtures, each problem of a
user's folder told in one line naming its file and record.

A spec shipped with mockingjob also gives an example of every successful answer (each drawn from what the pack
answers from its fixtures), for Swagger UI to show and generated clients' documentation to quote: one missing
is a problem. A pack of one's own is held only to the examples its spec gives."""

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
from .http.leniency import documented_view, marking_problems

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


_SPEC_URI = "urn:mockingjob:spec"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class _Example:
    where: str
    schema: str
    """The JSON pointer, within the spec, of the schema the example must fit."""
    value: Any
    documented: bool = True
    """Whether it must fit the documented view too (a parameter may be one the documented view leaves out)."""


def _examples(spec: dict[str, Any]) -> tuple[list[_Example], list[str]]:
    """Every example of a request body, a parameter or an answer in `spec`, with the schema it must fit; and
    where a successful answer has a body without one."""
    components = spec.get("components") or {}
    found: list[_Example] = []
    missing: list[str] = []
    shared: set[str] = set()

    def local(reference: Any, kind: str) -> tuple[str | None, Any]:
        if isinstance(reference, dict) and isinstance(reference.get("$ref"), str):
            name = reference["$ref"].rsplit("/", 1)[-1]
            return name, (components.get(kind) or {}).get(name)
        return None, reference

    def media_examples(where: str, media: dict[str, Any], schema: str) -> int:
        values = []
        if "example" in media:
            values.append((where, media["example"]))
        for key, example in (media.get("examples") or {}).items():
            name, example = local(example, "examples")
            label = f"{where} (example {name or key!r})"
            if not isinstance(example, dict) or "value" not in example:
                values.append((label, _NO_VALUE))
            else:
                values.append((label, example["value"]))
        found.extend(_Example(label, schema, value) for label, value in values)
        return len(values)

    for path, item in (spec.get("paths") or {}).items():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            where = f"{method.upper()} {path}"
            owners: list[tuple[tuple[str, ...], list[Any]]] = [
                (("paths", path), item.get("parameters") or []),
                (("paths", path, method), operation.get("parameters") or [])]
            for owner, parameters in owners:
                for index, parameter in enumerate(parameters):
                    name, resolved = local(parameter, "parameters")
                    if not isinstance(resolved, dict) or "example" not in resolved or "schema" not in resolved:
                        continue
                    if name:  # a shared parameter: its example once, where it is written
                        label = f"parameter {name!r} of the components"
                        at: tuple[str, ...] = ("components", "parameters", name)
                        if label in shared:
                            continue
                        shared.add(label)
                    else:
                        label, at = f"{where}: parameter {resolved.get('name')!r}", (*owner, "parameters", str(index))
                    found.append(_Example(label, _pointer(*at, "schema"), resolved["example"], documented=False))
            body = operation.get("requestBody")
            name, body = local(body, "requestBodies")
            for media_type, media in ((body or {}).get("content") or {}).items():
                if isinstance(media, dict) and "schema" in media:
                    body_at = ("components", "requestBodies", name) if name else ("paths", path, method, "requestBody")
                    media_examples(f"{where}: request body ({media_type})", media,
                                   _pointer(*body_at, "content", media_type, "schema"))
            for status, response in (operation.get("responses") or {}).items():
                name, response = local(response, "responses")
                answer_at: tuple[str, ...] = ("components", "responses", name) if name else (
                    "paths", path, method, "responses", str(status))
                for media_type, media in ((response or {}).get("content") or {}).items():
                    if not isinstance(media, dict) or "schema" not in media:
                        continue
                    label = f"{where}: the {status} answer ({media_type})"
                    given = media_examples(label, media, _pointer(*answer_at, "content", media_type, "schema"))
                    if not given and str(status).startswith("2"):
                        missing.append(label)
    return found, missing


_NO_VALUE = object()


def _example_problems(api: str, path: Path, spec: dict[str, Any], required: bool) -> Iterator[Problem]:
    """Each example that does not fit its schema, in the spec as written or as documented (what ``--strict``
    serves); and, when `required`, each successful answer without one."""
    examples, missing = _examples(spec)
    if required:
        for where in missing:
            yield Problem(api, str(path), f"{where} has no example")
    views = [("", spec), (" as documented", documented_view(spec))]
    registries = {label: Registry().with_resource(_SPEC_URI, Resource.from_contents(view,
                                                                                    default_specification=DRAFT4))
                  for label, view in views}
    for example in examples:
        if example.value is _NO_VALUE:
            yield Problem(api, str(path), f"{example.where}: an example needs a value (no externalValue)")
            continue
        for label, _ in views if example.documented else views[:1]:
            validator = OAS30Validator({"$ref": f"{_SPEC_URI}{example.schema}"}, registry=registries[label],
                                       format_checker=OAS30Validator.FORMAT_CHECKER)
            error = next(iter(validator.iter_errors(example.value)), None)
            if error is not None:
                at = "/".join(str(part) for part in error.absolute_path)
                yield Problem(api, str(path), f"{example.where}: the example does not fit its schema{label}: "
                                              f"{one_line(error.message)} (at /{at})")
                break


def _check_spec(api: str, path: Path, handlers: Iterable[str], *,
                examples_required: bool = False) -> Iterator[Problem | dict[str, Any]]:
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
    yield from _example_problems(api, path, spec, required=examples_required)
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
    # The APIs mockingjob ships show an example of every successful answer.
    shipped = pack.spec_path.parent == specs_dir()
    for found in _check_spec(api, pack.spec_path, pack.handlers, examples_required=shipped):
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
