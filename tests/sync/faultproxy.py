"""A small asyncio TCP proxy that injects network faults between a client and the server.

Modes (chosen per connection): "none", "latency" (delay every chunk), "hang" (forward the
request, never answer), "cut" (forward only the first N bytes of the response, then close),
"reset" (forward the request, then reset the client's connection with RST).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, seed: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "none"
        self.cut_after = 100
        self.latency_secs = 0.02
        self.rng = random.Random(seed)
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        mode, cut = self.mode, self.cut_after
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        answered = asyncio.Event()

        async def to_server() -> None:
            try:
                while data := await reader.read(65536):
                    up_writer.write(data)
                    await up_writer.drain()
                    if mode == "reset":
                        await asyncio.sleep(0.05)  # let the server receive it, then drop the client hard
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        writer.transport.abort()
                        return
            except (ConnectionError, OSError):
                pass
            finally:
                answered.set()

        async def to_client() -> None:
            sent = 0
            try:
                while data := await up_reader.read(65536):
                    if mode == "hang":
                        continue  # swallow the answer; the client's read timeout fires
                    if mode == "latency":
                        await asyncio.sleep(self.latency_secs)
                    if mode == "cut":
                        data = data[: max(0, cut - sent)]
                        sent += len(data)
                        writer.write(data)
                        await writer.drain()
                        if sent >= cut:
                            writer.close()
                            return
                        continue
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
                up_writer.close()

        await asyncio.gather(to_server(), to_client(), return_exceptions=True)
