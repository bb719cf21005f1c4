"""Pure evaluation metrics: answer correctness, retrieval hit@k/MRR, citation span validity,
ALCE-style citation recall and precision, and the summary of a run's result rows.

Nothing here runs a model or reads files: callers pass texts, rows and a support function.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Iterable, Sequence

from rag.cite import MARKER, parse_markers

TYPES = ("factoid", "multi", "unanswerable", "followup")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
Support = Callable[[str, str], float]  # (claim, evidence) -> score in [0, 1]


def normalize_answer(text: str) -> str:
    """Markers removed, NFKC, quotes straightened, lowercase, whitespace collapsed:
    normalize_answer("China’s  “Main” Partner [1].") -> 'china\\'s "main" partner.'"""
    text = MARKER.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return re.sub(r"\s+", " ", text).strip()


def is_correct(answer: str, abstained: bool, answers_all: Sequence[str] = (), answers_any: Sequence[str] = ()) -> bool:
    """Contains every `answers_all` and one `answers_any` string (after normalising), and did not abstain.
    A question with no expected strings (unanswerable) is answered correctly by abstaining:
    is_correct("Kim met Xi [1].", False, answers_any=["kim"]) -> True"""
    if not answers_all and not answers_any:
        return abstained
    if abstained:
        return False
    text = normalize_answer(answer)
    return (all(normalize_answer(a) in text for a in answers_all)
            and (not answers_any or any(normalize_answer(a) in text for a in answers_any)))


def first_sentence_holds(answer: str, answers_all: Sequence[str] = (), answers_any: Sequence[str] = ()) -> bool:
    """Whether the answer's first sentence alone holds the gold (the reader needs to read no further):
    first_sentence_holds("Hua Chunying — she said so [1]. Xi wrote [2].", answers_any=["Hua"]) -> True"""
    sentences = [s for s, _ in parse_markers(answer) if s.strip()]
    return bool(sentences) and is_correct(sentences[0], False, answers_all, answers_any)


def lead_holds(lead: str, answers_all: Sequence[str] = (), answers_any: Sequence[str] = ()) -> bool:
    """Whether the bold answer phrase is itself the answer: it holds a gold string, or is part of one
    ("Kiplagat" of "Isaiah Kiplagat"). A right quote under a wrong phrase misleads the reader:
    lead_holds("Frankfurt", answers_any=["Hanau"]) -> False"""
    text = normalize_answer(lead)
    golds = [normalize_answer(g) for g in (*answers_all, *answers_any) if g.strip()]
    return bool(text) and any(g in text or (len(text) > 2 and text in g) for g in golds)


def answer_chars(answer: str) -> int:
    """Length of the answer a reader sees, markers removed: answer_chars("Xi wrote. [1]") -> 9"""
    return len(re.sub(r"\s+", " ", MARKER.sub("", answer)).strip())


def hit_at_k(retrieved: Sequence[str], relevant: Iterable[str], k: int) -> bool:
    """A relevant document is among the first k: hit_at_k(["a", "b"], ["b"], 1) -> False"""
    gold = set(relevant)
    return any(d in gold for d in list(dict.fromkeys(retrieved))[:k])


