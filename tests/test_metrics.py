"""Pure metric functions, checked against hand-computed values."""

import math

import pytest

from rag.cite import support_score
from rag.eval.metrics import (citation_scores, hit_at_k, is_correct, lead_holds, normalize_answer, percentile,
                         reciprocal_rank, span_is_valid, summarize)


def test_normalize_strips_markers_quotes_case_and_space():
    assert normalize_answer("China’s  “Main”\nPartner [1].") == "china's \"main\" partner."
    assert normalize_answer("a [1, 2] b【3】 c") == "a b c"


def test_curly_and_straight_quotes_match_each_other():
    assert is_correct("Xi’s “common prosperity” [1]", False, answers_any=["Xi's \"common prosperity\""])
    assert is_correct("Xi's \"common prosperity\" [1]", False, answers_any=["Xi’s “common prosperity”"])


def test_correct_needs_all_of_answers_all_and_one_of_answers_any():
    text = "Kim and Xi held three summits in China in March, May and June [1]."
    assert is_correct(text, False, answers_all=["three summits", "March, May and June"])
    assert not is_correct(text, False, answers_all=["three summits", "April"])
    assert is_correct(text, False, answers_any=["two summits", "THREE SUMMITS"])
    assert not is_correct(text, False, answers_all=["three summits"], answers_any=["Beijing"])


def test_abstaining_is_wrong_on_answerable_and_right_on_unanswerable():
    assert not is_correct("The articles don't say. three summits", True, answers_any=["three summits"])
    assert is_correct("The articles don't say.", True)
    assert not is_correct("Something [1].", False)


def test_a_marker_between_words_does_not_break_a_match():
    assert is_correct("Li Zhanshu [2] visited", False, answers_any=["Li Zhanshu visited"])


