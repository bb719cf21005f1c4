"""LLM mode against a scripted OpenAI-compatible server on loopback: what the user sees through
`Assistant.ask`/`stream` and through `rag ask --mode llm --json`, for good answers, bad citations,
refusals, odd markers and every server failure; plus follow-up condensing and the API key's secrecy."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.conftest import RAG, ROOT, SEEDS, rag_env
from tests.fake_llm import FakeLLM, Reply, Request
from rag.answer import ABSTAIN_TEXT, Answer
from rag.retrieve import Evidence
from rag.config import Settings
from rag.errors import ConfigError, LLMError
from rag.prompt import CONDENSE_PROMPT

KEY = "sk-test-SECRET-123"
QUESTION = "What did Xi say in his letter to Kim?"
UNITY = "enhance communication, unity and cooperation"  # in the Reuters article (003)
SOUNDNESS = "sustainable soundness and stable development"  # in the NK News article (004)
FALLBACK = "; this is the offline extractive answer."


# -- helpers ---------------------------------------------------------------------------------------
def passages(request: Request) -> dict[int, str]:
    """The numbered passages of an answer prompt, as the model would read them."""
    return {int(n): body for n, body in re.findall(r"<<<PASSAGE (\d+)>>>\n(.*?)\n<<<END PASSAGE", request.last_user, re.S)}


def cite(request: Request, needle: str) -> int:
    return next(n for n, body in passages(request).items() if needle in body)


def doc_of(request: Request, n: int, assistant) -> str:
    """The doc id behind passage n (its title line names the article)."""
    title = passages(request)[n].splitlines()[0].removeprefix("Title: ")
    return next(d for d, t in assistant.titles().items() if t == title)


def good_reply(request: Request) -> str:
    return (f"Xi hoped relations would pursue sustainable soundness and stable development [{cite(request, SOUNDNESS)}]. "
            f"Xi Jinping said Beijing and Pyongyang should enhance communication, unity and cooperation "
            f"[{cite(request, UNITY)}].")


def llm_settings(seeds_assistant, url: str, **changes) -> Settings:
    defaults = {"mode": "llm", "llm_base_url": url, "llm_model": "fake", "llm_api_key": KEY, "llm_timeout": 2.0}
    return seeds_assistant.settings.replace(**{**defaults, **changes})


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def make_assistant(seeds_assistant, embedder, fake):
    """An LLM-mode assistant over the already-built seeds index, talking to the fake server."""
    from rag import build_assistant

    def make(url: str | None = None, **changes):
        return build_assistant(llm_settings(seeds_assistant, url or fake.url, **changes), embedder=embedder)

    return make


def run_cli(seeds_assistant, url: str, question: str = QUESTION, *extra: str, **env: str):
    """`rag ask --mode llm` in a subprocess, configured only through RAG_* variables."""
    variables = {"RAG_LLM_BASE_URL": url, "RAG_LLM_MODEL": "fake", "RAG_LLM_API_KEY": KEY, "RAG_LLM_TIMEOUT": "2",
                 **env}
    return subprocess.run([*RAG, "ask", "--mode", "llm", "--corpus", str(SEEDS), "--index",
                           seeds_assistant.settings.index_dir, *extra, question],
                          env=rag_env(**variables), capture_output=True, text=True, timeout=300, cwd=ROOT)


# -- what the user sees, case by case (the same checks for Assistant.ask and the CLI's JSON) ---------
@dataclass(frozen=True)
class Case:
    name: str
    reply: Callable[[Request], Reply | str]
    check: Callable[[dict, str], None]  # (answer JSON, server URL)


def check_good(out: dict, url: str) -> None:
    assert (out["mode"], out["abstained"], out["supported"], out["notice"]) == ("llm", False, True, "")
    assert [c["n"] for c in out["citations"]] == [1, 2]  # renumbered in order of first use
    assert SOUNDNESS in out["citations"][0]["quote"] and UNITY in out["citations"][1]["quote"]
    assert [c["doc_id"][:3] for c in out["citations"]] == ["004", "003"]
    assert [(v["reason"], v["markers"]) for v in out["verdicts"]] == [("ok", [1]), ("ok", [2])]
    assert re.findall(r"\[[^\]]*\d[^\]]*\]", out["answer"]) == ["[1]", "[2]"]
    for c in out["citations"]:  # every citation is an exact span of the original article
        assert (SEEDS / c["source"]).read_text(encoding="utf-8")[c["start"]:c["end"]] == c["quote"]


def check_missing_number(out: dict, url: str) -> None:
    assert (out["mode"], out["abstained"], out["supported"]) == ("llm", False, False)
    assert [(v["reason"], v["markers"]) for v in out["verdicts"]] == [("ok", [1]), ("no citation", [])]
    assert [c["n"] for c in out["citations"]] == [1]
    assert out["answer"].endswith("[1] Xi also promised to visit Pyongyang next spring.")


def check_unsupported(out: dict, url: str) -> None:
    assert (out["mode"], out["abstained"], out["supported"]) == ("llm", False, False)
    first, second = out["verdicts"]
    assert first["supported"] and first["reason"] == "ok"
    assert (second["supported"], second["reason"]) == (False, "number 500 not in the source") and second["score"] < 0.5
    assert "500 tonnes of rice" in out["answer"]  # shown, and flagged by its verdict


def check_refusal(out: dict, url: str) -> None:
    assert (out["mode"], out["abstained"], out["answer"], out["citations"], out["notice"]) == (
        "llm", True, ABSTAIN_TEXT, [], "")


def check_markers(out: dict, url: str) -> None:
    assert (out["mode"], out["abstained"], out["supported"]) == ("llm", False, True)
    assert [v["markers"] for v in out["verdicts"]] == [[1], [2, 3], [4]]
    assert "【" not in out["answer"] and "[ " not in out["answer"] and "," not in "".join(
        re.findall(r"\[[^\]]*\]", out["answer"]))
    assert [c["n"] for c in out["citations"]] == [1, 2, 3, 4]


def failure(expected: str) -> Callable[[dict, str], None]:
    def check(out: dict, url: str) -> None:
        assert (out["mode"], out["abstained"]) == ("extractive", False)
        assert out["citations"] and out["verdicts"]  # the offline answer, with its own citations
        assert out["notice"] == f"The LLM failed ({expected.format(url=url)})" + FALLBACK
        assert KEY not in json.dumps(out) and url.split("//")[1] not in json.dumps(out)  # no internal URL
    return check


CASES = [
    Case("good", good_reply, check_good),
    Case("missing-number", lambda r: f"Xi Jinping said Beijing and Pyongyang should enhance communication, unity "
                                     f"and cooperation [{cite(r, UNITY)}]. Xi also promised to visit Pyongyang "
                                     f"next spring [{len(passages(r)) + 3}].", check_missing_number),
    Case("unsupported", lambda r: f"Xi Jinping said Beijing and Pyongyang should enhance communication, unity and "
                                  f"cooperation [{cite(r, UNITY)}]. Xi Jinping promised Kim Jong Un 500 tonnes of "
                                  f"rice [{cite(r, UNITY)}].", check_unsupported),
    Case("refusal", lambda r: "The articles don't say.", check_refusal),
    Case("malformed-markers", lambda r: (
        f"Xi Jinping said Beijing and Pyongyang should enhance communication, unity and cooperation "
        f"【{cite(r, UNITY)}】. Xi hoped relations would pursue sustainable soundness and stable development "
        f"[{cite(r, SOUNDNESS)},{cite(r, UNITY)}]. The letter was in response to congratulations Kim sent for the "
        f"congress [ {cite(r, 'in response to congratulations')} ]."), check_markers),
    Case("500", lambda r: Reply("model crashed", status=500), failure(
        "the LLM server returned 500 Internal Server Error (model crashed): the server failed; try again later")),
    Case("timeout", lambda r: Reply("too late", delay=6), failure(
        "the LLM server did not answer within 2 s (llm_timeout)")),
    Case("401", lambda r: Reply("invalid key", status=401, echo_auth=True), failure(
        "the LLM server returned 401 Unauthorized (invalid key (you sent Bearer ***)): check RAG_LLM_API_KEY")),
    Case("429", lambda r: Reply("slow down", status=429), failure(
        "the LLM server returned 429 Too Many Requests (slow down): the server is rate-limiting requests; "
        "wait a moment and ask again")),
    Case("malformed-json", lambda r: Reply("Xi said", malformed=True), failure(
        "the LLM server sent malformed output (JSONDecodeError: Expecting value: line 1 column 36 (char 35))")),
    Case("empty", lambda r: Reply(""), failure("the LLM server sent an empty answer")),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_assistant_ask(case, fake, make_assistant):
    fake.responder = case.reply
    started = time.perf_counter()
    out = make_assistant().ask(QUESTION).to_json()
    case.check(out, fake.url)
    assert len(fake.requests) == 1 and fake.requests[0].body["stream"] is True
    assert time.perf_counter() - started < 10  # a hung server costs llm_timeout, not more (no retries)


CLI_CASES = [c for c in CASES if c.name not in ("429", "malformed-json", "empty")]  # each run costs ~10 s


@pytest.mark.slow
@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.name)
def test_cli_ask_json(case, fake, seeds_assistant):
    fake.responder = case.reply
    proc = run_cli(seeds_assistant, fake.url, QUESTION, "--json")
    assert proc.returncode == 0, proc.stderr
    case.check(json.loads(proc.stdout), fake.url)
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_unreachable_server(make_assistant, free_port, seeds_assistant):
    url = f"http://127.0.0.1:{free_port}/v1"
    expected = "cannot reach the LLM server: is it running? Check RAG_LLM_BASE_URL"
    failure(expected)(make_assistant(url).ask(QUESTION).to_json(), url)
    proc = run_cli(seeds_assistant, url, QUESTION, "--json")
    failure(expected)(json.loads(proc.stdout), url)


@pytest.mark.slow
def test_fallback_error_raises_a_clear_message(fake, make_assistant, seeds_assistant):
    fake.responder = lambda r: Reply("model crashed", status=500)
    with pytest.raises(LLMError) as err:
        make_assistant(llm_fallback="error").ask(QUESTION)
    message = "the LLM server returned 500 Internal Server Error (model crashed): the server failed; try again later"
    assert str(err.value) == message
    proc = run_cli(seeds_assistant, fake.url, QUESTION, RAG_LLM_FALLBACK="error")
    assert (proc.returncode, proc.stdout, proc.stderr.splitlines()[-1]) == (1, "", f"error: {message}")


@pytest.mark.slow
def test_cli_text_output_labels_the_offline_answer(fake, seeds_assistant):
    fake.responder = lambda r: Reply("model crashed", status=500)
    proc = run_cli(seeds_assistant, fake.url, QUESTION)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("note: The LLM failed (the LLM server returned 500") and first.endswith(FALLBACK)


# -- retrieval that finds nothing never reaches the model -------------------------------------------
@pytest.mark.slow
def test_nothing_relevant_abstains_without_calling_the_llm(fake, make_assistant):
    answer = make_assistant().ask("What is the best recipe for banana bread?")
    assert (answer.abstained, answer.text, answer.mode, fake.requests) == (True, ABSTAIN_TEXT, "llm", [])


# -- streaming ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_stream_yields_growing_text_then_the_checked_answer(fake, make_assistant):
    fake.responder = good_reply
    events = list(make_assistant().stream(QUESTION))
    texts, final = events[:-1], events[-1]
    assert len(texts) >= 5 and all(isinstance(t, str) for t in texts) and isinstance(final, Answer)
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:]))  # each event extends the last
    assert texts[-1] == good_reply(fake.requests[0])  # the raw model text, markers as the model wrote them
    check_good(final.to_json(), fake.url)
    assert final.timings_ms["llm"] > 0


@pytest.mark.slow
def test_stream_broken_midway_ends_with_the_labelled_offline_answer(fake, make_assistant):
    fake.responder = lambda r: Reply("Xi Jinping said many things about the letter", malformed=True)
    events = list(make_assistant().stream(QUESTION))
    assert [e for e in events if isinstance(e, str)][-1] == "Xi Jinping said many things about the letter"
    assert events[-1].mode == "extractive" and events[-1].notice.endswith(FALLBACK)


@pytest.mark.slow
def test_answer_without_streaming(fake, make_assistant):
    fake.responder = good_reply
    assistant = make_assistant()
    retriever = assistant.retriever
    hits = retriever.retrieve(QUESTION)
    evidence = Evidence(retriever.df, len(retriever.chunks), retriever.manifest["documents"])
    answer = assistant.answerer("llm").answer(QUESTION, QUESTION, hits, evidence)
    assert "stream" not in fake.requests[0].body or fake.requests[0].body["stream"] is False
    check_good(answer.to_json(), fake.url)


# -- follow-ups -----------------------------------------------------------------------------------
HISTORY = [("user", QUESTION), ("assistant", "Xi called for more communication, unity and cooperation. [1]")]
CONDENSED = "What did Kim Jong Un send to Xi Jinping before the party congress?"


@pytest.mark.slow
def test_follow_up_is_condensed_by_the_llm_and_retrieval_uses_it(fake, make_assistant):
    fake.responder = lambda r: CONDENSED if r.system == CONDENSE_PROMPT else good_reply(r)
    assistant = make_assistant()
    answer = assistant.ask("What did he get from Kim?", history=HISTORY)
    condense, ask = fake.requests
    assert condense.system == CONDENSE_PROMPT and condense.body.get("stream") in (None, False)
    assert "Follow-up question: What did he get from Kim?" in condense.last_user
    assert "User: " + QUESTION in condense.last_user
    assert (answer.question, answer.query) == ("What did he get from Kim?", CONDENSED)
    hits = assistant.retriever.retrieve(CONDENSED)
    assert answer.retrieved == tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
    assert [m["role"] for m in ask.messages] == ["system", "user", "assistant", "user"]
    assert ask.messages[2]["content"] == "Xi called for more communication, unity and cooperation."
    assert f"Question: What did he get from Kim?\n(Stand-alone form of the question: {CONDENSED})" in ask.last_user
    assert answer.mode == "llm" and not answer.abstained


@pytest.mark.slow
def test_failed_condense_falls_back_offline_and_skips_the_answer_call(fake, make_assistant):
    from rag.chat import condense_question

    fake.responder = lambda r: Reply("model crashed", status=500)
    answer = make_assistant().ask("What did he get from Kim?", history=HISTORY)
    assert len(fake.requests) == 1 and fake.requests[0].system == CONDENSE_PROMPT
    assert answer.query == condense_question("What did he get from Kim?", HISTORY)
    assert answer.mode == "extractive" and "returned 500 Internal Server Error" in answer.notice


# -- the API key -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_key_is_sent_but_never_shown(fake, make_assistant, seeds_assistant, caplog):
    caplog.set_level(logging.DEBUG)
    fake.responder = lambda r: Reply("invalid key", status=401, echo_auth=True)
    assistant = make_assistant(llm_fallback="error")
    with pytest.raises(LLMError) as err:
        assistant.ask(QUESTION)
    assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    shown = [str(err.value), repr(err.value), "".join(traceback.format_exception(err.value)), caplog.text,
             repr(assistant.settings), repr(assistant.answerer("llm")), repr(assistant.answerer("llm").llm)]
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert all(KEY not in text for text in shown)
    assert "Bearer ***" in str(err.value)
    proc = run_cli(seeds_assistant, fake.url, QUESTION, "--json", RAG_LLM_FALLBACK="error")
    assert proc.returncode == 1 and "401 Unauthorized" in proc.stderr
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_openai_api_key_variable_is_the_fallback(fake, make_assistant, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    fake.responder = good_reply
    make_assistant(llm_api_key="").ask(QUESTION)
    assert fake.requests[0].headers["Authorization"] == "Bearer sk-from-env"


# -- Ollama ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ollama_provider(fake, make_assistant):
    fake.responder = good_reply
    assistant = make_assistant(fake.root, llm_provider="ollama", llm_api_key="")
    check_good(assistant.ask(QUESTION).to_json(), fake.root)
    assert fake.requests[0].path == "/api/chat" and fake.requests[0].body["model"] == "fake"
    fake.responder = lambda r: Reply("model 'fake' not found", status=404)
    answer = assistant.ask(QUESTION)
    assert answer.notice == ("The LLM failed (the LLM server returned 404 Not Found (model 'fake' not "
                             "found): check RAG_LLM_MODEL (ollama pull MODEL) and RAG_LLM_BASE_URL)" + FALLBACK)


# -- configuration (no server needed) ----------------------------------------------------------------
def test_unknown_provider_lists_the_known_ones():
    from rag.llm import build_chat_llm

    with pytest.raises(ConfigError, match=r"unknown llm_provider 'bogus'; known: ollama, openai"):
        build_chat_llm(Settings(llm_provider="bogus", llm_base_url="http://x/v1", llm_model="m"))


@pytest.mark.parametrize("settings", [Settings(llm_model="m"), Settings(llm_base_url="http://x/v1")])
def test_openai_provider_needs_a_url_and_a_model(settings):
    from rag.llm import build_chat_llm

    with pytest.raises(ConfigError, match="RAG_LLM_BASE_URL .* RAG_LLM_MODEL"):
        build_chat_llm(settings)


def test_ollama_defaults_to_the_local_server():
    from rag.llm import build_chat_llm

    llm = build_chat_llm(Settings(llm_provider="ollama", llm_model="llama3.2"))
    assert repr(llm) == "OllamaLLM(model='llama3.2', url='http://127.0.0.1:11434')"


def test_messages_never_show_credentials():
    from rag.config import shown_url
    from rag.llm import redact, status_message

    assert redact("Bearer sk-1 refused", "sk-1") == "Bearer *** refused"
    assert redact("no-key here", "no-key") == "no-key here"  # the placeholder is not a secret
    assert shown_url("http://user:pw@127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    assert status_message(503, "  busy\n now ", {}) == (
        "the LLM server returned 503 Service Unavailable (busy now): the server failed; try again later")
    # A server that echoes the Authorization header (Basic or Bearer) or a URL with credentials
    assert redact("you sent Basic dXNlcjpzZWNyZXQ= here", "") == "you sent Basic *** here"
    assert redact("you sent bearer sk-abcdef123", "") == "you sent bearer ***"
    assert redact("see http://user:secret@10.0.0.5/v1", "") == "see http://***@10.0.0.5/v1"


def test_llm_integrations_are_imported_lazily():
    code = ("import sys, rag.llm, rag.prompt; "
            "print([m for m in sys.modules if m.startswith(('llama_index.llms', 'openai', 'ollama'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


# -- rag eval --mode llm, end to end ----------------------------------------------------------------
def quoting_model(request: Request) -> str:
    """A stand-in model that answers with the passage sentence sharing most words with the question."""
    from rag.text import split_sentences
    from rag.text import tokenize

    question = set(tokenize(re.search(r"^Question: (.*)$", request.last_user, re.M).group(1)))
    best = max(((len(question & set(tokenize(body[s:e]))), -n, body[s:e])
                for n, text in passages(request).items() for body in [text.split("\n", 1)[1]]
                for s, e in split_sentences(body)), default=None)
    return f"{best[2]} [{-best[1]}]" if best else "The articles don't say."


@pytest.fixture(scope="module")
def eval_run(seeds_assistant, tmp_path_factory):
    """One `rag eval --mode llm` run on three bundled questions against the scripted server."""
    out = tmp_path_factory.mktemp("eval-llm")
    with FakeLLM(quoting_model) as server:
        proc = subprocess.run([*RAG, "eval", "--mode", "llm", "--limit", "3", "--out", str(out), "--corpus", str(SEEDS),
                               "--index", seeds_assistant.settings.index_dir],
                              env=rag_env(RAG_LLM_BASE_URL=server.url, RAG_LLM_MODEL="fake", RAG_LLM_API_KEY=KEY),
                              capture_output=True, text=True, timeout=600, cwd=ROOT)
        yield proc, out, list(server.requests)


@pytest.mark.slow
def test_eval_llm_mode_end_to_end(eval_run):
    proc, out, requests = eval_run
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert report["mode"] == "llm" and len(rows) == 3
    assert report["llm_fallbacks"] == [] and all(r["mode"] == "llm" and not r["notice"] for r in rows)
    assert len(requests) >= 3 and all(r.path == "/v1/chat/completions" for r in requests)
    answered = [r for r in rows if not r["abstained"]]
    assert answered and all(r["citations"] and r["supported"] for r in answered)
    assert all(all(r["span_valid"]) for r in answered)
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_eval_reports_never_contain_the_api_key(eval_run):
    proc, out, _requests = eval_run
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir() if p.is_file() and KEY in p.read_text(encoding="utf-8", errors="ignore")] == []


# -- the web app's /ask API in mode llm (a real `rag serve` process) ---------------------------------
@pytest.mark.slow
@pytest.mark.server
def test_web_app_answers_in_llm_mode(fake, seeds_assistant, tmp_path, free_port):
    if not (ROOT / "ui" / "app.py").exists():
        pytest.skip("the web app does not exist yet")
    from gradio_client import Client

    log = tmp_path / "serve.log"
    env = rag_env(RAG_LLM_BASE_URL=fake.url, RAG_LLM_MODEL="fake", RAG_LLM_API_KEY=KEY, RAG_LLM_TIMEOUT="2")
    with open(log, "w") as sink:
        proc = subprocess.Popen([*RAG, "serve", "--mode", "llm", "--port", str(free_port), "--corpus", str(SEEDS),
                                 "--index", seeds_assistant.settings.index_dir],
                                env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url, deadline = f"http://127.0.0.1:{free_port}", time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                client = Client(url, verbose=False, analytics_enabled=False)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
        fake.responder = good_reply
        check_good(client.predict(QUESTION, [], "llm", 5, api_name="/ask"), fake.url)
        fake.responder = lambda r: Reply("model crashed", status=500)
        failure("the LLM server returned 500 Internal Server Error (model crashed): the server failed; "
                "try again later")(client.predict(QUESTION, [], "llm", 5, api_name="/ask"), fake.url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert KEY not in log.read_text()


# -- bounds on every reply: an output-token limit, a deadline for the whole reply, loops cut short ---
OFFLINE = "The offline answer."


class OfflineAnswerer:
    """Stands in for the extractive answerer: never abstains, so every question reaches the model."""

    def answer(self, question, query, hits, evidence):
        return Answer(question, OFFLINE, False, True)


def chat_llm(url: str, provider: str = "openai", **changes):
    from rag.llm import build_chat_llm

    return build_chat_llm(Settings(llm_provider=provider, llm_base_url=url, llm_model="fake", **changes))


def llm_answerer(url: str, **changes):
    from rag.llm import LLMAnswerer

    return LLMAnswerer(Settings(**changes), chat_llm(url, **changes), OfflineAnswerer())


def ask_small(answerer, streaming: bool) -> list:
    """Events of one answer over the two small passages of test_prompt (text..., then the Answer)."""
    from tests.test_prompt import DOCS, HITS

    args = ("What did Xi write?", "What did Xi write?", HITS, Evidence({}, 2, DOCS))
    return list(answerer.stream(*args)) if streaming else [answerer.answer(*args)]


TRICKLE = Reply(" ".join(f"word{i}" for i in range(300)), piece_words=1, piece_delay=0.05)  # 15 s in all


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_every_request_carries_the_output_token_limit(fake, provider):
    fake.responder = lambda r: "Xi wrote to Kim [1]."
    llm = chat_llm(fake.url if provider == "openai" else fake.root, provider, llm_max_tokens=123)
    assert llm.complete([("user", "hi")]) == "Xi wrote to Kim [1]."
    assert "".join(llm.stream([("user", "hi")])) == "Xi wrote to Kim [1]."
    limits = [r.body["max_tokens"] if provider == "openai" else r.body["options"]["num_predict"] for r in fake.requests]
    assert limits == [123, 123] and Settings().llm_max_tokens == 400


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_a_stream_that_trickles_past_llm_timeout_is_cut_there(fake, provider):
    """Each piece arrives well within the client's read timeout; only the deadline ends the reply."""
    fake.responder = lambda r: TRICKLE
    llm, got, started = chat_llm(fake.url if provider == "openai" else fake.root, provider, llm_timeout=1.0), [], \
        time.perf_counter()
    with pytest.raises(LLMError, match=r"^the LLM did not finish its answer within 1 s \(llm_timeout\)$"):
        for piece in llm.stream([("user", "hi")]):
            got.append(piece)
    assert 1.0 <= time.perf_counter() - started < 2.0 and 5 < len(got) < 40


