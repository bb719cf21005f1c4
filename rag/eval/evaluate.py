"""`rag eval`: score the assistant (and optionally the stock LlamaIndex pipeline) on a labelled set.

Reads a JSONL question set (or a LlamaIndex LabelledRagDataset JSON), asks every question through
`Assistant.ask`, scores the rows with `rag.eval.metrics`, and writes results.jsonl, report.json,
report.md and report.png. Scoring rules live in `rag.eval.metrics`; the stock pipeline in `rag.eval.baseline`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from rag.cite import support_score
from rag.config import Settings
from rag.errors import BadInput, RagError
from rag.eval.metrics import (TYPES, citation_scores, first_sentence_holds, is_correct, lead_holds, normalize_answer, span_is_valid,
                         summarize)

DEFAULT_DATASET = Path(__file__).parent.parent / "data" / "seeds_eval.jsonl"
ROW_KEYS = ("id", "question", "answer", "abstained", "supported", "citations", "retrieved", "latency_ms", "mode",
            "notice", "lead")
CITATION_KEYS = ("n", "doc_id", "title", "quote", "start", "end")
MARGIN_KEYS = ("accuracy", "abstention_recall", "cited_supporting_doc_rate", "cited_doc_precision",
               "false_abstain_rate", "citation_recall", "citation_precision", "span_validity", "hit@1", "mrr")


# -- datasets ------------------------------------------------------------------------------------
def load_questions(path: str | Path) -> list[dict]:
    """Questions from a JSONL set, or from a LabelledRagDataset JSON ({"examples": [{"query", ...}]})."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read the dataset {path}: {exc.strerror or exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("{") and '"examples"' in stripped[:2000]:
        try:
            return labelled_rag_questions(json.loads(text))
        except ValueError:
            pass  # not one JSON document: read it as JSONL
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(check_question(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise BadInput(f"{path} line {number}: {exc}") from exc
    if not questions:
        raise BadInput(f"the dataset {path} holds no questions")
    return questions


def check_question(q: dict) -> dict:
    """A question row with its optional fields filled in; ValueError names what is wrong."""
    if not isinstance(q, dict) or not isinstance(q.get("question"), str) or "id" not in q:
        raise ValueError("each line needs an object with 'id' and 'question'")
    if q.get("type", "factoid") not in TYPES:
        raise ValueError(f"type {q.get('type')!r} is not one of {', '.join(TYPES)}")
    return {"type": "factoid", "answers_any": [], "answers_all": [], "doc_ids": [], "history": [], **q,
            "id": str(q["id"])}


def labelled_rag_questions(data: dict) -> list[dict]:
    """LabelledRagDataset examples as questions scored by overlap with their reference contexts."""
    examples = data.get("examples")
    if not isinstance(examples, list) or not examples:
        raise BadInput("the LabelledRagDataset JSON holds no examples")
    out = []
    for i, ex in enumerate(examples, start=1):
        if not isinstance(ex, dict) or not isinstance(ex.get("query"), str):
            raise BadInput(f"LabelledRagDataset example {i} has no query")
        out.append({"id": f"lrd{i:03d}", "question": ex["query"], "type": "labelled", "answers_any": [],
                    "answers_all": [], "doc_ids": [], "history": [],
                    "reference_contexts": [c for c in ex.get("reference_contexts") or [] if isinstance(c, str)],
                    "reference_answer": ex.get("reference_answer") or ""})
    return out


def attach_reference_docs(questions: list[dict], articles: dict[str, str], threshold: float = 0.8) -> None:
    """Give LabelledRagDataset questions the doc_ids whose text contains their reference contexts."""
    for q in questions:
        docs = []
        for context in q.get("reference_contexts", []):
            scored = sorted(((support_score(context, text), d) for d, text in articles.items()), reverse=True)
            if scored and scored[0][0] >= threshold:
                docs.append(scored[0][1])
        q["doc_ids"] = list(dict.fromkeys(docs))


def read_originals(documents: dict) -> dict[str, str]:
    """The indexed files' texts, read afresh (bytes decoded as-is, no newline translation), so citation
    spans are checked against the files themselves rather than the loader that produced them."""
    originals = {}
    for doc_id, meta in documents.items():
        try:
            originals[doc_id] = Path(meta["path"]).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            pass  # a file changed or gone since indexing: its spans count as invalid
    return originals


# -- rows and scoring ----------------------------------------------------------------------------
def answer_row(question: dict, answer: dict, latency_ms: float) -> dict:
    """The stable results.jsonl row of one answer (`Answer.to_json()` shape in, row shape out)."""
    return {"id": question["id"], "question": question["question"], "answer": answer["answer"],
            "abstained": bool(answer["abstained"]), "supported": bool(answer["supported"]),
            "citations": [{k: c[k] for k in CITATION_KEYS} for c in answer["citations"]],
            "retrieved": list(answer["retrieved"]), "latency_ms": round(latency_ms, 1),
            "mode": answer.get("mode", ""), "notice": answer.get("notice", ""), "lead": answer.get("lead")}


def score_row(row: dict, question: dict, originals: dict[str, str], threshold: float) -> dict:
    """The row plus its scores: type, correct, cited_gold, span validity and ALCE citation scores."""
    if question["type"] == "labelled":
        overlap = support_score(normalize_answer(row["answer"]), " ".join(question["reference_contexts"]))
        correct = not row["abstained"] and overlap >= threshold
    else:
        overlap = None
        correct = is_correct(row["answer"], row["abstained"], question["answers_all"], question["answers_any"])
    quotes = {c["n"]: c["quote"] for c in row["citations"]}
    recall, precision, sentences, cited = (0.0, 0.0, 0, 0) if row["abstained"] else \
        citation_scores(row["answer"], quotes, support_score, threshold)
    gold = set(question["doc_ids"])
    lead = row.get("lead") or None
    holder = next((c for c in row["citations"] if lead and c["n"] == lead.get("n")), None)
    lead_valid = None if lead is None else bool(holder) and span_is_valid(
        originals.get(holder["doc_id"]), lead["text"], lead.get("start"), lead.get("end"))
    firsts = {} if question["type"] in ("labelled", "unanswerable") else {
        "first_sentence_gold": first_sentence_holds(row["answer"], question["answers_all"], question["answers_any"])}
    if firsts and lead is not None:
        firsts["lead_gold"] = lead_holds(lead["text"], question["answers_all"], question["answers_any"])
    return {**row, "type": question["type"], "correct": correct, "doc_ids": question["doc_ids"],
            "lead_valid": lead_valid, "time_relative": bool(question.get("time_relative")), **firsts,
            "cited_gold": any(c["doc_id"] in gold for c in row["citations"]),
            "span_valid": [span_is_valid(originals.get(c["doc_id"]), c["quote"], c["start"], c["end"])
                           for c in row["citations"]],
            "cite_recall": recall, "cite_precision": precision, "cite_sentences": sentences, "cite_count": cited,
            **({"reference_overlap": round(overlap, 3)} if overlap is not None else {})}


def run_questions(ask: Callable[[dict], dict], questions: Sequence[dict], label: str) -> list[dict]:
    """Ask every question (after one untimed warm-up) with a progress bar on stderr."""
    from tqdm import tqdm

    if questions:
        try:
            ask(questions[0])  # loads models and the index so the first latency is not a cold start
        except RagError:
            pass  # reported with the question itself below
    rows = []
    for q in tqdm(questions, desc=label, unit="q", file=sys.stderr, leave=False):
        t0 = time.perf_counter()
        try:
            answer, error = ask(q), None
        except RagError as exc:  # e.g. an LLM timeout: the question counts as failed, the run goes on
            answer, error = {"answer": "", "abstained": False, "supported": False, "citations": [], "retrieved": []}, exc
        rows.append(answer_row(q, answer, (time.perf_counter() - t0) * 1000))
        if error is not None:
            rows[-1]["error"] = f"{type(error).__name__}: {error}"
    return rows


def margins(ours: dict, base: dict) -> dict:
    """ours - baseline for the headline metrics (None where either side is undefined)."""
    return {k: (None if ours.get(k) is None or base.get(k) is None else round(ours[k] - base[k], 4))
            for k in MARGIN_KEYS}


def git_state(root: Path) -> dict:
    """The commit and the tracked files modified since, so a figure can be traced to its code."""
    def run(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": run("rev-parse", "--short", "HEAD").strip(), "modified": sorted(
        line[3:] for line in run("status", "--porcelain", "--untracked-files=no").splitlines() if len(line) > 3)}


# -- reports -------------------------------------------------------------------------------------
LABELS = (("accuracy", "Answer accuracy"), ("answerable_accuracy", "Accuracy on answerable"),
          ("abstention_recall", "Abstention recall (unanswerable)"),
          ("false_abstain_rate", "False-abstain rate (answerable; lower is better)"), ("hit@1", "Doc hit@1"),
          ("hit@3", "Doc hit@3"),
          ("hit@5", "Doc hit@5"), ("mrr", "Doc MRR"), ("cited_supporting_doc_rate", "Cites a supporting doc"),
          ("cited_doc_precision", "Citations on a supporting doc"),
          ("span_validity", "Citation span validity"), ("citation_recall", "Citation recall (ALCE)"),
          ("citation_precision", "Citation precision (ALCE)"),
          ("answer_chars_p50", "Answer length p50 (characters)"), ("answer_chars_p90", "Answer length p90 (characters)"),
          ("short_answer_rate", "Answers of at most 600 characters"),
          ("first_sentence_gold", "Correct answers whose first sentence holds the gold"),
          ("lead_rate", "Answers led by an answer phrase"), ("lead_validity", "Answer phrase span validity"),
          ("lead_gold_rate", "Answer phrases that are the answer"),
          ("time_relative_accuracy", "Accuracy on time-relative questions"),
          ("latency_p50_ms", "Latency p50 (ms)"),
          ("latency_p95_ms", "Latency p95 (ms)"))
ROW_EXTRAS = ("type", "correct", "cited_gold", "span_valid", "cite_recall", "cite_precision", "first_sentence_gold",
              "lead_valid", "time_relative", "error")


def fmt(value, key: str = "") -> str:
    """fmt(0.8421) -> '0.842'; fmt(None) -> '–'; fmt(12.34, 'latency_p50_ms') -> '12.3'"""
    if value is None or value != value:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if key.startswith(("latency", "answer_chars")) else f"{value:.3f}"
    return str(value)


def metric_rows(report: dict) -> list[list[str]]:
    """[label, ours, baseline, margin] per headline metric (baseline columns only when present)."""
    systems, margin = report["systems"], report.get("margins", {})
    rows = []
    for key, label in LABELS:
        if key == "span_validity":
            cells = [f"{fmt(s[key])} ({s['valid_spans']}/{s['citations']})" for s in systems.values()]
        else:
            cells = [fmt(s.get(key), key) for s in systems.values()]
        if "baseline" in systems:
            m = margin.get(key)
            cells.append("" if m is None else f"{m:+.3f}")
        rows.append([label, *cells])
    return rows


def summary_table(report: dict) -> str:
    """The short table printed at the end of a run."""
    head = ["metric", *report["systems"], *(["margin"] if "baseline" in report["systems"] else [])]
    rows = [head, *metric_rows(report)]
    rows += [[f"accuracy: {t} (n={n})", *[fmt(s["accuracy_by_type"].get(t)) for s in report["systems"].values()]]
             for t, n in report["systems"]["ours"]["count_by_type"].items()]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def markdown_report(report: dict, scored: dict, questions: dict) -> str:
    names = list(report["systems"])
    head = ["Metric", *names, *(["margin (ours − baseline)"] if "baseline" in names else [])]
    lines = ["# Evaluation report", "",
             f"- dataset: `{report['dataset']}` ({report['systems']['ours']['questions']} questions)",
             f"- corpus: `{report['corpus_dir']}`, mode: `{report['mode']}`, commit: `{report['commit']}`"
             + (f" (modified: {', '.join(report['modified'])})" if report["modified"] else ""),
             f"- created: {report['created']}",
             *([f"- the LLM failed on {len(report['llm_fallbacks'])} question(s), answered offline instead: "
                f"{', '.join(report['llm_fallbacks'])}"] if report.get("llm_fallbacks") else []),
             *(["- margin = ours − baseline; for the false-abstain rate and latency lower is better"]
               if "baseline" in names else []),
             "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in metric_rows(report)]
    lines += ["", "## Accuracy by type", "", "| type | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for t, n in report["systems"]["ours"]["count_by_type"].items():
        cells = [fmt(report["systems"][s]["accuracy_by_type"].get(t)) for s in names]
        lines.append(f"| {t} | {n} | " + " | ".join(cells) + " |")
    for name in names:
        failed = [r for r in scored[name] if not r["correct"]]
        lines += ["", f"## Questions {name} got wrong ({len(failed)})", ""]
        if name != "ours":
            lines.append(", ".join(r["id"] for r in failed) or "none")
            continue
        if failed:
            lines += ["| id | type | question | expected | answer |", "|---|---|---|---|---|"]
        for r in failed:
            q = questions[r["id"]]
            expected = "; ".join(q["answers_all"] + q["answers_any"]) or \
                ("(abstain)" if q["type"] == "unanswerable" else "(reference contexts)")
            got = "(abstained)" if r["abstained"] else r["answer"][:160] + ("…" if len(r["answer"]) > 160 else "")
            cells = [r["id"], r["type"], q["question"], expected, got]
            lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def plot_report(path: Path, report: dict, scored: dict) -> None:
    """Accuracy per type, headline metrics, and a latency histogram, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["systems"])
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    groups = [("by type", list(report["systems"]["ours"]["accuracy_by_type"]), lambda s, k: s["accuracy_by_type"][k]),
              ("headline", ["accuracy", "abstention_recall", "hit@1", "mrr", "cited_supporting_doc_rate",
                            "span_validity", "citation_recall", "citation_precision"], lambda s, k: s[k])]
    width = 0.8 / len(names)
    for ax, (title, keys, get) in zip(axes, groups):
        for i, name in enumerate(names):
            values = [get(report["systems"][name], k) or 0.0 for k in keys]
            ax.bar([x + i * width for x in range(len(keys))], values, width, label=name)
        ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(keys))])
        ax.set_xticklabels(keys, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title("accuracy " + title if title == "by type" else "headline metrics")
        ax.legend(fontsize=8)
    latencies = [max(r["latency_ms"], 0.1) for rows in scored.values() for r in rows]
    low, high = min(latencies), max(latencies)
    bins = [low * (high / low) ** (i / 40) for i in range(41)] if high > low else 10
    for name in names:  # log-spaced bins: the two systems can be 100x apart
        axes[2].hist([max(r["latency_ms"], 0.1) for r in scored[name]], bins=bins, alpha=0.6, label=name)
    axes[2].set_xscale("log")
    axes[2].set_xlabel("latency per question (ms, log scale)")
    axes[2].set_title("latency")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(out: Path, report: dict, scored: dict, questions: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in scored.items():
        target = out / ("results.jsonl" if name == "ours" else f"{name}_results.jsonl")
        with open(target, "w", encoding="utf-8") as fh:
            for r in rows:
                keep = {k: r[k] for k in (*ROW_KEYS, *ROW_EXTRAS) if k in r}
                fh.write(json.dumps(keep, ensure_ascii=False) + "\n")
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown_report(report, scored, questions), encoding="utf-8")
    plot_report(out / "report.png", report, scored)


# -- the command ---------------------------------------------------------------------------------
def evaluate(settings: Settings, dataset: str | Path | None = None, out: str | Path = "eval-out",
             baseline: bool = False, limit: int | None = None, mode: str | None = None,
             assistant=None) -> dict:
    """Run the evaluation and write the reports under `out`; returns report.json's content."""
    from rag import build_assistant

    dataset_path = Path(dataset) if dataset else DEFAULT_DATASET
    questions = load_questions(dataset_path)[:limit] if limit else load_questions(dataset_path)
    if assistant is None:  # a caller's assistant comes with its index built (tests share a read-only one)
        assistant = build_assistant(settings)
        assistant.index()
    originals = read_originals(assistant.retriever.manifest["documents"])
    if any(q["type"] == "labelled" for q in questions):
        attach_reference_docs(questions, originals)
    mode = mode or settings.mode
    threshold = settings.support_threshold

    def ask_ours(q: dict) -> dict:
        return assistant.ask(q["question"], history=q["history"] or None, mode=mode, as_of=q.get("asked_on")).to_json()

    systems = {"ours": run_questions(ask_ours, questions, "ours")}
    if baseline:
        from rag.eval.baseline import StockPipeline

        stock = StockPipeline(settings, assistant.embedder)
        stock.build()
        systems["baseline"] = run_questions(lambda q: stock.ask(q["question"], q["history"]).to_json(),
                                            questions, "baseline")
    by_id = {q["id"]: q for q in questions}
    scored = {name: [score_row(r, by_id[r["id"]], originals, threshold) for r in rows]
              for name, rows in systems.items()}
    report = {"dataset": str(dataset_path), "corpus_dir": settings.corpus_dir, "index_dir": settings.index_dir,
              "mode": mode, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), **git_state(Path(__file__).parent.parent.parent),
              "settings": settings.public(), "index_chunks": assistant.retriever.manifest["chunk_count"],
              "systems": {name: summarize(rows) for name, rows in scored.items()}}
    if baseline:
        report["margins"] = margins(report["systems"]["ours"], report["systems"]["baseline"])
    if mode == "llm":  # answers the LLM failed on and the extractive answerer gave instead
        report["llm_fallbacks"] = [r["id"] for r in scored["ours"] if r["mode"] != "llm"]
    report["failures"] = {name: [r["id"] for r in rows if not r["correct"]] for name, rows in scored.items()}
    write_reports(Path(out), report, scored, by_id)
    return report


CHECKER_DATASET = Path(__file__).parent.parent / "data" / "checker_eval.jsonl"


def evaluate_checker(settings: Settings, dataset: str | Path | None = None, out: str | Path = "eval-out") -> dict:
    """Judge every (claim, evidence) pair of the checker set; write checker.jsonl and checker_report.json."""
    from rag.cite import judge

    path = Path(dataset) if dataset else CHECKER_DATASET
    try:
        pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read the checker set {path}: {exc}") from exc
    if pairs:  # the checker's lexicons, country table and parser load once per process (seconds), untimed
        from rag.opposites import lexicon
        from rag.places import aliases
        from rag.syntax import parser

        lexicon(), aliases(), parser()
    for pair in pairs:
        if not all(isinstance(pair.get(k), str) for k in ("claim", "evidence", "label", "type")):
            raise BadInput(f"{path}: each row needs claim, evidence, label and type")
    contexts = checker_contexts(pairs, path.parent / "corpus" if (path.parent / "corpus").is_dir()
                                else Path(settings.corpus_dir))
    rows, t0 = [], time.perf_counter()
    for pair, context in zip(pairs, contexts):
        judgment = judge(pair["claim"], pair["evidence"], settings.support_threshold, context)
        rows.append({**pair, "flagged": not judgment.supported, "reason": judgment.reason})
    elapsed = (time.perf_counter() - t0) * 1000
    from rag.eval.metrics import checker_scores

    report = {"dataset": str(path), **git_state(Path(__file__).resolve().parent.parent.parent),
              "ms_per_claim": round(elapsed / max(1, len(rows)), 3), "splits": checker_scores(rows)}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "checker.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (out / "checker_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def checker_contexts(pairs: list[dict], corpus: Path) -> list[str]:
    """For each pair, the text around its evidence in its article (`span_context`), as the answerers and
    `rag check` give it; "" where the article is not in `corpus` or the span is not the evidence."""
    from rag.cite import span_context

    texts: dict[str, str | None] = {}
    out = []
    for pair in pairs:
        doc, start, end = pair.get("doc_id"), pair.get("start"), pair.get("end")
        if isinstance(doc, str) and doc not in texts:
            try:
                texts[doc] = (corpus / f"{doc}.txt").read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                texts[doc] = None
        text = texts.get(doc) if isinstance(doc, str) else None
        ok = text is not None and isinstance(start, int) and isinstance(end, int) and text[start:end] == pair["evidence"]
        out.append(span_context(text, start, end) if ok else "")
    return out


def checker_table(report: dict) -> str:
    """The checker report as a text table: one column per split."""
    splits = report["splits"]
    names = sorted(splits)
    types = sorted({t for s in splits.values() for t in s["detection_by_type"]})
    lines = [f"{'':38}" + "".join(f"{n:>12}" for n in names)]
    lines.append(f"{'Perturbed claims flagged':38}" + "".join(f"{fmt(splits[n]['detection']):>12}" for n in names))
    for t in types:
        cells = "".join(f"{fmt(splits[n]['detection_by_type'].get(t)) + ' /' + str(splits[n]['count_by_type'].get(t, 0)):>12}"
                        for n in names)
        lines.append(f"{'  ' + t:38}{cells}")
    lines.append(f"{'Faithful claims flagged (lower is better)':38}"
                 + "".join(f"{fmt(splits[n]['false_flag_rate']):>12}" for n in names))
    lines.append(f"{'Time per claim (ms)':38}{report['ms_per_claim']:>12}")
    return "\n".join(lines)


def run_eval_cli(settings: Settings, args) -> int:
    if getattr(args, "checker", False):
        report = evaluate_checker(settings, args.dataset, args.out)
        print(checker_table(report))
        print(f"\nwrote {Path(args.out) / 'checker.jsonl'} and checker_report.json")
        return 0
    report = evaluate(settings, args.dataset, args.out, args.baseline, args.limit, args.mode)
    print(summary_table(report))
    if report.get("llm_fallbacks"):
        print(f"\nwarning: the LLM failed on {len(report['llm_fallbacks'])} question(s), which got the offline "
              f"extractive answer instead: {', '.join(report['llm_fallbacks'])}")
    print(f"\nwrote {Path(args.out) / 'results.jsonl'}, report.json, report.md and report.png")
    return 0
