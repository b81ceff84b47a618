"""The console summary: one line per operation (its verdict and request count), each drift and error on one line
under it, and a closing line with the totals."""

from __future__ import annotations

from collections.abc import Iterator

from .drifts import OperationResult, Report

__all__ = ["console_lines"]


def console_lines(report: Report) -> Iterator[str]:
    operations = list(report.operations.values())
    width = max((len(result.label) for result in operations), default=0)
    yield f"Verifying {report.api} at {report.base_url} against mockingjob's spec"
    for result in operations:
        yield f"  {result.verdict:<8} {result.label:<{width}}  {_count(result)}"
        for drift in result.drifts:
            yield f"           - {drift.kind}: {drift.statement}"
        for error in result.errors:
            yield f"           ! {error}"
    yield from (f"Note: {note}" for note in report.notes)
    drifted = [result for result in operations if result.drifts]
    tried = sum(1 for result in operations if result.requests)
    summary = (f"{len(report.drifts)} drift(s) in {len(drifted)} operation(s)" if drifted else "No drift")
    yield f"{summary}; {tried} operation(s) tried with {report.requests} request(s) in {report.seconds:.1f} s."
    yield f"Seed {report.seed}: --seed {report.seed} sends the same requests again."


def _count(result: OperationResult) -> str:
    if result.skipped is not None:
        return f"({result.skipped})"
    return f"({result.requests} request{'' if result.requests == 1 else 's'})"
