"""HTTP guards in front of the Gradio app, as one ASGI middleware that Gradio's own FastAPI app runs.

It checks the Host header (DNS rebinding), caps the request size (a larger cap for the upload route
when readers may add articles, closed otherwise),
asks for a session on every route but the login form and static files under `--auth`, and
throttles failed logins per client. It holds no answering logic; `LoginThrottle` and
`allowed_host` are pure and tested on their own.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

log = logging.getLogger("rag.ui")

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# What the login form itself needs before anyone has a session (the page, its scripts, styles and icons).
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")
PUBLIC_PATHS = {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css",
                "/gradio_api/startup-events",  # Gradio calls it on itself once at launch; it returns true
                "/manifest.json", "/robots.txt"}
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload_progress")


def host_name(header: str) -> str:
    """The host part of a Host header, lower case: host_name("[::1]:7860") -> "::1"; host_name("Ex.com") -> "ex.com" """
    try:
        return (urlsplit("//" + header.strip()).hostname or "").lower()
    except ValueError:
        return ""


def allowed_host(header: str, allowed: frozenset[str]) -> bool:
    """Whether a request's Host header names this server: allowed_host("localhost:7860", {"localhost"}) -> True.
    "*" allows any host; an entry ".example.org" allows that domain and its subdomains."""
    if "*" in allowed:
        return True
    name = host_name(header)
    return bool(name) and (name in allowed or any(a.startswith(".") and (name == a[1:] or name.endswith(a))
                                                  for a in allowed))


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0


class LoginThrottle:
    """Failed logins per client: after `max_failures` within `window` seconds the client is locked out
    for `lockout` seconds, doubling with each further lockout up to `max_lockout`. A success clears it.

    >>> t = LoginThrottle(max_failures=2, lockout=10, clock=lambda: 0.0)
    >>> t.failed("ip"), t.failed("ip"), t.wait("ip")
    (0.0, 10.0, 10.0)
    """

    def __init__(self, max_failures: int = 5, window: float = 300.0, lockout: float = 30.0,
                 max_lockout: float = 900.0, clock=time.monotonic, max_clients: int = 10_000):
        self.max_failures, self.window, self.lockout, self.max_lockout = max_failures, window, lockout, max_lockout
        self.clock, self.max_clients = clock, max_clients
        self._clients: dict[str, _Record] = {}

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next login attempt counts (0 = go ahead)."""
        record = self._clients.get(client)
        return max(0.0, record.locked_until - self.clock()) if record else 0.0

    def failed(self, client: str) -> float:
        """Record a failed login; returns the lockout it starts (0 when none)."""
        now = self.clock()
        if client not in self._clients and len(self._clients) >= self.max_clients:
            self._clients.pop(next(iter(self._clients)))  # bounded memory: forget the oldest client
        record = self._clients.setdefault(client, _Record())
        record.failures = [t for t in record.failures if now - t < self.window] + [now]
        if len(record.failures) < self.max_failures:
            return 0.0
        seconds = min(self.lockout * 2 ** record.lockouts, self.max_lockout)
        record.failures, record.locked_until, record.lockouts = [], now + seconds, record.lockouts + 1
        return seconds

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)


async def _reply(send, status: int, message: str, headers: tuple = ()) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;\s*</script>", re.S)
NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'


def without_api_info(send):
    """An ASGI `send` that removes the API schema from a page (the login form needs none of it)."""
    start, chunks = None, []

    async def filtered(message):
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            return await send(message)
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = _API_INFO.sub(NO_API_INFO, b"".join(chunks))
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return filtered


