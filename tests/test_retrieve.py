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
