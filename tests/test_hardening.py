"""Issue 13's red-team findings, one end-to-end test per defect, against real `rag serve` processes and
the real CLI on loopback. Numbers in the test names follow the issue."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import RAG, ROOT, SEEDS, rag_env
from tests.serving import CLIENT, RagServer

pytestmark = [pytest.mark.server, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "s3cret-pass"


def client(url, **kwargs):
    from gradio_client import Client

    return Client(url, **CLIENT, **kwargs)


def http(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, body text) of one request; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def call_ask(url: str, raw: str) -> str:
    """The event stream of one raw `/gradio_api/call/ask` request (`raw` is the JSON body)."""
    status, body = http(url + "/gradio_api/call/ask", raw.encode(), {"Content-Type": "application/json"})
    assert status == 200, body
    return http(url + "/gradio_api/call/ask/" + json.loads(body)["event_id"])[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("hardening")
    shutil.copytree(SEEDS, root / "corpus")
    stale = Path(tempfile.gettempdir()) / f"rag-news-{os.getuid()}" / "gradio-999999999"
    (stale / "upload").mkdir(parents=True, exist_ok=True)  # left by a server that is gone
    server = RagServer(root, root / "corpus", "--read-only")  # readers may not add articles here
    try:
        server.wait_ready()
        server.stale = stale
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hardening-auth")
    shutil.copytree(SEEDS, root / "corpus")
    server = RagServer(root, root / "corpus", "--auth", f"reader:{PASSWORD}").wait_ready(status_ok=(200, 401))
    try:
        yield server
    finally:
        server.stop()


def test_1_oversized_history_is_refused_and_a_normal_question_stays_fast(served):
    """Four clients send oversized histories (8 MB, refused by size; 900 KB, refused by the history
    bound) while a fifth asks normal questions: p95 <= 2 s, server RSS < 1.5 GB throughout."""
    from gradio_client.exceptions import AppError

    proc = psutil.Process(served.proc.pid)
    normal = client(served.url)
    normal.predict("Who is Mao Ning?", api_name="/ask")  # warm
    stop, refused, leaks, rss = threading.Event(), [], [], []

    def attack(i):
        c = client(served.url)
        history = [["user", "Kim " * (2_000_000 if i % 2 else 225_000)], ["assistant", "x"]]
        while not stop.is_set():
            try:
                c.predict("And then?", history, None, None, api_name="/ask")
                leaks.append(i)
            except AppError as exc:
                refused.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - the 8 MB request is cut off with 413
                refused.append(repr(exc))

    attackers = [threading.Thread(target=attack, args=(i,)) for i in range(4)]
    for t in attackers:
        t.start()
    latencies = []
    try:
        time.sleep(1)
        for n in range(40):
            t0 = time.perf_counter()
            answer = normal.predict(["Who is Mao Ning?", "What was Mike Pompeo planning?"][n % 2], api_name="/ask")
            latencies.append((time.perf_counter() - t0) * 1000)
            assert answer["citations"]
            rss.append(proc.memory_info().rss)
    finally:
        stop.set()
        for t in attackers:
            t.join(60)
    lat = sorted(latencies)
    figures = {"normal_questions": len(lat), "p50_ms": round(statistics.median(lat), 1),
               "p95_ms": round(lat[int(0.95 * len(lat)) - 1], 1), "max_ms": round(lat[-1], 1),
               "oversized_requests_refused": len(refused), "rss_peak_mb": round(max(rss) / 2**20, 1)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "history_dos.json").write_text(json.dumps(figures, indent=2))
    print("\nhistory DoS:", figures)
    assert not leaks and len(refused) >= 4
    assert any("history message 1 is 900,000 characters" in r.lower() for r in refused), refused[:3]
    assert figures["p95_ms"] <= 2000, figures
    assert max(rss) < 1.5 * 2**30, figures


def test_2_upload_route_is_closed_when_read_only_and_temp_folders_are_cleaned(served):
    status, body = http(served.url + "/gradio_api/upload", b"--x\r\n", {"Content-Type": "multipart/form-data; boundary=x"},
                        method="POST")
    assert status == 404 and "not enabled" in body
    config = json.loads(http(served.url + "/config")[1])
    assert config["max_file_size"] == 1_000_000
    assert "Add articles" not in json.dumps(config)  # no upload panel either
    assert not served.stale.exists()  # cleaned at start
    own = Path(tempfile.gettempdir()) / f"rag-news-{os.getuid()}" / f"gradio-{served.proc.pid}"
    served.stop()  # SIGTERM: the server removes its own temp folder on the way out
    assert not own.exists()
    served.proc = subprocess.Popen([*RAG, "serve", "--port", str(served.port), "--corpus", str(served.root / "corpus"),
                                    "--index", str(served.root / "index"), "--read-only"], env=rag_env(),
                                   stdout=open(served.log, "a"), stderr=subprocess.STDOUT, cwd=served.root)
    served.wait_ready()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root to bind-mount read-only")
def test_4_a_read_only_index_answers_and_says_why_it_cannot_update(tmp_path):
    corpus, index, ro = tmp_path / "corpus", tmp_path / "index", tmp_path / "ro"
    shutil.copytree(SEEDS, corpus)
    ro.mkdir()
    assert subprocess.run([*RAG, "index", "--corpus", corpus, "--index", index], env=rag_env(),
                          capture_output=True, timeout=300).returncode == 0
    py = f"{RAG[0]} -m rag.cli"
    script = f"""set -u
