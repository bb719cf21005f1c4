"""Sentence and word helpers shared by cleaning, chunking, retrieval, reading, answering, the checker
and the chat rewrite: one sentence splitter, one tokeniser.

Pure and dependency-free, so the citation checker does not pull in the store to tokenise a claim.
"""

from __future__ import annotations

import re

# A citation marker as answers write it: " [1]", " [1, 2]", "【3】" (the leading space is part of it).
MARKER = re.compile(r"\s*(?:\[\s*(\d+(?:\s*[,;，]\s*\d+)*)\s*\]|【\s*(\d+(?:\s*[,;，]\s*\d+)*)\s*】)")
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself said says say tell told according also did does do one two new
""".split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lowercased content words, possessives and plurals folded: tokenize("Kim's letters") -> ['kim', 'letter']"""
    out = []
    for word in _WORD.findall(text.lower()):
        word = re.sub(r"['’]s$", "", word).replace("’", "'")
        if word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        out.append(word)
    return out


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """Word n-grams of the content words: shingles("Kim met Xi in Beijing", 2) -> {('kim', 'met'), ...}"""
    words = tokenize(text)
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set, b: set) -> float:
    """jaccard({1, 2}, {2, 3}) -> 0.333..."""
    return len(a & b) / len(a | b) if a and b else 0.0


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "rep", "sen", "gov",
    "st", "jr", "sr", "vs", "etc", "no", "inc", "corp", "ltd", "co", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "est", "fig", "vol",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")


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