def test_a_reply_that_never_starts_ends_at_llm_timeout(fake):
    fake.responder = lambda r: Reply("too late", delay=5)
    started = time.perf_counter()
    with pytest.raises(LLMError, match=r"^the LLM server did not answer within 1 s \(llm_timeout\)$"):
        chat_llm(fake.url, llm_timeout=1.0).complete([("user", "hi")])
    assert time.perf_counter() - started < 2.0


def test_an_answer_past_llm_timeout_becomes_the_labelled_offline_answer(fake):
    fake.responder = lambda r: TRICKLE
    started = time.perf_counter()
    events = ask_small(llm_answerer(fake.url, llm_timeout=1.0), streaming=True)
    assert time.perf_counter() - started < 2.0 and events[-2].startswith("word0 word1")  # shown as it grew
    assert (events[-1].text, events[-1].notice) == (
        OFFLINE, "The LLM failed (the LLM did not finish its answer within 1 s (llm_timeout))" + FALLBACK)


@pytest.mark.parametrize("streaming", [True, False], ids=["streamed", "not-streamed"])
def test_a_looping_model_is_cut_at_its_first_repeat(fake, streaming):
    loop = "Xi Jinping wrote to Kim Jong Un in October [1]. The letter praised common prosperity [1]. " * 40
    fake.responder = lambda r: Reply(loop.strip(), piece_delay=0.02)  # 320 pieces: 6 s to read them all
    started = time.perf_counter()
    events = ask_small(llm_answerer(fake.url, llm_timeout=10.0), streaming)
    assert time.perf_counter() - started < (2.0 if streaming else 9.0)  # streamed: stops reading at the repeat
    final = events[-1]
    assert (final.mode, final.abstained, final.supported, final.notice) == ("llm", False, True, "")
    assert final.text == "Xi Jinping wrote to Kim Jong Un in October. [1] The letter praised common prosperity. [2]"


def test_cut_repetition():
    from rag.prompt import cut_repetition

    assert cut_repetition("Xi wrote [1]. Kim replied. Xi wrote [2]. Kim replied.") == "Xi wrote [1]. Kim replied."
    assert cut_repetition("Xi wrote [1]. Xi wrote back [2].") == "Xi wrote [1]. Xi wrote back [2]."
    assert cut_repetition("Kim replied [1]. Kim replied") == "Kim replied [1]. Kim replied"  # may go on differently
    assert cut_repetition("Kim replied [1]. Kim replied.") == "Kim replied [1]."


def test_a_condensed_query_that_echoes_the_instructions_is_not_used():
    """A base model continues the prompt: its "query" is the condense prompt, and the offline one is used."""
    from rag.prompt import clean_condensed

    assert clean_condensed(CONDENSE_PROMPT) == ""
    assert clean_condensed("Rewrite the user's follow-up question as one stand-alone search query") == ""
    assert clean_condensed("What did Mao Ning say about North Korea?") == "What did Mao Ning say about North Korea?"