def reciprocal_rank(retrieved: Sequence[str], relevant: Iterable[str]) -> float:
    """1 / rank of the first relevant document (0 if none): reciprocal_rank(["a", "b"], ["b"]) -> 0.5"""
    gold = set(relevant)
    for rank, doc in enumerate(dict.fromkeys(retrieved), start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def span_is_valid(original: str | None, quote: str, start: int, end: int) -> bool:
    """The quote is exactly original[start:end]: span_is_valid("Kim met Xi", "met", 4, 7) -> True"""
    return (original is not None and isinstance(start, int) and isinstance(end, int)
            and 0 <= start <= end <= len(original) and original[start:end] == quote)


def citation_scores(answer: str, quotes: dict[int, str], support: Support,
                    threshold: float) -> tuple[float, float, int, int]:
    """ALCE citation (recall, precision, sentences, citations) of one answer.

    Recall: share of answer sentences whose cited quotes, concatenated, support them (an
    uncited sentence counts as unsupported). Precision: share of citations that are correct: the
    sentence is supported by all its citations together, and the citation either supports the
    sentence alone or is needed (without it the rest no longer supports the sentence).
    citation_scores("Kim met Xi [1][2].", {1: "Kim met Xi", 2: "weather"}, score, 0.5) -> (1.0, 0.5, 1, 2)
    """
    sentences = [(s, tuple(n for n in marks if n in quotes)) for s, marks in parse_markers(answer) if s.strip()]
    if not sentences:
        return 0.0, 0.0, 0, 0
    supported = correct = cited = 0
    for sentence, marks in sentences:
        cited += len(marks)
        joint = bool(marks) and support(sentence, " ".join(quotes[n] for n in marks)) >= threshold
        if not joint:
            continue
        supported += 1
        if len(marks) == 1:
            correct += 1
            continue
        for n in marks:
            alone = support(sentence, quotes[n]) >= threshold
            rest = " ".join(quotes[m] for m in marks if m != n)
            needed = support(sentence, rest) < threshold
            correct += alone or needed
    return supported / len(sentences), (correct / cited if cited else 0.0), len(sentences), cited


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]: percentile([1, 2, 3, 4], 50) -> 2.5"""
    if not values:
        return float("nan")
    import numpy as np

    return float(np.percentile(values, q))


def share(flags: Iterable[bool]) -> float | None:
    """Mean of booleans, None when empty: share([True, False]) -> 0.5"""
    flags = list(flags)
    return sum(map(bool, flags)) / len(flags) if flags else None


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def summarize(rows: Sequence[dict], ks: Sequence[int] = (1, 3, 5)) -> dict:
    """Aggregate scored result rows (each with type, correct, abstained, doc_ids, retrieved,
    cited_gold, span_valid, cite_recall/cite_precision, latency_ms) into the report's metrics."""
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    with_docs = [r for r in answerable if r.get("doc_ids")]
    answered = [r for r in rows if not r["abstained"] and r.get("cite_sentences")]
    cited = [r for r in answered if r.get("cite_count")]
    spans = [ok for r in rows for ok in r.get("span_valid", [])]
    latencies = [r["latency_ms"] for r in rows]
    lengths = [answer_chars(r.get("answer", "")) for r in rows if not r["abstained"] and r["type"] != "unanswerable"]
    correct_answers = [r for r in answerable if r["correct"] and "first_sentence_gold" in r]
    leads = [r["lead_valid"] for r in rows if r.get("lead_valid") is not None]
    timed = [r for r in rows if r.get("time_relative")]
    types = [t for t in TYPES if any(r["type"] == t for r in rows)]
    types += sorted({r["type"] for r in rows} - set(types))
    return {
        "questions": len(rows),
        "errors": sum("error" in r for r in rows),
        "accuracy": share(r["correct"] for r in rows),
        "accuracy_by_type": {t: share(r["correct"] for r in rows if r["type"] == t) for t in types},
        "count_by_type": {t: sum(r["type"] == t for r in rows) for t in types},
        "answerable_accuracy": share(r["correct"] for r in answerable),
        "abstention_recall": share(r["abstained"] for r in unanswerable),
        "false_abstain_rate": share(r["abstained"] for r in answerable),
        **{f"hit@{k}": share(hit_at_k(r["retrieved"], r["doc_ids"], k) for r in with_docs) for k in ks},
        "mrr": mean(reciprocal_rank(r["retrieved"], r["doc_ids"]) for r in with_docs),
        "cited_supporting_doc_rate": share(r["cited_gold"] for r in with_docs),
        # the other side of that rate: of all citations on those questions, the share pointing at a supporting doc
        "cited_doc_precision": share(c["doc_id"] in r["doc_ids"] for r in with_docs for c in r.get("citations", [])),
        "citations": len(spans),
        "valid_spans": sum(spans),
        "span_validity": share(spans),
        "citation_recall": mean(r["cite_recall"] for r in answered),
        "citation_precision": mean(r["cite_precision"] for r in cited),
        "supported_rate": share(r["supported"] for r in rows if not r["abstained"]),
        "answer_chars_p50": percentile(lengths, 50) if lengths else None,
        "answer_chars_p90": percentile(lengths, 90) if lengths else None,
        "short_answer_rate": share(n <= 600 for n in lengths),
        "first_sentence_gold": share(r["first_sentence_gold"] for r in correct_answers),
        "lead_rate": share(r.get("lead_valid") is not None for r in answerable if not r["abstained"]),
        "lead_validity": share(leads),
        # of the answerable questions answered with a bold phrase, the share whose phrase is the answer
        "lead_gold_rate": share(r["lead_gold"] for r in answerable if not r["abstained"] and "lead_gold" in r),
        "time_relative_accuracy": share(r["correct"] for r in timed),
        "time_relative_questions": len(timed),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_mean_ms": mean(latencies),
    }


def checker_scores(rows: Sequence[dict]) -> dict:
    """Citation-checker figures from judged rows ({label: "faithful"|"perturbed", type, flagged, split}):
    per split, the share of perturbed claims flagged (overall and per type) and of faithful claims flagged."""
    out = {}
    for split in sorted({r.get("split", "all") for r in rows}):
        part = [r for r in rows if r.get("split", "all") == split]
        perturbed = [r for r in part if r["label"] == "perturbed"]
        faithful = [r for r in part if r["label"] == "faithful"]
        types = sorted({r["type"] for r in perturbed})
        out[split] = {"claims": len(part), "perturbed": len(perturbed), "faithful": len(faithful),
                      "detection": share(r["flagged"] for r in perturbed),
                      "detection_by_type": {t: share(r["flagged"] for r in perturbed if r["type"] == t) for t in types},
                      "count_by_type": {t: sum(r["type"] == t for r in perturbed) for t in types},
                      "false_flag_rate": share(r["flagged"] for r in faithful)}
    return out
