"""Split cleaned articles into sentences and pack them into token-sized chunks.

Sentences and chunks carry offsets into the clean text and, through the article's
offset map, into the original file. Tokens are counted with tiktoken, read from the
cache bundled in llama-index-core so nothing is downloaded. No embedding happens here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.corpus import Article
from rag.text import split_sentences

ENCODING = "cl100k_base"
@dataclass(frozen=True)
class Sentence:
    start: int  # clean-text offset of the first character
    end: int  # clean-text offset after the last character
    orig_start: int  # original-file offset of the first character
    orig_end: int  # original-file offset after the last character


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # "<doc_id>#<clean start>:<content hash>", stable across runs
    doc_id: str
    text: str  # clean text of the chunk
    start: int  # clean-text offsets of the chunk
    end: int
    sentences: tuple[Sentence, ...]  # sentences of the chunk, absolute clean offsets
    tokens: int

    def sentence_text(self, sentence: Sentence) -> str:
        """The text of one of the chunk's sentences (its offsets are the article's, not the chunk's)."""
        return self.text[sentence.start - self.start:sentence.end - self.start]


def _ensure_tiktoken_cache() -> None:
    """Point tiktoken at llama-index-core's bundled BPE files unless the user chose a cache."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
        if cache.is_dir():
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


@lru_cache(maxsize=1)
def get_encoding():
    """The tiktoken encoding, loaded offline from the bundled cache."""
    _ensure_tiktoken_cache()
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(texts: list[str]) -> list[int]:
    """Token counts of many texts: count_tokens(["Kim met Xi."]) -> [4]. One text at a time: tiktoken's
    encode_ordinary_batch starts a thread pool on every call, which took a third of the indexer's own time."""
    encode = get_encoding().encode_ordinary
    return [len(encode(t)) for t in texts]


def _split_long(text: str, span: tuple[int, int], tokens: int, limit: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than the chunk size at whitespace into roughly equal pieces."""
    s, e = span
    pieces = -(-tokens // limit)
    step = max(1, (e - s) // pieces)
    out, cur = [], s
    while cur < e:
        cut = min(e, cur + step)
        if cut < e:
            space = text.rfind(" ", cur + 1, cut)
            cut = space if space > cur else cut
        out.append((cur, cut))
        cur = cut
        while cur < e and text[cur].isspace():
            cur += 1
    return out


def sentence_spans(article: Article, max_tokens: int) -> tuple[list[Sentence], list[int]]:
    """Sentences of an article with original offsets, and their token counts."""
    raw = split_sentences(article.text)
    counts = count_tokens([article.text[s:e] for s, e in raw])
    spans, sizes = [], []
    for span, n in zip(raw, counts):
        parts = [span] if n <= max_tokens else _split_long(article.text, span, n, max_tokens)
        part_sizes = [n] if len(parts) == 1 else count_tokens([article.text[s:e] for s, e in parts])
        for (s, e), k in zip(parts, part_sizes):
            os_, oe = article.to_original(s, e)
            spans.append(Sentence(s, e, os_, oe))
            sizes.append(k)
    return spans, sizes


def pack_sentences(sizes: list[int], max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive sentences into [first, last) windows of at most max_tokens, with
    trailing sentences of up to `overlap` tokens repeated: pack_sentences([5, 5, 5], 10, 5) -> [(0, 2), (1, 3)]"""
    windows, first = [], 0
    while first < len(sizes):
        last, total = first, 0
        while last < len(sizes) and (last == first or total + sizes[last] <= max_tokens):
            total += sizes[last]
            last += 1
        windows.append((first, last))
        if last >= len(sizes):
            break
        back, carried = last, 0
        while back - 1 > first and carried + sizes[back - 1] <= overlap:
            back -= 1
            carried += sizes[back]
        first = back
    return windows


def chunk_article(article: Article, max_tokens: int = 256, overlap: int = 48) -> list[Chunk]:
    """Sentence-aware token chunks of one article, with deterministic ids."""
    sentences, sizes = sentence_spans(article, max_tokens)
    chunks = []
    for first, last in pack_sentences(sizes, max_tokens, overlap):
        group = tuple(sentences[first:last])
        start, end = group[0].start, group[-1].end
        text = article.text[start:end]
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        chunks.append(
            Chunk(f"{article.doc_id}#{start}:{digest}", article.doc_id, text, start, end, group, sum(sizes[first:last]))
        )
    return chunks
