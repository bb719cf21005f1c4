"""Split cleaned articles into sentences and pack them into token-sized chunks.

Sentences and chunks carry offsets into the clean text and, through the article's
offset map, into the original file. Tokens are counted with tiktoken, read from the
cache bundled in llama-index-core so nothing is downloaded. No embedding happens here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.corpus import Article

ENCODING = "cl100k_base"
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "rep", "sen", "gov",
    "st", "jr", "sr", "vs", "etc", "no", "inc", "corp", "ltd", "co", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "est", "fig", "vol",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")


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
    """Token counts of many texts: count_tokens(["Kim met Xi."]) -> [4]"""
    return [len(t) for t in get_encoding().encode_ordinary_batch(texts)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of text, whitespace trimmed: split_sentences("A b. C d.") -> [(0, 4), (5, 9)]"""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        end = m.end() if m.group(0)[0] != "\n" else m.start()
        if m.group(0)[0] == ".":
            word = re.search(r"([\w.]+)\.*$", text[start : m.start() + 1])
            token = word.group(1) if word else ""
            # "U.S." / "C.C." / "Mr." / "J." do not end a sentence.
            if token.rstrip(".").lower() in _ABBREVIATIONS or "." in token.rstrip(".") or len(token.rstrip(".")) == 1:
                continue
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


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
