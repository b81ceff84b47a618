"""Reading a valid request body as the real service reads it, and saying where that took leniency.

A spec describes what the real service *accepts*. Where it accepts more than its documented form (a digit string
for an integer, one id for a list of ids, ``"batch"`` for ``BATCH``, ``null`` for "not given"), the spec lists
that form as one more alternative of an ``anyOf``, marked with `LENIENT`::

    anyOf:
      - {type: integer}
      - type: string
        pattern: '^\\s*[+-]?[0-9]+\\s*$'
        x-lenient: {reads-as: integer, note: Scale reads it with int() (util/rest.py parse_int)}

Validation accepts such a body. `read_leniently` then turns each lenient value into the documented form (so a
handler sees one form only) and reports a `Leniency` for each; fields the spec does not name, in objects marked
with `UNKNOWN_FIELDS`, are reported too. Under ``--strict`` each is refused as the documented form would be.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator

from ..core.errors import RequestInvalid, Violation

__all__ = ["LENIENT", "UNKNOWN_FIELDS", "Leniency", "documented_view", "marking_problems", "mentions", "read_leniently"]

LENIENT = "x-lenient"
"""Marks an ``anyOf`` alternative the real service accepts only by reading it leniently. Its value is
``{reads-as: <form>, note: <what the real service does, with its source>}``; `READINGS` lists the forms."""

UNKNOWN_FIELDS = "x-unknown-fields"
"""The spec's extension on an object schema whose real service ignores fields it does not name: its value says
what the real service does with them."""


_ABSENT = object()  # a value read as not given: its field is dropped


def _fuzzy_enum(value: Any) -> Any:
    # Dropwizard's FuzzyEnumModule: surrounding space dropped, '-' and '.' read as '_', any case.
    return re.sub(r"[-.]", "_", value.strip()).upper()


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else value.strip().lower() in ("true", "t", "1")


def _finite(value: Any) -> float:
    number = float(value.strip() if isinstance(value, str) else value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is no finite number")
    return number


READINGS: dict[str, tuple[str, Any]] = {
    # reads-as → (the finding's rule, how the value is read)
    "integer": ("coerced", lambda value: int(value.strip() if isinstance(value, str) else value)),
    "number": ("coerced", _finite),
    "boolean": ("coerced", _boolean),
    "string": ("coerced", lambda value: json.dumps(value) if isinstance(value, bool) else str(value)),
    "enum": ("case-folded", _fuzzy_enum),
    "list": ("scalar-as-list", lambda value: [value]),
    "unchecked": ("unchecked-value", lambda value: value),
    "ignored": ("ignored-field", lambda value: value),
    "absent": ("null-as-absent", lambda value: _ABSENT),
}

@dataclass(frozen=True)
class Leniency:
    """One place where a body relied on the real service's leniency."""

    path: str
    """Where in the body, dotted (``job_ids.0``)."""
    rule: str
    """``unknown-field``, ``coerced``, ``case-folded``, ``scalar-as-list``, ``null-as-absent``, ``ignored-field``
    (read, then dropped) or ``unchecked-value`` (a value the real service takes without checking, and fails on
    later)."""
    message: str
    refusal: Violation
    """How the documented form refuses it: the violation ``--strict`` reports."""


_validators: dict[int, Draft4Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft4Validator:
    # The schemas belong to the loaded spec and live as long as the app: one validator each.
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = Draft4RequestValidator(schema)
    return validator


def mentions(schema: Any, key: str) -> bool:
    """Whether `key` appears anywhere in `schema` (whose resolved references may make it a cyclic graph)."""
    seen: set[int] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, (dict, list)):
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if key in node:
                return True
            stack.extend(node.values())
        else:
            stack.extend(node)
    return False


def read_leniently(schema: dict[str, Any], body: Any) -> tuple[Any, list[Leniency]]:
    """`body` (valid against `schema`) in the documented form, and the leniencies that reading took."""
    found: list[Leniency] = []
    value = _read(schema, body, "", found)
    return (None if value is _ABSENT else value), found


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _read(schema: dict[str, Any], value: Any, path: str, found: list[Leniency]) -> Any:
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        value = _read_alternatives(alternatives, value, path, found)
        if value is _ABSENT:
            return value
    if isinstance(value, dict):
        return _read_object(schema, value, path, found)
    for part in schema.get("allOf") or ():
        value = _read(part, value, path, found)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = [_read(schema["items"], item, _joined(path, str(index)), found) for index, item in enumerate(value)]
        return [None if item is _ABSENT else item for item in items]  # a list keeps its places
    return value


