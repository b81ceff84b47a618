"""Schemathesis against the Scale API in process: every operation, positive and negative data, and stateful
runs that follow the spec's links (queue → details → executions → cancel/requeue)."""

from __future__ import annotations

import schemathesis
from hypothesis import settings

from mockingjob.core.config import Config
from mockingjob.core.errors import ApiError
from mockingjob.http.app import MockApp
from mockingjob.packs.scale.params import parse_timestamp
from tests.conftest import EPOCH, STATE, TOKEN
from tests.support import BOUNDED, headers_unless_broken

mock = MockApp(Config(apis=["scale"], speed=0, validate_responses=True, state=STATE))
schema = schemathesis.openapi.from_asgi("/openapi.json", mock.asgi)


def teardown_module() -> None:
    mock.close()
    strict_mock.close()



def _consistent_time_ranges(values: object) -> bool:
    """The spec cannot say that `started` must come before `ended`; keep generated data that respects it
    (and skip calendar-impossible dates such as 02-30, which the pattern admits and Scale rejects)."""
    if not isinstance(values, dict):
        return True
    for low, high in (("started", "ended"), ("source_started", "source_ended"), ("data_started", "data_ended"),
                      ("created_started", "created_ended"), ("modified_started", "modified_ended")):
        bounds = []
        for name in (low, high):
            value = values.get(name)
            if not isinstance(value, str):
                bounds.append(None)
                continue
            try:
                bounds.append(parse_timestamp(name, value, EPOCH))
            except ApiError:
                return False
        if None not in bounds and bounds[0] >= bounds[1]:
            return False
    return True


# Scale answers a request without credentials with 403 (DRF behind session authentication), where this check
# insists on 401 for a missing Authorization header; the 403 is asserted in tests/scale instead.
EXCLUDED = [schemathesis.checks.missing_required_header]

# Some schema-valid requests depend on state the schema cannot see: file ids, job types, workspaces and errors
# must exist, a manifest must fit its configuration (its outputs need a workspace, its names must not collide),
# and a system job type may only be paused. For those operations a 400 is right when, and only when, it names
# such a reason.
STATEFUL_REFERENCES = {"queue_job", "cancel_jobs", "requeue_jobs", "create_job_type", "edit_job_type"}
STATE_REASONS = ("Invalid job data: ", "Job Type with name: ", "Job type configuration invalid: ",
                 "Seed Manifest invalid: Collisions", "Seed Manifest invalid: Mount names",
                 "Seed Manifest invalid: Error names", "Plan error ", "Manifest name ", "Manifest version ",
                 "You can only modify the is_paused field", "Unable to create job type named", "No workspace named",
                 "Missing workspace for outputs")


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") not in STATEFUL_REFERENCES:
        return {"excluded_checks": EXCLUDED}
    return {"excluded_checks": [*EXCLUDED, schemathesis.checks.positive_data_acceptance],
            "additional_checks": [rejected_only_for_missing_references]}


def rejected_only_for_missing_references(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
        return
    document = response.json()  # type: ignore[attr-defined]
    # Scale answers input that does not fit the job type with the message alone, a JSON string.
    detail = document if isinstance(document, str) else document.get("detail", "")
    if case.meta is None or not case.meta.generation.mode.is_negative:
        assert detail.startswith(STATE_REASONS), f"schema-valid request rejected: {detail}"




# The job type status view reads `started` and `ended` without Scale's check_time_range.
UNCHECKED_RANGES = {"list_job_type_status"}


def _credentials(case: schemathesis.Case) -> dict[str, str]:
    return headers_unless_broken(case, TOKEN)


def _breaks_time_rules(case: schemathesis.Case) -> bool:
    """A schema-valid request whose time range Scale must refuse."""
    if case.operation.definition.raw.get("operationId") in UNCHECKED_RANGES:
        return False
    positive = case.meta is None or not case.meta.generation.mode.is_negative
    same_operation = case.method.upper() == case.operation.method.upper()
    # Scale reads each filter from the query string first, then from the body (where null is "not given").
    body = {key: value for key, value in case.body.items() if value is not None} \
        if isinstance(case.body, dict) else {}
    return positive and same_operation and not _consistent_time_ranges({**body, **(case.query or {})})


def _conforms(case: schemathesis.Case) -> None:
    if _breaks_time_rules(case):
        # Schema-valid but outside what the spec can express: Scale's own 400 is the right answer.
        response = case.call(headers=TOKEN)
        assert response.status_code == 400, response.text
        assert set(response.json()) == {"detail"}
        return
    headers = _credentials(case)
    response = case.call(headers=headers)
    checks = _checks_for(case)
    if _accepted_and_reported(case, response):
        # What the real service accepts leniently is accepted and reported (Mockingjob-Lint), by design; a
        # negative case made only of such forms, or of forms its query string cannot tell from valid ones
        # (a number for a one-item list), is then no schema violation. --strict's test asserts the refusals.
        checks = {**checks, "excluded_checks": [*checks["excluded_checks"],
                                                schemathesis.checks.negative_data_rejection]}
    case.validate_response(response, transport_kwargs={"headers": headers}, **checks)  # type: ignore[arg-type]


def _accepted_and_reported(case: schemathesis.Case, response: object) -> bool:
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    reported = any(name.lower() == "mockingjob-lint" for name in getattr(response, "headers", {}))
    return negative and getattr(response, "status_code", 0) < 300 and reported


@schema.parametrize()
@BOUNDED
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    _conforms(case)


# Under --strict the spec served is the documented one, without the forms the real service only tolerates, and
# requests are held to it: schemathesis's negative data includes those forms, and they must be refused.
strict_mock = MockApp(Config(apis=["scale"], speed=0, validate_responses=True, state=STATE, strict=True))
strict_schema = schemathesis.openapi.from_asgi("/openapi.json", strict_mock.asgi)


@strict_schema.parametrize()
@BOUNDED
def test_every_operation_conforms_under_strict(case: schemathesis.Case) -> None:
    _conforms(case)

class ScaleWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": _credentials(case)}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        if _breaks_time_rules(case):
            assert response.status_code == 400, response.text  # type: ignore[attr-defined]
            return
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestScaleWorkflow = ScaleWorkflow.TestCase
TestScaleWorkflow.settings = settings(BOUNDED, max_examples=25, stateful_step_count=6)
