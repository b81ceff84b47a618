"""Small helpers shared by the Scale behaviour tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import TOKEN

# What each job type needs as input (see fixtures/scale/job_types.yaml).
INGEST = 1  # scale-ingest: queues 3 s, runs 20 s, completes
PARSE = 3  # landsat8-parse 1.1.0: queues 5 s, runs 50 s, completes
NDVI = 4  # ndvi-calc: queues 5 s, runs 60 s, fails (algorithm-error) on its first attempt, then completes
TILER = 5  # geotiff-tiler: queues 10 s, runs 30 s, always fails with data-corrupt
INPUTS = {
    INGEST: {"files": {"INPUT_FILE": [61]}},
    PARSE: {"files": {"input_file": [41]}},
    NDVI: {"files": {"red_band": [11], "nir_band": [7]}},
    TILER: {"files": {"geotiff": [14, 32]}},
}



def queue(client: Any, job_type_id: int, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/v6/jobs/", json={"job_type_id": job_type_id, "input": data or INPUTS[job_type_id]},
                           headers=TOKEN)
    assert response.status_code == 201, response.text
    return response.json()


def job(client: Any, job_id: int) -> dict[str, Any]:
    response = client.get(f"/v6/jobs/{job_id}/")
    assert response.status_code == 200, response.text
    return response.json()


def jobs(client: Any, params: Any = None) -> list[dict[str, Any]]:
    """Every job matching `params` (a dict or a list of pairs), in one page."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    response = client.get("/v6/jobs/", params=[*pairs, ("page_size", 1000)])
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["count"] == len(page["results"])
    return page["results"]


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def executions(client: Any, job_id: int, params: Any = None) -> list[dict[str, Any]]:
    response = client.get(f"/v6/jobs/{job_id}/executions/", params=params)
    assert response.status_code == 200, response.text
    return response.json()["results"]