def _read_alternatives(alternatives: list[dict[str, Any]], value: Any, path: str, found: list[Leniency]) -> Any:
    chosen = next((option for option in alternatives if _validator(option).is_valid(value)), None)
    if chosen is None:  # cannot happen for a validated body; leave it to the handler as it came
        return value
    lenient = chosen.get(LENIENT)
    if not lenient:
        return _read(chosen, value, path, found)
    documented = [option for option in alternatives if LENIENT not in option]
    rule, reading = READINGS[lenient["reads-as"]]
    refusal = _refusal(documented, value, path)
    try:
        read = reading(value)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # a pattern wider than the reading
        raise RequestInvalid(refusal) from exc
    if read is _ABSENT:
        found.append(Leniency(path, rule, lenient["note"], refusal))
        return read
    if rule in ("unchecked-value", "ignored-field"):  # taken as it is: no documented form to fit
        found.append(Leniency(path, rule, lenient["note"], refusal))
        return value
    found.append(Leniency(path, rule, f"{lenient['note']}; read as {json.dumps(read)}", refusal))
    # Read so, the value must fit a documented alternative: digits may read as a number out of range.
    if not any(_validator(option).is_valid(read) for option in documented):
        raise RequestInvalid(_refusal(documented, read, path))
    return _read({"anyOf": documented}, read, path, found)


def _read_object(schema: dict[str, Any], value: dict[str, Any], path: str, found: list[Leniency]) -> Any:
    properties, extra, note = _object_parts(schema)
    result: dict[str, Any] = {}
    unknown: list[str] = []
    for key, item in value.items():
        if key in properties:
            item = _read(properties[key], item, _joined(path, key), found)
        elif isinstance(extra, dict):
            item = _read(extra, item, _joined(path, key), found)
        elif note:
            unknown.append(key)
        if item is not _ABSENT:
            result[key] = item
    if unknown:
        refusal = _additional_properties(path, unknown)  # one for the object: it names them all
        found.extend(Leniency(_joined(path, key), "unknown-field", str(note), refusal) for key in unknown)
    return result


def _object_parts(schema: dict[str, Any]) -> tuple[dict[str, Any], Any, str | None]:
    """An object schema's properties (its own and its ``allOf`` parts'), its additionalProperties schema and its
    unknown-fields note."""
    properties = dict(schema.get("properties") or {})
    extra = schema.get("additionalProperties")
    note = schema.get(UNKNOWN_FIELDS)
    for part in schema.get("allOf") or ():
        more, more_extra, more_note = _object_parts(part)
        properties = {**more, **properties}
        extra = extra if isinstance(extra, dict) else more_extra
        note = note or more_note
    return properties, extra, note


def _refusal(documented: list[dict[str, Any]], value: Any, path: str) -> Violation:
    """What a schema of only the documented alternatives says of `value`: its first one's first error."""
    error = next(iter(_validator(documented[0]).iter_errors(value)), None) if documented else None
    if error is None:
        return Violation("body", path, "type", f"{json.dumps(value)} is not in its documented form")
    where = ".".join(filter(None, [path, *(str(part) for part in error.absolute_path)]))
    return Violation("body", where, str(error.validator), error.message, error.validator_value, error.instance)


def _additional_properties(path: str, names: list[str]) -> Violation:
    """The violation a schema without the unknown fields' leniency reports (as jsonschema words it)."""
    listed = ", ".join(repr(name) for name in names)
    return Violation("body", path, "additionalProperties",
                     f"Additional properties are not allowed ({listed} {'was' if len(names) == 1 else 'were'} "
                     "unexpected)")


