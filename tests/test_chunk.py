from pathlib import Path

from rag.chunk import chunk_article, count_tokens, pack_sentences
from rag.corpus import load_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_pack_sentences_respects_limit_and_overlap():
    assert pack_sentences([5, 5, 5], 10, 5) == [(0, 2), (1, 3)]
    assert pack_sentences([5, 5, 5], 10, 0) == [(0, 2), (2, 3)]
    assert pack_sentences([50], 10, 5) == [(0, 1)]  # an oversized unit still forms a chunk


def test_tiktoken_runs_offline():
    assert count_tokens(["Kim met Xi."]) == [4]


def test_chunks_map_to_original_and_are_deterministic():
    article = load_article(SEEDS / "004_9569ee472e9e94bc.txt")
    chunks = chunk_article(article, 128, 24)
    assert len(chunks) > 3
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in chunk_article(article, 128, 24)]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.tokens <= 128
        assert article.text[chunk.start:chunk.end] == chunk.text
        for sent in chunk.sentences:
            assert article.original[sent.orig_start:sent.orig_end] == article.text[sent.start:sent.end]


def test_overlap_repeats_trailing_sentences():
    article = load_article(SEEDS / "000_468aaedc6a09fc6c.txt")
    chunks = chunk_article(article, 128, 40)
    assert any(set(a.sentences) & set(b.sentences) for a, b in zip(chunks, chunks[1:]))


def test_huge_sentence_is_split(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("Headline here\n\n" + " ".join(["word"] * 2000) + ".\n", encoding="utf-8")
    chunks = chunk_article(load_article(path), 256, 32)
    assert all(c.tokens <= 256 for c in chunks) and len(chunks) >= 7
