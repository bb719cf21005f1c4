"""The HTTP guard's pure parts (login throttle, Host check, API names) and the middleware itself,
driven in-process through Starlette's test client around a small app shaped like Gradio's."""

from __future__ import annotations

import pytest

from ui.guard import Guard, LoginThrottle, allowed_host, api_name, host_name


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_throttle_locks_out_after_repeated_failures_and_the_lockout_grows():
    clock = Clock()
    t = LoginThrottle(max_failures=3, window=60, lockout=10, max_lockout=25, clock=clock)
    assert [t.failed("a"), t.failed("a")] == [0.0, 0.0] and t.wait("a") == 0
    assert t.failed("a") == 10 and t.wait("a") == 10
    assert t.wait("b") == 0  # per client
    clock.now += 10
    assert t.wait("a") == 0
    assert [t.failed("a") for _ in range(3)] == [0.0, 0.0, 20.0]  # doubled
    clock.now += 20
    assert [t.failed("a") for _ in range(3)] == [0.0, 0.0, 25.0]  # capped
    t.succeeded("a")
    assert t.wait("a") == 0 and t.failed("a") == 0.0


def test_throttle_forgets_failures_outside_the_window_and_bounds_its_memory():
    clock = Clock()
    t = LoginThrottle(max_failures=2, window=60, lockout=10, clock=clock, max_clients=3)
    t.failed("a")
    clock.now += 61
    assert t.failed("a") == 0.0  # the first failure expired
    for ip in ("b", "c", "d", "e"):
        t.failed(ip)
    assert len(t._clients) == 3


@pytest.mark.parametrize("header, allowed", [
    ("127.0.0.1:7860", True), ("localhost", True), ("LOCALHOST:80", True), ("[::1]:7860", True),
    ("evil.example", False), ("127.0.0.1.evil.example:7860", False), ("", False), ("news.example.org", True),
    ("a.b.example.org", True), ("example.org.evil", False)])
def test_allowed_host(header, allowed):
    hosts = frozenset({"127.0.0.1", "localhost", "::1", "news.example.org", ".b.example.org"})
    assert allowed_host(header, hosts) is allowed
    assert allowed_host(header or "x", frozenset({"*"}))


def test_host_name_and_api_name():
    assert host_name("[::1]:7860") == "::1" and host_name("Ex.COM:1") == "ex.com" and host_name("[bad") == ""
    assert api_name("/gradio_api/call/ask") == "ask" and api_name("/gradio_api/call/v2/ask") == "ask"
    assert api_name("/gradio_api/run/ask/") == "ask" and api_name("/config") is None
    assert api_name("/gradio_api/queue/join") is None


# -- the middleware, in-process --------------------------------------------------------------------

def guarded_app(auth=None, **options):
    """A Starlette app with Gradio's attributes (auth, tokens, cookie_id) and routes of the same names."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    async def page(request):
        return HTMLResponse('<script>window.gradio_api_info = {"named_endpoints": {"/ask": {}}};</script><p>hi</p>')

    async def login(request):
        form = await request.form()
        if form.get("password") == "right":
            return JSONResponse({"success": True})
        return JSONResponse({"detail": "Incorrect credentials."}, status_code=400)

    async def echo(request):
        return JSONResponse(await request.json())

    async def info(request):
        return JSONResponse({"ok": True})

    routes = [Route("/", page), Route("/login", login, methods=["POST"]), Route("/config", info),
              Route("/gradio_api/call/ask", echo, methods=["POST"]), Route("/gradio_api/upload", info, methods=["POST"]),
              Route("/assets/app.js", info)]
    options = {"allowed_hosts": frozenset({"testserver", "127.0.0.1"}), "max_body": 1000, "api_arity": {"ask": 4},
               **options}
    app = Starlette(routes=routes, middleware=[Middleware(Guard, **options)])
    app.auth, app.tokens, app.cookie_id = auth, {"tok": "reader"}, "cid"
    return app


def client(app):
    from starlette.testclient import TestClient

    return TestClient(app)


def test_host_body_and_upload_checks():
    c = client(guarded_app())
    assert c.get("/config").status_code == 200
    assert c.get("/config", headers={"Host": "rebind.evil.example"}).status_code == 400
    assert c.post("/gradio_api/call/ask", content=b"x" * 1001, headers={"Content-Type": "application/json"}).status_code == 413
    assert c.post("/gradio_api/upload", content=b"x").status_code == 404
    assert client(guarded_app(uploads=True)).post("/gradio_api/upload", content=b"x").status_code == 200
    # Open for readers to add articles: the upload route has its own, larger cap; other routes keep theirs.
    uploads = client(guarded_app(uploads=True, max_upload=5000))
    assert uploads.post("/gradio_api/upload", content=b"x" * 3000).status_code == 200
    assert uploads.post("/gradio_api/upload", content=b"x" * 6000).status_code == 413
    assert uploads.post("/gradio_api/call/ask", content=b"x" * 3000,
                        headers={"Content-Type": "application/json"}).status_code == 413


def test_short_api_calls_are_padded_with_nulls():
    c = client(guarded_app())
    assert c.post("/gradio_api/call/ask", json={"data": ["q"]}).json() == {"data": ["q", None, None, None]}
    assert c.post("/gradio_api/call/ask", json={"data": ["q", 1, 2, 3, 4]}).json()["data"] == ["q", 1, 2, 3, 4]
    assert c.post("/gradio_api/call/ask", json={"data": {"question": "q"}}).json() == {"data": {"question": "q"}}


def test_every_route_but_the_login_form_needs_a_session_under_auth():
    c = client(guarded_app(auth={"reader": "right"}))
    assert c.get("/config").status_code == 401
    assert c.post("/gradio_api/call/ask", json={"data": ["q"]}).status_code == 401
    page = c.get("/")
    assert page.status_code == 200 and "/ask" not in page.text and "<p>hi</p>" in page.text
    assert c.get("/assets/app.js").status_code == 200
    c.cookies.set("access-token-cid", "tok")
    assert c.get("/config").status_code == 200 and "/ask" in c.get("/").text
    c.cookies.set("access-token-cid", "forged")
    assert c.get("/config").status_code == 401


def test_failed_logins_are_throttled_and_logged_without_the_password(caplog):
    c = client(guarded_app(auth={"reader": "right"}, throttle=LoginThrottle(max_failures=3, lockout=60)))
    codes = [c.post("/login", data={"username": "reader", "password": f"wrong-{i}"}).status_code for i in range(4)]
    assert codes == [400, 400, 400, 429]
    locked = c.post("/login", data={"username": "reader", "password": "right"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0  # even the right one waits
    assert "wrong-" not in caplog.text and "failed login from" in caplog.text and "locked out" in caplog.text
