"""The assistant's input boundary: every client value (question, history, top_k, mode) is checked in
`rag.pipeline` before any work, for the CLI, the web app and the API alike."""

import math

import pytest

from rag.errors import BadInput, ConfigError
from rag.pipeline import clean_question, parse_mode, parse_top_k


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), (5, 5), ("7", 7), (3.0, 3), ("50", 50)])
def test_parse_top_k(value, expected):
    assert parse_top_k(value) == expected


@pytest.mark.parametrize("value", ["abc", math.nan, math.inf, [1, 2], {"k": 1}, True, 0, 51, 2.5, "1e400"])
def test_parse_top_k_refuses(value):
    with pytest.raises(BadInput, match="top_k must be a whole number between 1 and 50"):
        parse_top_k(value)


def test_parse_mode():
    assert parse_mode(None, "extractive") == "extractive" and parse_mode("llm", "extractive") == "llm"
    for bad in (["x"], 3, "bogus"):
        with pytest.raises(ConfigError, match="known modes: extractive, llm"):
            parse_mode(bad, "extractive")


def test_clean_question():
    assert clean_question("  Who is Xi?\x07 ", 100) == "Who is Xi?"
    for bad, message in ((None, "empty"), ("   ", "empty"), ("x" * 101, "101 characters"),
                         ("Who is \ud800?", "not valid text"), (b"bytes", "must be text")):
        with pytest.raises(BadInput, match=message):
            clean_question(bad, 100)


def test_describe_archive():
    from rag.pipeline import describe_archive

    docs = {"a": {"outlet": "Reuters", "published": "2022-10-09", "published_from": "page"},
            "b": {"outlet": "NK News", "published": "2017-12-01", "published_from": "text"},
            "c": {"outlet": "Reuters", "published": "2024-05-05", "published_from": "file"},  # saved, not written
            "d": {"outlet": None, "published": None, "published_from": None},
            "e": {"outlet": "Yonhap"}}
    assert describe_archive(docs) == {"outlets": ["Reuters", "NK News", "Yonhap"],
                                      "date_range": ("2017-12-01", "2022-10-09"), "dated": 2}
    assert describe_archive({}) == {"outlets": [], "date_range": None, "dated": 0}


CAT = ("Lighthouse cat rescued on Nolsoy\n\nPublished: 3 March 2023\n\nTorshavn - A cat named Mykines was rescued on Friday "
       "from a ledge below the Nolsoy lighthouse after three days, the Faroese coast guard said.\n\n"
       "Volunteers lowered a 40-metre rope to reach the cat, which was unhurt.\n").encode()
TRAM = ("Aarhus opens its second tram line\n\nAarhus, 4 April 2023 - The city's second light rail line, which runs "
        "to the harbour district of Nordhavnen, carries 40,000 riders a day, the city council said.\n").encode()


def test_add_articles_with_a_fake_embedder(memory_settings, corpus_copy, fake_embedder):
    from rag.pipeline import build_assistant

    assistant = build_assistant(memory_settings, embedder=fake_embedder)
    assistant.index()
    before = assistant.status()
    assert {"outlets", "date_range", "dated", "documents", "generation"} <= set(before)
    assert before["date_range"] is None and before["dated"] == 0  # the seeds carry no date of their own
    assert before["outlets"][:1] == ["AFP"] and len(before["outlets"]) == 4
    heard = []
    report = assistant.add_articles([("cat.txt", CAT), ("cat.pdf", b"%PDF")], progress=heard.append)
    assert report.saved == ("cat.txt",) and report.rejected[0][0] == "cat.pdf"
    assert assistant.wait_for_indexing(30)
    status = assistant.indexing_status()
    assert not status["running"] and status["error"] is None and status["done"] == status["total"] == 1
    assert status["last_report"] == report.summary() and status["index_report"].startswith("1 added")
    assert heard[0] == "indexing 1 new article" and heard[-1].startswith("index updated: 1 added")
    after = assistant.status()
    assert after["documents"] == before["documents"] + 1 and after["generation"] != before["generation"]
    assert assistant.titles()["cat"] == "Lighthouse cat rescued on Nolsoy"
    assert after["date_range"] == ("2023-03-03", "2023-03-03") and after["dated"] == 1  # from its Published: line
    again = assistant.add_articles([("cat.txt", CAT)])
    assert again.skipped == (("cat.txt", "already in the archive"),)
    assert not assistant.indexing_status()["running"]  # nothing added, nothing to index


def test_status_describes_the_open_generation_without_reading_the_manifest_again(
        memory_settings, corpus_copy, fake_embedder, monkeypatch):
    import rag.pipeline
    from rag.pipeline import build_assistant

    assistant = build_assistant(memory_settings, embedder=fake_embedder)
    assert assistant.status()["documents"] == 0  # no index yet
    assistant.index()
    first = assistant.status()
    monkeypatch.setattr(rag.pipeline, "read_manifest", lambda *_a: pytest.fail("the manifest was read again"))
    again = assistant.status()
    assert again == first and again is not first and first["documents"] == 5 and len(assistant.titles()) == 5
    again.clear()  # a caller's copy: the next status is whole
    assert assistant.status() == first


def test_add_articles_keeps_an_index_error_in_the_status(memory_settings, corpus_copy, fake_embedder):
    from rag.pipeline import build_assistant

    build_assistant(memory_settings, embedder=fake_embedder).index()
    broken = build_assistant(memory_settings.replace(chunk_tokens=64), embedder=fake_embedder)  # built with other settings
    assert broken.add_articles([("cat.txt", CAT)]).saved == ("cat.txt",)
    assert broken.wait_for_indexing(30)
    status = broken.indexing_status()
    assert not status["running"] and "rag index --rebuild" in status["error"]
    assert status["message"].startswith("indexing failed:")


