"""Answers: the `Answer` value, the extractive answerer, and the answerer interface.

The extractive answerer ranks the evidence sentences, lets the reading step (`rag.read`) keep those
that can answer, and leads with the answer phrase (an exact span of the quoted sentence) before the
one sentence that holds it, `[n]` after it; or it abstains, naming what is missing and citing the
closest passage. It never generates text.
The LLM answerer (`rag.llm`) implements the same `Answerer` protocol and shares `check_citations`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from rag.chunk import Chunk, Sentence
from rag.cite import Citation, Verdict, check_citations
from rag.config import Settings
from rag.read import (REASON, REASON_RE, TIME_WORDS, Ask, Phrase, Window, adds_to, analyze, article_date, best_phrase,
                      in_window, leans_on_previous, lemma, missing_text, quotable)
from rag.retrieve import Evidence, Hit
from rag.text import jaccard, shingles, tokenize

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
    lead: dict | None = None  # the answer phrase: {text, kind, n, start, end}, a span of citation n

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.text, "abstained": self.abstained,
                "supported": self.supported, "citations": [c.to_json() for c in self.citations],
                "verdicts": [v.to_json() for v in self.verdicts],
                "mode": self.mode, "retrieved": list(self.retrieved), "query": self.query, "notice": self.notice,
                "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}, "lead": self.lead}


class Answerer(Protocol):
    """What the pipeline calls on an answer mode (the extractive default and `rag.llm.LLMAnswerer`)."""

    def condense(self, question: str, turns: Sequence[tuple[str, str]]) -> str | None:
        """A stand-alone retrieval query for a follow-up, or None for the pipeline's offline rewrite."""
        ...

    def stream(self, question: str, query: str, hits: Sequence[Hit], evidence: "Evidence",
               turns: Sequence[tuple[str, str]] = ()) -> Iterator["str | Answer"]:
        """The answer text as it grows (str), then the checked `Answer` last."""
        ...

    def answer(self, question: str, query: str, hits: Sequence[Hit], evidence: "Evidence") -> Answer: ...


def term_weights(terms: Sequence[str], df: dict, n: int) -> dict[str, float]:
    """IDF weight per distinct term; a term the corpus never uses gets the highest weight:
    term_weights(["xi"], {"xi": 9}, 10) -> {"xi": 0.095...}"""
    return {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in dict.fromkeys(terms)}


def coverage(weights: dict[str, float], words: set[str], base=None) -> float:
    """Weighted share of query terms present (a term also counts by its base form, when `base` gives
    one): coverage({"a": 1, "b": 3}, {"b"}) -> 0.75"""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in words or (base and base(t) in words)) / total if total else 0.0


def should_abstain(best_score: float, settings: Settings) -> bool:
    """Abstain when even the best evidence sentence neither shares the question's rarer words nor
    means something close to it: should_abstain(0.2, Settings()) -> True"""
    return best_score < settings.min_evidence_score


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
            text = hit.chunk.sentence_text(sent)
            words = set(tokenize(text))
            if len(words) < 3:
                continue
            cov = coverage(question_weights, words | {lemma(w) for w in words}, lemma)
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
    quote = chunk.sentence_text(sentence)
    context, offset = context_around(chunk, sentence)
    return Citation(n, chunk.doc_id, doc.get("title", chunk.doc_id), quote, sentence.orig_start, sentence.orig_end,
                    score, doc.get("outlet"), doc.get("source") or Path(doc.get("path", "")).name, context, offset,
                    doc.get("published"), doc.get("published_from"), doc.get("sha256"))


def corroborating(cand: Candidate, hits: Sequence[Hit]) -> list[tuple[Chunk, Sentence]]:
    """Near-identical sentences in other articles (e.g. the same Xi quote in two outlets)."""
    mine = shingles(cand.text, 2)
    found, seen_docs = [], {cand.chunk.doc_id}
    for hit in hits:
        for chunk in (hit.chunk, *hit.duplicates):
            if chunk.doc_id in seen_docs:
                continue
            for sent in chunk.sentences:
                text = chunk.sentence_text(sent)
                if jaccard(mine, shingles(text, 2)) >= 0.6:
                    found.append((chunk, sent))
                    seen_docs.add(chunk.doc_id)
                    break
    return found


@dataclass(frozen=True)
class Reading:
    """An evidence sentence as the reading step sees it: may it answer, and with which phrase."""
    candidate: Candidate
    phrase: Phrase | None  # the answer phrase, a span of `phrase_sentence`
    phrase_sentence: Sentence | None  # the sentence holding the phrase: this one, or the one before it
    score: float


