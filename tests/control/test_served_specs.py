"""Each API's spec as it is served, for machines as well as people (issue 23).

- ``<prefix>/openapi.json`` and ``<prefix>/openapi.yaml`` are the spec as written, with its components and
  references, and the server where the API is mounted; Swagger UI reads the JSON one.
- Nothing in the specs wraps what a generator should see plainly: no one-member ``allOf`` (or ``anyOf``,
  ``oneOf``) around a reference or a type, no nullable record schema or nullable enum (generators name those
  ``<Name>Type0``), no ``allOf`` part that gives a property another schema than another part does.
- Swagger UI's "Try it out" pre-fills each parameter from its example (or default): for every read the pre-filled
  request works, and the optional parameters it pre-fills filter nothing out.
- The example of each answer is what the API answers from its fixtures: asked again, the API answers a document
  with the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from mockingjob.core.config import Config
from mockingjob.core.resources import load_spec, specs_dir
from mockingjob.http.app import MockApp
from mockingjob.http.leniency import documented_view
from mockingjob.http.served_specs import unwrapped
from tests.conftest import EPOCH

APIS = ["scale", "marquez", "coalesce", "trifacta"]
TOKENS = {"scale": {"Authorization": "Token served-specs"}, "marquez": {},
          "coalesce": {"Authorization": "Bearer served-specs"}, "trifacta": {"Authorization": "Bearer served-specs"}}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def mounted() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=APIS, speed=0, mount="prefix"))
    yield mock
    mock.close()


@pytest.fixture(scope="module")
def strict() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=APIS, speed=0, mount="prefix", strict=True))
    yield mock
    mock.close()


def _written(api: str) -> dict[str, Any]:
    return load_spec(specs_dir() / f"{api}.yaml")


@pytest.mark.parametrize("api", APIS)
def test_the_spec_is_served_as_written_in_both_forms(mounted: MockApp, api: str) -> None:
    with mounted.asgi.test_client() as client:
        as_json = client.get(f"/{api}/openapi.json")
        as_yaml = client.get(f"/{api}/openapi.yaml")
        ui = client.get(f"/{api}/ui/")
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    served = as_json.json()
    # With its components and references, as written; only the server is where the API is mounted.
    assert served == {**_written(api), "servers": [{"url": f"/{api}"}]}
    assert "$ref" in as_json.text and served["components"]["schemas"] and served["components"]["examples"]
    # The YAML form is the same document, in the file's order (not sorted), without anchors.
    assert yaml.safe_load(as_yaml.text) == served
    assert list(yaml.safe_load(as_yaml.text)) == list(_written(api))
    assert "&id" not in as_yaml.text and "*id" not in as_yaml.text
    assert ui.status_code == 200 and f"/{api}/openapi.json" in ui.text


@pytest.mark.parametrize("api", APIS)
def test_under_strict_the_documented_view_is_served_without_wrappers(strict: MockApp, api: str) -> None:
    with strict.asgi.test_client() as client:
        served = client.get(f"/{api}/openapi.json").json()
        assert yaml.safe_load(client.get(f"/{api}/openapi.yaml").text) == served
    assert served == unwrapped(documented_view({**_written(api), "servers": [{"url": f"/{api}"}]}))
    assert "$ref" in json.dumps(served) and served["components"]["examples"]
    assert _wrappers(served) == []


def test_a_one_member_all_of_that_only_describes_is_its_member() -> None:
    spec = {"components": {"schemas": {
        "Id": {"type": "integer"},
        "A": {"type": "object", "properties": {
            "described": {"allOf": [{"$ref": "#/components/schemas/Id"}], "description": "the id"},
            "typed": {"type": "integer", "allOf": [{"$ref": "#/components/schemas/Id"}]},
            "nullable": {"allOf": [{"$ref": "#/components/schemas/Id"}], "nullable": True},
            "inline": {"allOf": [{"type": "string"}], "description": "text"}}}}}}
    properties = unwrapped(spec)["components"]["schemas"]["A"]["properties"]
    assert properties["described"] == properties["typed"] == {"$ref": "#/components/schemas/Id"}
    assert properties["nullable"] == {"allOf": [{"$ref": "#/components/schemas/Id"}], "nullable": True}
    assert properties["inline"] == {"type": "string", "description": "text"}


def _wrappers(spec: dict[str, Any]) -> list[str]:
    """What in `spec` makes generators invent types: see the module's docstring."""
    schemas = spec.get("components", {}).get("schemas", {})
    found: list[str] = []

    def properties(part: Any) -> dict[str, Any]:
        if isinstance(part, dict) and "$ref" in part:
            part = schemas.get(part["$ref"].rsplit("/", 1)[-1], {})
        own = dict(part.get("properties") or {}) if isinstance(part, dict) else {}
        for inner in (part.get("allOf") or []) if isinstance(part, dict) else []:
            own = {**properties(inner), **own}
        return own

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}")
            return
        if not isinstance(node, dict):
            return
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list) and len(node[key]) == 1:
                found.append(f"{where}: a one-member {key}")
        if node.get("nullable") and node.get("type") == "object" and node.get("properties"):
            found.append(f"{where}: a nullable record (make it a schema of its own, nullable where it is used)")
        if isinstance(node.get("enum"), list) and None in node["enum"] and len(node["enum"]) > 1:
            found.append(f"{where}: null among an enum's values")
        if isinstance(node.get("allOf"), list):
            seen: dict[str, Any] = {}
            for part in node["allOf"]:
                for name, schema in properties(part).items():
                    if name in seen and seen[name] != schema:
                        found.append(f"{where}: allOf parts give {name!r} different schemas")
                    seen[name] = schema
        for key, value in node.items():
            walk(value, f"{where}/{key}")

    walk(spec, "#")
    return found


