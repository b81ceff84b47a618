"""Keeping the user's credentials out of every report, by the journal's rule (`control.redact`): secret headers
(Authorization, Cookie, API keys) and secret-named fields and query parameters are replaced, and the token's
value is scrubbed wherever else it recurs (a body echoing it, an error message quoting it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from ..control.redact import Secrets
from .drifts import Exchange

__all__ = ["Redactor"]

_MAX_BODY = 64 * 1024
"""Characters of a body a report shows: enough to see a drift, not a whole export."""


class Redactor:
    def __init__(self, headers: Mapping[str, str], secrets: Iterable[str]) -> None:
        self._secrets = Secrets(values={value for value in secrets if value})
        self._secrets.from_headers(headers.items())

    def text(self, text: str) -> str:
        return self._secrets.scrub_text(text)

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        return self.text(urlunsplit(parts._replace(query=self._secrets.redact_query(parts.query))))

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return self._secrets.redact_headers(headers)

    def body(self, body: bytes | None, media_type: str | None) -> str | None:
        if not body:
            return None
        text = self._secrets.redact_body(body, media_type, structural=True)
        if text is not None and len(text) > _MAX_BODY:
            text = f"{text[:_MAX_BODY]}… ({len(text) - _MAX_BODY} more characters)"
        return text

    def exchange(self, *, method: str, url: str, request_headers: Iterable[tuple[str, str]],
                 request_body: bytes | None, status: int | None, response_headers: Iterable[tuple[str, str]],
                 response_body: bytes | None) -> Exchange:
        sent = self.headers(request_headers)
        received = self.headers(response_headers)
        return Exchange(method=method, url=self.url(url), request_headers=sent,
                        request_body=self.body(request_body, sent.get("content-type")), status=status,
                        response_headers=received,
                        response_body=self.body(response_body, received.get("content-type")))
