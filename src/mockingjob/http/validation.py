"""Request validation on connexion's validators, reporting *structured* violations.

connexion reports a broken request as a sentence meant for people. Packs need to word errors like the real
service (Scale: ``Parameter must be a valid integer: "job_id"``), so these validators raise `RequestInvalid`
carrying a `Violation` (where, which parameter, which rule). They also close two connexion holes: a JSON body
that is not valid UTF-8 (connexion #1860) and a body that is not JSON at all both become a 400, never a 500.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    VALIDATOR_MAP,
    JSONRequestBodyValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import by_relevance
from starlette.types import Message, Receive, Scope

from ..core.errors import RequestInvalid, Violation
from ..core.lint import Finding
from .leniency import LENIENT, UNKNOWN_FIELDS, mentions, read_leniently
from .routing import EXCHANGE

__all__ = ["NESTING_LIMIT", "PARSED_BODY", "UNKNOWN_QUERY_PARAMETERS", "VALIDATORS"]

# An empty request body, told apart from a body that is the JSON literal null.
_ABSENT = object()

NESTING_LIMIT = 512
"""How deep arrays and objects may nest in a request body. Deeper bodies are refused as malformed: everything
that later walks a document (the handlers, the store, redaction) then stays far inside the interpreter's stack,
whatever a free-form field holds. (Jackson, under Marquez, refuses at 1,000 by default; no client nests 50.)"""

PARSED_BODY = "mockingjob.parsed_body"
"""The scope key under which the validated body waits for the handler: a body is parsed once."""

_FORMATS = Draft4Validator.FORMAT_CHECKER


_RELEVANCE = by_relevance()


def _reading(alternatives: list[Any], error: ValidationError) -> str | None:
    """How the real service reads the alternative `error` (one of an ``anyOf``'s) is about: None if documented."""
    index = error.schema_path[0] if error.schema_path else None
    option = alternatives[index] if isinstance(index, int) and isinstance(alternatives[index], dict) else {}
    reading: str | None = (option.get(LENIENT) or {}).get("reads-as")
    return reading


def _documented_error(error: ValidationError) -> ValidationError:
    """For a value that fits none of an ``anyOf``'s alternatives, the error of the documented ones (not of the
    forms the real service reads only leniently): what the client should be told to send."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        alternatives = error.validator_value
        if not any(isinstance(option, dict) and LENIENT in option for option in alternatives):
            break  # a choice between documented forms: the pack words it as one
        # A single value where a list is documented is read as a list of one: its error is its own, as an item.
        as_list = [] if isinstance(error.instance, list) else \
            [sub for sub in error.context if _reading(alternatives, sub) == "list"]
        documented = as_list or [sub for sub in error.context if _reading(alternatives, sub) is None]
        if not documented:
            break
        error = max(documented, key=_RELEVANCE)  # best_match would descend into the lenient forms again
    return error


def _violation(location: str, name: str, error: ValidationError, value: Any) -> Violation:
    error = _documented_error(error)
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required" and location == "body":
        # "'job_type_id' is a required property": name the missing property itself.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = ".".join(filter(None, [path, missing]))
        return Violation(location, path, "required", error.message, expected=missing)
    # A parameter is named as the client sent it; only a body gets a path into the document.
    where = ".".join(filter(None, [name, path])) if location == "body" else name
    return Violation(location, where, str(error.validator), error.message, error.validator_value, error.instance)


class StructuredParameterValidator(ParameterValidator):
    """connexion's parameter validator, raising `RequestInvalid` with the parameter named."""

    _validators: dict[int, Draft4Validator] = {}

    @classmethod
    def _validator_for(cls, schema: dict[str, Any]) -> Draft4Validator:
        # Parameter schemas are part of the loaded spec and live as long as the app: cache one validator each.
        key = id(schema)
        validator = cls._validators.get(key)
        if validator is None:
            validator = cls._validators[key] = Draft4Validator(schema, format_checker=_FORMATS)
        return validator

    def _check(self, location: str, param: dict[str, Any], value: Any, exchange: Any = None) -> None:
        if is_nullable(param) and is_null(value):
            return
        if value is None:
            if param.get("required"):
                raise RequestInvalid(
                    Violation(location, param["name"], "missing", f"Missing {location} parameter '{param['name']}'")
                )
            return
        schema = param.get("schema", param)
        error = next(iter(self._validator_for(schema).iter_errors(value)), None)
        if error is not None:
            raise RequestInvalid(_violation(location, param["name"], error, value))
        if exchange is not None and self._reads_leniently(schema):
            self._lint_lenient_value(location, param["name"], schema, value, exchange)

    _lenient_schemas: dict[int, bool] = {}

    @classmethod
    def _reads_leniently(cls, schema: dict[str, Any]) -> bool:
        key = id(schema)
        if key not in cls._lenient_schemas:
            cls._lenient_schemas[key] = mentions(schema, LENIENT)
        return cls._lenient_schemas[key]

    @staticmethod
    def _lint_lenient_value(location: str, name: str, schema: dict[str, Any], value: Any, exchange: Any) -> None:
        """A parameter's value the real service takes only leniently (connexion has converted its type already:
        what is left to report are values taken unchecked)."""
        _, leniencies = read_leniently(schema, value)
        if leniencies and exchange.strict:  # the parameter is named as the client sent it, not as a body path
            raise RequestInvalid(dataclasses.replace(leniencies[0].refusal, location=location, name=name))
        for leniency in leniencies:
            exchange.findings.append(Finding(_joined(f"{location}.{name}", leniency.path), leniency.rule,
                                             leniency.message))

    unknown_note: str | None = None
    """The operation's `UNKNOWN_QUERY_PARAMETERS` note: unknown query parameters are lint findings, not 400s."""

    @staticmethod
    def _lint_lenient_parameter(param: dict[str, Any], exchange: Any) -> None:
        """A query parameter the real service reads although its documentation puts it elsewhere (Scale reads
        the cancel filters from the query string before the body)."""
        name = param["name"]
        if exchange is None:
            return
        if exchange.strict:
            raise RequestInvalid(Violation("query", name, "extra", f"Extra query parameter(s) {name} not in spec",
                                           expected=[name]))
        exchange.findings.append(Finding(f"query.{name}", "query-for-body", param[LENIENT]["note"]))

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if extra:
                names = ", ".join(sorted(extra))
                refusal = Violation("query", sorted(extra)[0], "extra",
                                    f"Extra query parameter(s) {names} not in spec", expected=sorted(extra))
                exchange = request.scope.get(EXCHANGE)
                if self.unknown_note is None or exchange is None or exchange.strict:
                    raise RequestInvalid(refusal)
                exchange.findings.extend(Finding(f"query.{name}", "unknown-parameter", self.unknown_note)
                                   for name in sorted(extra))
        exchange = request.scope.get(EXCHANGE)
        for param in self.parameters.get("query", []):
            self._check("query", param, request.query_params.get(param["name"]), exchange)
            if LENIENT in param and param["name"] in request.query_params:
                self._lint_lenient_parameter(param, exchange)
        for param in self.parameters.get("path", []):
            self._check("path", param, request.path_params.get(param["name"].replace("-", "_")))
        for param in self.parameters.get("header", []):
            self._check("header", param, request.headers.get(param["name"]))
        for param in self.parameters.get("cookie", []):
            self._check("cookie", param, request.cookies.get(param["name"]))


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if name else path


class _NonFinite(ValueError):
    pass


_TOO_DEEP = f"nesting too deep (the limit is {NESTING_LIMIT} levels)"
_OUT_OF_RANGE = "Out of range float values are not JSON compliant"  # Django REST framework's words


def _non_finite(literal: str) -> float:
    """NaN, Infinity and -Infinity are not JSON: Python's parser takes them, the real services' parsers refuse
    them (Jackson, DRF's strict parser), and an answer quoting one would not be JSON either."""
    raise _NonFinite(f"{_OUT_OF_RANGE}: {literal}")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: a number JSON allows, but no double holds
        raise _NonFinite(f"{_OUT_OF_RANGE}: {text[:40]}")
    return value


UNKNOWN_QUERY_PARAMETERS = "x-unknown-query-parameters"
"""The spec's extension on an operation whose real service ignores query parameters it does not name: its value
says so. Such parameters are accepted and reported as lint findings (`core.lint`)."""


def _nests_deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep in `document` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class StructuredJSONBodyValidator(JSONRequestBodyValidator):
    """connexion's JSON body validator, with decoding errors as 400s and structured violations.

    It reads the body whatever its framing (connexion's own takes a body without Content-Length, as chunked
    ones are sent, for a missing one), parses it once with one nesting limit, and leaves the parsed document
    in the scope for the handler.
    """

    @functools.cached_property
    def _validator(self) -> Draft4Validator:
        # connexion builds one per request; the schema is the operation's, so one per validator does.
        return super()._validator

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise RequestInvalid(Violation("body", "", "encoding", str(exc))) from exc
        if not text:
            return _ABSENT
        try:
            document = json.loads(text, parse_constant=_non_finite, parse_float=_finite_float)
        except ValueError as exc:  # not JSON; a non-finite number; an integer of more digits than Python takes
            raise RequestInvalid(Violation("body", "", "malformed", str(exc))) from exc
        except RecursionError as exc:  # nesting deeper than the interpreter's stack
            raise RequestInvalid(Violation("body", "", "malformed", _TOO_DEEP)) from exc
        # Counting brackets is cheap: only a body with that many can nest that deep.
        if raw.count(b"[") + raw.count(b"{") > NESTING_LIMIT and _nests_deeper_than(document, NESTING_LIMIT):
            raise RequestInvalid(Violation("body", "", "malformed", _TOO_DEEP))
        return document

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        messages: list[Message] = []

        async def stream() -> AsyncGenerator[bytes, None]:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away: what came is all there is
                    return
                messages.append(message)
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        body = await self._parse(stream(), scope)
        if body is _ABSENT and self._schema.get("default") is not None:
            body = self._schema["default"]
            receive, scope = self._insert_body(receive, body=body, scope=scope)
        elif body is _ABSENT and self._required:
            raise RequestInvalid(Violation("body", "", "missing", "RequestBody is required"))
        else:
            receive = self._insert_messages(receive, messages=messages)
        if not (body is None and self._nullable):
            self._validate(body)
        if body is not _ABSENT:
            if self._reads_leniently:
                body = self._read_leniently(body, scope)
            scope[PARSED_BODY] = body
        return receive, scope

    @functools.cached_property
    def _reads_leniently(self) -> bool:
        return mentions(self._schema, LENIENT) or mentions(self._schema, UNKNOWN_FIELDS)

    def _read_leniently(self, body: Any, scope: Scope) -> Any:
        """The body as the real service reads it; each leniency that took is a finding (under ``--strict``, the
        first is refused as the documented form would refuse it)."""
        read, leniencies = read_leniently(self._schema, body)
        exchange = scope.get(EXCHANGE)
        if not leniencies or exchange is None:
            return read
        if exchange.strict:
            raise RequestInvalid(leniencies[0].refusal)
        exchange.findings.extend(
            Finding(_joined("body", leniency.path), leniency.rule, leniency.message)
            for leniency in leniencies)
        return read

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is _ABSENT:
            if self._required:
                raise RequestInvalid(Violation("body", "", "missing", "Request body must not be empty"))
            return None  # an optional body may be left out (connexion would call it "empty")
        if body is None and not self._nullable:
            raise RequestInvalid(Violation("body", "", "type", "None is not of type 'object'", expected="object"))
        try:
            error = next(iter(self._validator.iter_errors(body)), None)
        except RecursionError as exc:
            raise RequestInvalid(Violation("body", "", "malformed", _TOO_DEEP)) from exc
        if error is not None:
            raise RequestInvalid(_violation("body", "", error, error.instance))
        return None


VALIDATORS: dict[str, Any] = {
    **VALIDATOR_MAP,
    "parameter": StructuredParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": StructuredJSONBodyValidator}),
}
