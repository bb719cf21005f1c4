"""One contract for every VectorStore: the embedded Chroma store, the in-process MemoryStore and (marked
`server`) a real `chroma run` on loopback all pass the same tests."""

from __future__ import annotations

import math

import pytest

from rag.store import ChromaStore, MemoryStore

IDS = ["a#0", "a#1", "b#0", "c#0"]
TEXTS = ["Xi wrote to Kim.", "Kim replied.", "Trump met Kim.", "Moon visited Beijing."]
METAS = [{"doc_id": "a", "start": 0}, {"doc_id": "a", "start": 17}, {"doc_id": "b", "start": 0},
         {"doc_id": "c", "start": 0}]
VECTORS = [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


@pytest.fixture(params=["memory", "chroma-embedded", pytest.param("chroma-server", marks=pytest.mark.server)])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "chroma-embedded":
        yield ChromaStore(str(tmp_path / "gen"), "rag-test", create=True)
    else:
        from tests.chroma_server import ChromaServer

        server = ChromaServer(tmp_path / "chroma-data").start()
        try:
            yield ChromaStore(server.url, "rag-test", create=True)
        finally:
            server.stop()


def filled(store):
    store.add(IDS, TEXTS, METAS, VECTORS)
    return store


def test_query_ranks_by_cosine_and_returns_at_most_k(store):
    hits = filled(store).query([0.9, 0.1, 0.0], 3)
    assert [cid for cid, _ in hits] == ["a#0", "a#1", "b#0"]
    expected = (0.9 * 1.0 + 0.1 * 0.0) / math.hypot(0.9, 0.1)
    assert hits[0][1] == pytest.approx(expected, abs=1e-4)
    assert hits[0][1] >= hits[1][1] >= hits[2][1]
    assert len(store.query([0.0, 0.0, 1.0], 50)) == 4  # k beyond the count gives them all
    assert store.query([1.0, 0.0, 0.0], 0) == []


def test_the_document_filter_applies_before_ranking(store):
    filled(store)
    assert [cid for cid, _ in store.query([1.0, 0.0, 0.0], 2, docs=frozenset({"c"}))] == ["c#0"]
    assert {cid for cid, _ in store.query([1.0, 0.0, 0.0], 4, docs=frozenset({"a", "b"}))} == {"a#0", "a#1", "b#0"}
    assert store.query([1.0, 0.0, 0.0], 4, docs=frozenset()) == []


def test_adding_an_id_again_replaces_it_and_records_page_through_everything(store):
    filled(store)
    store.add(["b#0"], ["Trump met Kim again."], [{"doc_id": "b", "start": 0}], [[1.0, 0.0, 0.0]])
    assert store.count() == 4
    rows = {cid: (text, meta, vec) for cid, text, meta, vec in store.records(with_vectors=True)}
    assert set(rows) == set(IDS) and rows["b#0"][0] == "Trump met Kim again."
    assert rows["a#1"][1]["doc_id"] == "a" and rows["a#1"][1]["start"] == 17
    assert [float(x) for x in rows["a#1"][2]] == pytest.approx([0.8, 0.6, 0.0], abs=1e-6)
    assert all(vec is None for *_, vec in store.records())
