"""Schemathesis against the Coalesce API in process: every operation, positive and negative data, and stateful
runs that follow the spec's links (environments → environment / nodes / jobs → node / job → startRun;
startRun → runStatus / run / results / cancelRun, list → run)."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, STATE
from tests.support import BOUNDED, headers_unless_broken

# A fixed token, so that a wrong one is refused (by default any non-empty token is accepted).
mock = MockApp(Config(apis=["coalesce"], speed=0, validate_responses=True, state=STATE, tokens=["contract-test"]))
# The project's schemathesis.toml configures `st run` for every API at once (its auth is Scale's); this test
# states everything it needs itself.
schema = schemathesis.openapi.from_asgi("/openapi.json", mock.asgi, config=SchemathesisConfig())
TOKEN = {"Authorization": "Bearer contract-test"}


def teardown_module() -> None:
    mock.close()
    strict_mock.close()


# Schema-valid requests the spec cannot tell apart from good ones: they name runs, environments or jobs that
# do not exist, or a state that forbids the action. For these operations a 400 is right when, and only when,
# it says so. (The environment, node and job lookups answer an unknown ID with the 404 their spec documents.)
STATEFUL = {"Jobs_initiateRun", "Jobs_triggerRerun", "Jobs_cancelJobRun", "Jobs_getStatusUpdates",
            "Runs_listInformation"}
STATE_REASONS = re.compile(
    r"^400: (Run .+ not found|Environment .* not found|Job .* not found in environment|Run \d+ is "
    r"|The last deployment of environment|userCredentials are required: environment|OAuth is not configured"
    r"|parameters must be a JSON object|startingFrom .+ is not a date in the calendar|Unknown node selector"
    r"|Node selector |Cannot read node selector)",
    re.DOTALL,
)


def rejected_only_for_state(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
        return
    if case.meta is None or not case.meta.generation.mode.is_negative:
        message = response.json()["error"]["errorString"]  # type: ignore[attr-defined]
        assert STATE_REASONS.match(message), f"schema-valid request rejected: {message}"


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") not in STATEFUL:
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [rejected_only_for_state]}


def _credentials(case: schemathesis.Case) -> dict[str, str]:
    return headers_unless_broken(case, TOKEN)




def _conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_credentials(case), **_checks_for(case))  # type: ignore[arg-type]


@schema.parametrize()
@BOUNDED
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    _conforms(case)


# Under --strict the spec served is the documented one, without the forms the real service only tolerates, and
# requests are held to it: schemathesis's negative data includes those forms, and they must be refused.
strict_mock = MockApp(Config(apis=["coalesce"], speed=0, validate_responses=True, state=STATE,
                            tokens=["contract-test"], strict=True))
strict_schema = schemathesis.openapi.from_asgi("/openapi.json", strict_mock.asgi, config=SchemathesisConfig())


@strict_schema.parametrize()
@BOUNDED
def test_every_operation_conforms_under_strict(case: schemathesis.Case) -> None:
    _conforms(case)

class CoalesceWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": _credentials(case)}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestCoalesceWorkflow = CoalesceWorkflow.TestCase
TestCoalesceWorkflow.settings = settings(BOUNDED, max_examples=25, stateful_step_count=6)
