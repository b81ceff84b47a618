"""Small adaptations of connexion's middleware stack, kept in one place.

- `RejectControlCharacters`: a path with control characters (a decoded %0A, say) matches no real route, but
  Starlette's mounts match it without its trailing slash, so its routers redirect between the two forms forever.
- `SwaggerUIMiddleware`: an API mounted at the root is served with ``servers: [{url: "/"}]`` rather than an
  empty URL, which OpenAPI tools would resolve against the spec document's own URL.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware import swagger_ui
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RejectControlCharacters", "SwaggerUIMiddleware"]


class RejectControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(ord(c) < 32 or ord(c) == 127 for c in scope["path"]):
            raise HTTPException(404)
        await self.app(scope, receive, send)


class _SwaggerUIAPI(swagger_ui.SwaggerUIAPI):
    def _spec_for_prefix(self, request: Any) -> dict[str, Any]:
        spec: dict[str, Any] = super()._spec_for_prefix(request)
        for server in spec.get("servers", []):
            if server.get("url") == "":
                server["url"] = "/"
        return spec


class SwaggerUIMiddleware(swagger_ui.SwaggerUIMiddleware):
    def add_api(self, specification: Any, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:
        api = _SwaggerUIAPI(specification, base_path=base_path, arguments=arguments, default=self.default_fn,
                            **kwargs)
        self.router.mount(api.base_path, app=api.router)
