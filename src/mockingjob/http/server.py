"""How uvicorn serves the app: the event loop and the HTTP protocol, the same for one worker or several.

asyncio's own event loop, not uvloop: under load uvloop left some requests waiting ten times longer than the
rest (on one benchmark, a p99 of 1.4 s beside a p50 of 94 ms, where asyncio's loop gave 77 ms beside 54 ms),
for a few per cent more throughput; see docs/performance.md.

asyncio turns off Nagle's algorithm only on sockets it created itself, and with several workers uvicorn binds
the listening socket in the parent process, so the workers' connections kept it: every answer then waited about
40 ms for the client's delayed ACK. The protocol below turns it off on every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

try:  # httptools comes with uvicorn[standard]; h11 with any uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # pragma: no cover - only without httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _HttpProtocol  # type: ignore[assignment]

__all__ = ["NoDelayHttpProtocol", "uvicorn_options"]


class NoDelayHttpProtocol(_HttpProtocol):
    """uvicorn's HTTP protocol (httptools, else h11), sending each answer at once (TCP_NODELAY) on every TCP
    connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # the peer may already be gone: the protocol will see it
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def uvicorn_options(loop: str = "asyncio", access_log: bool = True) -> dict[str, Any]:
    """The options every `uvicorn.run` of mockingjob (and of the benchmark's stand-ins for it) is given."""
    return {
        "loop": loop,
        "http": f"{__name__}:NoDelayHttpProtocol",
        # No API here speaks WebSocket; "auto" would import a WebSocket library at every start (about 40 ms).
        "ws": "none",
        "log_level": "info",
        "access_log": access_log,
    }