def api_name(path: str) -> str | None:
    """The named API a call goes to: api_name("/gradio_api/call/ask") -> "ask"; api_name("/config") -> None"""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "gradio_api" and parts[1] in ("call", "run", "api"):
        return parts[2]
    if len(parts) == 4 and parts[:3] == ["gradio_api", "call", "v2"]:
        return parts[3]
    return None


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def has_session(app, headers: dict[str, str]) -> bool:
    """Whether the request carries a token Gradio issued at login (its cookie, its token table)."""
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply no session
        return False
    tokens = getattr(app, "tokens", {})
    cookie_id = getattr(app, "cookie_id", "")
    return any(name in cookies and cookies[name].value in tokens
               for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"))


class Guard:
    """Pure ASGI middleware; Gradio's FastAPI app is `scope["app"]` (its `auth`, `tokens`, `cookie_id`)."""

    def __init__(self, app, allowed_hosts: frozenset[str], max_body: int, uploads: bool = False,
                 throttle: LoginThrottle | None = None, api_arity: dict[str, int] | None = None,
                 max_upload: int = 0):
        self.app, self.allowed_hosts, self.max_body, self.uploads = app, allowed_hosts, max_body, uploads
        self.max_upload = max(max_upload, max_body)  # the body limit of the upload route, when it is open
        self.throttle = throttle or LoginThrottle()
        self.api_arity = api_arity or {}  # named API -> how many values it takes (missing ones become null)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers, path = _headers(scope), scope.get("path", "")
        if not allowed_host(headers.get("host", ""), self.allowed_hosts):
            log.warning("refused a request for host %r (not in the allowed hosts; see --allowed-hosts)",
                        headers.get("host", "")[:100])
            return await self._refuse(scope, send, 400, "unknown host: this server does not answer to that name")
        if not self.uploads and path.rstrip("/").endswith(UPLOAD_PATHS):
            return await self._refuse(scope, send, 404, "file uploads are not enabled on this server")
        if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            length = headers.get("content-length")
            limit = self.max_upload if path.rstrip("/").endswith(UPLOAD_PATHS) else self.max_body
            if length is None and "transfer-encoding" in headers:
                return await _reply(send, 411, "send a Content-Length header")
            if length is not None and (not length.isdigit() or int(length) > limit):
                return await _reply(send, 413, f"the request is larger than {limit:,} bytes")
        app = scope.get("app")
        if getattr(app, "auth", None) is not None and not has_session(app, headers):
            if not self._public(scope, path):
                return await self._refuse(scope, send, 401, "not logged in")
            if path == "/":  # Gradio writes the API's schema into the login page too
                return await self.app(scope, receive, without_api_info(send))
        if scope["type"] == "http" and path.rstrip("/") == "/login" and scope.get("method") == "POST":
            return await self._login(scope, receive, send)
        api = api_name(path)
        if api in self.api_arity and scope.get("method") == "POST":
            scope, receive = await self._pad_values(scope, receive, self.api_arity[api])
        return await self.app(scope, receive, send)

    async def _pad_values(self, scope, receive, arity: int):
        """Fill a named API call's missing trailing values with null, so `{"data": ["question"]}` uses the
        defaults: Gradio refuses short calls with an error it hides from the client ({"error": null})."""
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            payload = json.loads(body)
            values = payload["data"]
            if isinstance(values, list) and len(values) < arity:
                payload["data"] = values + [None] * (arity - len(values))
                body = json.dumps(payload).encode()
        except (ValueError, KeyError, TypeError):
            pass  # Gradio answers a malformed call itself
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return scope, replay

    @staticmethod
    def _public(scope, path: str) -> bool:
        if scope["type"] != "http":
            return False
        if path == "/":
            return scope.get("method") in ("GET", "HEAD")  # the login form; Gradio leaves the app config out
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    async def _refuse(self, scope, send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _reply(send, status, message)

    async def _login(self, scope, receive, send) -> None:
        client = (scope.get("client") or ("?",))[0]
        wait = self.throttle.wait(client)
        if wait > 0:
            return await _reply(send, 429, f"too many failed logins: try again in {wait:.0f} s",
                                ((b"retry-after", str(int(wait) + 1).encode()),))
        status = {}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") == 200:
            self.throttle.succeeded(client)
        elif status.get("code") in (400, 401):
            lockout = self.throttle.failed(client)
            # Never the password, and not the user name either: it is often a mistyped password.
            log.warning("failed login from %s%s", client,
                        f"; locked out for {lockout:.0f} s" if lockout else "")