def read_candidates(candidates: Sequence[Candidate], ask: Ask, documents: dict) -> list[Reading]:
    """The sentences that may answer, best first. A sentence may not answer when it is a question, a
    cut headline or the title, or only restates the question; for a question that asks for a name,
    a date or an amount, it must hold one of that kind that the question does not already give
    (a "she said" sentence may take it from the sentence before)."""
    out = []
    for cand in candidates:
        title = documents.get(cand.chunk.doc_id, {}).get("title", "")
        if not quotable(cand.text, title) or not adds_to(cand.text, ask):
            continue
        phrase, holder = best_phrase(cand.text, ask), cand.sentence
        if phrase is None and ask.typed and leans_on_previous(cand.text):
            i = cand.chunk.sentences.index(cand.sentence)
            if i > 0:
                holder = cand.chunk.sentences[i - 1]
                phrase = best_phrase(cand.chunk.sentence_text(holder), ask)
        if ask.typed and phrase is None:
            continue
        bonus = 0.1 * phrase.strength if phrase else 0.0  # strength: kind, nearness to the question's words, unit
        if ask.kind == REASON and REASON_RE.search(cand.text):
            bonus += 0.05  # "because", "due to", "in order to": a reason is stated
        out.append(Reading(cand, phrase, holder if phrase else None, cand.score + bonus))
    return sorted(out, key=lambda r: (-r.score, r.candidate.rank, r.candidate.sentence.start))


def quoted(text: str) -> str:
    """A sentence in quotation marks unless it opens with one: quoted("Xi wrote.") -> "“Xi wrote.”" """
    return text if text[:1] in "\"“‘'" else f"“{text}”"


def lead_span(chunk: Chunk, sentence: Sentence, phrase: Phrase, n: int) -> dict:
    """The answer phrase as a checkable span: its citation number and original-file offsets (None when
    the sentence's original text differs from its clean text, e.g. decoded HTML entities)."""
    exact = sentence.orig_end - sentence.orig_start == sentence.end - sentence.start
    start = sentence.orig_start + phrase.start if exact else None
    return {"text": phrase.text, "kind": phrase.kind, "n": n, "start": start,
            "end": start + len(phrase.text) if exact else None}


