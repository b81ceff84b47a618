"""Schemathesis against the admin API in process: every operation, positive and negative data, and stateful
runs over its links (add a scenario or fault → read it → remove it)."""

from __future__ import annotations

import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, STATE
from tests.support import BOUNDED as SHARED_BOUNDS
from tests.support import headers_unless_broken

ADMIN_TOKEN = "contract-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

# With an admin token configured the spec's bearer scheme is enforced, so the auth checks mean something.
mock = MockApp(Config(apis=["scale"], speed=0, validate_responses=True, state=STATE, admin_token=ADMIN_TOKEN))
schema = schemathesis.openapi.from_asgi("/_mockingjob/openapi.json", mock.asgi, config=SchemathesisConfig())


def teardown_module() -> None:
    mock.close()


BOUNDED = settings(SHARED_BOUNDS, max_examples=25)

# Schema-valid documents the served APIs cannot take (an API or operation not served, an outcome the API does
# not have, a uniform range upside down, a date past the year 9999, records of a kind the API does not have or
# that its fixture schemas refuse): 400, or 404 for an unknown API to reset, or 409 for a record's id taken.
SEMANTIC = {"add_scenario", "add_fault", "reset", "set_clock", "advance_clock", "add_records"}


def refused_only_for_what_the_schema_cannot_say(ctx: object, response: object, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper():
        return
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 400 or status in (400, 404, 409), status
    if status >= 400:
        problem = response.json()  # type: ignore[attr-defined]
        assert problem["status"] == status and problem["detail"]


def _checks_for(case: schemathesis.Case) -> dict[str, list[object]]:
    if case.operation.definition.raw.get("operationId") not in SEMANTIC:
        return {}
    return {"excluded_checks": [schemathesis.checks.positive_data_acceptance],
            "additional_checks": [refused_only_for_what_the_schema_cannot_say]}


def _auth(case: schemathesis.Case) -> dict[str, str]:
    return headers_unless_broken(case, AUTH)


@schema.parametrize()
@BOUNDED
def test_every_admin_operation_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_auth(case), **_checks_for(case))  # type: ignore[arg-type]


class AdminWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        mock.reset(control=True, at=EPOCH)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": _auth(case)}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, transport_kwargs=kwargs, **_checks_for(case))  # type: ignore[arg-type]


TestAdminWorkflow = AdminWorkflow.TestCase
TestAdminWorkflow.settings = settings(BOUNDED, max_examples=20, stateful_step_count=6)