@pytest.mark.parametrize("api", APIS)
def test_no_schema_wraps_what_generators_should_see_plainly(api: str) -> None:
    assert _wrappers(_written(api)) == []


# --- Swagger UI's "Try it out" --------------------------------------------------------------------------------

def _resolved(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def _parameters(spec: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    item = spec["paths"][path]
    return [_resolved(spec, p) for p in [*item.get("parameters", []), *item[method].get("parameters", [])]]


def _prefilled(spec: dict[str, Any], parameter: dict[str, Any]) -> Any:
    """What Swagger UI pre-fills a parameter with: its example, else its schema's example, else the default."""
    schema = _resolved(spec, parameter.get("schema", {}))
    for value in (parameter.get("example"), schema.get("example"), schema.get("default")):
        if value is not None:
            return value
    return None


def _reads(api: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    spec = _written(api)
    for path, item in spec["paths"].items():
        if "get" in item:
            yield path, _parameters(spec, path, "get")


def _request(path: str, parameters: list[dict[str, Any]], spec: dict[str, Any],
             optional: bool) -> tuple[str, dict[str, Any]] | None:
    query: dict[str, Any] = {}
    for parameter in parameters:
        value = _prefilled(spec, parameter)
        if parameter.get("required") and value is None:
            return None  # nothing to pre-fill (no such record is in the fixtures): the user types one
        if value is None or (not parameter.get("required") and not optional):
            continue
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query":
            query[parameter["name"]] = [json.dumps(v) if isinstance(v, bool) else v for v in value] \
                if isinstance(value, list) else (json.dumps(value) if isinstance(value, bool) else value)
    return path, query


# Reads of what the fixtures have none of, or only under a name made when they are seeded (a UUID): the user
# types one in.
NOT_PRE_FILLED = {"marquez": {"/api/v1/namespaces/{namespace}/datasets/{dataset}/versions/{version}"},
                  "trifacta": {"/v4/flowRuns/{id}", "/v4/flowRuns/{id}/status", "/v4/flowRuns/{id}/jobGroups"}}


@pytest.mark.parametrize("api", APIS)
def test_every_read_works_as_swagger_ui_pre_fills_it_and_its_pre_filled_filters_keep_everything(api: str) -> None:
    mock = MockApp(Config(apis=[api], speed=0))
    spec = _written(api)
    not_pre_filled = set()
    try:
        mock.reset(control=True, at=EPOCH)
        with mock.asgi.test_client(headers=TOKENS[api]) as client:
            for path, parameters in _reads(api):
                prefilled = _request(path, parameters, spec, optional=True)
                if prefilled is None:
                    not_pre_filled.add(path)
                    continue
                answer = client.get(prefilled[0], params=prefilled[1])
                assert 200 <= answer.status_code < 300, (path, prefilled, answer.text)
                required_only = _request(path, parameters, spec, optional=False)
                assert required_only is not None
                bare = client.get(required_only[0], params=required_only[1])
                # The pre-filled optional parameters (defaults) filter nothing out: the same answer.
                assert answer.content == bare.content, (path, prefilled[1])
    finally:
        mock.close()
    assert not_pre_filled == NOT_PRE_FILLED.get(api, set())


# --- the examples are the API's answers ------------------------------------------------------------------------

def _fields(document: Any, where: str = "") -> set[str]:
    """The dotted paths of the fields of `document` (a list's items together)."""
    if isinstance(document, dict):
        return {f"{where}.{key}" for key in document} | {
            path for key, value in document.items() for path in _fields(value, f"{where}.{key}")}
    if isinstance(document, list):
        return {path for item in document for path in _fields(item, f"{where}[]")}
    return set()


@pytest.mark.parametrize("api", APIS)
def test_each_example_of_a_read_has_the_fields_of_what_the_api_answers(api: str) -> None:
    # Each example says which request it answers (its summary). Asked again, of the fixtures at the same instant,
    # the API answers a document with the same fields: an example that no longer does is to be taken again.
    # (Not a read of what a write made first, "…, after POST …", nor of a name made at seeding, "{…}".)
    mock = MockApp(Config(apis=[api], speed=0))
    compared = 0
    try:
        mock.reset(control=True, at=EPOCH)
        with mock.asgi.test_client(base_url="http://localhost:8080", headers=TOKENS[api]) as client:
            for name, example in _written(api)["components"]["examples"].items():
                method, _, request = example["summary"].partition(" ")
                url, _, accept = request.partition(" with Accept: ")
                if method != "GET" or ", after " in url or "{" in url:
                    continue
                answer = client.get(urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""),
                                    headers={"Accept": accept or "application/json"})
                assert answer.status_code == 200, (name, answer.text)
                live = answer.json() if answer.headers["content-type"].startswith("application/json") else answer.text
                missing, new = _fields(example["value"]) - _fields(live), _fields(live) - _fields(example["value"])
                assert not missing and not new, (
                    f"components/examples/{name} is no longer what {url} answers: fields it lacks {sorted(new)}, "
                    f"fields no longer answered {sorted(missing)}; the answer now: {json.dumps(live)}")
                compared += 1
    finally:
        mock.close()
    assert compared >= 10
