"""The requests every server gets: a list, a detail and a create for each API, valid against its spec.

Paths are the spec's own; mockingjob (all APIs) and the ceiling serve them under ``/<api>``. Ids come from the
fixtures, so the lists are non-empty and the details exist on a freshly started mockingjob.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

APIS = ("scale", "coalesce", "marquez", "trifacta")

JSON = {"Content-Type": "application/json"}
SCALE_WRITE = {"Authorization": "Token bench"}  # Scale reads are public; writes need a DRF token
BEARER = {"Authorization": "Bearer bench"}  # Coalesce and Trifacta need a bearer token on every call


@dataclass(frozen=True)
class Operation:
    api: str
    kind: str
    """list, detail or create."""
    method: str
    path: str
    """The spec's path with its query string."""
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    template: str | None = None
    """The spec's path template it is routed by (the workloads set it: the ceiling routes by it)."""

    @property
    def label(self) -> str:
        return f"{self.api} {self.kind}"

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.path.partition("?")[2]

    def captured(self, status: int, content_type: str, location: str | None, body: bytes) -> dict[str, Any]:
        """What a server answered to this operation, as the ceiling and the connexion floor replay it. The path
        is decoded, as ASGI servers give it to applications; the query is as sent."""
        return {"method": self.method, "path": f"/{self.api}{unquote(self.route)}", "query": self.query,
                "template": f"/{self.api}{self.template or self.route}", "status": status,
                "content_type": content_type, "location": location, "body_b64": base64.b64encode(body).decode()}


def _body(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


SCALE = (
    # Both filters match fixture jobs (landsat8-parse has COMPLETED jobs in fixtures/scale/jobs.yaml).
    Operation("scale", "list", "GET", "/v6/jobs/?status=COMPLETED&job_type_name=landsat8-parse&page_size=25"),
    Operation("scale", "detail", "GET", "/v6/jobs/3/"),
    # ndvi-calc 2.0.0 (id 4) requires red_band and nir_band; files 11 and 7 exist in fixtures/scale/files.yaml.
    Operation("scale", "create", "POST", "/v6/jobs/", {**SCALE_WRITE, **JSON},
              _body({"job_type_id": 4, "input": {"files": {"red_band": [11], "nir_band": [7]}, "json": {}}})),
)

COALESCE = (
    Operation("coalesce", "list", "GET", "/api/v1/runs?detail=true&limit=25", BEARER),
    Operation("coalesce", "detail", "GET", "/api/v1/runs/3", BEARER),
    # Environment 2 (Production) job 1 completes; Basic credentials are the default auth type.
    Operation("coalesce", "create", "POST", "/scheduler/startRun", {**BEARER, **JSON},
              _body({"runDetails": {"environmentID": "2", "jobID": "1"},
                     "userCredentials": {"snowflakeUsername": "ANALYST", "snowflakePassword": "bench"}})),
)

MARQUEZ_JOB = "/api/v1/namespaces/food_delivery/jobs/etl_delivery_7_days"
MARQUEZ = (
    Operation("marquez", "list", "GET", f"{MARQUEZ_JOB}/runs?limit=10&offset=0"),
    Operation("marquez", "detail", "GET", "/api/v1/jobs/runs/6d30fe40-f527-456e-b960-218a256b72e1"),
    # No run id in the body: the server makes one, so the same request can be repeated.
    Operation("marquez", "create", "POST", f"{MARQUEZ_JOB}/runs", JSON, _body({"args": {"retries": "1"}})),
)

TRIFACTA = (
    Operation("trifacta", "list", "GET", "/v4/jobGroups?limit=25", BEARER),
    Operation("trifacta", "detail", "GET", "/v4/jobGroups/2", BEARER),
    # Recipe 1 ran before (job group 1), so no overrides are needed; it has no upstream recipes.
    Operation("trifacta", "create", "POST", "/v4/jobGroups", {**BEARER, **JSON}, _body({"wrangledDataset": {"id": 1}})),
)

# Per API, reads come before the create so that the lists and details are measured on the fixture state.
OPERATIONS: tuple[Operation, ...] = SCALE + COALESCE + MARQUEZ + TRIFACTA


def detail_of(api: str) -> Operation:
    """The cheap GET used to tell that an API is up."""
    return next(op for op in OPERATIONS if op.api == api and op.kind == "detail")
