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


# -- backends: where generations live (what the indexer, the retriever and the cleanup call) ----------
@pytest.fixture(params=["memory", "chroma-embedded", pytest.param("chroma-server", marks=pytest.mark.server)])
def backend(request, tmp_path):
    from rag.store import ChromaBackend, MemoryBackend

    if request.param == "memory":
        yield MemoryBackend(str(tmp_path / "index"))
    elif request.param == "chroma-embedded":
        yield ChromaBackend(str(tmp_path / "index"))
    else:
        from tests.chroma_server import ChromaServer

        server = ChromaServer(tmp_path / "chroma-data").start()
        try:
            yield ChromaBackend(str(tmp_path / "index"), server.url)
        finally:
            server.stop()


def test_backend_opens_lists_and_drops_generations(backend):
    from rag.errors import IndexCorrupt

    with pytest.raises(IndexCorrupt):
        backend.open("rag-1", create=False)  # a generation that was never made is missing, not empty
    for gen in ("rag-1", "rag-2", "other-1"):
        filled(backend.open(gen, create=True))
        backend.open(gen, create=True, sentences=True).add(["s"], ["Xi wrote."], [{"doc_id": "a"}], [[1.0, 0, 0]])
    assert backend.generations("rag-") == ["rag-1", "rag-2"]  # one name per generation, its sentences included
    assert backend.open("rag-2").count() == 4 and backend.open("rag-2", sentences=True).count() == 1
    backend.drop("rag-1")
    backend.drop("rag-1")  # dropping what is gone is not an error
    assert backend.generations("rag-") == ["rag-2"] and backend.generations("other-") == ["other-1"]
    with pytest.raises(IndexCorrupt):
        backend.open("rag-1", sentences=True)
    assert backend.open("rag-2").query([1.0, 0.0, 0.0], 1)[0][0] == "a#0"


def test_compacting_a_generation_keeps_every_record(backend):
    store = filled(backend.open("rag-1", create=True))
    before = sorted((cid, text) for cid, text, _m, _v in store.records())
    backend.compact("rag-1")
    backend.compact("rag-1")  # twice is fine
    assert sorted((cid, text) for cid, text, _m, _v in backend.open("rag-1").records()) == before
    assert backend.open("rag-1").query([1.0, 0.0, 0.0], 1)[0][0] == "a#0"


def test_compacting_gives_back_the_free_pages_of_an_embedded_generation(tmp_path):
    import sqlite3

    from rag.store import ChromaBackend

    backend = ChromaBackend(str(tmp_path / "index"))
    store = backend.open("rag-1", create=True)
    ids = [f"d#{i}" for i in range(2500)]  # past Chroma's sync threshold (1000): its log entries get deleted
    store.add(ids, ["some words of a chunk " * 20] * 2500, [{"doc_id": "d"}] * 2500, [[1.0, float(i), 0.0] for i in range(2500)])
    path = tmp_path / "index" / "rag-1" / "chroma.sqlite3"
    with sqlite3.connect(path) as db:
        free_before = db.execute("pragma freelist_count").fetchone()[0]
    backend.compact("rag-1")
    with sqlite3.connect(path) as db:
        assert db.execute("pragma freelist_count").fetchone()[0] == 0 < free_before
    assert backend.open("rag-1").count() == 2500


def test_memory_backends_of_one_index_folder_share_it(tmp_path):
    from rag.store import MemoryBackend

    filled(MemoryBackend(str(tmp_path / "index")).open("rag-1", create=True))
    assert MemoryBackend(str(tmp_path / "index" / ".." / "index")).open("rag-1").count() == 4
    assert MemoryBackend(str(tmp_path / "elsewhere")).generations("rag-") == []


def test_store_registry_names_the_known_stores(tmp_path):
    from rag.config import Settings
    from rag.errors import ConfigError
    from rag.store import store_backend

    assert store_backend(Settings(index_dir=str(tmp_path), store="memory")).kind == "memory"
    assert store_backend(Settings(index_dir=str(tmp_path))).kind == "embedded"
    assert store_backend(Settings(index_dir=str(tmp_path), chroma_url="http://127.0.0.1:9")).kind == "server"
    with pytest.raises(ConfigError, match="unknown store 'redis'; known stores: chroma, memory"):
        store_backend(Settings(store="redis"))


def test_embedded_generations_are_the_generation_folders_only(tmp_path):
    from rag.store import ChromaBackend

    backend = ChromaBackend(str(tmp_path / "index"))
    filled(backend.open("rag-1", create=True))
    (tmp_path / "index" / "rag-1.lexical").mkdir()  # the generation's BM25 folder sits beside it
    (tmp_path / "index" / ".rag-2.lexical.77.tmp").mkdir()
    assert backend.generations("rag-") == ["rag-1"]


def test_records_may_keep_no_text(store):
    # The sentence collection keeps only ids, vectors and the document filter's metadata.
    store.add(["a@0-9"], None, [{"doc_id": "a"}], [[1.0, 0.0, 0.0]])
    assert [(cid, text, meta["doc_id"]) for cid, text, meta, _v in store.records()] == [("a@0-9", None, "a")]
    assert store.query([1.0, 0.0, 0.0], 1, docs={"a"})[0][0] == "a@0-9"
