"""Citations and the citation checker, shared by every answerer.

`check_citations` is pure: it splits an answer into sentences, reads their `[n]` markers
(tolerating `[1, 2]` and `【1】`), drops markers that point nowhere, and scores each cited span
against its sentence. It does not retrieve or generate anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunk import split_sentences
from rag.retrieve import tokenize

MARKER = re.compile(r"\s*(?:\[\s*(\d+(?:\s*[,;，]\s*\d+)*)\s*\]|【\s*(\d+(?:\s*[,;，]\s*\d+)*)\s*】)")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


@dataclass(frozen=True)
class Citation:
    n: int  # marker number as it appears in the answer text
    doc_id: str
    title: str
    quote: str  # exact text of the original file at [start:end]
    start: int  # original-file offsets
    end: int
    score: float  # support score of the quote for its answer sentence
    outlet: str | None = None
    path: str = ""  # source file, relative to the corpus folder
    context: str = ""  # a few sentences around the quote, for display
    context_start: int = 0  # offset of the quote inside `context`
    published: str | None = None  # the article's date, YYYY-MM-DD
    published_from: str | None = None  # "page", "text" or "file" (the file's date, not the article's)

    def to_json(self) -> dict:
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "quote": self.quote,
                "start": self.start, "end": self.end, "score": round(self.score, 3), "outlet": self.outlet,
                "source": self.path, "context": self.context, "context_start": self.context_start,
                "published": self.published, "published_from": self.published_from}


@dataclass(frozen=True)
class Verdict:
    sentence: str  # answer sentence without markers
    markers: tuple[int, ...]  # valid citation numbers on it
    score: float  # best support score among its citations
    supported: bool
    reason: str  # "ok", "no citation", "unsupported"


@dataclass(frozen=True)
class CheckResult:
    text: str  # answer rebuilt with valid markers only (and unsupported sentences dropped if asked)
    verdicts: tuple[Verdict, ...]
    supported: bool  # every kept sentence is supported
    dropped_markers: tuple[int, ...]  # out-of-range numbers that were removed


def parse_markers(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Answer sentences and their marker numbers:
    parse_markers("Xi wrote [1]. Kim replied [2, 3]") -> [("Xi wrote.", (1,)), ("Kim replied", (2, 3))]"""
    plain, marks, cursor = [], [], 0
    for m in MARKER.finditer(text):
        plain.append(text[cursor:m.start()])
        pos = sum(len(p) for p in plain)
        marks.append((pos, tuple(int(x) for x in re.split(r"[,;，]", m.group(1) or m.group(2)))))
        cursor = m.end()
    plain.append(text[cursor:])
    body = "".join(plain)
    cuts = {pos for pos, _ in marks if re.match(r"\s+[\"“‘(]?[A-Z]", body[pos:])}
    spans = []
    for s, e in split_sentences(body):
        for cut in sorted(c for c in cuts if s < c < e):
            spans.append((s, cut))
            s = cut + len(body[cut:]) - len(body[cut:].lstrip())
        spans.append((s, e))
    out = []
    for i, (s, e) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(body) + 1
        numbers = tuple(n for pos, group in marks if s < pos < nxt or (i == 0 and pos <= s) for n in group)
        out.append((body[s:e], tuple(dict.fromkeys(numbers))))
    return out


def support_score(claim: str, evidence: str) -> float:
    """Share of the claim's content words found in the evidence; 0 when the claim has a number
    the evidence lacks: support_score("Xi thanked Kim", "Xi thanked Kim warmly") -> 1.0"""
    words = tokenize(claim)
    if not words:
        return 1.0
    have = set(tokenize(evidence))
    numbers_in_evidence = set(_NUMBER.findall(evidence))
    if any(num not in numbers_in_evidence for num in _NUMBER.findall(claim)):
        return 0.0
    return sum(w in have for w in words) / len(words)


def check_citations(text: str, sources: dict[int, str], threshold: float = 0.5,
                    drop_unsupported: bool = False) -> CheckResult:
    """Verify each sentence of `text` against the cited `sources` ({n: span text})."""
    verdicts, kept, dropped = [], [], []
    for sentence, numbers in parse_markers(text):
        valid = tuple(n for n in numbers if n in sources)
        dropped.extend(n for n in numbers if n not in sources)
        best = max((support_score(sentence, sources[n]) for n in valid), default=0.0)
        if not valid:
            verdict = Verdict(sentence, (), 0.0, False, "no citation")
        else:
            ok = best >= threshold
            verdict = Verdict(sentence, valid, best, ok, "ok" if ok else "unsupported")
        verdicts.append(verdict)
        if verdict.supported or not drop_unsupported:
            kept.append(sentence + "".join(f" [{n}]" for n in valid))
    shown = [v for v in verdicts if v.supported or not drop_unsupported]
    return CheckResult(" ".join(kept), tuple(verdicts), bool(shown) and all(v.supported for v in shown),
                       tuple(dict.fromkeys(dropped)))


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite marker numbers, dropping unmapped ones: renumber("a [3] b [1]", {3: 1, 1: 2}) -> "a [1] b [2]"."""
    def repl(m: re.Match) -> str:
        nums = [mapping[int(x)] for x in re.split(r"[,;，]", m.group(1) or m.group(2)) if int(x) in mapping]
        return "".join(f" [{n}]" for n in dict.fromkeys(nums))

    return MARKER.sub(repl, text)


def first_use_order(text: str) -> list[int]:
    """Marker numbers in order of first appearance: first_use_order("x [2] y [1] z [2]") -> [2, 1]"""
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        for x in re.split(r"[,;，]", m.group(1) or m.group(2)):
            seen.setdefault(int(x), None)
    return list(seen)
