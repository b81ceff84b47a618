"""What OpenLineage producers cost the Marquez API: events recorded a second, and the lineage reads over a graph
that grows with them.

A pipeline of `--jobs` jobs, each reading the dataset the one before wrote (two inputs, one output, a schema of
five fields and their column lineage), runs `--runs` times: a START and a COMPLETE for each job, posted in
process to ``POST /api/v1/lineage`` with the file store (the embedded default). Printed: events a second and the
latency of an event, then of ``GET /api/v1/lineage`` (depth 20) and ``GET /api/v1/column-lineage`` from the
pipeline's last dataset, and of a search.

    python bench/lineage.py --jobs 50 --runs 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp

NAMESPACE = "bench"
PRODUCER = "https://github.com/example/bench"
FIELDS = ("id", "customer", "city", "amount", "day")


def _dataset(name: str, source: str | None) -> dict[str, Any]:
    facets: dict[str, Any] = {"schema": {"_producer": PRODUCER, "_schemaURL": "https://x/SchemaDatasetFacet.json",
                                         "fields": [{"name": field, "type": "VARCHAR"} for field in FIELDS]}}
    if source is not None:
        facets["columnLineage"] = {"_producer": PRODUCER, "_schemaURL": "https://x/ColumnLineageDatasetFacet.json",
                                   "fields": {field: {"inputFields": [{"namespace": NAMESPACE, "name": source,
                                                                       "field": field}]} for field in FIELDS}}
    return {"namespace": NAMESPACE, "name": name, "facets": facets}


def _events(jobs: int, runs: int) -> list[dict[str, Any]]:
    events = []
    for run in range(runs):
        for job in range(jobs):
            run_id = str(uuid.uuid4())
            reads = [_dataset(f"table_{job}", None), _dataset("calendar", None)]
            writes = [_dataset(f"table_{job + 1}", f"table_{job}")]
            for kind, second in (("START", 0), ("COMPLETE", 30)):
                events.append({"eventType": kind, "eventTime": f"2026-03-0{1 + run}T{job // 60:02d}:{job % 60:02d}:"
                                                               f"{second:02d}Z",
                               "run": {"runId": run_id}, "job": {"namespace": NAMESPACE, "name": f"step_{job}"},
                               "inputs": reads, "outputs": writes, "producer": PRODUCER})
    return events


def _timed(call: Any) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 201), response.text[:300]
    return elapsed


def _summary(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{label:<34} p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   ({len(ordered)} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--reads", type=int, default=20, help="times each read is measured")
    options = parser.parse_args()
    events = _events(options.jobs, options.runs)
    with tempfile.TemporaryDirectory() as folder:
        mock = MockApp(Config(apis=["marquez"], speed=0, state=f"sqlite:///{Path(folder) / 'state.db'}"))
        try:
            with mock.asgi.test_client() as client:
                started = time.perf_counter()
                posted = [_timed(lambda event=event: client.post("/api/v1/lineage", json=event)) for event in events]
                took = time.perf_counter() - started
                print(f"{len(events)} events ({options.jobs} jobs x {options.runs} runs, START and COMPLETE): "
                      f"{len(events) / took:,.0f} events/s")
                _summary("POST /api/v1/lineage", posted)
                last = f"dataset:{NAMESPACE}:table_{options.jobs}"
                field = f"datasetField:{NAMESPACE}:table_{options.jobs}:city"
                reads = {
                    "GET /api/v1/lineage (depth 20)": ("/api/v1/lineage", {"nodeId": last, "depth": 20}),
                    "GET /api/v1/column-lineage": ("/api/v1/column-lineage", {"nodeId": field, "depth": 20}),
                    "GET /api/v1/search": ("/api/v1/search", {"q": "table_1", "limit": 100}),
                    "GET …/datasets/{dataset}": (f"/api/v1/namespaces/{NAMESPACE}/datasets/table_1", {}),
                }
                for label, (path, params) in reads.items():
                    _summary(label, [_timed(lambda path=path, params=params: client.get(path, params=params))
                                     for _ in range(options.reads)])
                nodes = len(client.get("/api/v1/lineage", params={"nodeId": last}).json()["graph"])
                print(f"lineage graph: {nodes} nodes")
        finally:
            mock.close()


if __name__ == "__main__":
    main()
