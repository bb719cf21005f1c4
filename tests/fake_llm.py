"""Scripted chat models for tests. `FakeLLM`: a server on 127.0.0.1 speaking OpenAI chat-completions
(JSON or SSE) and Ollama /api/chat, for the slow tests that go through the real HTTP clients.
`ScriptedChatLLM`: an in-process `rag.llm.ChatLLM` for the fast tests (no socket, no client library);
`ScriptedClient` puts it behind a llama-index-shaped client, to drive the real adapters in process.

Each request takes the next scripted reply (or asks a responder when the script is empty), so a
test decides exactly what the "model" says, or how it fails: an HTTP error, a hang past the
client's timeout, malformed JSON, or (in process) a raised exception. Every request is recorded.
They are test doubles, not models: they never read the prompt unless a responder does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Callable, Iterator, Sequence

Message = tuple[str, str]  # (role, content), as rag.prompt builds them


@dataclass(frozen=True)
class Reply:
    text: str = ""  # what the model says
    status: int = 200  # an HTTP error status sends an OpenAI-style error body instead
    delay: float = 0.0  # seconds to wait before answering (longer than the client timeout = a hang)
    malformed: bool = False  # send broken JSON (or a broken SSE event) instead of a reply
    echo_auth: bool = False  # put the request's Authorization header in the error message (leak test)
    piece_words: int = 2  # words per streamed chunk
    piece_delay: float = 0.01  # seconds between streamed chunks (a slow model trickles)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.messages if m["role"] == "system"), "")

    @property
    def last_user(self) -> str:
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")


def pieces(text: str, words: int) -> list[str]:
    """Split text into streamable pieces that join back exactly: pieces("a b c", 2) -> ["a b", " c"]"""
    tokens = text.split(" ")
    return [(" " if i else "") + " ".join(tokens[i:i + words]) for i in range(0, len(tokens), words)] or [""]


class FakeLLM:
    """Use as a context manager; `url` is the OpenAI-style base URL (…/v1), `root` the Ollama one."""

    def __init__(self, responder: Callable[[Request], Reply | str] | None = None):
        self.script: deque[Reply | str] = deque()
        self.responder = responder or (lambda request: Reply("The articles don't say."))
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.root + "/v1"

    def add(self, *replies: Reply | str) -> "FakeLLM":
        self.script.extend(replies)
        return self

    def next_reply(self, request: Request) -> Reply:
        reply = self.script.popleft() if self.script else self.responder(request)
        return Reply(reply) if isinstance(reply, str) else reply

    def __enter__(self) -> "FakeLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()  # releases handlers that are "hanging"
        self._server.shutdown()
        self._server.server_close()


def _handler(fake: FakeLLM):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(size) or b"{}")
            except ValueError:
                body = {}
            request = Request(self.path, dict(self.headers), body)
            fake.requests.append(request)
            reply = fake.next_reply(request)
            if reply.delay and fake._stop.wait(reply.delay):
                return
            try:
                if reply.status != 200:
                    self._error(reply, request)
                elif self.path.endswith("/api/chat"):
                    self._ollama(reply, body)
                elif body.get("stream"):
                    self._sse(reply, body)
                else:
                    self._json(reply, body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def _send(self, status: int, ctype: str, data: bytes | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if data is not None:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data is not None:
                self.wfile.write(data)

        def _error(self, reply: Reply, request: Request) -> None:
            message = reply.text or f"scripted error {reply.status}"
            if reply.echo_auth:
                message += f" (you sent {request.headers.get('Authorization')})"
            data = json.dumps({"error": {"message": message, "type": "fake_error", "code": reply.status}})
            self._send(reply.status, "application/json", data.encode())

        def _json(self, reply: Reply, body: dict) -> None:
            if reply.malformed:
                return self._send(200, "application/json", b'{"id": "x", "choices": [{"message": ')
            data = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.text}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            self._send(200, "application/json", json.dumps(data).encode())

        def _sse(self, reply: Reply, body: dict) -> None:
            self._send(200, "text/event-stream")

            def event(delta: dict, finish: str | None = None) -> None:
                chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                         "model": body.get("model", "fake"),
                         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(reply.piece_delay)

            event({"role": "assistant", "content": ""})
            for piece in pieces(reply.text, reply.piece_words):
                event({"content": piece})
            if reply.malformed:
                self.wfile.write(b'data: {"choices": [{"delta": {"content": \n\n')
                self.wfile.flush()
                return
            event({}, "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _ollama(self, reply: Reply, body: dict) -> None:
            def line(content: str, done: bool) -> bytes:
                data = {"model": body.get("model", "fake"), "created_at": "2024-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": content}, "done": done}
                if done:
                    data.update(done_reason="stop", prompt_eval_count=1, eval_count=1)
                return (json.dumps(data) + "\n").encode()

            if reply.malformed:
                return self._send(200, "application/x-ndjson", b'{"message": {"content": \n')
            if not body.get("stream", True):
                return self._send(200, "application/json", line(reply.text, True))
            self._send(200, "application/x-ndjson")
            for piece in pieces(reply.text, reply.piece_words):
                self.wfile.write(line(piece, False))
                self.wfile.flush()
                time.sleep(reply.piece_delay)
            self.wfile.write(line("", True))
            self.wfile.flush()

    return Handler


# -- in process ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One request to a `ScriptedChatLLM`: its messages and whether it was streamed."""

    messages: tuple[Message, ...]
    streamed: bool

    @property
    def system(self) -> str:
        return next((content for role, content in self.messages if role == "system"), "")

    @property
    def last_user(self) -> str:
        return next((content for role, content in reversed(self.messages) if role == "user"), "")


