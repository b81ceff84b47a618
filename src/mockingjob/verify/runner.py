"""Running schemathesis's engine over our spec against the real service, and reading its events into a `Report`.

Bounded and polite by construction: positive data only (what a client of the API would send), a few examples
per operation, no shrinking (it repeats requests), one worker, the rate and time limits asked for, nothing
written to disk (no example database, no request cache) and no account signed up. Read-only, only GET and HEAD
operations are tried and the stateful phase (which follows links through writes) is off; the coverage phase is
off in every run, as its boundary cases are not bounded by --max-examples.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import yaml
from schemathesis import openapi
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import StopReason, events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.schemas import BaseSchema

from .checks import checks_settings, error_shape_check
from .drifts import Drift, Report
from .error_shapes import ErrorShapes
from .findings import describe
from .plan import READ_METHODS, CannotRun, Plan
from .redaction import Redactor

__all__ = ["Unreachable", "verify"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Unreachable(CannotRun):
    """The service stopped answering (or never did): one line for the user."""


def settings(plan: Plan) -> dict[str, Any]:
    """schemathesis's configuration (its ``schemathesis.toml`` as a dict) for `plan`."""
    project: dict[str, Any] = {
        "base-url": plan.base_url,
        "headers": dict(plan.headers),
        "workers": 1,
        "continue-on-failure": True,
        "request-timeout": plan.request_timeout,
        "request-retries": 0,
        "auth": {"auto-signup": False},
        "generation": {"mode": "positive", "max-examples": plan.max_examples, "no-shrink": True,
                       "database": "none", "with-security-parameters": False},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": plan.allow_writes}},
        "checks": checks_settings(),
    }
    if plan.rate is not None:
        project["rate-limit"] = f"{plan.rate}/s"
    config: dict[str, Any] = {"color": False, "cache": {"enabled": False}, "suppress-health-check": ["all"],
                              "seed": plan.seed,
                              "output": {"sanitization": {"enabled": False}}, **project}
    if plan.max_time is not None:
        config["max-time"] = plan.max_time
    return config


def verify(plan: Plan) -> Report:
    spec = yaml.safe_load(plan.spec_path.read_text())
    redactor = Redactor(plan.headers, plan.secrets)
    report = Report(api=plan.api, base_url=redactor.url(plan.base_url), seed=plan.seed)
    for label, method in _operations(spec):
        result = report.operation(label)
        if not plan.allow_writes and method not in READ_METHODS:
            result.skipped = "it changes state; --allow-writes runs it"
    schema: BaseSchema = openapi.from_path(plan.spec_path, config=SchemathesisConfig.from_dict(settings(plan)))
    if not plan.allow_writes:
        schema = schema.include(method=list(READ_METHODS))
    started = time.monotonic()
    with error_shape_check(ErrorShapes(spec)):
        _read_events(schema_events(schema), report, redactor)
    report.seconds = time.monotonic() - started
    return report


def schema_events(schema: BaseSchema) -> Iterable[events.EngineEvent]:
    return from_schema(schema).execute()


def _operations(spec: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(label, method) of every documented operation, in the spec's order: ``GET /v6/jobs/``."""
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                yield f"{method.upper()} {path}", method.upper()


def _read_events(stream: Iterable[events.EngineEvent], report: Report, redactor: Redactor) -> None:
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            _read_scenario(event.recorder, report, redactor)
        elif isinstance(event, events.NonFatalError):
            report.add_error(event.label, redactor.text(_one_line(event.info.message or event.info.title)))
        elif isinstance(event, events.FatalError):
            raise Unreachable(redactor.text(_one_line(str(event.exception))))
        elif isinstance(event, events.EngineFinished):
            if event.stop_reason == StopReason.SERVER_UNAVAILABLE:
                raise Unreachable(f"{report.base_url} stopped answering")
            if event.stop_reason == StopReason.MAX_TIME:
                report.notes.append("stopped by --max-time: operations not reached are untested")


def _read_scenario(recorder: ScenarioRecorder, report: Report, redactor: Redactor) -> None:
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is not None and interaction.response is not None:
            report.operation(node.value.operation.label).requests += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure: Failure = check.failure_info.failure
            node = recorder.cases.get(case_id)
            label = failure.operation or (node.value.operation.label if node is not None else recorder.label)
            report.add_drift(Drift(operation=label, **describe(failure, recorder.interactions.get(case_id), redactor)))


def _one_line(text: str) -> str:
    return " ".join(text.split())
