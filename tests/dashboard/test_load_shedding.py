"""Over the limit a request is refused at once with 503 + Retry-After; health and login are never refused."""

from __future__ import annotations

import asyncio
from typing import Any

from dashboard.shedding import LoadShedder, request_limit


def _run(shedder: LoadShedder, paths: list[str]) -> list[tuple[str, int, dict[bytes, bytes]]]:
    async def main() -> list[tuple[str, int, dict[bytes, bytes]]]:
        answers: list[tuple[str, int, dict[bytes, bytes]]] = []

        async def one(path: str) -> None:
            sent: list[Any] = []

            async def send(message: Any) -> None:
                sent.append(message)

            async def receive() -> Any:
                return {"type": "http.request", "body": b"", "more_body": False}

            await shedder({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
            start = sent[0]
            answers.append((path, start["status"], dict(start["headers"])))

        await asyncio.gather(*(one(p) for p in paths))
        return answers

    return asyncio.run(main())


def test_requests_over_the_limit_get_503_at_once_and_health_and_login_never_do():

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(0.2)  # a page being computed
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    shedder = LoadShedder(slow_app, limit=3)
    paths = ["/"] * 10 + ["/api/health"] * 5 + ["/login", "/api/login"]
    answers = _run(shedder, paths)
    pages = [status for path, status, _ in answers if path == "/"]
    assert sorted(pages) == [200] * 3 + [503] * 7
    assert all(status == 200 for path, status, _ in answers if path != "/")
    refused = [headers for path, status, headers in answers if status == 503]
    assert all(h[b"retry-after"] == b"2" for h in refused) and shedder.shed == 7 and shedder.in_progress == 0


def test_the_limit_leaves_pool_connections_for_health_and_login():
    assert request_limit(8) == 6 and request_limit(2) == 1
