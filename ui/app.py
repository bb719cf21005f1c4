"""The Gradio web app: `build_demo(assistant)` lays out the page, `serve(settings, ...)` runs it.

Answers come only from `Assistant.stream` / `Assistant.ask`; this module holds no retrieval or
scoring logic. It keeps each browser session's conversation, maps the library's errors to chat
messages, and exposes `/ask`, which returns the same JSON as `rag ask --json`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no phoning home
# A private temp folder per server process (gradio reads it at import), emptied at start and removed at exit.
TEMP_DIR = Path(tempfile.gettempdir()) / f"rag-news-{os.getuid()}" / f"gradio-{os.getpid()}"
os.environ.setdefault("GRADIO_TEMP_DIR", str(TEMP_DIR))

import gradio as gr  # noqa: E402

from rag.corpus import SUFFIXES  # noqa: E402
from rag.errors import (  # noqa: E402
    BadInput, IndexCorrupt, IndexMismatch, IndexMissing, LLMError, RagError, StoreUnavailable)
from ui import render  # noqa: E402
from ui.guard import LOOPBACK_NAMES, Guard  # noqa: E402
from ui.style import CSS, HEAD  # noqa: E402

log = logging.getLogger("rag.ui")


MAX_SESSION_TURNS = 50  # a browser session keeps its last 50 questions and answers
UPLOAD_BATCH = 10  # articles of the largest size one upload request may carry (more files take more drops)
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/(?:[^/\s'\"]+/)*[^/\s'\"]+")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\")]+", re.I)


def public_text(text: str) -> str:
    """A message as a client may see it: no absolute server paths or URLs.
    public_text("no index at /srv/x/index. Build it") -> "no index at …/index. Build it" """
    text = _URL.sub("(address hidden)", text)
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(0).rstrip(".").rsplit("/", 1)[-1]
                              + ("." if m.group(0).endswith(".") else ""), text)


def log_unexpected(what: str) -> None:
    """A one-line log entry for an unexpected failure; the traceback only with RAG_DEBUG=1."""
    if os.environ.get("RAG_DEBUG"):
        log.exception("unexpected error %s", what)
    else:
        exc = sys.exc_info()[1]
        log.error("unexpected error %s: %s: %s (set RAG_DEBUG=1 for the traceback)", what,
                  type(exc).__name__, str(exc)[:200])


def error_message(exc: Exception) -> str:
    """A readable chat message for any failure while answering (no server paths or URLs)."""
    text = public_text(str(exc).strip()) or type(exc).__name__
    if "_" not in text.split(" ", 1)[0]:  # "the question…" -> "The question…", but keep "top_k must…"
        text = text[:1].upper() + text[1:]
    text = text.rstrip(".")
    if isinstance(exc, BadInput):
        return text + "."
    if isinstance(exc, StoreUnavailable):
        return f"{text}. Try again in a moment: the app is still running."
    if isinstance(exc, (IndexMissing, IndexCorrupt, IndexMismatch)):
        return f"The article index is not ready: {text}."
    if isinstance(exc, LLMError):
        return f"The language model failed: {text}. Choose the extractive mode in Settings to answer offline."
    if isinstance(exc, RagError):
        return text + "."
    return (f"Something went wrong while answering ({type(exc).__name__}). "
            "The app is still running: please try again.")


def history_pairs(turns: list[dict]) -> list[tuple[str, str]]:
    """The (role, text) history the assistant needs, from the answered turns only."""
    pairs: list[tuple[str, str]] = []
    for turn in turns:
        if turn.get("answer"):
            pairs += [("user", turn["question"]), ("assistant", turn["answer"]["answer"])]
    return pairs


def parse_history(history) -> list:
    """API history: a list (or JSON text) of [role, text] pairs or {"role", "content"} messages.
    The library checks the pairs and their sizes; the request size is capped before this runs."""
    if history in (None, ""):
        return []
    if isinstance(history, str):
        try:
            history = json.loads(history)
        except (ValueError, RecursionError) as exc:
            raise BadInput(f"history is not valid JSON: {str(exc)[:100]}") from None
    if not isinstance(history, list):
        raise BadInput("history must be a list of [role, text] pairs")
    return [(m.get("role"), m.get("content")) if isinstance(m, dict) else m for m in history]


def kept_turn(question: object, limit: int) -> dict:
    """A new chat turn. A question over the limit (it will be refused) is kept as the part its bubble
    shows plus its length, so refused 10 MB questions do not pile up in a session."""
    text = question if isinstance(question, str) else ""
    turn = {"question": text, "answer": None, "error": None, "partial": ""}
    if len(text) > limit:
        turn.update(question=text[:render.QUESTION_PREVIEW], length=len(text))  # all the bubble shows
    return turn


class ChatApp:
    """The event handlers of one app; per-session data travels in Gradio state, not on self."""

    def __init__(self, assistant):
        self.assistant = assistant

    def _view(self, turns: list[dict], selected: int | None, show_unsupported: bool, clear_box: bool = False) -> tuple:
        """Outputs (chat, turns, selected, sources, textbox); the textbox is only emptied when asked, so
        a question typed while an answer streams is not wiped by the next token."""
        return (render.chat_messages(turns, show_unsupported), turns, selected,
                render.render_sources(turns, selected), "" if clear_box else gr.skip())

    def respond(self, question: str | None, turns: list[dict], mode: str | None, top_k, show_unsupported: bool):
        """Stream one answer into the chat: yields (chat, turns, selected, sources, textbox)."""
        yield from self._answer(question or "", turns or [], mode, top_k, show_unsupported, clear_box=True)

    def respond_example(self, turns, mode, top_k, show_unsupported, evt: gr.SelectData):
        value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")
        yield from self._answer(value, turns or [], mode, top_k, show_unsupported, clear_box=True)

    def retry(self, turns, mode, top_k, show_unsupported):
        """Ask the last question again (e.g. after an error or a mode change), keeping any draft."""
        if not turns or "length" in turns[-1]:  # nothing to ask again, or a refused question kept only in part
            yield self._view(turns or [], len(turns or []) - 1 if turns else None, show_unsupported)
            return
        yield from self._answer(turns[-1]["question"], turns[:-1], mode, top_k, show_unsupported)

    def _answer(self, question: str, turns: list[dict], mode, top_k, show_unsupported: bool, clear_box=False):
        turns = [*turns[-(MAX_SESSION_TURNS - 1):], kept_turn(question, self.assistant.settings.max_question_chars)]
        i = len(turns) - 1
        yield self._view(turns, i, show_unsupported, clear_box)
        try:
            # Mode and top_k go to the library as sent: it checks every client value in one place.
            events = self.assistant.stream(question, history=history_pairs(turns[:-1]), mode=mode, top_k=top_k)
            for event in events:
                if isinstance(event, str):
                    turns[i] = {**turns[i], "partial": event}
                else:
                    turns[i] = {**turns[i], "answer": event.to_json(), "partial": None}
                yield self._view(turns, i, show_unsupported)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a chat message; the app keeps serving
            if not isinstance(exc, RagError):
                log_unexpected("while answering")
            turns[i] = {**turns[i], "error": error_message(exc), "partial": None}
            yield self._view(turns, i, show_unsupported)

    def clear(self, show_unsupported: bool):
        return self._view([], None, show_unsupported, clear_box=True)

    def rerender(self, turns, selected, show_unsupported):
        return render.chat_messages(turns or [], show_unsupported), render.render_sources(turns or [], selected)

    def select(self, turns, evt: gr.SelectData):
        """Clicking a message (or a [n] in it) shows the sources of that answer."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        selected = int(index) // 2 if index is not None else None
        return selected, render.render_sources(turns or [], selected)

    def ask(self, question: str, history: list | str | None = None, mode: str | None = None,
            top_k: int | None = None) -> dict:
        """Answer one question; returns the same JSON object as `rag ask --json`.
        history: [[role, text], ...] (or its JSON text); mode: "extractive" or "llm"; top_k: 1-50."""
        try:
            answer = self.assistant.ask(question, history=parse_history(history), mode=mode, top_k=top_k)
        except Exception as exc:  # noqa: BLE001 - the client gets a message, the server keeps serving
            if not isinstance(exc, RagError):
                log_unexpected("in /ask")
            raise gr.Error(error_message(exc), print_exception=False) from exc
        return answer.to_json()


    def check(self, answer: str, citations: list | str | None = None) -> dict:
        """Check any cited answer against the corpus; returns what `rag check --json` prints.
        citations: [{"n", "doc_id" or "source", "start", "end"}, ...] (or its JSON text)."""
        from rag.pipeline import check_answer

        try:
            if isinstance(citations, str):
                try:
                    citations = json.loads(citations)
                except ValueError:
                    raise BadInput("citations must be a JSON list of {n, doc_id or source, start, end}") from None
            result = check_answer(self.assistant.settings, {"answer": answer, "citations": citations})
        except Exception as exc:  # noqa: BLE001 - the client gets a message, the server keeps serving
            if not isinstance(exc, RagError):
                log_unexpected("in /check")
            raise gr.Error(error_message(exc), print_exception=False) from exc
        return result.to_json()


    # -- articles in, answers out -------------------------------------------------------------
    def upload(self, files):
        """Save dropped files into the corpus (checked as `rag index` reads them) and start indexing them in
        the background: outputs (file box, upload status, timer, the report kept for the status)."""
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return None, gr.skip(), gr.skip(), gr.skip()
        try:
            report = self.assistant.add_articles([(path.name, path) for path in paths])
        except Exception as exc:  # noqa: BLE001 - the reader gets a message, the server keeps serving
            if not isinstance(exc, RagError):
                log_unexpected("while adding articles")
            return None, render.render_ingest_error(error_message(exc)), gr.Timer(active=False), None
        status, shown = self.assistant.indexing_status(), report.to_json()
        return None, render.render_ingest(status, shown), gr.Timer(active=bool(report.written)), shown

    def poll(self, shown: dict | None):
        """While an index update runs: its progress, then the result, and the header's new counts."""
        status = self.assistant.indexing_status()
        busy = status["running"] or status["queued"]
        header = gr.skip() if busy else render.render_header(self.assistant.status())
        return render.render_ingest(status, shown), gr.Timer(active=busy), header

    def export(self, turns: list[dict]):
        """The conversation as Markdown and JSON files (each citation with its file, offsets, quote and the
        file's sha256, for `rag verify`)."""
        from rag.export import conversation_json, conversation_markdown

        if not any(turn.get("answer") for turn in turns or []):
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.update(value=None, visible=False)
        try:
            TEMP_DIR.mkdir(parents=True, exist_ok=True)  # Gradio makes it only when a file first passes through
            folder = Path(tempfile.mkdtemp(prefix="export-", dir=TEMP_DIR))
            stamp = time.strftime("%Y%m%d-%H%M%S")
            md, js = folder / f"conversation-{stamp}.md", folder / f"conversation-{stamp}.json"
            md.write_text(conversation_markdown(turns), encoding="utf-8")
            js.write_text(json.dumps(conversation_json(turns), ensure_ascii=False, indent=1), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the reader gets a message, the server keeps serving
            log_unexpected("while exporting")
            gr.Warning(f"The conversation could not be exported ({type(exc).__name__}). Please try again.")
            return gr.update(value=None, visible=False)
        return gr.update(value=[str(md), str(js)], visible=True)


def build_demo(assistant) -> gr.Blocks:
    """The page: header, chat, settings drawer and the sources panel, plus the `/ask` API."""
    settings = assistant.settings
    status = assistant.status()
    app = ChatApp(assistant)
    examples = render.example_questions(list(assistant.titles().values()))
    modes = assistant.available_modes()
    private = {"api_visibility": "private"}
    with gr.Blocks(title="Ask the news archive") as demo:
        turns, selected = gr.State([]), gr.State(None)
        header = gr.HTML(render.render_header(status))
        with gr.Row(equal_height=False, elem_id="rag-row"):
            with gr.Column(scale=3, min_width=280, elem_id="rag-chat-col"):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat", show_label=False, height=520, buttons=[], feedback_options=None,
                    # Messages are HTML we build from escaped text; the sanitizer stays on as a second guard.
                    sanitize_html=True, render_markdown=True, latex_delimiters=[], line_breaks=False,
                    examples=[{"text": q} for q in examples],
                    placeholder="**Ask a question about the articles.** Answers quote them and cite their sources.")
                with gr.Row(elem_id="rag-ask-row"):
                    question = gr.Textbox(show_label=False, placeholder="Ask about the articles…", scale=5,
                                          lines=1, max_lines=6, autofocus=True, elem_id="rag-question", min_width=180)
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="rag-ask")
                with gr.Row(elem_id="rag-controls"):
                    retry = gr.Button("↻ Retry", size="sm", min_width=90, elem_id="rag-retry")
                    clear = gr.Button("Clear chat", size="sm", min_width=90, elem_id="rag-clear")
                    export = gr.Button("⤓ Export", size="sm", min_width=90, elem_id="rag-export")
                exported = gr.File(label="This conversation, with every quote's file, offsets and sha256",
                                   file_count="multiple", visible=False, interactive=False, elem_id="rag-exported")
                with gr.Row(elem_id="rag-drawers", equal_height=False):  # side by side, to save height
                    with gr.Accordion("Settings", open=False, elem_id="rag-settings"):
                        mode = gr.Radio(modes, value=settings.mode if settings.mode in modes else modes[0],
                                        label="Answer mode",
                                        info="extractive quotes the articles offline"
                                             + ("; llm writes an answer with your LLM server" if len(modes) > 1
                                                else " (an LLM mode appears when an LLM server is configured)"))
                        top_k = gr.Slider(1, max(settings.candidates, settings.top_k), value=settings.top_k, step=1,
                                          label="Passages to search (top-k)")
                        show_unsupported = gr.Checkbox(value=not settings.drop_unsupported,
                                                       label="Show unsupported sentences (flagged)")
                    if not settings.read_only:
                        with gr.Accordion("Add articles", open=False, elem_id="rag-upload"):
                            files = gr.File(label="Drop or pick .txt, .md or .html articles", file_count="multiple",
                                            file_types=list(SUFFIXES), elem_id="rag-upload-files")
                            ingest = gr.HTML(render.render_ingest(assistant.indexing_status()), elem_id="rag-ingest")
                            timer = gr.Timer(1.0, active=False)
            with gr.Column(scale=2, min_width=280, elem_id="rag-sources-col"):
                gr.HTML('<h2 class="rag-sources-title">Sources</h2>')
                sources = gr.HTML(render.render_sources([], None), elem_id="rag-sources")
        gr.HTML('<p id="rag-footer">Answers come only from the articles above: click any [n] to read the quote '
                "in its paragraph. “Use via API” below shows how a program can ask.</p>")

        view = [chatbot, turns, selected, sources, question]
        options = [mode, top_k, show_unsupported]
        # One concurrency group for everything that answers, so the chat and the API share the limit.
        # "always_last": a question sent while an answer is still streaming runs right after it.
        answering = {"concurrency_id": "answer", "trigger_mode": "always_last", **private}
        question.submit(app.respond, [question, turns, *options], view, **answering)
        ask.click(app.respond, [question, turns, *options], view, **answering)
        chatbot.example_select(app.respond_example, [turns, *options], view, **answering)
        chatbot.clear(app.clear, [show_unsupported], view, queue=False, **private)
        retry.click(app.retry, [turns, *options], view, **answering)
        clear.click(app.clear, [show_unsupported], view, queue=False, **private)
        chatbot.select(app.select, [turns], [selected, sources], queue=False, **private)
        show_unsupported.change(app.rerender, [turns, selected, show_unsupported], [chatbot, sources],
                                queue=False, **private)
        # The index may be rebuilt while the app runs (the assistant reloads it), so recount per visit.
        demo.load(lambda: render.render_header(assistant.status()), None, header, queue=False, **private)
        export.click(app.export, [turns], [exported], queue=False, **private)
        if not settings.read_only:
            shown = gr.State(None)  # the last upload's report, kept on screen while its articles are indexed
            files.upload(app.upload, [files], [files, ingest, timer, shown], concurrency_limit=1, **private)
            timer.tick(app.poll, [shown], [ingest, timer, header], queue=False, **private)
        gr.api(app.ask, api_name="ask", concurrency_id="answer")
        gr.api(app.check, api_name="check", concurrency_id="answer")
    return demo


