"""What a verification found, as plain data every report reads: per operation, its request count, its drifts
(each once) and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Drift", "Exchange", "OperationResult", "Report"]


@dataclass(frozen=True)
class Exchange:
    """One request and the answer that shows a drift, as sent and received (redacted before any report)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str | None


@dataclass(frozen=True)
class Drift:
    operation: str
    """``GET /v6/jobs/{job_id}/``: the operation as the spec names it."""
    kind: str
    """What sort of difference: ``Response violates schema``, ``Undocumented status code``…"""
    statement: str
    """What it says, in one line: where in the answer, and what is wrong there."""
    detail: str
    """The longer explanation (the schema broken, the value found)."""
    exchange: Exchange | None

    @property
    def key(self) -> tuple[str, str, str]:
        """Two drifts with the same key are one drift seen twice."""
        return self.operation, self.kind, self.statement


@dataclass
class OperationResult:
    label: str
    requests: int = 0
    drifts: list[Drift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    """Why it was not tried (a write, in a read-only run), or None."""

    @property
    def verdict(self) -> str:
        if self.drifts:
            return "DRIFT"
        if self.errors:
            return "error"
        if self.skipped is not None:
            return "skipped"
        return "ok" if self.requests else "untested"


@dataclass
class Report:
    api: str
    base_url: str
    operations: dict[str, OperationResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Things about the whole run: stopped by --max-time, credentials refused…"""
    seconds: float = 0.0
    seed: int = 0

    def operation(self, label: str) -> OperationResult:
        return self.operations.setdefault(label, OperationResult(label))

    def add_drift(self, drift: Drift) -> bool:
        """Keep `drift` unless the same drift is kept already; True if it is new."""
        result = self.operation(drift.operation)
        if any(kept.key == drift.key for kept in result.drifts):
            return False
        result.drifts.append(drift)
        return True

    def add_error(self, label: str, message: str) -> None:
        result = self.operation(label)
        if message not in result.errors:
            result.errors.append(message)

    @property
    def drifts(self) -> list[Drift]:
        return [drift for result in self.operations.values() for drift in result.drifts]

    @property
    def requests(self) -> int:
        return sum(result.requests for result in self.operations.values())
