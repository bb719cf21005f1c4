"""Answers: the `Answer` value, the extractive answerer, and the answerer interface.

The extractive answerer quotes the 1–3 evidence sentences that best cover the question,
each followed by `[n]`, or abstains when the evidence is too weak. It never generates text.
The LLM answerer (`rag.llm`) implements the same `Answerer` protocol and shares `check_citations`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence

from rag.chunk import Chunk, Sentence
from rag.cite import Citation, Verdict, check_citations
from rag.config import Settings
from rag.retrieve import Hit, jaccard, shingles, tokenize

ABSTAIN_TEXT = "The articles don't say. I found nothing in the indexed articles that answers this question."


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    supported: bool
    citations: tuple[Citation, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    mode: str = "extractive"
    retrieved: tuple[str, ...] = ()  # document ids in retrieval rank order
    query: str = ""  # the stand-alone retrieval query (differs from question for follow-ups)
    notice: str = ""  # e.g. "The LLM failed; this is the offline answer."
    timings_ms: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.text, "abstained": self.abstained,
                "supported": self.supported, "citations": [c.to_json() for c in self.citations],
                "verdicts": [{"sentence": v.sentence, "markers": list(v.markers), "score": round(v.score, 3),
                              "supported": v.supported, "reason": v.reason} for v in self.verdicts],
                "mode": self.mode, "retrieved": list(self.retrieved), "query": self.query, "notice": self.notice,
                "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}}


class Answerer(Protocol):
    def answer(self, question: str, query: str, hits: Sequence[Hit], evidence: "Evidence") -> Answer: ...


@dataclass(frozen=True)
class Evidence:
    """What the answerer may know about the index besides the hits."""
    df: dict  # document frequency of each token over chunks
    n_chunks: int
    documents: dict  # manifest documents: doc_id -> {title, outlet, path, ...}


def term_weights(terms: Sequence[str], df: dict, n: int) -> dict[str, float]:
    """IDF weight per distinct term; a term the corpus never uses gets the highest weight:
    term_weights(["xi"], {"xi": 9}, 10) -> {"xi": 0.095...}"""
    return {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in dict.fromkeys(terms)}


def coverage(weights: dict[str, float], words: set[str]) -> float:
    """Weighted share of query terms present: coverage({"a": 1, "b": 3}, {"b"}) -> 0.75"""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in words) / total if total else 0.0


def should_abstain(best_score: float, settings: Settings) -> bool:
    """Abstain when even the best evidence sentence neither shares the question's rarer words nor
    means something close to it: should_abstain(0.2, Settings()) -> True"""
    return best_score < settings.min_evidence_score


NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
                "million billion trillion dozen dozens hundreds thousands millions")
KIND_OF_QUESTION = (
    ("number", re.compile(r"\bhow (many|much)\b", re.I)),
    ("time", re.compile(r"^\W*((and|so|but|then)\W+)?when\b|\b(what|which) (date|year|month|day)\b|\bdate of\b"
                        r"|\bhow long ago\b", re.I)),
)
KIND_IN_TEXT = {
    # A count, not a year: "since 2017" does not say how many.
    "number": re.compile(r"\b(?!(1[89]|20)\d\d\b)\d|\b(" + "|".join(NUMBER_WORDS.split()) + r")\b", re.I),
    # Month and day names are capitalised ("May", not "may"); relative times are matched in any case.
    "time": re.compile(r"\b(1[89]\d\d|20\d\d|\d{1,2}(st|nd|rd|th)|(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\."
                       r"|January|February|March|April|May|June|July|August|September|October|November|December"
                       r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
                       r"|(?i:today|yesterday|tomorrow|tonight|ago|weekend|(last|next|this|that|same|previous|following)"
                       r" (week|month|year|day|spring|summer|autumn|fall|winter)))\b"),
}


def answer_kind(question: str) -> str | None:
    """What kind of fact a question asks for, when its wording says so:
    answer_kind("How many summits?") -> "number"; answer_kind("When did he go?") -> "time";
    answer_kind("Who was president when THAAD was deployed?") -> None"""
    return next((kind for kind, pattern in KIND_OF_QUESTION if pattern.search(question)), None)


def states_kind(text: str, kind: str | None) -> bool:
    """Whether a sentence can answer that kind of question at all:
    states_kind("They met in March.", "time") -> True; states_kind("A record number.", "number") -> False"""
    return kind is None or bool(KIND_IN_TEXT[kind].search(text))


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    sentence: Sentence
    text: str
    score: float
    coverage: float
    similarity: float  # cosine of the sentence to the query
    rank: int


def rank_sentences(question_weights: dict, hits: Sequence[Hit]) -> list[Candidate]:
    """Every sentence of the evidence, scored by weighted term coverage plus a retrieval prior."""
    out = []
    for rank, hit in enumerate(hits):
        for sent in hit.chunk.sentences:
            text = hit.chunk.text[sent.start - hit.chunk.start:sent.end - hit.chunk.start]
            words = set(tokenize(text))
            if len(words) < 3:
                continue
            cov = coverage(question_weights, words)
            sim = hit.sentence_sims.get((sent.start, sent.end), 0.0)
            # A headline-like line (no closing punctuation) restates the topic but rarely answers.
            headline = 0.0 if text.rstrip("”\"’')]").endswith((".", "!", "?", "…")) else 0.15
            score = 0.5 * cov + 0.5 * sim + 0.02 / (rank + 1) - headline
            out.append(Candidate(hit.chunk, sent, text, score, cov, sim, rank))
    return sorted(out, key=lambda c: (-c.score, c.rank, c.sentence.start))


def pick_sentences(candidates: Sequence[Candidate], limit: int, ratio: float = 0.7) -> list[Candidate]:
    """The best sentence and up to limit-1 more that score nearly as well and say something new."""
    picked: list[Candidate] = []
    for cand in candidates:
        if len(picked) == limit or (picked and cand.score < ratio * picked[0].score):
            break
        if any(jaccard(shingles(cand.text, 2), shingles(p.text, 2)) > 0.5 for p in picked):
            continue
        picked.append(cand)
    return picked


def context_around(chunk: Chunk, sentence: Sentence) -> tuple[str, int]:
    """The sentence with its neighbours in the chunk, and the sentence's offset inside that text."""
    i = chunk.sentences.index(sentence)
    first, last = chunk.sentences[max(0, i - 1)], chunk.sentences[min(len(chunk.sentences) - 1, i + 1)]
    text = chunk.text[first.start - chunk.start:last.end - chunk.start]
    return text, sentence.start - first.start


