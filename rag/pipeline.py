"""The composition root: `build_assistant(settings)` wires corpus, index, retrieval and answering.

The CLI, the web app and the evaluation all go through `Assistant.ask` / `Assistant.stream`.
The assistant reloads the index when another process publishes a new generation, so questions
are always answered from one whole generation, old or new, never a mix. `add_articles` saves
uploads (rag.ingest) and updates the index in a background thread while questions go on.
"""

from __future__ import annotations

import datetime
import functools
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from rag.answer import Answer, Answerer, ExtractiveAnswerer
from rag.chat import clean_text, condense_question, is_followup, validate_history
from rag.cite import CheckResult
from rag.config import Settings
from rag.errors import BadInput, ConfigError, IndexMissing, IndexReadOnly, RagError
from rag.manifest import MANIFEST, DocumentTable, load_checked_manifest, read_manifest, serving_manifest
from rag.ingest import IndexingJob, IngestReport, Upload, save_uploads
from rag.read import period_documents, time_window
from rag.retrieve import Retriever

if TYPE_CHECKING:
    from rag.embed import Embedder
    from rag.indexer import IndexReport
    from rag.llm import ChatLLM


def clean_question(question: object, limit: int) -> str:
    """The question with control characters removed, or BadInput: clean_question(" hi\\x00 ", 10) -> "hi" """
    text = clean_text("" if question is None else question, "the question", limit)
    if not text:
        raise BadInput("the question is empty: type a question about the articles")
    return text


def parse_top_k(value: object) -> int | None:
    """A client's top_k as an int from 1 to 50, None for "use the default", else BadInput:
    parse_top_k("5") -> 5; parse_top_k(None) -> None; parse_top_k("abc") -> BadInput"""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadInput("top_k must be a whole number between 1 and 50")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise BadInput("top_k must be a whole number between 1 and 50") from None
    if not (number.is_integer() and 1 <= number <= 50):  # NaN and infinities fail here too
        raise BadInput("top_k must be a whole number between 1 and 50")
    return int(number)


def parse_as_of(value: object) -> str | None:
    """The day a question is asked, as YYYY-MM-DD, None for today; else BadInput:
    parse_as_of("2022-10-10") -> "2022-10-10"; parse_as_of("10/10/22") -> BadInput"""
    if value is None or value == "":
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10]).isoformat() if isinstance(value, str) else \
            value.isoformat()[:10]
    except (ValueError, AttributeError):
        raise BadInput(f"the date {str(value)[:30]!r} is not a date like 2022-10-10") from None


def parse_mode(value: object, default: str) -> str:
    """A client's answer mode: parse_mode(None, "extractive") -> "extractive"; parse_mode(3, ...) -> BadInput"""
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in MODES:
        raise ConfigError(f"unknown mode {str(value)[:40]!r}; known modes: {', '.join(MODES)}")
    return value


def describe_archive(documents: dict) -> dict:
    """What a reader-facing header says about the indexed articles: outlets, most common first, and the
    span of publication dates, leaving out dates that only come from a file's modification time:
    describe_archive({"a": {"outlet": "Reuters", "published": "2022-10-09", "published_from": "text"}})
    -> {"outlets": ["Reuters"], "date_range": ("2022-10-09", "2022-10-09"), "dated": 1}"""
    outlets = Counter(d["outlet"] for d in documents.values() if d.get("outlet"))
    dates = sorted(d["published"][:10] for d in documents.values()
                   if d.get("published") and d.get("published_from") != "file")
    return {"outlets": [name for name, _n in sorted(outlets.items(), key=lambda item: (-item[1], item[0]))],
            "date_range": (dates[0], dates[-1]) if dates else None, "dated": len(dates)}


def available_modes(settings: Settings) -> list[str]:
    """The answer modes a client may choose: extractive always; llm when an LLM server is configured
    (an OpenAI-compatible URL, or the Ollama provider, which has a default local URL)."""
    return ["extractive", "llm"] if settings.llm_base_url or settings.llm_provider == "ollama" else ["extractive"]


