"""How `serve` runs HTTP: uvicorn with the C parser (httptools) and event loop (uvloop) when
installed, and with Nagle's algorithm switched off on every connection.

Why the C parts: the pure-Python h11 parser and asyncio's selector loop cost more CPU per
request than many a handler (measured with bench/server_bench.py: see docs/server.md,
Capacity). The `server` extra installs both; without them (uvloop has no Windows build) the
pure-Python ones are used and everything works the same, only slower.

Why TCP_NODELAY: with `--workers 2` or more, uvicorn binds the listening socket itself without
naming TCP as its protocol, so asyncio does not set TCP_NODELAY on accepted connections (it
does with one worker). uvicorn writes a response's headers and body separately, and the body
then waits for the client's delayed ACK: every request took 40 ms longer (measured: 44 ms
against 3 ms for the same request). Setting the option on each connection makes both modes
equally fast.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # a socket that is already closing: nothing to speed up
            pass


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed
    NoDelayHttpToolsProtocol: type | None = None
else:
    class NoDelayHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[no-redef]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)


def uvicorn_options() -> dict[str, Any]:
    """The `http` and `loop` arguments for uvicorn.run: the fastest that are installed."""
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    return {"http": NoDelayHttpToolsProtocol or NoDelayH11Protocol, "loop": loop}
