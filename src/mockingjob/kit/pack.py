"""The pack base class of the kit: the engine's `Pack` contract with the shared parts already done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.requests import Request

from ..core.auth import TokenAuth
from ..core.errors import ASKED_FOR, ApiError
from ..core.lifecycle import instant_columns, next_instant
from ..core.pack import Pack as PackContract
from ..core.pack import Reply

__all__ = ["Pack"]


class Pack(PackContract):
    """Subclass it, set the class attributes, and word the API's errors with `error_document` and `error_reply`.

    - `auth`: the token check of the operations whose spec entry declares security (None: no auth at all).
    - `error_document(status, message)`: the API's plain error body. An error a test asked for (a fault or a
      scenario) is answered with it, with exactly the status asked for: no pack has to remember that rule.
    - `error_reply(error)`: the API's answer to every other error (validation, routing, the handlers' own).
    - `clock_bound(operation_id, query)`: the requests whose answers move with every instant while the clock runs
      (the others are answered again from memory until a write, or until the next instant the pack stored).
    """

    auth: TokenAuth | None = None

    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        if self.auth is not None:
            self.auth.check(request.headers.get("authorization"), tokens)

    def error_document(self, status: int, message: str) -> Any:
        return {"detail": message}

    def error_reply(self, error: ApiError) -> Reply:
        return Reply(self.error_document(error.status, error.detail), error.status, error.headers)

    def steady_until(self, conn: Connection, now: datetime) -> datetime:
        # A kit pack derives every state from the instants it stored: the next stored instant after now is the
        # next moment anything can change by itself (a pack with answers that move in between says so in
        # `clock_bound`).
        return next_instant(conn, now, self._instants)

    def state_instants(self) -> Sequence[sa.Column[datetime]]:
        """The stored instants at which this pack's answers may change by themselves: every `UtcDateTime` column
        of its tables by default. A pack with large tables names the (indexed) ones that suffice, so that
        finding the next one stays a few index look-ups."""
        return instant_columns(self.tables())

    @cached_property
    def _instants(self) -> list[sa.Column[datetime]]:
        return list(self.state_instants())

    def render_error(self, error: ApiError) -> Reply:
        if error.code in ASKED_FOR:
            return Reply(self.error_document(error.status, error.detail), error.status, error.headers)
        return self.error_reply(error)