class ScriptedChatLLM:
    """A `ChatLLM` (complete, stream) that says what the test scripted.

    Each call takes the next of `replies`, or asks `responder(call)` when they run out; a reply that is
    an exception is raised instead (LLMError("...") plays a failed server). Streamed replies come in
    pieces of `piece_words` words that join back exactly. `calls` records every request:
    ScriptedChatLLM("Xi wrote [1].").complete([("user", "hi")]) -> "Xi wrote [1]." """

    def __init__(self, *replies: str | BaseException,
                 responder: Callable[[Call], str] | None = None, piece_words: int = 1):
        self.script: deque[str | BaseException] = deque(replies)
        self.responder = responder or (lambda call: "The articles don't say.")
        self.piece_words = piece_words
        self.calls: list[Call] = []

    def __repr__(self) -> str:
        return f"ScriptedChatLLM({len(self.script)} scripted replies)"

    def add(self, *replies: str | BaseException) -> "ScriptedChatLLM":
        self.script.extend(replies)
        return self

    def reply(self, messages: Sequence[Message], streamed: bool) -> str:
        call = Call(tuple((role, content) for role, content in messages), streamed)
        self.calls.append(call)
        reply = self.script.popleft() if self.script else self.responder(call)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def complete(self, messages: Sequence[Message]) -> str:
        return self.reply(messages, streamed=False)

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        yield from pieces(self.reply(messages, streamed=True), self.piece_words)


class ScriptedClient:
    """A llama-index LLM's `chat` / `stream_chat`, answered by a `ScriptedChatLLM`: what an adapter's
    `make_client` returns to run rag.llm's real adapter code (errors, deadline, breaker) in process.
    Script client-library exceptions (httpx.ConnectError, ...) to play a server that fails."""

    def __init__(self, model: ScriptedChatLLM):
        self.model = model

    @staticmethod
    def _messages(chat_messages) -> list[Message]:
        return [(getattr(m.role, "value", m.role), m.content) for m in chat_messages]

    def chat(self, chat_messages):
        return SimpleNamespace(message=SimpleNamespace(content=self.model.complete(self._messages(chat_messages))))

    def stream_chat(self, chat_messages):
        return (SimpleNamespace(delta=piece) for piece in self.model.stream(self._messages(chat_messages)))
