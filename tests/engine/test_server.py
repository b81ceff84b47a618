"""How uvicorn serves the app: every connection sends its answers at once, however its socket was made."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mockingjob.http.server import HEADER_TIMEOUT, KEEP_ALIVE, HttpProtocol, NoDelayHttpProtocol, uvicorn_options

pytestmark = pytest.mark.subprocess  # starts real servers


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called: no request is sent
    raise AssertionError


async def _nodelay_of_accepted_connection(protocol_class: type[HttpToolsProtocol]) -> int:
    """TCP_NODELAY of the server's side of a connection accepted through a listening socket made the way
    uvicorn makes it for several workers (bound in the parent, with protocol number 0)."""
    config = uvicorn.Config(_app, http=protocol_class, loop="asyncio", log_level="warning")
    config.load()
    state = ServerState()
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(protocol_class):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = await asyncio.get_running_loop().create_server(
        lambda: Probe(config=config, server_state=state, app_state={}), sock=listener)
    try:
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_connections_of_workers_send_answers_without_waiting_for_acks() -> None:
    # asyncio's own protocol leaves Nagle's algorithm on for such sockets: answers then wait ~40 ms for the
    # client's delayed ACK. If this first assertion ever fails, asyncio has fixed it and the class can go.
    assert asyncio.run(_nodelay_of_accepted_connection(HttpToolsProtocol)) == 0
    assert asyncio.run(_nodelay_of_accepted_connection(NoDelayHttpProtocol)) != 0


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_uvicorn_options_name_a_loop_and_a_protocol_uvicorn_can_load(loop: str) -> None:
    pytest.importorskip(loop)
    config = uvicorn.Config(_app, **uvicorn_options(loop, access_log=False))
    config.load()
    assert isinstance(config.http_protocol_class, HttpProtocol)
    assert config.http_protocol_class.header_timeout == HEADER_TIMEOUT
    assert config.timeout_keep_alive == KEEP_ALIVE
    assert config.access_log is False
    assert config.ws_protocol_class is None  # no API here speaks WebSocket: no WebSocket library at start-up
