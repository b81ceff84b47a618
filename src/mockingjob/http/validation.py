"""Request validation on connexion's validators, reporting *structured* violations.

connexion reports a broken request as a sentence meant for people. Packs need to word errors like the real
service (Scale: ``Parameter must be a valid integer: "job_id"``), so these validators raise `RequestInvalid`
carrying a `Violation` (where, which parameter, which rule). They also close two connexion holes: a JSON body
that is not valid UTF-8 (connexion #1860) and a body that is not JSON at all both become a 400, never a 500.
"""

from __future__ import annotations

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
from starlette.types import Scope

from ..core.errors import RequestInvalid, Violation

__all__ = ["VALIDATORS"]

# An empty request body, told apart from a body that is the JSON literal null.
_ABSENT = object()

_FORMATS = Draft4Validator.FORMAT_CHECKER


def _violation(location: str, name: str, error: ValidationError, value: Any) -> Violation:
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

    def _check(self, location: str, param: dict[str, Any], value: Any) -> None:
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

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if extra:
                names = ", ".join(sorted(extra))
                raise RequestInvalid(
                    Violation("query", sorted(extra)[0], "extra", f"Extra query parameter(s) {names} not in spec",
                              expected=sorted(extra))
                )
        for param in self.parameters.get("query", []):
            self._check("query", param, request.query_params.get(param["name"]))
        for param in self.parameters.get("path", []):
            self._check("path", param, request.path_params.get(param["name"].replace("-", "_")))
        for param in self.parameters.get("header", []):
            self._check("header", param, request.headers.get(param["name"]))
        for param in self.parameters.get("cookie", []):
            self._check("cookie", param, request.cookies.get(param["name"]))


class _NonFinite(ValueError):
    pass


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


class StructuredJSONBodyValidator(JSONRequestBodyValidator):
    """connexion's JSON body validator, with decoding errors as 400s and structured violations."""

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
            return json.loads(text, parse_constant=_non_finite, parse_float=_finite_float)
        except (json.JSONDecodeError, _NonFinite) as exc:
            raise RequestInvalid(Violation("body", "", "malformed", str(exc))) from exc
        except RecursionError as exc:  # nesting deeper than the interpreter's stack
            raise RequestInvalid(Violation("body", "", "malformed", "nesting too deep")) from exc

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
            raise RequestInvalid(Violation("body", "", "malformed", "nesting too deep")) from exc
        if error is not None:
            raise RequestInvalid(_violation("body", "", error, error.instance))
        return None


VALIDATORS: dict[str, Any] = {
    **VALIDATOR_MAP,
    "parameter": StructuredParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": StructuredJSONBodyValidator}),
}
