"""Schemathesis against the Marquez API in process: every operation, positive and negative data, and stateful
runs that follow the spec's links (namespace → job → run → get / start / complete / fail / abort)."""

from __future__ import annotations

import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, STATE
from tests.support import BOUNDED

mock = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True, state=STATE))
# Marquez has no auth: the project's schemathesis.toml (a token for Scale's scheme) is not for this spec.
schema = schemathesis.openapi.from_asgi("/openapi.json", mock.asgi, config=SchemathesisConfig())


def teardown_module() -> None:
    mock.close()
    strict_mock.close()




# A schema-valid run id is refused (400) when a run with that id already exists, which the schema cannot
# see; schemathesis does reuse ids. For create_run a 400 is right when, and only when, it says so.
TAKEN_ID = " already exists for "


def rejected_only_for_taken_ids(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
        return
    if case.meta is None or not case.meta.generation.mode.is_negative:
        message = response.json().get("message", "")  # type: ignore[attr-defined]
        assert TAKEN_ID in message, f"schema-valid request rejected: {message}"


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") != "create_run":
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [rejected_only_for_taken_ids]}


def _conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(**_checks_for(case))  # type: ignore[arg-type]


@schema.parametrize()
@BOUNDED
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    _conforms(case)


# Under --strict the spec served is the documented one, without the forms the real service only tolerates, and
# requests are held to it: schemathesis's negative data includes those forms, and they must be refused.
strict_mock = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True, state=STATE, strict=True))
strict_schema = schemathesis.openapi.from_asgi("/openapi.json", strict_mock.asgi, config=SchemathesisConfig())


@strict_schema.parametrize()
@BOUNDED
def test_every_operation_conforms_under_strict(case: schemathesis.Case) -> None:
    _conforms(case)

class MarquezWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestMarquezWorkflow = MarquezWorkflow.TestCase
TestMarquezWorkflow.settings = settings(BOUNDED, max_examples=25, stateful_step_count=6)
