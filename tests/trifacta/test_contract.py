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


# A schema-valid request can still be refused for what the schema cannot see: state (the first run of a recipe
# needs its overrides; a recipe has one output object; a flow without outputs has nothing to run; a profile
# exists once the profile job has run), or a rule across fields (exactly one of two ways to name an object).
# For those operations a 400 is right when, and only when, it gives one of these reasons.
ONE_OF_TWO = ("exactly one primary input", "is required", "name different objects")
STATE_REASONS = {
    "run_job_group": ("has never been run",),
    "run_flow": ("has never been run", "has no outputs to run", "with an output object"),
    "create_wrangled_dataset": ONE_OF_TWO,
    "create_output_object": (*ONE_OF_TWO, "has an output object already"),
    "create_write_setting": ONE_OF_TWO,
    "create_publication": ONE_OF_TWO,
    "get_job_group_profile": ("Profiling data not found",),
}


def rejected_only_for_state(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
        return
    if case.meta is None or not case.meta.generation.mode.is_negative:
        message = response.json()["exception"]["message"]  # type: ignore[attr-defined]
        reasons = STATE_REASONS[case.operation.definition.raw["operationId"]]
        assert any(reason in message for reason in reasons), f"schema-valid request rejected: {message}"


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") not in STATE_REASONS:
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [rejected_only_for_state]}


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
FLOWS, IMPORTED, OUTPUTS = (1, 2, 3, 4), (1, 2, 3, 4, 5, 6), (1, 2)
RECIPES = (1, 2, 7, 8, 10, 11, 12, 13, 20, 21, 22, 33)
FIXTURE_IDS: dict[object, dict[str, tuple[int, ...]]] = {
    "run_job_group": {"wrangledDataset": RUN_BEFORE},
    "create_wrangled_dataset": {"flow": FLOWS, "importedDataset": IMPORTED, "wrangledDataset": RECIPES},
    "create_output_object": {"flowNodeId": RECIPES, "flowNode": RECIPES},
    "create_write_setting": {"outputObjectId": OUTPUTS, "outputObject": OUTPUTS},
    "create_publication": {"outputObjectId": OUTPUTS, "outputObject": OUTPUTS},
}


class TrifactaWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def before_call(self, case: schemathesis.Case) -> None:
        body = case.body
        if not isinstance(body, dict):
            return
        # Generated ids mostly name nothing; these point them at objects of the fixtures, so that a chain goes on.
        for field, existing in FIXTURE_IDS.get(case.operation.definition.raw.get("operationId"), {}).items():
            target = body.get(field)
            if isinstance(target, dict) and isinstance(target.get("id"), int) and target["id"] >= 1:
                target["id"] = existing[target["id"] % len(existing)]
            elif isinstance(target, int) and not isinstance(target, bool) and target >= 1:
                body[field] = existing[target % len(existing)]

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": _credentials(case)}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestTrifactaWorkflow = TrifactaWorkflow.TestCase
TestTrifactaWorkflow.settings = settings(BOUNDED, max_examples=25, stateful_step_count=6)
