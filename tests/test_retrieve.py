import sys

import pytest

from rag.retrieve import fuse_rankings, group_near_duplicates


def test_fuse_rankings_is_rrf():
    fused = fuse_rankings([["a", "b"], ["b"]], k=60)
    assert [item for item, _ in fused] == ["b", "a"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fuse_rankings([]) == []


def test_group_near_duplicates():
    texts = {"x": "Xi said relations should reach sustainable soundness and stable development now",
             "y": "Xi said relations should reach sustainable soundness and stable development now, KCNA said",
             "z": "Mike Pompeo scheduled another trip to Pyongyang this month"}
    assert group_near_duplicates(["x", "z", "y"], texts) == [("x", ["y"]), ("z", [])]


@pytest.mark.slow
@pytest.mark.parametrize("question,doc", [
    ("What was Mike Pompeo planning?", "002_617917d42ee51cd6"),
    ("Who is Li Jianguo?", "004_9569ee472e9e94bc"),
    ("What did Mao Ning call for?", "003_443b657839c6b62c"),
    ("When did KCNA last report a message from Xi?", "001_32944c5d53887f74"),
])
def test_hybrid_finds_named_entities(seeds_assistant, question, doc):
    hits = seeds_assistant.retriever.retrieve(question)
    assert doc in [h.chunk.doc_id for h in hits[:2]]


@pytest.mark.slow
def test_bm25_finds_a_name_mentioned_once(seeds_assistant):
    ranking = seeds_assistant.retriever.bm25_ranking("Pompeo", 5)
    assert ranking and seeds_assistant.retriever.chunks[ranking[0][0]].doc_id == "002_617917d42ee51cd6"


@pytest.mark.slow
def test_repeated_body_is_indexed_once(seeds_assistant):
    chunks = [c for c in seeds_assistant.retriever.chunks.values() if c.doc_id == "003_443b657839c6b62c"]
    text = " ".join(c.text for c in chunks)
    assert text.count("Mao Ning called on all parties") == 1


def test_weighted_fusion():
    fused = fuse_rankings([["a", "b"], ["b", "a"]], k=60, weights=(1.0, 2.0))
    assert fused[0][0] == "b"


def test_retrieval_can_be_held_to_some_documents(memory_settings):
    """Dense (chunks and sentences, filtered by Chroma) and BM25 alike keep to the documents given."""
    from rag.indexer import build_index
    from rag.retrieve import Retriever
    from tests.conftest import FakeEmbedder

    emb = FakeEmbedder()
    build_index(memory_settings, emb)
    retriever = Retriever(memory_settings, emb)
    only = frozenset({"003_443b657839c6b62c"})
    hits = retriever.retrieve("Kim Jong Un letter Xi Jinping", docs=only)
    assert hits and {h.chunk.doc_id for h in hits} == only
    assert {h.chunk.doc_id for h in retriever.retrieve("Kim Jong Un letter Xi Jinping")} > only
    assert retriever.retrieve("Kim Jong Un letter Xi Jinping", docs=frozenset()) == []


# -- the persisted lexical index: loaded == rebuilt; damage is IndexCorrupt -----------------------------
QUERIES = ["Pompeo", "Kim Jong Un letter Xi Jinping", "What did Mao Ning call for?", "trade quota", "zzyzx",
           "Pyongyang talks envoy", "Who is Li Jianguo?", "sustainable soundness and stable development"]


@pytest.fixture
def lexical_index(tmp_settings, fake_embedder):
    """An embedded index built with its lexical folder: (settings, that folder)."""
    from rag.indexer import build_index
    from rag.manifest import read_manifest

    build_index(tmp_settings, fake_embedder)
    generation = read_manifest(tmp_settings.index_path)["collection"]
    return tmp_settings, tmp_settings.index_path / f"{generation}.lexical"


def test_a_loaded_lexical_index_ranks_exactly_like_a_rebuilt_one(lexical_index, fake_embedder, monkeypatch):
    from dataclasses import replace

    import numpy as np

    import rag.retrieve
    from rag.lexical import build_lexical, load_lexical
    from rag.retrieve import Retriever

    settings, folder = lexical_index
    loaded = Retriever(settings, fake_embedder)
    assert isinstance(loaded.bm25.scores["data"], np.memmap)
    def again(*args):  # the same texts (those the folder holds), indexed again in memory
        saved = load_lexical(*args)
        return replace(build_lexical(dict(zip(saved.order, saved.texts))), sentences=saved.sentences)

    monkeypatch.setattr(rag.retrieve, "load_lexical", again)
    rebuilt = Retriever(settings, fake_embedder)
    assert not isinstance(rebuilt.bm25.scores["data"], np.memmap)
    only = frozenset({"003_443b657839c6b62c", "002_617917d42ee51cd6"})
    for query in QUERIES:
        assert loaded.bm25_ranking(query, 30) == rebuilt.bm25_ranking(query, 30), query  # same ids, same scores
        assert loaded.bm25_ranking(query, 30, only) == rebuilt.bm25_ranking(query, 30, only), query
        assert loaded.retrieve(query) == rebuilt.retrieve(query), query
    assert loaded.df == rebuilt.df and loaded.evidence().n_chunks == rebuilt.evidence().n_chunks


def test_a_lean_index_opens_without_reading_the_store(lexical_index, fake_embedder, monkeypatch):
    """The lexical folder's chunk table and texts stand in for the store's records: opening reads only the
    store's count, chunks are built when asked for, and they equal the records' chunks."""
    import rag.retrieve
    from rag.retrieve import LazyChunks, Retriever

    settings, folder = lexical_index
    (folder / "chunks.npy").rename(folder / "chunks.npy.off")  # an older folder: read from the store
    eager = Retriever(settings, fake_embedder)
    assert isinstance(eager.chunks, dict)
    (folder / "chunks.npy.off").rename(folder / "chunks.npy")
    real = rag.retrieve.open_store

    class NoRecords:
        def __init__(self, store):
            self.store = store

        def __getattr__(self, name):
            return getattr(self.store, name)

        def records(self, *args, **kwargs):
            raise AssertionError("the lean path read every chunk record")

    monkeypatch.setattr(rag.retrieve, "open_store", lambda *a, **k: NoRecords(real(*a, **k)))
    lean = Retriever(settings, fake_embedder)
    assert isinstance(lean.chunks, LazyChunks) and len(lean.chunks) == len(eager.chunks)
    assert all(lean.chunks[cid] == eager.chunks[cid] for cid in eager.order)  # text, offsets, sentences
    for query in QUERIES:
        assert lean.retrieve(query) == eager.retrieve(query), query
        assert lean.retrieve(query, docs=frozenset({"002_617917d42ee51cd6"})) == \
            eager.retrieve(query, docs=frozenset({"002_617917d42ee51cd6"})), query


def test_chunk_table_round_trips_and_texts_are_read_one_at_a_time(tmp_path):
    from dataclasses import replace

    from rag.chunk import Chunk, Sentence
    from rag.lexical import Texts, build_lexical, chunk_table, load_lexical, save_lexical

    chunks = {"a#0": Chunk("a#0", "a", "Xi spoke. Kim wrote.", 0, 20, (Sentence(0, 9, 3, 12), Sentence(10, 20, 13, 23)), 6),
              "b#0": Chunk("b#0", "b", "金正恩 wrote.", 5, 16, (Sentence(5, 16, 5, 40),), 4)}
    lexical = build_lexical({cid: c.text for cid, c in chunks.items()})
    save_lexical(tmp_path / "g.lexical", replace(lexical, chunks=chunk_table(lexical.order, chunks)), "g")
    loaded = load_lexical(tmp_path / "g.lexical", "g")
    assert isinstance(loaded.texts, Texts) and loaded.texts[1] == "金正恩 wrote." and loaded.texts[-1] == loaded.texts[1]
    assert [loaded.chunks.chunk(i, cid, loaded.texts[i]) for i, cid in enumerate(loaded.order)] == list(chunks.values())
    assert loaded.chunks.docs == ["a", "b"] and list(loaded.chunks.doc_index()) == [0, 1]
    with pytest.raises(IndexError):
        loaded.texts[2]


def test_build_lexical_is_pure_and_ordered():
    from rag.lexical import build_lexical

    lexical = build_lexical({"b": "Kim met Xi in Beijing", "a": "Xi spoke", "c": "..."})
    assert lexical.order == ["a", "b", "c"] and lexical.df["xi"] == 2 and lexical.df["∅"] == 1
    assert lexical.bm25.scores["num_docs"] == 3 and lexical.texts == ["Xi spoke", "Kim met Xi in Beijing", "..."]


def test_sentence_table_keeps_a_shared_sentence_once():
    from rag.errors import IndexCorrupt
    from rag.lexical import sentence_table

    keys = {"a#0": [("a", 0, 5), ("a", 6, 9)], "a#1": [("a", 6, 9), ("a", 10, 14)]}
    vectors = {("a", 0, 5): [1.0, 0.0], ("a", 6, 9): [0.0, 1.0], ("a", 10, 14): [0.6, 0.8]}
    table = sentence_table(["a#0", "a#1"], keys, vectors)
    assert table.vectors.shape == (3, 2) and table.vectors.dtype.name == "float16"
    assert list(table.of_chunk(0)) == [0, 1] and list(table.of_chunk(1)) == [1, 2]
    assert list(table.counts()) == [2, 2] and list(table.vectors[2]) == pytest.approx([0.6, 0.8], abs=1e-3)
    with pytest.raises(IndexCorrupt, match="no vector for the sentence a@10-14"):
        sentence_table(["a#0", "a#1"], keys, {k: v for k, v in vectors.items() if k != ("a", 10, 14)})


def test_lexical_texts_round_trip_in_any_script(tmp_path):
    from rag.lexical import build_lexical, load_lexical, save_lexical

    texts = {"a#0": "Xi spoke — “warmly”.", "b#0": "", "c#0": "金正恩 wrote to 习近平.\n"}
    save_lexical(tmp_path / "g.lexical", build_lexical(texts), "g")
    loaded = load_lexical(tmp_path / "g.lexical", "g")
    assert dict(zip(loaded.order, loaded.texts)) == texts


def _truncate(folder, name):
    path = folder / name
    path.write_bytes(path.read_bytes()[:40])


def _save_array(path, change):
    import numpy as np

    np.save(path, change(np.load(path)))


def _edit_meta(folder, **changes):
    import json

    meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
    meta.update(changes)
    (folder / "lexical.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("damage", [
    lambda f: _truncate(f, "data.csc.index.npy"),
    lambda f: _truncate(f, "indptr.csc.index.npy"),
    lambda f: (f / "indices.csc.index.npy").unlink(),
    lambda f: (f / "vocab.index.json").write_text("{not json"),
    lambda f: (f / "params.index.json").unlink(),
    lambda f: (f / "lexical.json").unlink(),
    lambda f: _truncate(f, "lexical.json"),
    lambda f: _edit_meta(f, order=["someone-else#0"]),
    lambda f: _edit_meta(f, generation="rag-19990101000000-000000"),
    lambda f: _edit_meta(f, df=None),
    lambda f: (__import__("shutil").rmtree(f), f.write_text("a file, not a folder")),
    lambda f: _truncate(f, "texts.bin"),
    lambda f: _truncate(f, "texts.npy"),
    lambda f: (f / "texts.npy").unlink(),
    lambda f: (f / "texts.bin").write_bytes(b"\xff" * (f / "texts.bin").stat().st_size),
    lambda f: _truncate(f, "sentences.npy"),
    lambda f: (f / "sentence_rows.npy").unlink(),
    lambda f: _save_array(f / "sentence_rows.npy", lambda a: a + 10**6),
    lambda f: _save_array(f / "sentence_offsets.npy", lambda a: a[:-1]),
    lambda f: (f / "sentences.npy").unlink(),
    lambda f: _truncate(f, "chunks.npy"),
    lambda f: (f / "spans.npy").unlink(),
    lambda f: _save_array(f / "chunks.npy", lambda a: a[:-1]),
    lambda f: _save_array(f / "spans.npy", lambda a: a[:-1]),
    lambda f: _edit_meta(f, docs=[]),
], ids=["data", "indptr", "indices", "vocab", "params", "no-meta", "meta", "order", "generation", "df", "file",
        "texts", "offsets", "no-offsets", "not-utf8", "sentences", "no-rows", "rows", "sentence-offsets", "no-sentences",
        "chunks", "no-spans", "chunk-rows", "spans", "docs"])
