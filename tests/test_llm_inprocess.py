"""LLM mode with an in-process scripted model (no server, no socket, no model download): the
answerer end to end over two in-memory passages, and the adapter's circuit breaker, driven through
the real adapter code with a llama-index-shaped scripted client. The HTTP fake's tests are test_llm.py."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest

from tests.conftest import FakeEmbedder, seed_subset
from tests.fake_llm import Call, ScriptedChatLLM, ScriptedClient
from rag.answer import ABSTAIN_TEXT, Answer, Evidence, ExtractiveAnswerer
from rag.chat import condense_question
from rag.config import Settings
from rag.errors import LLMError
from rag.llm import BREAKER_SECONDS, CircuitBreaker, LLMAnswerer, OpenAICompatibleLLM
from rag.prompt import CONDENSE_PROMPT, build_messages
from tests.test_llm import FALLBACK, cite
from tests.test_prompt import DOCS, HITS, ORIG_SHIFT

QUESTION = "What did Xi write to Kim?"
EVIDENCE = Evidence({}, 2, DOCS)  # the two passages of test_prompt: "letter" and "sanctions"
WROTE = "Xi Jinping wrote to Kim Jong Un in October"
PRAISED = "The letter praised common prosperity"
HISTORY = [("user", "Who wrote to Kim Jong Un?"), ("assistant", "Xi Jinping wrote to him in October. [1]")]
FOLLOW_UP = "What did he write?"
DOWN = "cannot reach the LLM server: is it running? Check RAG_LLM_BASE_URL"


def good_reply(call: Call) -> str:
    return f"{WROTE} [{cite(call, WROTE)}]. {PRAISED} [{cite(call, PRAISED)}]."


def make_answerer(model, **changes) -> LLMAnswerer:
    settings = Settings(**changes)
    return LLMAnswerer(settings, model, ExtractiveAnswerer(settings))


def answer(answerer: LLMAnswerer, question: str = QUESTION, turns=()) -> Answer:
    return answerer.answer(question, question, HITS, EVIDENCE, turns)


def quote_of(citation) -> str:
    hit = next(h for h in HITS if h.chunk.doc_id == citation.doc_id)
    return hit.chunk.text[citation.start - ORIG_SHIFT:citation.end - ORIG_SHIFT]


# -- the answerer end to end ------------------------------------------------------------------------
def test_cited_answer_gets_supported_verdicts():
    model = ScriptedChatLLM(responder=good_reply)
    got = answer(make_answerer(model))
    assert (got.mode, got.abstained, got.supported, got.notice) == ("llm", False, True, "")
    assert [(v.reason, v.markers) for v in got.verdicts] == [("ok", (1,)), ("ok", (2,))]
    assert [(c.n, c.doc_id) for c in got.citations] == [(1, "letter"), (2, "letter")]
    assert [quote_of(c) for c in got.citations] == [WROTE + ".", PRAISED + "."]  # exact spans of the passage
    assert got.text == f"{WROTE}. [1] {PRAISED}. [2]" and got.timings_ms["llm"] >= 0
    [call] = model.calls
    expected = build_messages(QUESTION, QUESTION, HITS, DOCS, (), Settings().max_answer_sentences)
    assert (call.messages, call.streamed) == (tuple(expected), False)  # the prompt, as built


def test_a_made_up_claim_is_flagged():
    model = ScriptedChatLLM(responder=lambda c: f"{WROTE} [{cite(c, WROTE)}]. "
                                                f"Xi promised Kim 500 tonnes of rice [{cite(c, WROTE)}].")
    got = answer(make_answerer(model))
    assert (got.mode, got.abstained, got.supported) == ("llm", False, False)
    first, second = got.verdicts
    assert (first.supported, first.reason) == (True, "ok")
    assert (second.supported, second.reason) == (False, "number 500 not in the source")
    assert "500 tonnes of rice" in got.text  # shown, and flagged by its verdict


def test_a_refusal_becomes_the_abstention():
    got = answer(make_answerer(ScriptedChatLLM("The articles don't say.")))
    assert (got.mode, got.abstained, got.text, got.citations, got.notice) == ("llm", True, ABSTAIN_TEXT, (), "")


def test_nothing_relevant_never_reaches_the_model():
    model = ScriptedChatLLM(responder=good_reply)
    got = answer(make_answerer(model), "What is the best banana bread recipe?")
    assert (got.mode, got.abstained, got.text, model.calls) == ("llm", True, ABSTAIN_TEXT, [])


def test_stream_yields_growing_text_then_the_checked_answer():
    model = ScriptedChatLLM(responder=good_reply)
    events = list(make_answerer(model).stream(QUESTION, QUESTION, HITS, EVIDENCE))
    texts, final = events[:-1], events[-1]
    assert len(texts) >= 5 and all(isinstance(t, str) for t in texts) and isinstance(final, Answer)
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:]))
    assert texts[-1] == good_reply(model.calls[0]) and model.calls[0].streamed
    assert (final.mode, final.supported, [v.reason for v in final.verdicts]) == ("llm", True, ["ok", "ok"])


@pytest.mark.parametrize("streaming", [True, False], ids=["streamed", "not-streamed"])
def test_a_failing_model_falls_back_to_the_labelled_extractive_answer(streaming):
    model = ScriptedChatLLM(LLMError("the LLM server returned 500 Internal Server Error"))
    answerer = make_answerer(model)
    got = list(answerer.stream(QUESTION, QUESTION, HITS, EVIDENCE))[-1] if streaming else answer(answerer)
    offline = ExtractiveAnswerer(Settings()).answer(QUESTION, QUESTION, HITS, EVIDENCE)
    assert (got.mode, got.abstained, got.text, got.citations) == ("extractive", False, offline.text, offline.citations)
    assert got.notice == "The LLM failed (the LLM server returned 500 Internal Server Error)" + FALLBACK
    assert len(model.calls) == 1


def test_llm_fallback_error_raises():
    model = ScriptedChatLLM(LLMError("the LLM server returned 500 Internal Server Error"))
    with pytest.raises(LLMError, match="^the LLM server returned 500 Internal Server Error$"):
        answer(make_answerer(model, llm_fallback="error"))


def test_a_follow_up_is_condensed_by_the_model():
    model = ScriptedChatLLM("What did Xi Jinping write to Kim Jong Un?", responder=good_reply)
    answerer = make_answerer(model)
    query = answerer.condense(FOLLOW_UP, HISTORY)
    assert query == "What did Xi Jinping write to Kim Jong Un?"
    condense = model.calls[0]
    assert (condense.system, condense.streamed) == (CONDENSE_PROMPT, False)
    assert f"Follow-up question: {FOLLOW_UP}" in condense.last_user and "User: Who wrote to Kim Jong Un?" in \
        condense.last_user
    got = answerer.answer(FOLLOW_UP, query, HITS, EVIDENCE, HISTORY)
    assert (got.mode, got.query, got.supported) == ("llm", query, True)
    assert f"(Stand-alone form of the question: {query})" in model.calls[1].last_user


def test_a_failed_condense_uses_the_offline_condenser():
    answerer = make_answerer(ScriptedChatLLM(LLMError("the LLM server returned 500 Internal Server Error")))
    assert answerer.condense(FOLLOW_UP, HISTORY) == condense_question(FOLLOW_UP, HISTORY)


# -- the circuit breaker ----------------------------------------------------------------------------
class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class StatusError(Exception):
    """What the OpenAI and Ollama clients raise for an HTTP error status: an exception with `status_code`."""

    def __init__(self, status_code: int):
        super().__init__(f"Error code: {status_code}")
        self.status_code = status_code


class InProcessLLM(OpenAICompatibleLLM):
    """The real OpenAI-compatible adapter (errors, deadline, breaker) with a scripted in-process client."""

    def __init__(self, model: ScriptedChatLLM, clock, **changes):
        super().__init__(Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="fake", **changes), clock=clock)
        self.scripted = model

    def make_client(self):
        return ScriptedClient(self.scripted)


def test_breaker_fails_fast_for_its_cooldown_and_a_success_closes_it():
    clock = Clock()
    breaker = CircuitBreaker(10.0, clock)
    breaker.check()  # closed: nothing happens
    breaker.trip("cannot reach the LLM server")
    clock.now += 9.9
    with pytest.raises(LLMError, match="^cannot reach the LLM server$"):
        breaker.check()
    clock.now += 0.1
    breaker.check()  # the cooldown is over: the next call tries the server
    breaker.trip("down again")
    breaker.close()
    breaker.check()


def test_breaker_is_thread_safe():
    breaker, errors = CircuitBreaker(60.0), []

    def hammer(i: int) -> None:
        for _ in range(500):
            breaker.trip(f"down {i}") if i % 2 else breaker.close()
            try:
                breaker.check()
            except LLMError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(errors) <= {f"down {i}" for i in range(1, 8, 2)}
    breaker.trip("down")
    with pytest.raises(LLMError, match="^down$"):
        breaker.check()


def test_a_server_down_during_a_follow_up_is_asked_once_then_again_after_the_cooldown():
    clock = Clock()
    model = ScriptedChatLLM(httpx.ConnectError("connection refused"), responder=good_reply)
    answerer = make_answerer(InProcessLLM(model, clock))
    query = answerer.condense(FOLLOW_UP, HISTORY)
    assert query == condense_question(FOLLOW_UP, HISTORY)
    got = answerer.answer(FOLLOW_UP, query, HITS, EVIDENCE, HISTORY)
    assert len(model.calls) == 1 and model.calls[0].system == CONDENSE_PROMPT  # one attempt, not two
    assert (got.mode, got.notice) == ("extractive", f"The LLM failed ({DOWN})" + FALLBACK)
    clock.now += BREAKER_SECONDS
    assert answer(answerer).mode == "llm" and len(model.calls) == 2  # the server is asked again, and answers


def test_a_server_down_during_a_follow_up_raises_once_with_llm_fallback_error():
    model = ScriptedChatLLM(httpx.ConnectError("connection refused"), responder=good_reply)
    answerer = make_answerer(InProcessLLM(model, Clock()), llm_fallback="error")
    query = answerer.condense(FOLLOW_UP, HISTORY)
    with pytest.raises(LLMError, match=f"^{re.escape(DOWN)}$"):
        answerer.answer(FOLLOW_UP, query, HITS, EVIDENCE, HISTORY)
    assert len(model.calls) == 1


@pytest.mark.parametrize("failure, trips", [
    (httpx.ReadTimeout("timed out"), True),
    (StatusError(503), True),
    (StatusError(429), True),
    (StatusError(400), False),  # this request was rejected (too long, say): the next one may pass
    (ValueError("Expecting value: line 1 column 36 (char 35)"), False),  # a malformed reply: the server is up
], ids=["timeout", "503", "429", "400", "malformed"])
def test_only_a_failure_that_says_the_server_is_down_trips_the_breaker(failure, trips):
    model = ScriptedChatLLM(failure, "Xi wrote to Kim [1].")
    llm = InProcessLLM(model, Clock())
    with pytest.raises(LLMError):
        llm.complete([("user", "hi")])
    if trips:
        with pytest.raises(LLMError):
            llm.complete([("user", "hi")])
        assert len(model.calls) == 1
    else:
        assert llm.complete([("user", "hi")]) == "Xi wrote to Kim [1]." and len(model.calls) == 2


def test_a_stream_that_answers_closes_the_breaker_and_each_adapter_has_its_own():
    clock = Clock()
    model = ScriptedChatLLM(httpx.ConnectError("refused"), "Xi wrote to Kim [1].", "Kim replied [1].")
    llm, other = InProcessLLM(model, clock), InProcessLLM(ScriptedChatLLM("Other server [1]."), clock)
    with pytest.raises(LLMError, match=f"^{re.escape(DOWN)}$"):
        "".join(llm.stream([("user", "hi")]))
    assert "".join(other.stream([("user", "hi")])) == "Other server [1]."  # not tripped by its neighbour
    clock.now += BREAKER_SECONDS
    assert "".join(llm.stream([("user", "hi")])) == "Xi wrote to Kim [1]."
    assert llm.complete([("user", "hi")]) == "Kim replied [1]." and len(model.calls) == 3


# -- through the Assistant (the composition root takes the model) -----------------------------------
def test_assistant_answers_with_an_injected_chat_model(tmp_path):
    from rag import build_assistant

    corpus = seed_subset(tmp_path / "corpus", "003_443b657839c6b62c.txt", "004_9569ee472e9e94bc.txt")
    settings = Settings(corpus_dir=str(corpus), index_dir=str(tmp_path / "index"), store="memory", mode="llm")
    unity = "enhance communication, unity and cooperation"
    model = ScriptedChatLLM(responder=lambda c: f"Xi Jinping said Beijing and Pyongyang should {unity} "
                                                f"[{cite(c, unity)}].")
    assistant = build_assistant(settings, embedder=FakeEmbedder(), chat_llm=model)
    assistant.index()
    got = assistant.ask("What did Xi say in his letter to Kim?")
    assert (got.mode, got.abstained, got.supported, got.notice) == ("llm", False, True, "")
    assert [c.doc_id[:3] for c in got.citations] == ["003"] and unity in got.citations[0].quote
    assert len(model.calls) == 1 and model.calls[0].streamed  # Assistant.ask streams


class Stalling:
    """A server that sends a first piece (or nothing) and then stalls past the reply's deadline."""

    def __init__(self, answering: bool):
        self.answering, self.calls = answering, 0

    def stream(self, messages):
        self.calls += 1
        if self.answering:
            yield "Xi wrote"
        time.sleep(0.6)
        yield " to Kim [1]."

    def complete(self, messages):
        return "".join(self.stream(messages))


@pytest.mark.parametrize("answering, trips", [(True, False), (False, True)], ids=["slow", "silent"])
def test_the_reply_deadline_trips_the_breaker_only_when_the_server_said_nothing(answering, trips):
    # A server that is answering, if slowly, is asked again next time; one silent for a whole
    # llm_timeout is down or overloaded, and the next calls within the cooldown fail at once.
    from rag.llm import _chat_messages

    _chat_messages([("user", "hi")])  # the client library's first import is not the server's delay
    server = Stalling(answering)
    llm = InProcessLLM(server, Clock(), llm_timeout=0.3)
    with pytest.raises(LLMError, match="did not finish its answer" if answering else "did not answer within"):
        "".join(llm.stream([("user", "hi")]))
    with pytest.raises(LLMError):
        "".join(llm.stream([("user", "hi")]))
    assert server.calls == (1 if trips else 2)