def parse_auth(auth: str | None) -> list[tuple[str, str]] | None:
    """USER:PASS, or @FILE with one USER:PASS per line (blank lines and # comments skipped)."""
    if not auth:
        return None
    lines = [auth]
    if auth.startswith("@"):
        try:
            lines = Path(auth[1:]).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadInput(f"cannot read auth file {auth[1:]}: {exc}") from exc
    pairs = []
    for line in (raw.strip() for raw in lines):
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            raise BadInput("--auth must be USER:PASS or @FILE with USER:PASS lines")
        pairs.append((user, password))
    if not pairs:
        raise BadInput(f"no USER:PASS line in {auth[1:]}")
    return pairs


def _progress(message: str) -> None:
    print(f"[rag] {message}", file=sys.stderr, flush=True)


# System fonts: the stock themes fetch web fonts, and this app makes no outside requests.
THEME = gr.themes.Soft(
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])


def allowed_hosts(host: str, extra: str = "") -> frozenset[str]:
    """Host names the server answers to: loopback names, the bound address, and `extra` (comma-separated).
    Bound to every interface (0.0.0.0 or ::), also this machine's name and interface addresses."""
    names = {*LOOPBACK_NAMES, host.lower().strip("[]")}
    if host in ("0.0.0.0", "::", ""):
        import socket

        import psutil

        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        names |= {a.address.split("%")[0].lower() for addrs in psutil.net_if_addrs().values() for a in addrs
                  if a.family in (socket.AF_INET, socket.AF_INET6)}
    names |= {n.strip().lower() for n in extra.split(",") if n.strip()}
    return frozenset(names)