@pytest.mark.slow
def test_added_article_is_answerable_while_the_old_index_keeps_answering(tmp_settings, corpus_copy, embedder):
    """End to end with the real embedder and embedded Chroma: the update runs in the background, questions
    meanwhile are answered from the old generation, then the new article answers its own question."""
    import threading
    import time

    from rag.pipeline import build_assistant

    assistant = build_assistant(tmp_settings, embedder=embedder)
    assistant.index()
    old_generation = assistant.retriever.generation
    embedding, release = threading.Event(), threading.Event()

    def hold_while_embedding(message):  # keeps the update mid-way while the test asks
        if message.startswith("embedding"):
            embedding.set()
            release.wait(30)

    t0 = time.perf_counter()
    report = assistant.add_articles([("faroe_cat.txt", CAT)], progress=hold_while_embedding)
    assert report.saved == ("faroe_cat.txt",)
    try:
        assert embedding.wait(30)
        assert assistant.indexing_status()["running"]
        seeds = assistant.ask("Who did China send as a special envoy to Pyongyang?")
        assert not seeds.abstained and "Li Zhanshu" in seeds.text
        assert assistant.retriever.generation == old_generation
        early = assistant.ask("What was the name of the cat rescued from the Nolsoy lighthouse?")
        assert "faroe_cat" not in [c.doc_id for c in early.citations]
    finally:
        release.set()
    assert assistant.wait_for_indexing(30) and time.perf_counter() - t0 < 30
    assert assistant.indexing_status()["error"] is None
    answer = assistant.ask("What was the name of the cat rescued from the Nolsoy lighthouse?")
    assert not answer.abstained and "Mykines" in answer.text and answer.citations[0].doc_id == "faroe_cat"
    assert assistant.retriever.generation != old_generation

    t0 = time.perf_counter()  # unhindered: from the upload to the first answer from it
    assistant.add_articles([("tram.txt", TRAM)])
    while True:
        answer = assistant.ask("How many riders a day does the Aarhus tram line carry?")
        if answer.citations and answer.citations[0].doc_id == "tram":
            break
        assert time.perf_counter() - t0 < 30, assistant.indexing_status()
        time.sleep(0.1)
    print(f"\nupload to answerable: {time.perf_counter() - t0:.2f} s")
    assert "40,000" in answer.text

    before = sorted(p.name for p in corpus_copy.iterdir())
    binary = assistant.add_articles([("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")])
    assert binary.rejected == (("photo.txt", "binary file (contains NUL bytes)"),) and not binary.written
    assert sorted(p.name for p in corpus_copy.iterdir()) == before
    assert not assistant.indexing_status()["running"]


def test_build_assistant_composes_from_the_registries(memory_settings, fake_embedder):
    from rag.answer import ExtractiveAnswerer
    from rag.pipeline import ANSWERERS, MODES, RETRIEVERS, build_assistant

    assert MODES == tuple(ANSWERERS) == ("extractive", "llm") and set(RETRIEVERS) == {"hybrid"}
    for field, name, known in (("retriever", "dense", "known retrievers: hybrid"),
                               ("store", "redis", "known stores: chroma, memory"),
                               ("embedder", "bogus:model", "unknown embedder backend 'bogus'")):
        with pytest.raises(ConfigError, match=known):
            build_assistant(memory_settings.replace(**{field: name}), embedder=None if field == "embedder" else fake_embedder)
    assistant = build_assistant(memory_settings, embedder=fake_embedder)
    assert isinstance(assistant.answerer("extractive"), ExtractiveAnswerer)
    assert assistant.answerer(None) is assistant.answerer("extractive")  # built once, the default mode
    with pytest.raises(ConfigError, match="known modes: extractive, llm"):
        assistant.answerer("bogus")
    # The LLM mode with no server configured fails when asked for, naming what is missing, not at start.
    with pytest.raises(ConfigError):
        assistant.answerer("llm")


def test_an_injected_chat_model_answers_in_llm_mode(memory_settings, fake_embedder):
    from rag.llm import LLMAnswerer
    from rag.pipeline import build_assistant

    class Model:  # a ChatLLM: complete and stream
        def __init__(self):
            self.calls = 0

        def complete(self, messages):
            self.calls += 1
            return "I cannot answer that from these articles."

        def stream(self, messages):
            yield self.complete(messages)

    model = Model()
    assistant = build_assistant(memory_settings, embedder=fake_embedder, chat_llm=model)
    assistant.index()
    answerer = assistant.answerer("llm")
    assert isinstance(answerer, LLMAnswerer) and answerer.llm is model
    answer = assistant.ask("What did Xi Jinping write to Kim Jong Un?", mode="llm")
    # The offline gate found evidence, so the model was asked once, and its refusal is the abstention.
    assert answer.mode == "llm" and model.calls == 1 and answer.abstained


def test_old_generations_are_collected_through_the_store_backend(memory_settings, corpus_copy, fake_embedder):
    from rag.pipeline import build_assistant
    from rag.store import store_backend

    assistant = build_assistant(memory_settings, embedder=fake_embedder)
    backend = store_backend(memory_settings)
    assistant.index()
    first = backend.generations("rag-")
    for i in range(3):  # each change makes a new generation; the live one and the one before it stay
        (corpus_copy / f"extra-{i}.txt").write_bytes(CAT.replace(b"Mykines", f"Mykines{i}".encode()))
        assistant.index()
    live = assistant.status()["generation"]
    kept = backend.generations("rag-")
    assert len(first) == 1 and len(kept) == 2 and live in kept and first[0] not in kept
    assert assistant.ask("Who rescued the cat on Nolsoy?").citations  # answered from the live generation