def test_a_damaged_lexical_folder_is_index_corrupt_with_the_rebuild_hint(lexical_index, fake_embedder, damage):
    from rag.errors import REBUILD_HINT, IndexCorrupt
    from rag.indexer import build_index
    from rag.retrieve import Retriever

    settings, folder = lexical_index
    damage(folder)
    with pytest.raises(IndexCorrupt, match="lexical index|sentence vectors|chunk table") as caught:
        Retriever(settings, fake_embedder)
    assert REBUILD_HINT in str(caught.value)
    assert build_index(settings, fake_embedder, rebuild=True).chunks > 0  # the hint works
    assert Retriever(settings, fake_embedder).bm25_ranking("Pompeo", 1)


def _mapped_kb(path) -> int:
    """Resident kB of this process's maps of `path`, from /proc/self/smaps."""
    total, inside = 0, False
    for line in open("/proc/self/smaps", encoding="utf-8"):
        if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:  # a mapping's header line
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_release_pages_drops_what_a_question_read_from_the_maps_and_the_texts_still_read(tmp_path):
    from rag.lexical import build_lexical, load_lexical, mapped_files, release_pages, save_lexical

    texts = {f"c{i:04d}": f"Chunk {i} says the envoy met officials. " * 60 for i in range(800)}  # ~2 MB
    save_lexical(tmp_path / "g.lexical", build_lexical(texts), "g")
    loaded = load_lexical(tmp_path / "g.lexical", "g")
    maps = mapped_files(loaded)
    assert len(maps) == 4 and len(mapped_files(build_lexical(texts))) == 0  # 3 BM25 arrays and the texts
    blob = tmp_path / "g.lexical" / "texts.bin"
    assert all(loaded.texts[i] for i in range(len(loaded.texts)))
    assert _mapped_kb(blob) > 1000
    release_pages(maps)
    assert _mapped_kb(blob) < 100
    assert dict(zip(loaded.order, loaded.texts)) == texts  # read again from the page cache
