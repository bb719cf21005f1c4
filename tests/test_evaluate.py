"""`rag eval`: dataset loading, row scoring, and end-to-end runs whose reports agree with results.jsonl."""

import json

import pytest

from rag.errors import BadInput
from rag.eval.evaluate import DEFAULT_DATASET, ROW_KEYS, answer_row, evaluate, load_questions, score_row, summary_table
from rag.eval.metrics import is_correct, percentile
from tests.conftest import ROOT, SEEDS, seed_subset

CITATION_KEYS = {"n", "doc_id", "title", "quote", "start", "end"}


def test_bundled_set_covers_the_issue():
    questions = load_questions(DEFAULT_DATASET)
    kinds = [q["type"] for q in questions]
    assert len(questions) >= 60 and len({q["id"] for q in questions}) == len(questions)
    assert kinds.count("unanswerable") >= 10 and kinds.count("followup") >= 8 and kinds.count("multi") >= 1
    assert all(q["history"] for q in questions if q["type"] == "followup")
    assert all(q["answers_any"] or q["answers_all"] for q in questions if q["type"] != "unanswerable")
    docs = {p.stem for p in SEEDS.glob("*.txt")}
    assert docs <= {d for q in questions if q["type"] == "factoid" for d in q["doc_ids"]}  # every article


def test_bad_dataset_lines_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "question": "ok?"}\n{"id": 2, "question": "x", "type": "riddle"}\n')
    with pytest.raises(BadInput, match="line 2"):
        load_questions(path)
    path.write_text("not json\n")
    with pytest.raises(BadInput, match="line 1"):
        load_questions(path)


def test_labelled_rag_dataset_json_is_read(tmp_path):
    path = tmp_path / "lrd.json"
    path.write_text(json.dumps({"examples": [{"query": "Who is Li Jianguo?", "reference_contexts": ["Li Jianguo"],
                                              "reference_answer": "A vice chairman", "query_by": None}]}))
    (q,) = load_questions(path)
    assert q["question"] == "Who is Li Jianguo?" and q["type"] == "labelled" and q["reference_contexts"] == ["Li Jianguo"]


def test_score_row_with_a_fake_answer():
    original = "Kim met Xi in Beijing. It rained."
    question = {"id": "q1", "question": "Where did Kim meet Xi?", "type": "factoid", "answers_any": ["Beijing"],
                "answers_all": [], "doc_ids": ["d1"], "history": []}
    answer = {"answer": "Kim met Xi in Beijing. [1]", "abstained": False, "supported": True, "retrieved": ["d2", "d1"],
              "citations": [{"n": 1, "doc_id": "d1", "title": "T", "quote": "Kim met Xi in Beijing.", "start": 0,
                             "end": 22, "score": 1.0, "context": "ignored"}]}
    row = answer_row(question, answer, 12.34)
    assert list(row) == list(ROW_KEYS) and set(row["citations"][0]) == CITATION_KEYS and row["latency_ms"] == 12.3
    scored = score_row(row, question, {"d1": original}, 0.5)
    assert scored["correct"] and scored["cited_gold"] and scored["span_valid"] == [True]
    assert scored["cite_recall"] == 1.0 and scored["cite_precision"] == 1.0
    fallback = answer_row(question, {**answer, "mode": "extractive", "notice": "The LLM failed (timeout)"}, 1.0)
    assert fallback["mode"] == "extractive" and fallback["notice"].startswith("The LLM failed")


