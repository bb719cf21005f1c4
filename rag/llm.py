"""LLM answer mode: chat-model adapters (llama-index OpenAILike and Ollama) and the LLM answerer.

The answerer only asks the model when the extractive answerer would not abstain, holds the
generated text to the same citation check, and turns every server failure into an `LLMError`
with a plain message, then into the labelled offline answer unless `llm_fallback = "error"`.
After a failure that says the server is down, the adapter fails fast for BREAKER_SECONDS (a circuit
breaker), so a follow-up whose condense step failed does not wait on the same server again to answer.
The API key lives only inside the adapter: no message, repr or log line built here contains it.
Prompts and post-processing are in `rag.prompt`; this module does the talking.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import re
import threading
import time
from contextlib import contextmanager
from http import HTTPStatus
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from rag.answer import ABSTAIN_TEXT, Answer, Evidence, ExtractiveAnswerer, finish_answer
from rag.chat import condense_question
from rag.config import Settings, shown_url
from rag.errors import ConfigError, LLMError
from rag.prompt import (Message, build_messages, cite_answer, clean_condensed, condense_messages, cut_repetition,
                        is_refusal)
from rag.retrieve import Hit

NO_KEY = "no-key"  # sent to local servers that need no key; the OpenAI client refuses an empty one
OLLAMA_URL = "http://127.0.0.1:11434"
EMPTY = "the LLM server sent an empty answer"
UNSUPPORTED_NOTICE = "The LLM's answer is not shown: none of its sentences is supported by a passage it cites."
OLLAMA_CONTEXT = 8192  # set explicitly: left unset, llama-index asks the server for it on every call
_END = object()  # what the reading thread sends after the last piece
BREAKER_SECONDS = 10.0  # after a failure that says the server is down, calls this soon fail at once
STICKY_STATUSES = (401, 403, 404, 408, 429)  # besides 5xx, statuses the next request would get too

log = logging.getLogger("rag.llm")


class ChatLLM(Protocol):
    def complete(self, messages: Sequence[Message]) -> str: ...

    def stream(self, messages: Sequence[Message]) -> Iterator[str]: ...  # text pieces as they arrive


_CREDENTIALS = re.compile(r"(?i)\b(basic|bearer|token)(\s+|=)[A-Za-z0-9+/=._~-]{6,}|(?<=://)[^/@\s]+@")


def redact(text: str, secret: str) -> str:
    """The text without the key, Authorization values or URL user:password (a server may echo them):
    redact("Bearer sk-1 refused", "sk-1") -> "Bearer *** refused";
    redact("got Basic dXNlcjpwdw==", "") -> "got Basic ***" """
    text = text.replace(secret, "***") if secret and secret != NO_KEY else text
    return _CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}***" if m.group(1) else "***@", text)


def status_message(code: int, detail: str, hints: dict[int, str]) -> str:
    """status_message(429, "", {}) -> "the LLM server returned 429 Too Many Requests" """
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "error"
    detail = " ".join(str(detail).split())[:200]
    hint = hints.get(code) or ("the server failed; try again later" if code >= 500 else "")
    return (f"the LLM server returned {code} {phrase}" + (f" ({detail})" if detail else "")
            + (f": {hint}" if hint else ""))


def _chat_messages(messages: Sequence[Message]):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=content) for role, content in messages]


class CircuitBreaker:
    """Fails fast after a server failure: for `cooldown` seconds of `clock`, `check()` raises that
    failure's LLMError at once instead of letting the caller wait on the same server again; the first
    call after that tries the server, and a success closes the breaker. Thread-safe.
    breaker.trip("cannot reach the LLM server"); breaker.check() -> LLMError("cannot reach the LLM server")"""

    def __init__(self, cooldown: float = BREAKER_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.cooldown, self.clock = cooldown, clock
        self._lock = threading.Lock()
        self._failure: tuple[float, str] | None = None  # (clock time, message) of the last failure

    def check(self) -> None:
        with self._lock:
            failure = self._failure
        if failure is not None and self.clock() - failure[0] < self.cooldown:
            raise LLMError(failure[1])

    def trip(self, message: str) -> None:
        with self._lock:
            self._failure = (self.clock(), message)

    def close(self) -> None:
        with self._lock:
            self._failure = None


class _Adapter:
    """Shared plumbing: lazy llama-index client, error translation, a circuit breaker per instance,
    no key in repr or messages."""

    base_url = ""  # what the client connects to
    url = ""  # what messages show
    secret = ""
    install = ""  # the pip command that provides the llama-index integration
    hints: dict[int, str] = {}  # HTTP status -> what the user should check

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.model, self.timeout, self.max_tokens = settings.llm_model, settings.llm_timeout, settings.llm_max_tokens
        self.breaker = CircuitBreaker(BREAKER_SECONDS, clock)
        self._llm = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, url={self.url!r})"

    def client(self):
        if self._llm is None:
            self._llm = self.make_client()
        return self._llm

    def make_client(self):
        raise NotImplementedError

    def explain(self, exc: Exception) -> str:
        """A one-line message for a failed request."""
        import httpx

        if isinstance(exc, httpx.TimeoutException) or "Timeout" in type(exc).__name__:
            return f"the LLM server did not answer within {self.timeout:g} s (llm_timeout)"
        if isinstance(exc, (httpx.ConnectError, ConnectionError)) or type(exc).__name__ == "APIConnectionError":
            return "cannot reach the LLM server: is it running? Check RAG_LLM_BASE_URL"
        if isinstance(exc, httpx.TransportError):
            return f"the connection to the LLM server failed ({type(exc).__name__})"
        code = getattr(exc, "status_code", None)
        if isinstance(code, int) and code >= 400:
            return status_message(code, self.detail(exc), self.hints)
        return f"the LLM server sent malformed output ({type(exc).__name__}: {str(exc)[:120]})"

    def means_down(self, exc: Exception) -> bool:
        """Whether the next request would fail the same way: the server is unreachable, timed out, erroring,
        rate-limiting, or refusing the key or model (not: a malformed reply, a request it rejected)."""
        import httpx

        if isinstance(exc, (httpx.TransportError, ConnectionError)) or "Timeout" in type(exc).__name__ \
                or type(exc).__name__ == "APIConnectionError":
            return True
        code = getattr(exc, "status_code", None)
        return isinstance(code, int) and (code >= 500 or code in STICKY_STATUSES)

    def detail(self, exc: Exception) -> str:
        return str(exc)

    @contextmanager
    def _errors(self):
        try:
            yield
        except LLMError as exc:  # the reply's deadline passed (the breaker is tripped where it is raised)
            log.warning("LLM request to %s failed: %s", self.url, exc)
            raise
        except ImportError as exc:
            raise ConfigError(f"LLM provider needs a package that is missing ({exc.name}): {self.install}") from None
        except Exception as exc:  # noqa: BLE001 - every client failure becomes one clear LLMError
            # `from None`: the client's own exception text may quote the request, key included
            message = redact(self.explain(exc), self.secret)
            if self.means_down(exc):
                self.breaker.trip(message)
            # The URL is for the operator's log only: clients and reports never see internal addresses.
            log.warning("LLM request to %s failed: %s", self.url, message)
            raise LLMError(message) from None

    def complete(self, messages: Sequence[Message]) -> str:
        self.breaker.check()
        with self._errors():
            client = self.client()  # imported and built before the clock starts
        text = "".join(self._within_deadline(lambda: [client.chat(_chat_messages(messages)).message.content]))
        if not text.strip():
            raise LLMError(EMPTY)
        return text

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        self.breaker.check()
        with self._errors():
            client = self.client()
        got = False
        for piece in self._within_deadline(lambda: (r.delta for r in client.stream_chat(_chat_messages(messages)))):
            got = got or bool(piece.strip())
            yield piece
        if not got:
            raise LLMError(EMPTY)

    def _within_deadline(self, produce: Callable[[], Iterable[str | None]]) -> Iterator[str]:
        """The pieces `produce()` yields, read on a worker thread so that the whole reply ends within
        llm_timeout however the server trickles it (the client's own timeout bounds each read, not
        the sum). Past the deadline, or when the caller stops early, the worker stops reading."""
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=_read, args=(produce, pieces, stop), daemon=True, name="rag-llm-read").start()
        deadline, got = time.monotonic() + self.timeout, False
        with self._errors():
            try:
                while True:
                    try:
                        item = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        if got:  # slow, but answering: the next request may well finish in time
                            raise LLMError(f"the LLM did not finish its answer within {self.timeout:g} s "
                                           "(llm_timeout)") from None
                        message = f"the LLM server did not answer within {self.timeout:g} s (llm_timeout)"
                        self.breaker.trip(message)  # silent for a whole llm_timeout: down or overloaded
                        raise LLMError(message) from None
                    if item is _END:
                        self.breaker.close()  # the server answered, if with nothing
                        return
                    if isinstance(item, BaseException):
                        raise item
                    if not got:
                        self.breaker.close()
                    got = True
                    yield item
            finally:
                stop.set()


def _read(produce: Callable[[], Iterable[str | None]], pieces: queue.Queue, stop: threading.Event) -> None:
    """Move the non-empty pieces into the queue, then `_END` or the exception that ended them."""
    try:
        source = produce()
        try:
            for piece in source:
                if stop.is_set():
                    return
                if piece:
                    pieces.put(piece)
        finally:
            getattr(source, "close", lambda: None)()  # a closed stream closes its HTTP response
        pieces.put(_END)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which translates it
        pieces.put(exc)


class OpenAICompatibleLLM(_Adapter):
    """Any server speaking OpenAI chat completions: OpenAI, vLLM, llama.cpp, LM Studio."""

    install = "pip install llama-index-llms-openai-like"
    hints = {401: "check RAG_LLM_API_KEY", 403: "check RAG_LLM_API_KEY",
             404: "check RAG_LLM_BASE_URL (usually ending in /v1) and RAG_LLM_MODEL",
             429: "the server is rate-limiting requests; wait a moment and ask again"}

    def __init__(self, settings: Settings, env=os.environ, clock: Callable[[], float] = time.monotonic):
        super().__init__(settings, clock)
        if not settings.llm_base_url or not settings.llm_model:
            raise ConfigError("mode llm needs an LLM server: set llm_base_url / RAG_LLM_BASE_URL "
                              "(e.g. http://127.0.0.1:8080/v1) and llm_model / RAG_LLM_MODEL")
        self.base_url = settings.llm_base_url.rstrip("/")
        self.url = shown_url(self.base_url)
        self.secret = settings.llm_api_key or env.get("OPENAI_API_KEY", "") or NO_KEY

    def make_client(self):
        from llama_index.llms.openai_like import OpenAILike

        llm = OpenAILike(model=self.model, api_base=self.base_url, api_key=self.secret, is_chat_model=True,
                         timeout=self.timeout, max_retries=0, max_tokens=self.max_tokens)
        # The OpenAI client and its chat module load on first use (about 1 s): load them now, so that
        # llm_timeout measures the server and not the import.
        getattr(getattr(llm, "_get_client", lambda: None)(), "chat", None)
        return llm

    def detail(self, exc: Exception) -> str:
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            return str(body.get("message") or body.get("error") or body)
        return str(body or "")


class OllamaLLM(_Adapter):
    """A local Ollama server (its native /api/chat protocol)."""

    install = "pip install llama-index-llms-ollama"
    hints = {404: "check RAG_LLM_MODEL (ollama pull MODEL) and RAG_LLM_BASE_URL",
             401: "check RAG_LLM_API_KEY", 403: "check RAG_LLM_API_KEY"}

    def __init__(self, settings: Settings, env=os.environ, clock: Callable[[], float] = time.monotonic):
        super().__init__(settings, clock)
        if not settings.llm_model:
            raise ConfigError("mode llm with llm_provider=ollama needs llm_model / RAG_LLM_MODEL (e.g. llama3.2)")
        self.base_url = (settings.llm_base_url or OLLAMA_URL).rstrip("/")
        self.url = shown_url(self.base_url)
        self.secret = settings.llm_api_key  # only for an Ollama behind an authenticating proxy

    def make_client(self):
        from llama_index.llms.ollama import Ollama

        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else None
        llm = Ollama(model=self.model, base_url=self.base_url, request_timeout=self.timeout,
                     context_window=OLLAMA_CONTEXT, headers=headers, additional_kwargs={"num_predict": self.max_tokens})
        getattr(llm, "client", None)  # built on first use: now, before llm_timeout's clock starts
        return llm

    def detail(self, exc: Exception) -> str:
        error = getattr(exc, "error", "")
        return str(error.get("message", error) if isinstance(error, dict) else error)


LLM_PROVIDERS = {"openai": OpenAICompatibleLLM, "ollama": OllamaLLM}


def build_chat_llm(settings: Settings) -> ChatLLM:
    try:
        provider = LLM_PROVIDERS[settings.llm_provider]
    except KeyError:
        raise ConfigError(f"unknown llm_provider {settings.llm_provider!r}; known: "
                          f"{', '.join(sorted(LLM_PROVIDERS))}") from None
    return provider(settings)


class LLMAnswerer:
    """Generated answers held to the extractive answerer's abstention gate and the citation check.

    Retrieval that the extractive answerer would abstain on never reaches the model: the
    abstention is returned as is (mode "llm"), so "the articles don't say" does not depend on
    the model's honesty. The extractive answer is also the fallback when the server fails.
    """

    def __init__(self, settings: Settings, llm: ChatLLM, extractive: ExtractiveAnswerer):
        self.settings, self.llm, self.extractive = settings, llm, extractive

    def __repr__(self) -> str:
        return f"LLMAnswerer({self.llm!r})"

    def condense(self, question: str, turns: Sequence[tuple[str, str]]) -> str:
        """A stand-alone retrieval query written by the model; the offline condenser if it fails (a server
        found down here fails the answer call at once too: the adapter's circuit breaker)."""
        try:
            query = clean_condensed(self.llm.complete(condense_messages(question, turns)))
        except LLMError:
            return condense_question(question, turns)
        return query or condense_question(question, turns)

    def answer(self, question: str, query: str, hits: Sequence[Hit], evidence: Evidence,
               turns: Sequence[tuple[str, str]] = ()) -> Answer:
        events = self._generate(question, query, hits, evidence, turns, streaming=False)
        return [e for e in events if isinstance(e, Answer)][-1]

    def stream(self, question: str, query: str, hits: Sequence[Hit], evidence: Evidence,
               turns: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
        """The answer text as it grows, then the checked `Answer`."""
        return self._generate(question, query, hits, evidence, turns, streaming=True)

    def _generate(self, question, query, hits, evidence, turns, streaming: bool) -> Iterator[str | Answer]:
        offline = self.extractive.answer(question, query, hits, evidence)
        if offline.abstained:
            yield dataclasses.replace(offline, mode="llm")
            return
        messages = build_messages(question, query, hits, evidence.documents, turns,
                                  self.settings.max_answer_sentences)
        t0, text = time.perf_counter(), ""
        try:
            if streaming:
                pieces = self.llm.stream(messages)
                try:
                    for piece in pieces:
                        text += piece
                        if len(cut := cut_repetition(text)) < len(text):
                            text = cut  # a model that loops stops here, not at its token limit
                            break
                        yield text
                finally:
                    getattr(pieces, "close", lambda: None)()
            else:
                text = cut_repetition(self.llm.complete(messages))
        except LLMError as exc:
            if self.settings.llm_fallback == "error":
                raise
            yield dataclasses.replace(offline, notice=f"The LLM failed ({exc}); this is the offline extractive answer.")
            return
        answer = self.finish(question, query, text, hits, evidence)
        yield dataclasses.replace(answer, timings_ms={**answer.timings_ms, "llm": (time.perf_counter() - t0) * 1000})

    def finish(self, question: str, query: str, text: str, hits: Sequence[Hit], evidence: Evidence) -> Answer:
        """Cite, check and judge the model's complete text (pure)."""
        retrieved = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
        if is_refusal(text):
            return Answer(question, ABSTAIN_TEXT, True, True, mode="llm", retrieved=retrieved, query=query)
        cited, citations = cite_answer(text, hits, evidence.documents)
        answer = finish_answer(question, cited, citations, self.settings, "llm", retrieved, query)
        if answer.abstained or not any(v.supported for v in answer.verdicts):
            return dataclasses.replace(answer, text=ABSTAIN_TEXT, abstained=True, supported=True, citations=(),
                                       notice=UNSUPPORTED_NOTICE)
        return answer
