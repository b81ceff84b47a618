"""The value types of the command line's options (and of the settings file, read through them): each checks a
value as the server will use it, so that a wrong one is refused in one line naming the option or the setting."""

from __future__ import annotations

import click

from .core import registry
from .core.errors import UsageError

__all__ = ["ApiName", "ByteSize", "Latency", "Origin"]


class ByteSize(click.ParamType):
    """A size in bytes: 1048576, 512KB, 5MB or 5MiB (KB and MB are powers of 1,024, as in most servers)."""

    name = "size"
    _UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
              "g": 1024**3, "gb": 1024**3, "gib": 1024**3}

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        digits = text.rstrip("bkmgi ")
        unit = text[len(digits):].strip()
        if not digits.isdigit() or unit not in self._UNITS or int(digits) * self._UNITS[unit] < 1:
            self.fail(f"{value!r} is not a size such as 1048576, 512KB or 5MB", param, ctx)
        return int(digits) * self._UNITS[unit]


class Origin(click.ParamType):
    """A web origin as browsers send it (``http://localhost:3000``: scheme, host, port; no path), or ``*``."""

    name = "origin"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().rstrip("/").lower()
        scheme, separator, host = text.partition("://")
        if text != "*" and (not separator or scheme not in ("http", "https") or not host
                            or any(char in host for char in "/?#@ ")):
            self.fail(f"{value!r} is not an origin such as http://localhost:3000 (or *, any origin)", param, ctx)
        return text


class ApiName(click.ParamType):
    """The name of an API this installation serves (the packs are looked up when a name is checked)."""

    name = "api"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        known = registry.available()
        if value not in known:
            self.fail(f"unknown API {value!r}; choose from {', '.join(known)}", param, ctx)
        return str(value)


class Latency(click.ParamType):
    """Milliseconds (150) or a uniform range (100..300), checked as the start-up fault it becomes."""

    name = "latency"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from .control.rules import startup_documents

        text = str(value).strip()
        try:
            startup_documents(text, None, 503, None)
        except UsageError as exc:
            self.fail(str(exc).removeprefix("--latency: "), param, ctx)
        return text
