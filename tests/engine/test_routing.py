"""The router the request path reads (faults, journal, authentication, error shapes): one answer per request."""

from __future__ import annotations

from mockingjob.core.pack import Pack
from mockingjob.http.routing import Router

SECURED = [{"bearer": []}]
SPEC = {"paths": {
    "/": {"get": {"operationId": "home", "security": SECURED}},
    "/uids": {"get": {"operationId": "list_uids", "security": SECURED}, "post": {"operationId": "add_uid"}},
    "/uids/{uid}": {"get": {"operationId": "get_uid"}},
}}


class Api(Pack):
    name = "api"


def _router(prefix: str) -> Router:
    router = Router()
    router.mount(Api(), SPEC, prefix)
    return router


def test_operations_at_the_root_and_under_ui_are_operations_not_documentation() -> None:
    for prefix in ("", "/api"):
        router = _router(prefix)
        home = router.route(f"{prefix}/", "GET")
        assert (home.operation, home.security, home.journaled) == ("home", tuple(SECURED), True)
        uids = router.route(f"{prefix}/uids", "GET")
        assert (uids.operation, uids.security, uids.allowed) == ("list_uids", tuple(SECURED), ("GET", "POST"))
        assert router.route(f"{prefix}/uids/7", "GET").operation == "get_uid"


def test_swagger_ui_and_the_spec_belong_to_the_api_but_are_not_api_requests() -> None:
    router = _router("/api")
    for path in ("/api/ui/", "/api/ui/index.html", "/api/openapi.json", "/api/openapi.yaml"):
        route = router.route(path, "GET")
        assert route.pack is not None and route.pack.name == "api"
        assert (route.operation, route.journaled) == (None, False), path


def test_an_unknown_path_under_an_api_is_journaled_without_an_operation_and_outside_every_api_has_no_pack() -> None:
    router = _router("/api")
    unknown = router.route("/api/nope", "GET")
    assert (unknown.pack is not None, unknown.operation, unknown.journaled) == (True, None, True)
    assert router.route("/elsewhere", "GET").pack is None
    assert router.route("/uids/7", "DELETE").pack is None
    assert router.route("/api/uids/7", "DELETE").operation is None
