"""Schemathesis against the Trifacta API in process: every operation with positive and negative data, and
stateful runs that follow the spec's links (run → job group, status, jobs, cancel)."""

from __future__ import annotations

import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, STATE
from tests.support import BOUNDED, headers_unless_broken

TOKEN = "contract-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Only the configured token is accepted here, so that schemathesis' check that auth is not ignored can pass.
mock = MockApp(Config(apis=["trifacta"], speed=0, validate_responses=True, state=STATE, tokens=[TOKEN]))
# The project's schemathesis.toml configures `st run` for every API; this test passes its own headers instead.
schema = schemathesis.openapi.from_asgi("/openapi.json", mock.asgi, config=SchemathesisConfig.from_dict({}))


def teardown_module() -> None:
    mock.close()
    strict_mock.close()


# A schema-valid run can still be refused for state the schema cannot see: the first run of a recipe needs its
# overrides. For that operation a 400 is right when, and only when, it says so.
FIRST_RUN_REASON = "has never been run"


def rejected_only_for_a_first_run(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
        return
    if case.meta is None or not case.meta.generation.mode.is_negative:
        message = response.json()["exception"]["message"]  # type: ignore[attr-defined]
        assert FIRST_RUN_REASON in message, f"schema-valid request rejected: {message}"


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") != "run_job_group":
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [rejected_only_for_a_first_run]}


def _credentials(case: schemathesis.Case) -> dict[str, str]:
    return headers_unless_broken(case, AUTH)




def _conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_credentials(case), **_checks_for(case))  # type: ignore[arg-type]


@schema.parametrize()
@BOUNDED
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    _conforms(case)


# Under --strict the spec served is the documented one, without the forms the real service only tolerates, and
# requests are held to it: schemathesis's negative data includes those forms, and they must be refused.
strict_mock = MockApp(Config(apis=["trifacta"], speed=0, validate_responses=True, state=STATE,
                            tokens=[TOKEN], strict=True))
strict_schema = schemathesis.openapi.from_asgi("/openapi.json", strict_mock.asgi,
                                               config=SchemathesisConfig.from_dict({}))


@strict_schema.parametrize()
@BOUNDED
def test_every_operation_conforms_under_strict(case: schemathesis.Case) -> None:
    _conforms(case)

# Recipes of the fixtures that have run before, so that a generated run often starts a job group to follow.
RUN_BEFORE = (1, 2, 7, 12, 20, 21, 22, 33)


class TrifactaWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def before_call(self, case: schemathesis.Case) -> None:
        body = case.body
        if case.operation.definition.raw.get("operationId") == "run_job_group" and isinstance(body, dict):
            target = body.get("wrangledDataset")
            if isinstance(target, dict) and isinstance(target.get("id"), int) and target["id"] >= 1:
                target["id"] = RUN_BEFORE[target["id"] % len(RUN_BEFORE)]

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": _credentials(case)}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestTrifactaWorkflow = TrifactaWorkflow.TestCase
TestTrifactaWorkflow.settings = settings(BOUNDED, max_examples=25, stateful_step_count=6)