def index_for_answering(assistant: "Assistant", say: Callable[[str], None]) -> IndexReport:
    """What `rag ask` and `rag serve` do before answering: build or update the index (progress lines to
    `say`), keep answering from a read-only index that is out of date, and say each warning."""
    report = assistant.index(progress=say, stale_ok=True)
    for warning in report.warnings:
        say(f"warning: {warning}")
    return report


class Assistant:
    """Answers questions from the live index generation. Its parts come from `build_assistant`: the
    embedder, a factory that opens a generation for retrieval, and a factory per answer mode (an
    answerer is built on first use, so the LLM client is made only when that mode is asked for)."""

    def __init__(self, settings: Settings, embedder: Embedder,
                 make_retriever: Callable[[Settings, Embedder], Retriever],
                 make_answerers: dict[str, Callable[[], Answerer]]):
        self.settings = settings
        self.embedder = embedder
        self._make_retriever = make_retriever
        self._make_answerers = make_answerers
        self._answerers: dict[str, Answerer] = {}
        self._retriever: Retriever | None = None
        self._stamp: tuple | None = None
        self._status: tuple[dict, dict] | None = None  # (the manifest it describes, the status)
        self._lock = threading.Lock()
        self._indexing = IndexingJob(lambda progress: self.index(progress=progress))
        self._saving = threading.Lock()  # one upload placed at a time, so two copies of a file are one

    # -- index -----------------------------------------------------------------------------
    def index(self, rebuild: bool = False, progress: Callable[[str], None] | None = None,
              stale_ok: bool = False) -> IndexReport:
        """Build or update the index from the corpus (no embedding work when nothing changed).
        stale_ok: if the index is out of date but read-only, keep answering from it (with a warning)."""
        from rag.indexer import IndexReport, build_index  # build time: never imported to answer

        try:
            report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
        except IndexReadOnly as exc:
            manifest = load_checked_manifest(self.settings) if stale_ok else None
            if manifest is None:
                raise
            return IndexReport(chunks=manifest["chunk_count"],
                               warnings=(f"{exc}; answering from the index as it was built",))
        self._stamp = None  # force a reload on the next question
        return report

    def _manifest_stamp(self) -> tuple | None:
        try:
            st = (Path(self.settings.index_dir) / MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    @property
    def retriever(self) -> Retriever:
        """The live index generation, reloaded when the manifest on disk changes."""
        stamp = self._manifest_stamp()
        if stamp is None:
            raise IndexMissing(f"no index at {self.settings.index_dir}. Build it with: rag index")
        if self._retriever is None or stamp != self._stamp:
            with self._lock:
                if self._retriever is None or stamp != self._stamp:
                    fresh = self._make_retriever(self.settings, self.embedder)
                    self._retriever, self._stamp = fresh, stamp
        return self._retriever

    def status(self) -> dict:
        """The live index: counts, generation, and for a header its outlets (most common first),
        date_range ((earliest, latest) YYYY-MM-DD of articles dated by their page or text, or None) and
        dated (how many such articles). Worked out once per generation, not on every page load."""
        manifest = self._live_manifest()
        cached = self._status
        if cached is None or cached[0] is not manifest:
            documents = manifest["documents"]
            cached = self._status = (manifest, {
                "documents": len(documents), "chunks": manifest["chunk_count"],
                "generation": manifest.get("collection"), "corpus_dir": self.settings.corpus_dir,
                **describe_archive(documents)})
        return dict(cached[1])

    def titles(self) -> dict[str, str]:
        """doc_id -> title of every indexed article."""
        return {d: title or d for d, title in self._live_manifest()["documents"].rows("title")}

    def _live_manifest(self) -> dict:
        """The open generation's manifest (read once when it opened), or for an index that cannot serve
        (none, other settings, damaged) what is on disk."""
        try:
            return self.retriever.manifest
        except IndexMissing:
            manifest = None
        except RagError:
            manifest = read_manifest(Path(self.settings.index_dir))
        return serving_manifest(manifest or {"documents": {}, "chunk_count": 0})

    # -- adding articles -----------------------------------------------------------------------
    def add_articles(self, files: Sequence[Upload], progress: Callable[[str], None] | None = None) -> IngestReport:
        """Save uploaded (name, bytes or Path) articles into the corpus folder, checked as `rag index` reads
        them, and return at once what happened to each; if any was added, the index is updated in a
        background thread (poll `indexing_status`). Questions meanwhile are answered from the old
        generation. An upload while an update runs is saved at once and indexed by one more update right
        after the running one. `progress` gets the update's progress lines, from that thread."""
        try:
            documents = self._live_manifest()["documents"]
        except RagError:  # a damaged manifest: the update will say so in the status
            documents = DocumentTable({})
        known = {sha: source for _d, sha, source in documents.rows("sha256", "source") if sha and source}
        with self._saving:
            report = save_uploads(files, self.settings.corpus_dir, self.settings, known=known)
        self._indexing.note(report.summary())
        if report.written:
            self._indexing.start(report.written, progress)
        return report

    def indexing_status(self) -> dict:
        """The background index update: {"running": bool, "queued": bool (another update will follow),
        "message": last progress line, "done"/"total": new articles indexed / in the update, "error": str
        or None, "last_report": the last upload's summary, "index_report": the last update's summary or
        None, "finished_at": epoch seconds or None}."""
        return self._indexing.status()

    def wait_for_indexing(self, timeout: float | None = None) -> bool:
        """Block until no background update runs (True) or `timeout` seconds pass (False)."""
        return self._indexing.wait(timeout)

    # -- answering ---------------------------------------------------------------------------
    def available_modes(self) -> list[str]:
        return available_modes(self.settings)

    def answerer(self, mode: str | None) -> Answerer:
        mode = parse_mode(mode, self.settings.mode)
        if mode not in self._answerers:
            with self._lock:
                if mode not in self._answerers:
                    self._answerers[mode] = registered(self._make_answerers, mode, "mode")()
        return self._answerers[mode]

    def _prepare(self, question, history, top_k):
        """Every client value checked at the one boundary the CLI, the UI and the API share
        (the mode is checked by `answerer`)."""
        s = self.settings
        text = clean_question(question, s.max_question_chars)
        turns = validate_history(history, s.max_history_messages, s.max_turn_chars)
        return text, turns, parse_top_k(top_k)

    def ask(self, question: str, history=None, mode: str | None = None, top_k: int | None = None,
            as_of: str | None = None) -> Answer:
        """Answer one question; `history` is a list of (role, text) pairs for follow-ups; `as_of` the day
        it is asked (YYYY-MM-DD, today by default), which "last week" or "the latest" is read against."""
        final = None
        for event in self.stream(question, history, mode, top_k, as_of):
            final = event
        assert isinstance(final, Answer)
        return final

    def stream(self, question: str, history=None, mode: str | None = None,
               top_k: int | None = None, as_of: str | None = None) -> Iterator[str | Answer]:
        """Yield the answer text as it grows (str), then the checked `Answer` last."""
        t0 = time.perf_counter()
        text, turns, top_k = self._prepare(question, history, top_k)
        as_of = parse_as_of(as_of)
        answerer = self.answerer(mode)
        retriever = self.retriever
        timings: dict = {}
        query = text  # a self-contained question is searched as asked, whatever came before it
        if turns and is_followup(text):
            query = answerer.condense(text, turns) or condense_question(text, turns)
        window = time_window(text, as_of or datetime.date.today().isoformat())
        docs = period_documents(retriever.article_dates(), window) if window else None
        if window is not None and window.latest:  # more candidates, so the newest article is among them
            top_k = 2 * (top_k or self.settings.top_k)
        t1 = time.perf_counter()
        hits = retriever.retrieve(query, top_k, timings, docs)
        t2 = time.perf_counter()
        evidence = retriever.evidence(window)
        answer = None
        for event in answerer.stream(text, query, hits, evidence, turns):
            if isinstance(event, Answer):
                answer = event
            else:
                yield event
        assert answer is not None
        retriever.release()
        timings.update(retrieve=(t2 - t1) * 1000, answer=(time.perf_counter() - t2) * 1000,
                       total=(time.perf_counter() - t0) * 1000)
        yield Answer(**{**answer.__dict__, "timings_ms": {**answer.timings_ms, **timings}})


def check_answer(settings: Settings, data: object) -> CheckResult:
    """Hold any cited answer to the checker: `data` is {"answer": text with [n] markers, "citations":
    [{"n", "doc_id" or "source", "start", "end"}]}, spans of files in the corpus folder. BadInput names
    what is wrong (no answer, a citation outside its file, a file not in the corpus)."""
    from rag.cite import check_citations, span_context
    from rag.corpus import SUFFIXES, corpus_file

    if not isinstance(data, dict) or not isinstance(data.get("answer"), str) or not data["answer"].strip():
        raise BadInput('the input needs "answer": the answer text with [n] markers')
    citations = data.get("citations")
    if not isinstance(citations, list) or not citations:
        raise BadInput('the input needs "citations": [{"n", "doc_id" or "source", "start", "end"}, ...]')
    root = Path(settings.corpus_dir).resolve()
    sources: dict[int, str] = {}
    contexts: dict[int, str] = {}
    for c in citations:
        if not isinstance(c, dict) or not all(isinstance(c.get(k), int) and not isinstance(c.get(k), bool)
                                              for k in ("n", "start", "end")):
            raise BadInput("each citation needs whole numbers n, start and end")
        name = c.get("source") or c.get("doc_id")
        if not isinstance(name, str) or not name:
            raise BadInput(f"citation {c['n']} names no file (doc_id or source)")
        path = corpus_file(root, name, SUFFIXES)
        if path is None:
            raise BadInput(f"citation {c['n']}: no file {name!r} in the corpus {settings.corpus_dir}")
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"citation {c['n']}: cannot read {name!r} as UTF-8 text ({exc})") from exc
        if not 0 <= c["start"] < c["end"] <= len(text):
            raise BadInput(f"citation {c['n']}: characters {c['start']}-{c['end']} are outside {name!r} "
                           f"({len(text)} characters)")
        sources[c["n"]] = text[c["start"]:c["end"]]
        contexts[c["n"]] = span_context(text, c["start"], c["end"])
    return check_citations(clean_text(data["answer"], "the answer", 20000), sources, settings.support_threshold,
                           contexts=contexts)


