"""Request guard (ASGI middleware): body size limit, control characters, CSRF token and Origin check.

Control characters (NUL and the other C0 controls but tab, LF and CR) in any JSON string, form field
or query parameter are refused with 422 naming the field, in FastAPI's validation-error shape.

Every write that a browser could be tricked into sending is one that rides on the session cookie
(or the login form, where a forged login would plant the attacker's session). Those must come from
our own origin (``Origin``, else ``Referer``) and carry the form's ``csrf_token`` field (or an
``X-CSRF-Token`` header). The token is derived from the session token, or before login from a
random seed cookie, so no server-side state is needed and any worker can check it. Templates get
it with ``{{ csrf_field() }}`` inside a form; requests with a bearer header are not cookie-borne and
need neither.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

SESSION_COOKIE = "envp_session"
SEED_COOKIE = "envp_csrf"
FIELD = "csrf_token"
HEADER = b"x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN_PATHS = {"/login", "/api/login"}
_MULTIPART_FIELD = re.compile(rb'name="csrf_token"\r\n\r\n([^\r\n]*)')
# NUL and the other C0 controls (tab, LF and CR are text) never belong in a field: PostgreSQL refuses
# NUL in text, and the rest only hide what a person reads.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def csrf_token(cookies: dict[str, str], seed: str | None = None) -> str:
    """The CSRF token for a browser with these cookies (bound to its session, or to its seed before login)."""
    session = cookies.get(SESSION_COOKIE)
    basis = f"session|{session}" if session else f"seed|{cookies.get(SEED_COOKIE) or seed or ''}"
    return hashlib.sha256(f"envpetition-csrf|{basis}".encode()).hexdigest()


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _submitted_token(headers: dict[bytes, bytes], body: bytes) -> str | None:
    if HEADER in headers:
        return headers[HEADER].decode("latin-1")
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace")).get(FIELD)
        return values[0] if values else None
    if kind == b"multipart/form-data":
        found = _MULTIPART_FIELD.search(body)
        return found.group(1).decode("latin-1") if found else None
    return None


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    """Origin (else Referer) names our own host and port; absent both, a non-browser client: allowed."""
    source = headers.get(b"origin") or headers.get(b"referer")
    if source is None:
        return True
    if source == b"null":
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(source.decode("latin-1")).netloc.lower() == host


class RequestGuard:
    """ASGI middleware: 413 above ``max_body`` bytes; 403 on a cookie-borne write without our origin and token."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, max_body: int, secure_cookies: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _answer(send, 413, f"请求体超过 {self.max_body} 字节 / request body over {self.max_body} bytes")
            return
        cookies = _cookies(headers)
        seed = None
        if SEED_COOKIE not in cookies:
            seed = secrets.token_urlsafe(24)
            scope.setdefault("state", {})["csrf_seed"] = seed
        if scope["method"] in UNSAFE:
            body = await _read_body(receive, self.max_body)
            if body is None:
                await _answer(send, 413, f"请求体超过 {self.max_body} 字节 / request body over {self.max_body} bytes")
                return
            cookie_borne = SESSION_COOKIE in cookies and b"authorization" not in headers
            if cookie_borne or scope["path"] in LOGIN_PATHS:
                if not _same_origin(headers):
                    await _answer(send, 403, "跨站请求被拒绝 / cross-origin request refused")
                    return
                # The API login answers a token in JSON, which a forging page cannot read: its Origin suffices.
                browser_form = scope["path"] == "/login" or (cookie_borne and scope["path"] != "/api/login")
                submitted = _submitted_token(headers, body) if browser_form else None
                if browser_form and not (submitted and hmac.compare_digest(submitted, csrf_token(cookies))):
                    await _answer(send, 403, "表单已过期或来源不明,请刷新页面后重试 / missing or wrong CSRF token; "
                                             "reload the page and try again")
                    return
            bad = _control_field(headers, body) or _control_field({}, scope.get("query_string", b""), query=True)
            if bad is not None:
                await _invalid(send, bad)
                return
            receive = _replay(body, receive)
        else:
            bad = _control_field({}, scope.get("query_string", b""), query=True)
            if bad is not None:
                await _invalid(send, bad)
                return
        await self.app(scope, receive, self._with_seed(send, seed))

    def _with_seed(self, send: Send, seed: str | None) -> Send:
        if seed is None:
            return send
        cookie = f"{SEED_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure_cookies else "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode())]
            await send(message)

        return sending


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` (chunked bodies have no Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass on what the client does (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _control_field(headers: dict[bytes, bytes], body: bytes, *, query: bool = False) -> list[str] | None:
    """Where a control character sits in the request (["body", "text"], ["query", "q"]), or None."""
    kind = b"application/x-www-form-urlencoded" if query else headers.get(b"content-type", b"").split(b";")[0].strip()
    if kind == b"application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the route's own validation answers malformed JSON
        return _walk(data, ["body"])
    if kind == b"application/x-www-form-urlencoded":
        text = body.decode("latin-1")
        if "%00" not in text and not _CONTROL.search(text) and not re.search(r"%(?:0[0-8bcefBCEF]|1[0-9a-fA-F]|7[fF])", text):
            return None
        for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
            if _CONTROL.search(key) or any(_CONTROL.search(v) for v in values):
                return ["query" if query else "body", _CONTROL.sub("?", key)]
    return None


def _walk(value: Any, loc: list[str]) -> list[str] | None:
    if isinstance(value, str):
        return loc if _CONTROL.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _CONTROL.search(key):
                return [*loc, _CONTROL.sub("?", key)]
            found = _walk(item, [*loc, str(key)])
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk(item, [*loc, str(index)])
            if found:
                return found
    return None


async def _invalid(send: Send, loc: list[str]) -> None:
    """422 in FastAPI's own validation-error shape, naming the field."""
    field = ".".join(loc[1:]) or loc[0]
    detail = [{"type": "control_character", "loc": loc,
               "msg": f"字段 {field} 含有控制字符(如 NUL),请删除后重试 / field {field} contains a control character"}]
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