def make_citation(n: int, chunk: Chunk, sentence: Sentence, score: float, documents: dict) -> Citation:
    doc = documents.get(chunk.doc_id, {})
    quote = chunk.text[sentence.start - chunk.start:sentence.end - chunk.start]
    context, offset = context_around(chunk, sentence)
    return Citation(n, chunk.doc_id, doc.get("title", chunk.doc_id), quote, sentence.orig_start, sentence.orig_end,
                    score, doc.get("outlet"), doc.get("source") or Path(doc.get("path", "")).name, context, offset)


def corroborating(cand: Candidate, hits: Sequence[Hit]) -> list[tuple[Chunk, Sentence]]:
    """Near-identical sentences in other articles (e.g. the same Xi quote in two outlets)."""
    mine = shingles(cand.text, 2)
    found, seen_docs = [], {cand.chunk.doc_id}
    for hit in hits:
        for chunk in (hit.chunk, *hit.duplicates):
            if chunk.doc_id in seen_docs:
                continue
            for sent in chunk.sentences:
                text = chunk.text[sent.start - chunk.start:sent.end - chunk.start]
                if jaccard(mine, shingles(text, 2)) >= 0.6:
                    found.append((chunk, sent))
                    seen_docs.add(chunk.doc_id)
                    break
    return found


class ExtractiveAnswerer:
    """Quotes evidence sentences; abstains when coverage and similarity are both weak."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def answer(self, question: str, query: str, hits: Sequence[Hit], evidence: Evidence) -> Answer:
        retrieved = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
        own = tokenize(question)
        weights = term_weights(own or tokenize(query), evidence.df, evidence.n_chunks)
        for term, w in term_weights(tokenize(query), evidence.df, evidence.n_chunks).items():
            weights.setdefault(term, 0.5 * w)  # terms carried over from the history count half
        kind = answer_kind(question)  # "how many" needs a number, "when" a time: others cannot answer
        candidates = [c for c in rank_sentences(weights, hits) if states_kind(c.text, kind)]
        if not candidates or should_abstain(candidates[0].score, self.settings):
            return Answer(question, ABSTAIN_TEXT, True, True, retrieved=retrieved, query=query)
        citations, parts = [], []
        for cand in pick_sentences(candidates, self.settings.max_answer_sentences):
            numbers = []
            room = max(1, self.settings.max_citations - len(citations))  # 300 near-copies must not cite 300
            for chunk, sent in [(cand.chunk, cand.sentence), *corroborating(cand, hits)][:room]:
                n = len(citations) + 1
                citations.append(make_citation(n, chunk, sent, 1.0, evidence.documents))
                numbers.append(n)
            parts.append(cand.text + "".join(f" [{n}]" for n in numbers))
        return finish_answer(question, " ".join(parts), citations, self.settings, "extractive", retrieved, query)


def finish_answer(question: str, text: str, citations: list[Citation], settings: Settings, mode: str,
                  retrieved: tuple[str, ...], query: str, notice: str = "") -> Answer:
    """Run the citation checker, attach per-citation support scores, and build the Answer.
    At most `settings.max_citations` citations are kept; markers beyond them are dropped by the checker."""
    citations = citations[:settings.max_citations]
    check = check_citations(text, {c.n: c.quote for c in citations}, settings.support_threshold,
                            settings.drop_unsupported)
    score = {n: v.score for v in check.verdicts for n in v.markers}
    cited = {n for v in check.verdicts for n in v.markers if v.supported or not settings.drop_unsupported}
    kept = tuple(Citation(**{**c.__dict__, "score": score.get(c.n, 0.0)}) for c in citations if c.n in cited)
    if not kept or not check.text.strip():
        return Answer(question, ABSTAIN_TEXT, True, True, (), check.verdicts, mode, retrieved, query, notice)
    return Answer(question, check.text, False, check.supported, kept, check.verdicts, mode, retrieved, query, notice)