def registered(registry: dict, name: object, what: str):
    """registry[name], or ConfigError naming the known ones: registered({"a": 1}, "b", "mode") ->
    ConfigError("unknown mode 'b'; known modes: a")"""
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown {what} {str(name)[:40]!r}; known {what}s: {', '.join(sorted(registry))}") from None


def _llm_answerer(settings: Settings, extractive: ExtractiveAnswerer, chat_llm: ChatLLM | None) -> Answerer:
    from rag.llm import LLMAnswerer, build_chat_llm  # the LLM client library loads only for this mode

    return LLMAnswerer(settings, chat_llm or build_chat_llm(settings), extractive)


# The registries `build_assistant` composes from; a setting names one entry of each (an unknown name is
# a ConfigError listing the known ones). Embedders: rag.embed.EMBEDDERS; stores: rag.store.STORES.
RETRIEVERS: dict[str, Callable[[Settings, Embedder], Retriever]] = {"hybrid": Retriever}
ANSWERERS: dict[str, Callable[[Settings, ExtractiveAnswerer, "ChatLLM | None"], Answerer]] = {
    "extractive": lambda settings, extractive, chat_llm: extractive,
    "llm": _llm_answerer,
}
MODES = tuple(ANSWERERS)


def build_assistant(settings: Settings | None = None, embedder: Embedder | None = None,
                    chat_llm: ChatLLM | None = None) -> Assistant:
    """The composition root: the one way the CLI, the UI and the evaluation get an assistant. Builds
    the embedder (`settings.embedder`), checks the store (`settings.store`) and the retriever
    (`settings.retriever`), and registers an answerer per mode. `embedder` and `chat_llm` (a model for
    the "llm" mode) replace the configured ones, as tests and embedding apps need."""
    from rag.embed import build_embedder
    from rag.store import store_backend

    settings = settings or Settings()
    store_backend(settings)  # an unknown store fails here, not at the first question
    make_retriever = registered(RETRIEVERS, settings.retriever, "retriever")
    embedder = embedder or build_embedder(settings)
    extractive = ExtractiveAnswerer(settings)
    make_answerers = {mode: functools.partial(make, settings, extractive, chat_llm) for mode, make in ANSWERERS.items()}
    return Assistant(settings, embedder, make_retriever, make_answerers)
