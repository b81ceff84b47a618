"""What the Trifacta behaviour tests share: credentials, the fixture recipes, and a polling client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

AUTH = {"Authorization": "Bearer test-token"}

# Recipes of fixtures/trifacta/wrangled_datasets.yaml.
POS_R01 = 1  # no dependencies; run before
POS_CLEANED = 2  # depends on 1
REGIONAL_SUMMARY = 7  # depends on 2 (and so on 1); last run: photon, profiling on, two outputs
STORE_RANKING = 8  # depends on 2; never run
ATTRIBUTION = 12  # depends on 11 (itself on 10) and 13
CAMPAIGN_COSTS = 13  # never run on its own
INVENTORY_SNAPSHOT = 20  # its recipe fails
INVENTORY_FORECAST = 21  # depends on 20, so fails too
STOCK_EXPORT = 22  # its file writer fails
REGIONAL_SALES = 33  # parameterized; last run on spark, profiling off

CSV = {"path": "/out/result.csv", "action": "create", "format": "csv", "compression": "none", "header": False,
       "asSingleFile": False}
FIRST_RUN = {"execution": "photon", "profiler": False, "writeSettings": [CSV]}



def run(client: Any, dataset_id: int, **body: Any) -> dict[str, Any]:
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": dataset_id}, **body}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def status(client: Any, group_id: int) -> str:
    response = client.get(f"/v4/jobGroups/{group_id}/status", headers=AUTH)
    assert response.status_code == 200, response.text
    result: str = response.json()
    return result


def jobs(client: Any, group_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/v4/jobGroups/{group_id}/jobs", headers=AUTH)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def group(client: Any, group_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v4/jobGroups/{group_id}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_until_done(client: Any, mock: Any, group_id: int, step: float = 5, limit: int = 200) -> tuple[str, int]:
    """Poll the status as a client would, moving the manual clock between polls; return it and the polls made."""
    for polls in range(1, limit + 1):
        current = status(client, group_id)
        if current in ("Complete", "Failed", "Canceled"):
            return current, polls
        mock.clock.advance(timedelta(seconds=step))
    raise AssertionError(f"job group {group_id} still {current} after {limit} polls")


def recipe_plans() -> dict[int, dict[str, Any]]:
    """Each recipe's fixture plan, with the mock's documented defaults filled in."""
    import yaml

    from mockingjob.core.resources import fixtures_dir

    defaults = {"queued": 5, "wrangle": 30, "filewriter": 10, "profile": 20}
    with (fixtures_dir() / "trifacta" / "wrangled_datasets.yaml").open(encoding="utf-8") as handle:
        return {d["id"]: {**defaults, **(d.get("plan") or {})} for d in yaml.safe_load(handle)}
