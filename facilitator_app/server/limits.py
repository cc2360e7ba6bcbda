"""A pure ASGI middleware that refuses request bodies over the size limit before they are parsed.

Why here and not in the handler: FastAPI reads and parses the whole body before a handler runs,
so the limit must be enforced while the bytes arrive, whether or not Content-Length is sent.
"""

from __future__ import annotations

import json
from typing import Any

from ..sync.protocol import MAX_PUSH_BYTES
from .errors import body


class BodyLimit:
    def __init__(self, app: Any, max_bytes: int = MAX_PUSH_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_bytes:
                    await self._refuse(send)
                    return
            except ValueError:
                pass
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        mb = self.max_bytes / 1024 / 1024
        payload = json.dumps(body("too_large", f"The request is larger than {mb:g} MB; send fewer changes at once.")
                             ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})
