"""`serve` switches Nagle's algorithm off on every connection, whatever the worker count.

uvicorn's multi-worker mode binds its listening socket without naming TCP as the protocol, and
asyncio then leaves TCP_NODELAY off on accepted connections; every response waited 40 ms for
a delayed ACK. This builds the listening socket the same way and checks the option on the
server's end of a real connection."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from facilitator_app.server.http import NoDelayH11Protocol


async def _app(scope, receive, send):  # pragma: no cover - never called: no request is sent
    raise AssertionError


def _server_side_nodelay(protocol_class: type) -> int:
    async def run() -> int:
        config = Config(app=_app, http=protocol_class, log_level="warning")
        config.load()
        state = ServerState()
        made: list = []

        def factory():
            protocol = protocol_class(config=config, server_state=state, app_state={})
            made.append(protocol)
            return protocol

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
        listener.bind(("127.0.0.1", 0))
        server = await asyncio.get_running_loop().create_server(factory, sock=listener)
        try:
            reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            for _ in range(100):
                if made and made[0].transport is not None:
                    break
                await asyncio.sleep(0.01)
            value = made[0].transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            writer.close()
            await writer.wait_closed()
            return value
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(run())


def test_connections_get_tcp_nodelay() -> None:
    assert _server_side_nodelay(NoDelayH11Protocol) != 0


def test_the_plain_protocol_would_not_set_it() -> None:
    """Keeps the test above honest: without the subclass the option stays off on such a socket."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    assert _server_side_nodelay(H11Protocol) == 0