mount --bind {index} {ro} && mount -o remount,bind,ro {ro} || exit 99
touch {ro}/probe 2>/dev/null && exit 98
{py} ask "Who is Mao Ning?" --corpus {corpus} --index {ro} --json > {tmp_path}/ask.json 2> {tmp_path}/ask.err; echo "ask=$?"
{py} index --corpus {corpus} --index {ro} > /dev/null 2> {tmp_path}/index.err; echo "index=$?"
printf 'Border trade\\n\\nTrucks crossed the bridge at Dandong on Tuesday.\\n' > {corpus}/new.txt
{py} ask "Who is Mao Ning?" --corpus {corpus} --index {ro} --json > {tmp_path}/stale.json 2> {tmp_path}/stale.err; echo "stale=$?"
{py} index --corpus {corpus} --index {ro} > /dev/null 2> {tmp_path}/update.err; echo "update=$?"
"""
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], env=rag_env(),
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode == 99:
        pytest.skip("this machine cannot bind-mount read-only")
    assert result.stdout.split() == ["ask=0", "index=0", "stale=0", "update=1"], (result.stdout, result.stderr)
    assert "Mao Ning" in json.loads((tmp_path / "ask.json").read_text())["answer"]
    assert "Mao Ning" in json.loads((tmp_path / "stale.json").read_text())["answer"]
    stale_err, update_err = (tmp_path / "stale.err").read_text(), (tmp_path / "update.err").read_text()
    assert "cannot be written (Read-only file system)" in stale_err and "as it was built" in stale_err
    assert "error: the index at" in update_err and "Read-only file system" in update_err
    assert "Traceback" not in stale_err + update_err + (tmp_path / "ask.err").read_text()


@pytest.mark.parametrize("raw, message", [
    ('{"data": ["Who is Mao Ning?", null, null, "abc"]}', "top_k must be a whole number between 1 and 50"),
    ('{"data": ["Who is Mao Ning?", null, null, NaN]}', "top_k must be a whole number between 1 and 50"),
    ('{"data": ["Who is Mao Ning?", null, null, [1, 2]]}', "top_k must be a whole number between 1 and 50"),
    ('{"data": ["Who is Mao Ning?", null, ["llm"], null]}', "known modes: extractive, llm"),
    ('{"data": ["Who is \\ud800 Mao Ning?", null, null, null]}', "not valid text"),
    ('{"data": []}', "The question is empty"),
])
def test_5_bad_values_get_plain_messages(served, raw, message):
    events = call_ask(served.url, raw)
    assert "event: error" in events and message in events and '"error": null' not in events
    assert "Traceback" not in served.output()


def test_5_short_api_calls_use_the_defaults(served):
    events = call_ask(served.url, '{"data": ["Who is Mao Ning?"]}')
    assert "event: complete" in events and "Mao Ning" in events


def test_5_cli_question_with_invalid_utf8_exits_2(tmp_path):
    result = subprocess.run([*RAG, "ask", b"Who is \xff\xfe?", "--index", tmp_path / "none"], env=rag_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not valid text" in result.stderr and "Traceback" not in result.stderr


def test_6_clients_see_no_server_paths_urls_or_foreign_hosts(served, tmp_path):
    answer = client(served.url).predict("Who is Mao Ning?", api_name="/ask")
    assert all(not Path(c["source"]).is_absolute() for c in answer["citations"])
    assert str(served.root) not in json.dumps(answer)
    status, body = http(served.url + "/config", headers={"Host": "rebind.attacker.example"})
    assert status == 400 and "unknown host" in body
    assert http(served.url + "/config", headers={"Host": f"localhost:{served.port}"})[0] == 200
    manifest = served.root / "index" / "manifest.json"
    manifest.rename(tmp_path / "manifest.json")  # the index goes missing under the running server
    try:
        events = call_ask(served.url, '{"data": ["Who is Mao Ning?"]}')
    finally:
        (tmp_path / "manifest.json").rename(manifest)
    assert "The article index is not ready: No index at" in events and str(served.root) not in events


def test_7_every_route_but_the_login_form_needs_a_session(guarded):
    for route, method in [("/config", "GET"), ("/gradio_api/info", "GET"), ("/openapi.json", "GET"),
                          ("/gradio_api/openapi.json", "GET"), ("/gradio_api/heartbeat/abc", "GET"),
                          ("/gradio_api/app_id", "GET"), ("/gradio_api/cancel", "POST"),
                          ("/gradio_api/call/ask", "POST"), ("/gradio_api/queue/join", "POST"),
                          ("/monitoring", "GET"), ("/gradio_api/token", "GET")]:
        status, _ = http(guarded.url + route, b"{}" if method == "POST" else None,
                         {"Content-Type": "application/json"}, method)
        assert status == 401, route
    status, page = http(guarded.url + "/")
    assert status == 200 and "/ask" not in page and "named_endpoints" in page  # the login form, no API schema
    authed = client(guarded.url, auth=("reader", PASSWORD))
    assert "Mao Ning" in authed.predict("Who is Mao Ning?", api_name="/ask")["answer"]


def test_9_a_session_keeps_no_oversized_question():
    from rag.config import Settings
    from rag.errors import BadInput
    from ui.app import MAX_SESSION_TURNS, ChatApp

    class Refusing:
        settings = Settings()
        asked = 0

        def stream(self, question, **_):
            Refusing.asked += 1
            raise BadInput("the question is too long")
            yield  # pragma: no cover

    app, turns = ChatApp(Refusing()), []
    for _ in range(MAX_SESSION_TURNS + 5):
        turns = list(app.respond("x" * 10_000_000, turns, None, 5, True))[-1][1]
    assert len(turns) == MAX_SESSION_TURNS
    assert max(len(t["question"]) for t in turns) <= 300 and turns[-1]["length"] == 10_000_000
    chat = list(app.retry(turns, None, 5, True))[-1][0]
    assert Refusing.asked == MAX_SESSION_TURNS + 5  # a question kept only in part is not asked again
    assert "10,000,000 characters" in chat[-2]["content"]


def test_3_failed_logins_are_throttled(guarded):
    """Last in the file: it locks 127.0.0.1 out of the shared --auth server for 30 s."""
    form = "username=reader&password={}".format
    codes = [http(guarded.url + "/login", form(f"wrong-{i}").encode(),
                  {"Content-Type": "application/x-www-form-urlencoded"})[0] for i in range(6)]
    assert codes == [400] * 5 + [429]
    right = http(guarded.url + "/login", form(PASSWORD).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert right[0] == 429 and "try again in" in right[1]  # locked out, even with the right password
    log = guarded.output()
    assert "failed login from 127.0.0.1; locked out for 30 s" in log
    assert "wrong-" not in log and PASSWORD not in log