def _check_outputs(out, report, questions):
    for name in ("results.jsonl", "report.json", "report.md", "report.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [q["id"] for q in questions]
    by_id = {q["id"]: q for q in questions}
    for r in rows:
        assert set(ROW_KEYS) <= set(r)
        assert all(set(c) == CITATION_KEYS for c in r["citations"])
        q = by_id[r["id"]]
        assert r["correct"] == is_correct(r["answer"], r["abstained"], q["answers_all"], q["answers_any"])
    ours = json.loads((out / "report.json").read_text())["systems"]["ours"]
    assert ours == json.loads(json.dumps(report["systems"]["ours"]))
    assert ours["questions"] == len(rows)
    assert ours["accuracy"] == pytest.approx(sum(r["correct"] for r in rows) / len(rows))
    for kind, value in ours["accuracy_by_type"].items():
        typed = [r for r in rows if r["type"] == kind]
        assert value == pytest.approx(sum(r["correct"] for r in typed) / len(typed))
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    assert ours["abstention_recall"] == pytest.approx(sum(r["abstained"] for r in unanswerable) / len(unanswerable))
    spans = [(c, r) for r in rows for c in r["citations"]]
    valid = sum((SEEDS / f"{c['doc_id']}.txt").read_text(encoding="utf-8")[c["start"]:c["end"]] == c["quote"]
                for c, _ in spans)
    assert (ours["citations"], ours["valid_spans"]) == (len(spans), valid)
    assert ours["latency_p50_ms"] == pytest.approx(percentile([r["latency_ms"] for r in rows], 50))
    return rows


@pytest.mark.slow
def test_eval_end_to_end_on_a_subset_of_every_type(seeds_settings, seeds_assistant, tmp_path):
    all_questions = load_questions(DEFAULT_DATASET)
    picked = [q for kind, n in (("factoid", 3), ("multi", 2), ("unanswerable", 2), ("followup", 3))
              for q in [x for x in all_questions if x["type"] == kind][:n]]
    dataset = tmp_path / "subset.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in picked))
    out = tmp_path / "out"
    report = evaluate(seeds_settings, dataset, out, assistant=seeds_assistant)
    rows = _check_outputs(out, report, load_questions(dataset))
    assert report["systems"]["ours"]["count_by_type"] == {"factoid": 3, "multi": 2, "unanswerable": 2, "followup": 3}
    assert sum(r["correct"] for r in rows) >= 6  # a smoke floor, not the quality bar: `rag eval` measures that
    table = summary_table(report)
    assert "Answer accuracy" in table and "accuracy: followup (n=3)" in table
    assert "# Evaluation report" in (out / "report.md").read_text()


@pytest.mark.slow
def test_eval_limit_and_labelled_dataset(seeds_settings, seeds_assistant, tmp_path):
    path = tmp_path / "lrd.json"
    context = "The weeks following the CPC’s 18th Congress in 2012 saw Beijing dispatch Li Jianguo"
    path.write_text(json.dumps({"examples": [{"query": "Whom did Beijing dispatch after the 18th Congress?",
                                              "reference_contexts": [context], "reference_answer": "Li Jianguo"}] * 2}))
    report = evaluate(seeds_settings, path, tmp_path / "out", limit=1, assistant=seeds_assistant)
    (row,) = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert report["systems"]["ours"]["questions"] == 1 and row["type"] == "labelled"
    assert report["systems"]["ours"]["hit@5"] == 1.0  # the context was traced to its article


@pytest.mark.slow
def test_eval_with_baseline_side_by_side(embedder, tmp_path):
    from rag import build_assistant
    from rag.config import Settings

    corpus = seed_subset(tmp_path / "corpus", "001_32944c5d53887f74.txt", "004_9569ee472e9e94bc.txt")
    settings = Settings(corpus_dir=str(corpus), index_dir=str(tmp_path / "index"))
    assistant = build_assistant(settings, embedder=embedder)
    assistant.index()
    wanted = {"q011", "q037", "q069", "q081"}
    dataset = tmp_path / "small.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in load_questions(DEFAULT_DATASET) if q["id"] in wanted))
    out = tmp_path / "out"
    report = evaluate(settings, dataset, out, baseline=True, assistant=assistant)
    assert set(report["systems"]) == {"ours", "baseline"}
    base = [json.loads(line) for line in (out / "baseline_results.jsonl").read_text().splitlines()]
    assert len(base) == 4 and not any(r["abstained"] for r in base)  # the stock pipeline never abstains
    assert all(len(r["citations"]) == 1 and r["answer"].endswith("[1]") for r in base)
    assert report["systems"]["baseline"]["abstention_recall"] == 0.0
    ours, stock = report["systems"]["ours"], report["systems"]["baseline"]
    assert report["margins"]["accuracy"] == pytest.approx(ours["accuracy"] - stock["accuracy"], abs=1e-4)
    assert "margin" in summary_table(report) and "margin (ours − baseline)" in (out / "report.md").read_text()


def test_checker_eval_scores_the_bundled_checker_set(tmp_path):
    """`rag eval --checker` judges every pair and reports detection per type and false flags per split."""
    from rag.config import Settings
    from rag.eval.evaluate import CHECKER_DATASET, checker_table, evaluate_checker

    rows = [json.loads(line) for line in CHECKER_DATASET.read_text(encoding="utf-8").splitlines()]
    splits = {"dev", "heldout", "dev-b", "heldout-b", "dev-c", "heldout-c"}
    assert len(rows) >= 150 and {r["split"] for r in rows} == splits
    for r in rows:  # every evidence is the exact span of its seed file
        text = (SEEDS / f"{r['doc_id']}.txt").read_bytes().decode("utf-8")
        assert text[r["start"]:r["end"]] == r["evidence"]
    report = evaluate_checker(Settings(), out=tmp_path)
    assert set(report["splits"]) == splits and report["ms_per_claim"] < 20
    assert (tmp_path / "checker.jsonl").exists() and "Perturbed claims flagged" in checker_table(report)
    assert report["splits"]["dev"]["detection"] > 0.5  # far above chance: the checks do something


@pytest.mark.parametrize("corpus_set,batch", [("bbc", "d"), ("timeline", "e"), ("reuters", "f"), ("cnn", "g"),
                                              ("guardian", "h"), ("aljazeera", "i"), ("npr", "j"),
                                              ("usatoday", "k"), ("ap", "l"), ("politico", "m"),
                                              ("washtimes", "n"), ("csmonitor", "o"), ("foxnews", "p"),
                                              ("cbn", "q"), ("nypost", "r"), ("bloomberg", "s"),
                                              ("suntimes", "u"), ("newsmax", "v"),
                                              ("cnbc", "t"), ("dailycaller", "w"), ("marketwatch", "x")])
def test_the_checker_sets_of_other_news_hold_exact_spans_and_are_scored_like_the_bundled_one(tmp_path, corpus_set,
                                                                                             batch):
    """Two more batches, from the BBC and Reuters dev corpora: `rag eval --checker --dataset` takes any such file."""
    from rag.config import Settings
    from rag.eval.evaluate import evaluate_checker

    path = ROOT / "tests" / "data" / "dev" / corpus_set / "checker.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    splits = {f"dev-{batch}", f"heldout-{batch}"}
    least = 100 if corpus_set == "suntimes" else 150  # the Sun-Times had 12 usable news reports, not 30
    assert len(rows) >= least and {r["split"] for r in rows} == splits
    corpus = path.parent / "corpus"
    for r in rows:
        assert (corpus / f"{r['doc_id']}.txt").read_bytes().decode("utf-8")[r["start"]:r["end"]] == r["evidence"]
    report = evaluate_checker(Settings(), dataset=path, out=tmp_path)
    assert set(report["splits"]) == splits and report["splits"][f"dev-{batch}"]["detection"] > 0.5


def test_checker_contexts_come_from_the_article_when_the_span_matches(tmp_path):
    from rag.eval.evaluate import checker_contexts

    (tmp_path / "a.txt").write_text("Amazon results\n\nAmazon grew. The company raised its outlook.", encoding="utf-8")
    good = {"doc_id": "a", "start": 29, "end": 60, "evidence": "The company raised its outlook."}
    assert checker_contexts([good], tmp_path) == ["Amazon results\nAmazon grew."]
    moved = {**good, "start": 0}
    missing = {**good, "doc_id": "b"}
    assert checker_contexts([moved, missing, {"evidence": "x"}], tmp_path) == ["", "", ""]