def _part(option: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if isinstance(option, dict) and isinstance(option.get("$ref"), str):
        found = schemas.get(option["$ref"].rsplit("/", 1)[-1])
        return found if isinstance(found, dict) else {}
    return option if isinstance(option, dict) else {}


def _mentions_unknown_fields(node: dict[str, Any], schemas: dict[str, Any]) -> bool:
    return UNKNOWN_FIELDS in node or any(UNKNOWN_FIELDS in _part(option, schemas) for option in node["allOf"])


def _flattened(node: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """An object made of ``allOf`` parts as one object schema: their properties and required fields together
    (the whole's own last), and the unknown-fields note of any of them."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    note = node.get(UNKNOWN_FIELDS)
    for option in [*node["allOf"], node]:
        part = _part(option, schemas)
        properties.update(part.get("properties") or {})
        required.extend(name for name in part.get("required") or () if name not in required)
        note = note or part.get(UNKNOWN_FIELDS)
    flat = {key: value for key, value in node.items() if key not in ("allOf", "properties", "required")}
    flat.update(type="object", properties=properties, **{UNKNOWN_FIELDS: note})
    if required:
        flat["required"] = required
    return flat


def _marked_components(spec: dict[str, Any], kind: str) -> set[str]:
    """The references of the components of `kind` (``schemas``, ``parameters``) marked `LENIENT` as a whole."""
    components = spec.get("components", {}).get(kind) or {}
    return {f"#/components/{kind}/{name}" for name, component in components.items()
            if isinstance(component, dict) and LENIENT in component}


def documented_view(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` (an OpenAPI document with its references) as the documentation has it: without the forms the real
    service accepts only leniently. What ``--strict`` holds requests to, and a cleaner source for generated
    clients. `spec` is left as it is."""
    lenient_refs, lenient_parameters = _marked_components(spec, "schemas"), _marked_components(spec, "parameters")
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas") or {}

    def lenient(option: Any) -> bool:
        return isinstance(option, dict) and (LENIENT in option or option.get("$ref") in lenient_refs)

    def documented(node: Any) -> Any:
        if isinstance(node, list):
            return [documented(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "allOf" in node and _mentions_unknown_fields(node, schemas):
            node = _flattened(node, schemas)  # built of parts, one of which ignores unknown fields: closed whole
        node = {key: documented(value) for key, value in node.items()}  # a copy, made anew
        for key in ("anyOf", "oneOf"):
            if key in node:
                kept = [option for option in node[key] if not lenient(option)]
                node[key] = kept
                if len(kept) == 1:  # one form left: it is the schema
                    del node[key]
                    node = {**node, **kept[0]} if "$ref" not in kept[0] else {**node, "allOf": kept}
        if UNKNOWN_FIELDS in node:  # (an object built of parts is one object by now: see above)
            node.pop(UNKNOWN_FIELDS)
            node.setdefault("additionalProperties", False)
        if isinstance(node.get("parameters"), list):
            node["parameters"] = [parameter for parameter in node["parameters"] if not lenient(parameter)
                                  and parameter.get("$ref") not in lenient_parameters]
        return node

    result: dict[str, Any] = documented(spec)
    for name in [name for name, schema in result.get("components", {}).get("schemas", {}).items()
                 if f"#/components/schemas/{name}" in lenient_refs]:
        del result["components"]["schemas"][name]
    for name in [f.rsplit("/", 1)[1] for f in lenient_parameters]:
        del result["components"]["parameters"][name]
    return result


def marking_problems(spec: dict[str, Any]) -> list[str]:
    """What is wrong with the leniency markings of `spec` (an unknown ``reads-as``, a missing note), each with
    where it is: a spec a request would otherwise trip over at run time."""
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}")
            return
        if not isinstance(node, dict):
            return
        marking = node.get(LENIENT)
        if marking is not None:
            is_parameter = "in" in node and "name" in node
            if not isinstance(marking, dict) or not isinstance(marking.get("note"), str):
                problems.append(f"{where}: {LENIENT} needs a note saying what the real service does")
            elif not is_parameter and marking.get("reads-as") not in READINGS:
                problems.append(f"{where}: {LENIENT} reads-as must be one of {', '.join(READINGS)}")
        for key in (UNKNOWN_FIELDS, "x-unknown-query-parameters", "x-deprecated"):
            if key in node and not isinstance(node[key], str):
                problems.append(f"{where}: {key} must be a note saying what the real service does")
        for key, value in node.items():
            walk(value, f"{where}/{key}")

    walk(spec, "#")
    return problems
