"""The memo changes no answer: schemathesis' stateful sequences sent to two servers at the same clock, one keeping
answers to reads and one computing each anew, get the same status and the same document, request after request.

Each sequence repeats reads between writes (a client polling), so that kept answers are given and must still be
right after the writes, faults and clock moves that come between."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp

EPOCH = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
# Not Marquez: it draws the ids of the runs it creates at random, so two servers sent the same requests name the
# same run differently, and a sequence that goes on with the run one of them made is another request for the
# other. Its memo is the same code as the others'.
APIS = ("scale", "coalesce", "trifacta")
# Version hashes the servers draw at random: the same place in both answers, other values.
_DRAWN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CREDENTIALS = {"scale": {"Authorization": "Token dev"}, "coalesce": {"Authorization": "Bearer dev"},
                "trifacta": {"Authorization": "Bearer dev"}}

pytestmark = pytest.mark.contract

kept = MockApp(Config(speed=0))
computed = MockApp(Config(speed=0, answer_memo=False))


def _comparable(response: Any) -> tuple[int, Any]:
    text = response.content.decode("utf-8", "replace")
    try:
        document: Any = json.loads(_DRAWN.sub("<drawn>", text))
    except ValueError:
        document = _DRAWN.sub("<drawn>", text)
    return response.status_code, document


def _workflow(api: str) -> type:
    schema = schemathesis.openapi.from_asgi(f"/{api}/openapi.json", kept.asgi, config=SchemathesisConfig.from_dict({}))

    class Twins(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            for mock in (kept, computed):
                mock.reset(control=True, at=EPOCH)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": dict(_CREDENTIALS[api])}

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
            answer = self._agree(case, kwargs)
            if case.method.upper() == "GET":
                self.reads = [*getattr(self, "reads", [])[-9:], (case, kwargs)]
            else:  # every read asked before is asked again: what the write changed must show in both
                for read, read_kwargs in getattr(self, "reads", []):
                    self._agree(read, read_kwargs)
            return answer

        @staticmethod
        def _agree(case: schemathesis.Case, kwargs: dict[str, Any]) -> Any:
            answers = []
            for mock in (kept, computed):
                answers.append(case.call(app=mock.asgi, **kwargs))
                if case.method.upper() == "GET":  # asked again: the kept server answers from memory
                    answers.append(case.call(app=mock.asgi, **kwargs))
            half = len(answers) // 2
            assert [_comparable(answer) for answer in answers[:half]] == \
                   [_comparable(answer) for answer in answers[half:]], case.as_curl_command()
            return answers[0]

        def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
            pass  # what each answer should be is the contract tests' business; here only that both agree

    return Twins


@pytest.mark.parametrize("api", APIS)
def test_answers_from_memory_are_the_answers_computed_anew(api: str) -> None:
    machine = _workflow(api)
    test_case = machine.TestCase
    test_case.settings = settings(max_examples=12, stateful_step_count=8, deadline=None, database=None,
                                  suppress_health_check=list(HealthCheck))
    test_case("runTest").runTest()
    assert kept.memo is not None and kept.memo.hits > 0
