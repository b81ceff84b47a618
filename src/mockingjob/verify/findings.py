"""A schemathesis failure as a drift: its kind, what it says in one line (the same line whatever example showed
it, so that one difference is one drift), the longer story, and the exchange that shows it, redacted."""

from __future__ import annotations

import json
from typing import Any

from schemathesis.core.failures import Failure
from schemathesis.engine.recorder import Interaction
from schemathesis.openapi.checks import JsonSchemaError, UndefinedStatusCode

from .redaction import Redactor

__all__ = ["describe"]


def describe(failure: Failure, interaction: Interaction | None, redactor: Redactor) -> dict[str, Any]:
    """The `Drift` fields of `failure` but its operation."""
    if isinstance(failure, JsonSchemaError):
        statement = _schema_statement(failure)
    elif isinstance(failure, UndefinedStatusCode):
        statement = f"{failure.status_code} (documented: {', '.join(failure.defined_status_codes)})"
    else:
        statement = _first_line(failure)
    return {"kind": failure.title, "statement": redactor.text(statement),
            "detail": redactor.text(failure.message.strip()), "exchange": _exchange(interaction, redactor)}


def _schema_statement(failure: JsonSchemaError) -> str:
    """Where in the answer, and what the schema wants there; array positions and the value found left out (they
    change from one answer to the next, the drift does not)."""
    where = "".join("/*" if isinstance(part, int) else f"/{part}" for part in failure.instance_path) or "/"
    message = failure._raw_message
    value = json.dumps(failure.instance, ensure_ascii=False, separators=(",", ":"))
    for shown in (value, json.dumps(failure.instance, ensure_ascii=False), repr(failure.instance)):
        if message.startswith(shown):
            message = "the value" + message[len(shown):]
            break
    return f"{where}: {message}"


def _first_line(failure: Failure) -> str:
    lines = [line.strip() for line in failure.message.splitlines() if line.strip()]
    return "; ".join(lines[:2]) if lines else failure.title


def _exchange(interaction: Interaction | None, redactor: Redactor) -> Any:
    if interaction is None:
        return None
    request, response = interaction.request, interaction.response
    return redactor.exchange(
        method=request.method, url=request.uri, request_headers=_pairs(request.headers), request_body=request.body,
        status=response.status_code if response is not None else None,
        response_headers=_pairs(response.headers) if response is not None else [],
        response_body=response.content if response is not None else None)


def _pairs(headers: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in headers.items() for value in values]
