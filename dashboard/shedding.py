"""Load shedding (ASGI middleware): at most ``limit`` requests in progress; the rest get a fast 503.

Without it a burst queued every request behind 8 pooled connections and the server stopped
answering for minutes, health checks and logins included. Health, login and static assets are
never counted or refused, and ``limit`` stays below the pool size so they always find a connection.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

EXEMPT_PATHS = ("/api/health", "/login", "/api/login", "/static/", "/assets/")
RESERVED_CONNECTIONS = 2  # pool connections kept for the exempt paths


def request_limit(pool_max_size: int) -> int:
    """Requests allowed in progress for a pool of this size (the rest of the pool serves health and login)."""
    return max(1, pool_max_size - RESERVED_CONNECTIONS)


class LoadShedder:
    """ASGI middleware: a request over the limit is answered 503 with ``Retry-After`` at once, not queued."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, limit: int, retry_after_s: int = 2) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.in_progress = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PATHS):
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:  # one event loop: no lock needed between check and increment
            self.shed += 1
            body = json.dumps({"detail": "系统繁忙,请稍后重试 / busy, retry shortly"}, ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"retry-after", str(self.retry_after_s).encode()),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
