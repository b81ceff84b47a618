"""The pack base class of the kit: the engine's `Pack` contract with the shared parts already done."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..core.auth import TokenAuth
from ..core.errors import ASKED_FOR, ApiError
from ..core.pack import Pack as PackContract
from ..core.pack import Reply

__all__ = ["Pack"]


class Pack(PackContract):
    """Subclass it, set the class attributes, and word the API's errors with `error_document` and `error_reply`.

    - `auth`: the token check of the operations whose spec entry declares security (None: no auth at all).
    - `error_document(status, message)`: the API's plain error body. An error a test asked for (a fault or a
      scenario) is answered with it, with exactly the status asked for: no pack has to remember that rule.
    - `error_reply(error)`: the API's answer to every other error (validation, routing, the handlers' own).
    """

    auth: TokenAuth | None = None

    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        if self.auth is not None:
            self.auth.check(request.headers.get("authorization"), tokens)

    def error_document(self, status: int, message: str) -> Any:
        return {"detail": message}

    def error_reply(self, error: ApiError) -> Reply:
        return Reply(self.error_document(error.status, error.detail), error.status, error.headers)

    def render_error(self, error: ApiError) -> Reply:
        if error.code in ASKED_FOR:
            return Reply(self.error_document(error.status, error.detail), error.status, error.headers)
        return self.error_reply(error)
