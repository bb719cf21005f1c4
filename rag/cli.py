"""The `rag` command: index, ask, serve, eval, check, verify and bench.

Maps the library's typed errors to one-line messages and exit codes
(0 answered or abstained, 2 bad input, 1 anything else). Holds no pipeline logic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.config import load_settings
from rag.errors import BadInput, ConfigError, RagError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", dest="corpus_dir", help="folder of articles (default: seeds)")
    p.add_argument("--index", dest="index_dir", help="index folder (default: index)")
    p.add_argument("--chroma-url", dest="chroma_url", help="Chroma server URL (default: embedded)")
    p.add_argument("--config", help="settings file (default: rag.toml if present)")


def _mode(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: extractive)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Ask a news archive questions; get cited answers.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="discard the index and build it from scratch")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p = sub.add_parser("ask", help="answer one question")
    _common(p)
    _mode(p)
    p.add_argument("question")
    p.add_argument("--history", help="JSON file: [[\"user\", \"...\"], [\"assistant\", \"...\"], ...]")
    p.add_argument("--top-k", type=int, dest="top_k")
    p.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                   help="the day the question is asked, for 'last week' or 'the latest' (default: today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p = sub.add_parser("serve", help="run the web app")
    _common(p)
    _mode(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", help="USER:PASS, or @FILE holding USER:PASS lines")
    p.add_argument("--read-only", dest="read_only", action="store_true", default=None,
                   help="readers cannot add articles from the browser (default: they can, behind --auth if set)")
    p.add_argument("--allowed-hosts", dest="allowed_hosts",
                   help="extra host names the app answers to, comma-separated (default: the bound address and "
                        "loopback; '*' = any)")
    p = sub.add_parser("eval", help="score the system on a labelled question set")
    _common(p)
    _mode(p)
    p.add_argument("--dataset", help="JSONL question set (default: the bundled seeds set)")
    p.add_argument("--out", default="eval-out", help="report folder (default: eval-out)")
    p.add_argument("--baseline", action="store_true", help="also score the stock LlamaIndex pipeline")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--checker", action="store_true",
                   help="score the citation checker on claim/evidence pairs (default: the bundled checker set)")
    p = sub.add_parser("check", help="check a cited answer (JSON) against the corpus: one verdict per sentence")
    _common(p)
    p.add_argument("input", help='JSON file ("-" for standard input): {"answer": "... [1]", "citations": '
                                 '[{"n": 1, "doc_id": "...", "start": 0, "end": 42}]}')
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p = sub.add_parser("verify", help="check an exported conversation's quotes against the corpus files")
    p.add_argument("export", help='conversation export JSON from the web app ("-" for standard input)')
    p.add_argument("--corpus", dest="corpus_dir", help="folder of articles the export cites (default: seeds)")
    p.add_argument("--config", help="settings file (default: rag.toml if present)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p = sub.add_parser("bench", help="scale benchmark on synthetic corpora")
    p.add_argument("--sizes", default="1000,5000,20000")
    p.add_argument("--out", default="bench-out")
    p.add_argument("--no-baseline", action="store_true", help="skip the stock LlamaIndex comparison")
    return parser


def _settings(args: argparse.Namespace):
    keys = ("corpus_dir", "index_dir", "chroma_url", "mode", "allowed_hosts", "read_only")
    return load_settings(getattr(args, "config", None), **{k: getattr(args, k, None) for k in keys})


def _progress(message: str) -> None:
    print(f"[rag] {message}", file=sys.stderr, flush=True)


def cmd_index(args) -> int:
    from rag import build_assistant

    report = build_assistant(_settings(args)).index(rebuild=args.rebuild, progress=_progress)
    for warning in report.warnings:
        print(f"warning: skipped {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps({**report.__dict__, "summary": report.summary()}, default=list))
    else:
        print(report.summary())
        print(f"timings (ms): {report.timings_ms}")
    return 0


def cmd_ask(args) -> int:
    from rag import build_assistant
    from rag.pipeline import index_for_answering

    history = None
    if args.history:
        try:
            history = json.loads(Path(args.history).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read history file {args.history}: {exc}") from exc
    assistant = build_assistant(_settings(args))
    index_for_answering(assistant, _progress)
    answer = assistant.ask(args.question, history=history, top_k=args.top_k, as_of=args.as_of)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return 0
    if answer.notice:
        print(f"note: {answer.notice}")
    print(answer.text)
    for c in answer.citations:
        dated = f", {'file dated ' if c.published_from == 'file' else ''}{c.published}" if c.published else ""
        print(f"  [{c.n}] {c.title} ({c.doc_id}{dated}, chars {c.start}-{c.end}): “{c.quote}”")
    flagged = [v for v in answer.verdicts if not v.supported]
    for v in flagged:
        print(f"  ! unsupported ({v.reason}): {v.sentence}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth)


def _eval_extra(command: str) -> None:
    """`rag eval` and `rag bench` need the [eval] extra (matplotlib, for their charts); say so up front."""
    import importlib

    try:
        importlib.import_module("matplotlib")
    except ImportError:
        raise ConfigError(f"rag {command} needs the eval extra: pip install -e '.[eval]' "
                          "(bash .ci/setup installs it)") from None


def cmd_eval(args) -> int:
    _eval_extra("eval")
    from rag.eval.evaluate import run_eval_cli

    return run_eval_cli(_settings(args), args)


def cmd_check(args) -> int:
    """Exit 0 when every sentence is supported, 1 when one is not, 2 on bad input."""
    from rag.pipeline import check_answer

    result = check_answer(_settings(args), _read_json(args.input, "the answer JSON"))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for v in result.verdicts:
            marks = "".join(f"[{n}]" for n in v.markers) or "[-]"
            print(f"{'✓' if v.supported else '✗'} {marks} {v.reason}: {v.sentence}")
        if result.dropped_markers:
            print(f"markers pointing at no citation: {', '.join(map(str, result.dropped_markers))}")
    return 0 if result.supported else 1


def _read_json(name: str, what: str):
    """The JSON in file `name` ("-": standard input); BadInput when it cannot be read or parsed."""
    try:
        raw = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        return json.loads(raw)
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read {what} {name}: {exc}") from exc


def cmd_verify(args) -> int:
    """Exit 0 when every cited quote and file hash still matches the corpus, 1 when one does not,
    2 on bad input (unreadable or malformed export, missing corpus folder)."""
    from rag.export import verify_export

    result = verify_export(_read_json(args.export, "the export"), _settings(args).corpus_dir)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for mismatch in result.mismatches:
            print(mismatch.describe())
        print(f"{result.checked} citation{'s' * (result.checked != 1)} checked, " +
              ("all match" if result.ok else f"{len(result.mismatches)} do not match"))
    return 0 if result.ok else 1


def cmd_bench(args) -> int:
    _eval_extra("bench")
    from rag.eval.bench import run_bench_cli

    return run_bench_cli(args)


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "serve": cmd_serve, "eval": cmd_eval, "check": cmd_check,
            "verify": cmd_verify, "bench": cmd_bench}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: a message, not a traceback
        print(f"error: unexpected {type(exc).__name__}: {exc} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        if __import__("os").environ.get("RAG_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
