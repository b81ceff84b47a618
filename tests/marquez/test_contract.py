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




# What the schema cannot see, and a schema-valid request is rightly refused (400) for, by operation: a run id
# that is taken (schemathesis does reuse ids); a step's job name, its parent's name and its own joined by a dot,
# longer than a job name may be; a week of stats without a time zone, or in one there is none of. A 400 is right
# when, and only when, it says so.
_ZONE = ("Timezone must be specified for period 'WEEK'", "time zone ")
REFUSED_FOR = {"create_run": (" already exists for ",), "post_lineage": (" characters",),
               "get_lineage_event_stats": _ZONE, "get_job_stats": _ZONE, "get_dataset_stats": _ZONE,
               "get_source_stats": _ZONE}


def _rejected_only_for(reasons: tuple[str, ...]) -> object:
    def rejected_only_for_reason(ctx: object, response: object, case: schemathesis.Case) -> None:
        if case.method.upper() != case.operation.method.upper() or response.status_code != 400:  # type: ignore[attr-defined]
            return
        if case.meta is None or not case.meta.generation.mode.is_negative:
            message = response.json().get("message", "")  # type: ignore[attr-defined]
            assert any(reason in message for reason in reasons), f"schema-valid request rejected: {message}"
    return rejected_only_for_reason


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    reason = REFUSED_FOR.get(str(case.operation.definition.raw.get("operationId")))
    if reason is None:
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [_rejected_only_for(reason)]}


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