def test_hit_at_k_and_mrr_at_document_level():
    ranking = ["d3", "d1", "d1", "d2"]  # repeated ids count once
    assert not hit_at_k(ranking, ["d2"], 2)
    assert hit_at_k(ranking, ["d2"], 3)
    assert hit_at_k(ranking, ["d9", "d3"], 1)
    assert reciprocal_rank(ranking, ["d2"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranking, ["d1", "d2"]) == 0.5
    assert reciprocal_rank(ranking, ["d9"]) == 0.0


def test_span_validity():
    original = "Kim met Xi in Beijing."
    assert span_is_valid(original, "met Xi", 4, 10)
    assert not span_is_valid(original, "met Xi", 3, 9)
    assert not span_is_valid(original, "x", 30, 31)
    assert not span_is_valid(None, "met Xi", 4, 10)


def test_citation_recall_counts_supported_sentences():
    quotes = {1: "Kim met Xi in Beijing", 2: "The weather was mild"}
    # sentence 1 supported by [1]; sentence 2 cited to an unrelated quote; sentence 3 uncited.
    answer = "Kim met Xi [1]. Xi praised Kim's courage [2]. Talks went well."
    recall, precision, sentences, cited = citation_scores(answer, quotes, support_score, 0.5)
    assert (sentences, cited) == (3, 2)
    assert recall == pytest.approx(1 / 3)
    assert precision == pytest.approx(1 / 2)  # [2] sits on an unsupported sentence


def test_citation_precision_follows_alce_needed_or_supporting():
    quotes = {1: "Kim met Xi", 2: "weather report", 3: "in Beijing on Monday", 4: "Kim met Xi in Beijing"}
    score = support_score
    # "Kim met Xi in Beijing": [1]+[3] together support it; neither alone does; each is needed -> both correct.
    assert citation_scores("Kim met Xi in Beijing [1][3].", quotes, score, 0.9)[:2] == (1.0, 1.0)
    # [4] supports alone, [2] neither supports alone nor is needed -> precision 1/2.
    assert citation_scores("Kim met Xi in Beijing [4][2].", quotes, score, 0.9)[:2] == (1.0, 0.5)
    # [1] and [4] both support alone: both correct even though each is redundant.
    assert citation_scores("Kim met Xi [1][4].", quotes, score, 0.9)[:2] == (1.0, 1.0)


def test_citation_scores_of_empty_answer_and_dangling_markers():
    assert citation_scores("", {}, support_score, 0.5) == (0.0, 0.0, 0, 0)
    # [7] points nowhere: the sentence counts as uncited.
    assert citation_scores("Kim met Xi [7].", {1: "Kim met Xi"}, support_score, 0.5) == (0.0, 0.0, 1, 0)


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile([7], 95) == 7
    assert math.isnan(percentile([], 50))


def _row(qid, qtype, correct, abstained, retrieved=(), doc_ids=(), cited_gold=False, spans=(), recall=0.0,
         precision=0.0, latency=10.0, cited=()):
    return {"id": qid, "citations": [{"doc_id": d} for d in cited], "type": qtype, "correct": correct,
            "abstained": abstained, "supported": True,
            "retrieved": list(retrieved), "doc_ids": list(doc_ids), "cited_gold": cited_gold,
            "span_valid": list(spans), "cite_recall": recall, "cite_precision": precision,
            "cite_sentences": 0 if abstained else 1, "cite_count": len(spans), "latency_ms": latency}


def test_summarize_hand_computed():
    rows = [
        _row("a", "factoid", True, False, ["d1", "d2"], ["d1"], True, [True], 1.0, 1.0, 10, cited=["d1"]),
        _row("b", "factoid", False, False, ["d2", "d1"], ["d1"], False, [True, False], 0.5, 0.5, 20, cited=["d2", "d2"]),
        _row("c", "followup", False, True, ["d3"], ["d1"], latency=30),
        _row("d", "unanswerable", True, True, latency=40),
        _row("e", "unanswerable", False, False, ["d2"], spans=[True], recall=1.0, precision=1.0, latency=50),
    ]
    s = summarize(rows)
    assert s["questions"] == 5
    assert s["accuracy"] == pytest.approx(2 / 5)
    assert s["accuracy_by_type"] == {"factoid": 0.5, "unanswerable": 0.5, "followup": 0.0}
    assert s["abstention_recall"] == 0.5
    assert s["false_abstain_rate"] == pytest.approx(1 / 3)
    assert s["hit@1"] == pytest.approx(1 / 3) and s["hit@3"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert s["cited_supporting_doc_rate"] == pytest.approx(1 / 3)
    assert s["cited_doc_precision"] == pytest.approx(1 / 3)  # 1 of the 3 citations on answerable rows
    assert (s["citations"], s["valid_spans"]) == (4, 3)
    assert s["citation_recall"] == pytest.approx((1 + 0.5 + 1) / 3)  # answered rows only
    assert s["citation_precision"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert s["latency_p50_ms"] == 30 and s["latency_p95_ms"] == pytest.approx(48.0)


def test_lead_holds_the_gold_or_is_part_of_it():
    assert lead_holds("Isaiah Kiplagat", answers_any=["Kiplagat"])
    assert lead_holds("Kiplagat", answers_any=["Isaiah Kiplagat"])  # part of the gold name
    assert lead_holds("“Capgemini”", answers_any=["capgemini"])  # quotes and case normalised
    assert not lead_holds("Frankfurt", answers_any=["Hanau"])
    assert not lead_holds("of", answers_any=["Court of Arbitration"])  # too short to count as part
    assert not lead_holds("", answers_any=["x"])


def test_summarize_lead_gold_rate_counts_answered_led_rows():
    rows = [_row("a", "factoid", True, False, ["d1"], ["d1"], True, [True], 1.0, 1.0, 10),
            _row("b", "factoid", True, False, ["d1"], ["d1"], True, [True], 1.0, 1.0, 10),
            _row("c", "factoid", False, False, ["d1"], ["d1"], True, [True], 1.0, 1.0, 10),
            _row("d", "factoid", False, True, latency=10)]
    rows[0]["lead_gold"], rows[1]["lead_gold"] = True, False  # c has no lead; d abstained
    assert summarize(rows)["lead_gold_rate"] == 0.5
    assert summarize(rows[2:])["lead_gold_rate"] is None


def test_checker_scores_by_split_and_type():
    from rag.eval.metrics import checker_scores

    rows = [{"label": "perturbed", "type": "negation", "flagged": True, "split": "dev"},
            {"label": "perturbed", "type": "negation", "flagged": False, "split": "dev"},
            {"label": "perturbed", "type": "number", "flagged": True, "split": "dev"},
            {"label": "faithful", "type": "quote", "flagged": False, "split": "dev"},
            {"label": "faithful", "type": "paraphrase", "flagged": True, "split": "heldout"}]
    out = checker_scores(rows)
    assert out["dev"]["detection"] == pytest.approx(2 / 3) and out["dev"]["false_flag_rate"] == 0.0
    assert out["dev"]["detection_by_type"] == {"negation": 0.5, "number": 1.0}
    assert out["heldout"]["detection"] is None and out["heldout"]["false_flag_rate"] == 1.0
