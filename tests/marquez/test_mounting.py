"""Where Marquez is served: at its real paths alone, under /marquez beside other APIs."""

from __future__ import annotations

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp


def test_with_a_prefix_the_real_paths_follow_it_and_errors_keep_marquez_shape() -> None:
    mock = MockApp(Config(apis=["marquez"], speed=0, mount="prefix"))
    try:
        client = mock.asgi.test_client()
        created = client.post("/marquez/api/v1/namespaces/food_delivery/jobs/etl_orders/runs", json={})
        assert created.status_code == 201
        run_id = created.json()["id"]
        assert created.headers["location"] == f"http://testserver/marquez/api/v1/jobs/runs/{run_id}"
        assert client.get(f"/marquez/api/v1/jobs/runs/{run_id}").json()["state"] == "NEW"
        assert client.get("/marquez/api/v1/namespaces/nowhere").json() == {
            "code": 404, "message": "Namespace 'nowhere' not found."}
        assert client.get("/marquez/openapi.json").json()["servers"][0]["url"] == "/marquez"
    finally:
        mock.close()
