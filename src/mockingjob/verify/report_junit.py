"""The JUnit XML report: one test suite for the API, one test case per operation, one <failure> per drift and one
<error> per error; operations not tried (writes, in a read-only run) as skipped test cases."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from .drifts import Drift, Report

__all__ = ["junit_report"]

# Characters XML 1.0 cannot carry at all (a body may hold them): shown as U+FFFD.
_NOT_IN_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_IN_XML.sub("\ufffd", text)


def junit_report(report: Report) -> str:
    results = list(report.operations.values())
    suite = ET.Element("testsuite", {
        "name": f"mockingjob verify {report.api}",
        "tests": str(len(results)),
        "failures": str(len(report.drifts)),
        "errors": str(sum(len(result.errors) for result in results)),
        "skipped": str(sum(1 for result in results if result.skipped is not None)),
        "time": f"{report.seconds:.3f}",
    })
    for result in results:
        case = ET.SubElement(suite, "testcase", {"classname": f"verify.{report.api}", "name": result.label})
        for drift in result.drifts:
            failure = ET.SubElement(case, "failure", {"type": _xml(drift.kind), "message": _xml(drift.statement)})
            failure.text = _xml(_story(drift))
        for error in result.errors:
            ET.SubElement(case, "error", {"message": _xml(error)})
        if result.skipped is not None:
            ET.SubElement(case, "skipped", {"message": result.skipped})
        else:
            ET.SubElement(case, "system-out").text = f"{result.requests} request(s) to {report.base_url}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _story(drift: Drift) -> str:
    """The drift's detail and the exchange that shows it, as a CI page shows a failure's text."""
    exchange = drift.exchange
    if exchange is None:
        return drift.detail
    return (f"{drift.detail}\n\nRequest: {exchange.method} {exchange.url}\n"
            f"Answer: {exchange.status}\n{exchange.response_body or ''}")
