"""Which of schemathesis's checks judge a real service's answers, and our own: an error answer in none of the
API's error shapes.

On: the answer's status, content type, headers and body against what the spec documents for it.
Off: the checks that judge how the service validates what it is sent (positive_data_acceptance,
negative_data_rejection, missing_required_header, ignored_auth, unsupported_method and its
allow_header_conformance), how it handles resources (use_after_free, ensure_resource_availability,
object_level_authorization), or how fast or well it runs (max_response_time, not_a_server_error). Against a real
service they report its policies and outages, not our spec's drift; and some of them send requests a read-only
run must not (another method, say). A 5xx that the spec does not document is still a drift: status_code_conformance
reports it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from schemathesis.checks import CHECKS
from schemathesis.core.failures import Failure, Severity

if TYPE_CHECKING:
    from .error_shapes import ErrorShapes

__all__ = ["ERROR_SHAPE_CHECK", "ErrorInAnotherShape", "checks_settings", "error_shape_check"]

ANSWER_CHECKS = ("status_code_conformance", "content_type_conformance", "response_schema_conformance",
                 "response_headers_conformance")
ERROR_SHAPE_CHECK = "error_answer_in_the_api_shape"


def checks_settings() -> dict[str, Any]:
    """The ``checks`` section of schemathesis's configuration: every check off, but ours and `ANSWER_CHECKS`."""
    return {"enabled": False, **{name: {"enabled": True} for name in (*ANSWER_CHECKS, ERROR_SHAPE_CHECK)}}


class ErrorInAnotherShape(Failure):
    """An error answer that none of the API's error schemas describes."""

    kind_title = "Error answer in another shape"

    def __init__(self, *, operation: str, status: int, reason: str, case_id: str | None = None) -> None:
        super().__init__(operation=operation, message=f"{status} answer: {reason}", case_id=case_id,
                         severity=Severity.MEDIUM)
        self.status = status

    @property
    def _unique_key(self) -> str:
        return str(self.status)


@contextmanager
def error_shape_check(shapes: ErrorShapes) -> Iterator[None]:
    """Our check, registered with schemathesis while the block runs: its registry is global, and no other
    schemathesis run in the process (a test suite's) should meet it."""

    def check(ctx: object, response: Any, case: Any) -> bool | None:
        operation = case.operation
        if not shapes.needs_checking(operation.method, operation.path, response.status_code):
            return None
        reason = shapes.mismatch(response.content)
        if reason is not None:
            raise ErrorInAnotherShape(operation=operation.label, status=response.status_code, reason=reason,
                                      case_id=case.id)
        return True

    check.__name__ = ERROR_SHAPE_CHECK
    CHECKS.register(check)
    try:
        yield
    finally:
        CHECKS.unregister(ERROR_SHAPE_CHECK)