def clean_temp_dir() -> None:
    """Empty this process's Gradio temp folder, and remove those left by servers that are gone."""
    shutil.rmtree(TEMP_DIR, ignore_errors=True)
    for old in TEMP_DIR.parent.glob("gradio-*"):
        pid = old.name.removeprefix("gradio-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(old, ignore_errors=True)


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, hosts: str = "",
           max_body: int = 1_000_000, max_upload: int = 0, **kwargs):
    """Start the server with this app's queue limits, theme, CSS, script and HTTP guards.
    max_upload: the largest article a reader may upload, in bytes; 0 keeps the upload route closed."""
    from starlette.middleware import Middleware

    # A 2-core machine: an extractive answer is ~20-50 ms of CPU (mostly the query embedding) and ~85 ms
    # end to end through gradio_client. Measured with 16 concurrent sessions, limits 2-8 give the same
    # ~13 answers/s and 1 doubles p95, so 4 keeps both cores busy without thrashing torch's threads;
    # up to 64 more requests wait in line instead of being refused.
    demo.queue(default_concurrency_limit=4, max_size=64)
    arity = {fn.api_name: len(fn.inputs) for fn in demo.fns.values() if fn.api_name}  # e.g. {"ask": 4}
    # One drop may hold several articles: the upload request may carry UPLOAD_BATCH of the largest size.
    guard = Middleware(Guard, allowed_hosts=allowed_hosts(host, hosts), max_body=max_body, uploads=max_upload > 0,
                       api_arity=arity, max_upload=max_upload * UPLOAD_BATCH + 65_536)
    clean_temp_dir()
    try:
        return demo.launch(server_name=host, server_port=port, auth=auth, inbrowser=False, share=False,
                           ssr_mode=False, show_error=False, run_history=False, footer_links=["api"], theme=THEME,
                           css=CSS, head=HEAD, max_file_size=max(max_upload, max_body), app_kwargs={"middleware": [guard]},
                           **{"quiet": True, **kwargs})
    finally:
        if not kwargs.get("prevent_thread_lock"):
            shutil.rmtree(TEMP_DIR, ignore_errors=True)


def serve(settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> int:
    """`rag serve`: build or update the index (progress on stderr), then run the app until Ctrl-C."""
    from rag import build_assistant
    from rag.pipeline import index_for_answering

    credentials = parse_auth(auth)
    if host not in LOOPBACK_NAMES and not credentials:
        print(f"warning: serving on {host} without --auth: anyone who can reach this machine can use the app",
              file=sys.stderr)
    assistant = build_assistant(settings)
    _progress(index_for_answering(assistant, _progress).summary())
    demo = build_demo(assistant)
    # SIGTERM (systemd, docker stop, kill) unwinds like Ctrl-C, so the temp folder is removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _progress(f"serving on http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port} (Ctrl-C to stop)")
    try:
        launch(demo, host, port, credentials, settings.allowed_hosts, settings.max_request_bytes,
               0 if settings.read_only else settings.max_upload_bytes)
    except OSError as exc:
        print(f"error: cannot serve on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0