class ExtractiveAnswerer:
    """Leads with the answer phrase and quotes the sentence that holds it; abstains, naming what is
    missing and showing the closest passage, when no sentence holds what the question asks for."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def condense(self, question: str, turns: Sequence[tuple[str, str]]) -> None:
        return None  # no model: the pipeline's offline rewrite (rag.chat) writes the follow-up's query

    def stream(self, question: str, query: str, hits: Sequence[Hit], evidence: Evidence,
               turns: Sequence[tuple[str, str]] = ()) -> Iterator[Answer]:
        yield self.answer(question, query, hits, evidence)  # quotes are not streamed: the answer is ready at once

    def answer(self, question: str, query: str, hits: Sequence[Hit], evidence: Evidence) -> Answer:
        retrieved = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
        own = tokenize(question)
        weights = term_weights(own or tokenize(query), evidence.df, evidence.n_chunks)
        for term, w in term_weights(tokenize(query), evidence.df, evidence.n_chunks).items():
            weights.setdefault(term, 0.5 * w)  # terms carried over from the history count half
        ask = analyze(question)
        window = evidence.window
        if window is not None:  # "latest", "last week": said of the article's date, not its words
            weights = {t: w for t, w in weights.items() if t not in TIME_WORDS} or weights
        ranked = rank_sentences(weights, hits)
        readings = [r for r in read_candidates(ranked, ask, evidence.documents)
                    if not should_abstain(r.candidate.score, self.settings)]
        if window is not None:
            readings = by_time(readings, window, evidence.documents)
        if not readings:
            return self.abstain(question, query, ask, ranked, evidence, retrieved, window)
        best = readings[0]
        picked = [best]
        if not ask.typed:  # a reason or a description may need a second sentence; a name or a date does not
            for other in readings[1:]:
                if len(picked) == self.settings.max_answer_sentences or other.score < 0.85 * best.score:
                    break
                if all(jaccard(shingles(other.candidate.text, 2), shingles(p.candidate.text, 2)) <= 0.5
                       for p in picked):
                    picked.append(other)
        citations, parts, lead = [], [], None
        for reading in picked:
            cand = reading.candidate
            sources = [(cand.chunk, cand.sentence), *corroborating(cand, hits)]
            if reading.phrase_sentence is not None and reading.phrase_sentence != cand.sentence:
                n = len(citations) + 1  # the sentence before a "she said" names who "she" is
                citations.append(make_citation(n, cand.chunk, reading.phrase_sentence, 1.0, evidence.documents))
                parts.append(quoted(cand.chunk.sentence_text(reading.phrase_sentence)) + f" [{n}]")
            numbers = []
            room = max(1, self.settings.max_citations - len(citations))  # 300 near-copies must not cite 300
            for chunk, sent in sources[:room]:
                n = len(citations) + 1
                citations.append(make_citation(n, chunk, sent, 1.0, evidence.documents))
                numbers.append(n)
            parts.append(quoted(cand.text) + "".join(f" [{n}]" for n in numbers))
            if reading.phrase is not None and lead is None and \
                    reading.phrase.strength >= self.settings.min_lead_strength:
                holder_n = 1 if reading.phrase_sentence != cand.sentence else numbers[0]
                lead = lead_span(cand.chunk, reading.phrase_sentence, reading.phrase, holder_n)
        text = " ".join(parts)
        if lead is not None:
            text = f"{lead['text']} — {text}"
        notice = dated_notice(citations[0]) if window is not None else ""
        answer = finish_answer(question, text, citations, self.settings, "extractive", retrieved, query, notice)
        return dataclasses.replace(answer, lead=lead) if not answer.abstained else answer

    def abstain(self, question: str, query: str, ask: Ask, ranked: Sequence[Candidate], evidence: Evidence,
                retrieved: tuple[str, ...], window: Window | None = None) -> Answer:
        """"The articles don't say who…", with the closest passage cited so the reader can check the "no"."""
        closest = next((c for c in ranked if quotable(c.text)), None)
        if closest is None or closest.score < self.settings.min_closest_score:
            return Answer(question, ABSTAIN_TEXT, True, True, retrieved=retrieved, query=query)
        citation = make_citation(1, closest.chunk, closest.sentence, 0.0, evidence.documents)
        missing = missing_text(ask)
        if window is not None and window.start:  # "…in that period", when articles of other dates say it
            missing = missing.rstrip(".") + f" for {period_text(window)}."
        text = f"{missing} The closest passage I found: {quoted(closest.text)} [1]"
        return Answer(question, text, True, True, (citation,), retrieved=retrieved, query=query)


def by_time(readings: list[Reading], window: Window, documents: dict) -> list[Reading]:
    """Readings re-ranked for a question about a period: an article dated inside it first, one dated
    outside it dropped (undated ones stay); for "the latest", newer articles first."""
    dates = {r.candidate.chunk.doc_id: article_date(documents.get(r.candidate.chunk.doc_id, {})) for r in readings}
    if window.latest:
        known = sorted({d for d in dates.values() if d})
        rank = {d: i / max(1, len(known) - 1) for i, d in enumerate(known)}  # 0 oldest … 1 newest
        scored = [dataclasses.replace(r, score=r.score + 0.2 * rank.get(dates[r.candidate.chunk.doc_id], 0.5))
                  for r in readings]
    else:
        scored = [dataclasses.replace(r, score=r.score + 0.2) if in_window(dates[r.candidate.chunk.doc_id], window)
                  else r for r in readings if in_window(dates[r.candidate.chunk.doc_id], window) is not False]
    return sorted(scored, key=lambda r: (-r.score, r.candidate.rank, r.candidate.sentence.start))


def period_text(window: Window) -> str:
    """period_text(Window("2019-01-01", "2019-12-31")) -> "2019-01-01 to 2019-12-31" """
    return window.start if window.start == window.end else f"{window.start} to {window.end}"


def dated_notice(citation: Citation) -> str:
    """For a question about time, the date of the article the answer comes from."""
    if citation.published and citation.published_from in ("page", "text"):
        return f"This answer comes from an article published on {citation.published} [{citation.n}]."
    return ""  # an undated article: its source card says "file dated …"


def finish_answer(question: str, text: str, citations: list[Citation], settings: Settings, mode: str,
                  retrieved: tuple[str, ...], query: str, notice: str = "") -> Answer:
    """Run the citation checker, attach per-citation support scores, and build the Answer.
    At most `settings.max_citations` citations are kept; markers beyond them are dropped by the checker."""
    citations = citations[:settings.max_citations]
    check = check_citations(text, {c.n: c.quote for c in citations}, settings.support_threshold,
                            settings.drop_unsupported, {c.n: f"{c.title}\n{c.context}" for c in citations})
    score = {n: v.score for v in check.verdicts for n in v.markers}
    cited = {n for v in check.verdicts for n in v.markers if v.supported or not settings.drop_unsupported}
    kept = tuple(Citation(**{**c.__dict__, "score": score.get(c.n, 0.0)}) for c in citations if c.n in cited)
    if not kept or not check.text.strip():
        return Answer(question, ABSTAIN_TEXT, True, True, (), check.verdicts, mode, retrieved, query, notice)
    return Answer(question, check.text, False, check.supported, kept, check.verdicts, mode, retrieved, query, notice)
