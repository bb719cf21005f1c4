"""`rag bench`: indexing throughput, warm query latency, peak RSS and index size on synthetic corpora
of N chunks, for our pipeline and the stock LlamaIndex one.

Every phase (index, serve, stock) runs in a fresh `python -m rag.eval.bench --worker ...` process, so each
peak RSS belongs to that phase alone. Corpora come from `rag.eval.synth`; the stock pipeline from `rag.eval.baseline`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag.errors import BadInput, RagError
from rag.eval.metrics import percentile, share

N_QUESTIONS = 50
RAW_SAMPLE = 2000  # chunks embedded directly with sentence-transformers for the raw throughput
# Issue 12's targets: at the largest size (query latency, serve start and RSS, disk per chunk, hit@5 no worse than at
# 20,000 chunks), at every size (indexing against raw torch), and for a cold `rag ask` (on the seeds in the issue;
# recorded here at every size).
TARGETS = {"query_p50_ms": 100, "query_p95_ms": 250, "serve_start_s": 10, "serve_rss_mb": 1024,
           "disk_kb_per_chunk": 10, "index_vs_raw": 1.5, "ask_s": 3, "ask_rss_mb": 300}
ASK_QUESTION = "What did the envoy tell reporters about the talks?"
SEEDS_QUESTION = "Who did Xi send a letter to?"


def parse_sizes(text: str) -> list[int]:
    """parse_sizes("1000, 5k") -> [1000, 5000]"""
    try:
        sizes = [int(float(s.strip().lower().replace("k", "e3"))) for s in str(text).split(",") if s.strip()]
    except ValueError as exc:
        raise BadInput(f"--sizes takes comma-separated numbers, e.g. 1000,5000: {exc}") from exc
    if not sizes or any(n < 10 for n in sizes):
        raise BadInput("--sizes must list corpus sizes of at least 10 chunks")
    return sizes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def memory_mb(status: str | None = None) -> dict:
    """This process's resident memory from /proc/self/status, in MB: all of it (rss), its anonymous part
    (heap: what it holds), the part mapped from files (index arrays, libraries: pages the kernel may take
    back), and the peak (hwm). memory_mb("VmHWM: 2048 kB\\nVmRSS: 1024 kB\\nRssAnon: 512 kB\\nRssFile: 512 kB")
    -> {"rss": 1.0, "anon": 0.5, "file": 0.5, "hwm": 2.0}; {} where /proc is missing."""
    if status is None:
        try:
            status = Path("/proc/self/status").read_text(encoding="ascii")
        except OSError:
            return {}
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    names = {"rss": "VmRSS", "anon": "RssAnon", "file": "RssFile", "hwm": "VmHWM"}
    return {k: round(int(fields[v].split()[0]) / 1024, 1) for k, v in names.items() if v in fields}


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def latency_stats(values: list[float], prefix: str) -> dict:
    return {f"{prefix}_p50_ms": round(percentile(values, 50), 1), f"{prefix}_p95_ms": round(percentile(values, 95), 1),
            f"{prefix}_mean_ms": round(sum(values) / len(values), 1)}


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent embedding (to split the stock build time)."""

    def __init__(self, inner):
        self.inner, self.seconds, self.name = inner, 0.0, inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts, progress: bool = False):
        t0 = time.perf_counter()
        try:
            return self.inner.embed(texts, progress)
        finally:
            self.seconds += time.perf_counter() - t0


# -- workers (each in its own process) -------------------------------------------------------------
def _settings(corpus: str, index: str):
    from rag.config import load_settings

    return load_settings(corpus_dir=corpus, index_dir=index)


def worker_index(corpus: str, index: str, job: dict) -> dict:
    """Build the index from scratch, then embed a sample of the indexed chunks with the same
    sentence-transformers model directly (the raw throughput the indexer is compared with)."""
    from rag import build_assistant
    from rag.manifest import load_index_manifest

    settings = _settings(corpus, index)
    assistant = build_assistant(settings)
    assistant.embedder.embed(["warm up"])  # model loading is not indexing work
    report = assistant.index(rebuild=True, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    out = {"chunks": report.chunks, "embed_s": report.timings_ms["embed"] / 1000,
           "store_s": report.timings_ms["store"] / 1000, "lexical_s": report.timings_ms.get("lexical", 0.0) / 1000,
           "index_s": report.timings_ms["total"] / 1000,
           "index_rss_mb": round(peak_rss_mb(), 1)}
    from rag.indexer import generation_texts

    texts = sorted(generation_texts(settings, load_index_manifest(settings)).items())
    texts = random.Random(0).sample([text for _cid, text in texts], min(job["raw_sample"], len(texts)))
    import torch

    from rag.embed import build_embedder

    model = build_embedder(settings.replace(embedder="torch")).model  # raw torch, whatever indexed
    torch.set_num_threads(os.cpu_count() or 1)
    model.encode(texts[:64], batch_size=settings.embed_batch_size)
    t0 = time.perf_counter()
    model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True, convert_to_numpy=True)
    out.update(raw_chunks=len(texts), raw_s=time.perf_counter() - t0)
    return out


def worker_serve(corpus: str, index: str, job: dict) -> dict:
    """A fresh process answering questions from the built index: cold start (and of it, opening the index:
    chunk table and BM25), warm latency, RSS."""
    from rag import build_assistant
    from rag.eval.metrics import hit_at_k, is_correct

    t0 = time.perf_counter()
    assistant = build_assistant(_settings(corpus, index))
    t_open = time.perf_counter()
    assistant.retriever  # noqa: B018 - opens the index generation
    retriever_start = time.perf_counter() - t_open
    opened = memory_mb()
    assistant.ask(ASK_QUESTION)
    cold = time.perf_counter() - t0
    first = memory_mb()
    latencies, hits, correct = [], [], []
    for q in job["questions"]:
        t1 = time.perf_counter()
        answer = assistant.ask(q["question"])
        latencies.append((time.perf_counter() - t1) * 1000)
        hits.append(hit_at_k(answer.retrieved, q["doc_ids"], 5))
        correct.append(is_correct(answer.text, answer.abstained, answers_any=q["answers_any"]))
    return {"cold_start_s": round(cold, 2), "retriever_start_s": round(retriever_start, 2),
            **latency_stats(latencies, "query"), "hit@5": share(hits),
            "accuracy": share(correct), "serve_rss_mb": round(peak_rss_mb(), 1),
            "serve_memory_mb": {"opened": opened, "first_answer": first, "last_answer": memory_mb()}}


def worker_stock(corpus: str, index: str, job: dict) -> dict:
    """The stock LlamaIndex pipeline over the same files: in-memory build, then the same questions."""
    from rag.eval.baseline import StockPipeline
    from rag.embed import build_embedder
    from rag.eval.metrics import hit_at_k, is_correct

    settings = _settings(corpus, index)
    embedder = TimedEmbedder(build_embedder(settings))
    embedder.embed(["warm up"])
    embedder.seconds = 0.0
    pipeline = StockPipeline(settings, embedder)
    t0 = time.perf_counter()
    documents = pipeline.load_documents()
    t1 = time.perf_counter()
    nodes = pipeline.build(documents)
    build, embed_s = time.perf_counter() - t1, embedder.seconds
    pipeline.ask("What did the envoy tell reporters about the talks?")
    full, retrieval, hits, correct = [], [], [], []
    for q in job["questions"]:
        t2 = time.perf_counter()
        pipeline.retrieve(q["question"])
        t3 = time.perf_counter()
        answer = pipeline.ask(q["question"])
        full.append((time.perf_counter() - t3) * 1000)
        retrieval.append((t3 - t2) * 1000)
        hits.append(hit_at_k(answer.retrieved, q["doc_ids"], 5))
        correct.append(is_correct(answer.text, answer.abstained, answers_any=q["answers_any"]))
    rss = peak_rss_mb()
    with tempfile.TemporaryDirectory(dir=Path(index).parent) as tmp:
        pipeline.index.storage_context.persist(persist_dir=tmp)
        disk = dir_size_mb(Path(tmp))
    return {"chunks": nodes, "read_s": t1 - t0, "embed_s": embed_s, "store_s": build - embed_s,
            "index_s": (t1 - t0) + build, **latency_stats(full, "query"),
            **latency_stats(retrieval, "retrieve"), "hit@5": share(hits),
            "accuracy": share(correct), "rss_mb": round(rss, 1), "persisted_mb": round(disk, 2)}


WORKERS = {"index": worker_index, "serve": worker_serve, "stock": worker_stock}


def worker_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.eval.bench")
    p.add_argument("--worker", choices=sorted(WORKERS), required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--job", required=True, help="JSON: {questions, raw_sample}")
    p.add_argument("--result", required=True)
    args = p.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    result = WORKERS[args.worker](args.corpus, args.index, job)
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


def _offline_env() -> dict:
    """The environment of a child process: ours, with model hubs switched off."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def cold_ask(corpus: Path, index: Path, question: str = ASK_QUESTION) -> dict:
    """`rag ask` in a fresh process, as a user runs it: its wall time and peak RSS (from wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ask", question, "--corpus", str(corpus),
                             "--index", str(index)], stdout=subprocess.DEVNULL, env=_offline_env())
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RagError(f"cold rag ask failed (exit {proc.returncode}); its error is printed above")
    return {"ask_s": round(wall, 2), "ask_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def seeds_ask(seeds_dir: str, work: Path) -> dict:
    """Issue 12's cold-start figure: index the seeds, then one cold `rag ask` on them (the README's question)."""
    index = work / "index-seeds"
    shutil.rmtree(index, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "index", "--corpus", seeds_dir, "--index", str(index)],
                          stdout=subprocess.DEVNULL, env=_offline_env())
    if proc.returncode != 0:
        raise RagError(f"indexing the seeds failed (exit {proc.returncode}); its error is printed above")
    return cold_ask(Path(seeds_dir), index, SEEDS_QUESTION)


def target_checks(result: dict) -> list[dict]:
    """Each of issue 12's targets against a bench result: {target, where, measured, met}. Indexing against raw
    torch at every size; latency, serve start and RSS, disk and hit@5 at the largest size; the cold ask on the
    seeds. A figure the run did not record is left out."""
    rows = sorted(result.get("sizes", []), key=lambda r: r["chunks"])
    checks = []

    def add(target: str, where: str, value, shown: str, met: bool) -> None:
        checks.append({"target": target, "where": where, "measured": value, "shown": shown, "met": bool(met)})

    for r in rows:
        add(f"index ÷ raw torch ≥ {TARGETS['index_vs_raw']}", f"{r['chunks']:,} chunks", r["index_vs_raw"],
            f"{r['index_vs_raw']:.2f}", r["index_vs_raw"] >= TARGETS["index_vs_raw"])
    if rows:
        top, where = rows[-1], f"{rows[-1]['chunks']:,} chunks"
        for key, label, unit in (("query_p50_ms", "query p50", "ms"), ("query_p95_ms", "query p95", "ms"),
                                 ("serve_rss_mb", "serve peak RSS", "MB")):
            add(f"{label} ≤ {TARGETS[key]} {unit}", where, top[key], f"{top[key]:g} {unit}", top[key] <= TARGETS[key])
        start = top["cold_start_s"]
        add(f"serve start ≤ {TARGETS['serve_start_s']} s", where, start, f"{start:g} s", start <= TARGETS["serve_start_s"])
        per_chunk = top["index_disk_mb"] * 1024 / top["chunks"]
        add(f"disk ≤ {TARGETS['disk_kb_per_chunk']} KB per chunk", where, round(per_chunk, 2), f"{per_chunk:.1f} KB",
            per_chunk <= TARGETS["disk_kb_per_chunk"])
        at_20k = [r for r in rows if r["size"] == 20000]
        if at_20k and top["size"] > 20000:
            add("hit@5 no worse than at 20,000", where, top["hit@5"], f"{top['hit@5']:.2f} (20k: {at_20k[0]['hit@5']:.2f})",
                top["hit@5"] >= at_20k[0]["hit@5"])
    ask = result.get("seeds_ask")
    if ask:
        add(f"cold rag ask ≤ {TARGETS['ask_s']} s", "seeds", ask["ask_s"], f"{ask['ask_s']:g} s", ask["ask_s"] <= TARGETS["ask_s"])
        add(f"cold rag ask ≤ {TARGETS['ask_rss_mb']} MB", "seeds", ask["ask_rss_mb"], f"{ask['ask_rss_mb']:g} MB",
            ask["ask_rss_mb"] <= TARGETS["ask_rss_mb"])
    return checks


def targets_table(result: dict) -> str:
    """The target checks as a markdown table ("" when there is nothing to check)."""
    checks = target_checks(result)
    if not checks:
        return ""
    lines = ["| target | where | measured | met |", "|---|---|---|---|"]
    lines += [f"| {c['target']} | {c['where']} | {c['shown']} | {'yes' if c['met'] else '**no**'} |" for c in checks]
    return "\n".join(lines)


def run_worker(phase: str, corpus: Path, index: Path, job: Path, work: Path) -> dict:
    result = work / f"{phase}.json"
    result.unlink(missing_ok=True)
    env = {**_offline_env(), "TOKENIZERS_PARALLELISM": "false"}
    # The worker's stderr is the terminal's: its progress bars show, and so does any traceback.
    proc = subprocess.run([sys.executable, "-m", "rag.eval.bench", "--worker", phase, "--corpus", str(corpus),
                           "--index", str(index), "--job", str(job), "--result", str(result)],
                          stdout=subprocess.DEVNULL, env=env)
    if proc.returncode != 0 or not result.exists():
        raise RagError(f"bench worker {phase!r} failed (exit {proc.returncode}); its error is printed above")
    return json.loads(result.read_text(encoding="utf-8"))


# -- the command ---------------------------------------------------------------------------------
def size_row(n: int, ours: dict, serve: dict, stock: dict | None, disk_mb: float) -> dict:
    """One size's figures, with throughputs in chunks/s and ours/stock ratios."""
    chunks = ours["chunks"]
    row = {"size": n, "chunks": chunks,
           "index_chunks_per_s": round(chunks / ours["index_s"], 1),
           "embed_chunks_per_s": round(chunks / ours["embed_s"], 1),
           "store_chunks_per_s": round(chunks / max(ours["store_s"], 1e-9), 1),
           "embed_s": round(ours["embed_s"], 1), "store_s": round(ours["store_s"], 1),
           "lexical_s": round(ours.get("lexical_s", 0.0), 1),
           "other_s": round(ours["index_s"] - ours["embed_s"] - ours["store_s"] - ours.get("lexical_s", 0.0), 1),
           "index_s": round(ours["index_s"], 1),
           "raw_embed_chunks_per_s": round(ours["raw_chunks"] / ours["raw_s"], 1), "raw_sample": ours["raw_chunks"],
           "index_rss_mb": ours["index_rss_mb"], "index_disk_mb": round(disk_mb, 1), **serve}
    row["index_vs_raw"] = round(row["index_chunks_per_s"] / row["raw_embed_chunks_per_s"], 3)
    if stock:
        row["stock"] = {**{k: round(v, 2) if isinstance(v, float) else v for k, v in stock.items()},
                        "index_chunks_per_s": round(stock["chunks"] / stock["index_s"], 1)}
        row["ratios"] = {
            "query_p50_stock_over_ours": round(stock["query_p50_ms"] / serve["query_p50_ms"], 2),
            "query_p95_stock_over_ours": round(stock["query_p95_ms"] / serve["query_p95_ms"], 2),
            "retrieve_p50_stock_over_ours_query": round(stock["retrieve_p50_ms"] / serve["query_p50_ms"], 2),
            "index_throughput_ours_over_stock": round(row["index_chunks_per_s"] / row["stock"]["index_chunks_per_s"], 2),
            "rss_ours_serve_over_stock": round(serve["serve_rss_mb"] / stock["rss_mb"], 2)}
    return row


def bench_table(result: dict) -> str:
    """The markdown tables of a bench run."""
    rows = sorted(result["sizes"], key=lambda r: r["size"])
    lines = ["| chunks | index chunks/s (embed / store) | raw embed chunks/s | index ÷ raw | query p50 / p95 ms "
             "| serve peak RSS MB | serve RSS after the last answer: anon + file MB | index peak RSS MB "
             "| index on disk MB | hit@5 | serve start s | cold rag ask s, peak MB | commit, 1-min load before → after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        load = f"{r['load_avg_before'][0]} → {r['load_avg_after'][0]}" if "load_avg_before" in r else "?"
        last = r.get("serve_memory_mb", {}).get("last_answer", {})
        split = f"{last['anon']:.0f} + {last['file']:.0f}" if {"anon", "file"} <= set(last) else "?"
        cells = [f"{r['chunks']:,}", f"{r['index_chunks_per_s']} ({r['embed_chunks_per_s']} / {r['store_chunks_per_s']})",
                 f"{r['raw_embed_chunks_per_s']}", f"{r['index_vs_raw']:.2f}", f"{r['query_p50_ms']} / {r['query_p95_ms']}",
                 f"{r['serve_rss_mb']:.0f}", split, f"{r['index_rss_mb']:.0f}", f"{r['index_disk_mb']}", f"{r['hit@5']:.2f}",
                 f"{r['cold_start_s']}" if "cold_start_s" in r else "?",
                 f"{r['ask_s']}, {r['ask_rss_mb']:.0f}" if "ask_s" in r else "?", f"{r.get('commit', '?')}, {load}"]
        lines.append("| " + " | ".join(cells) + " |")
    stock_rows = [r for r in rows if "stock" in r]
    if stock_rows:
        lines += ["", "| chunks | stock index chunks/s | stock answer p50 / p95 ms | stock retrieve-only p50 / p95 ms "
                  "| stock peak RSS MB | stock persisted MB | stock hit@5 | stock ÷ ours answer p50 "
                  "| ours ÷ stock index speed |", "|---|---|---|---|---|---|---|---|---|"]
        for r in stock_rows:
            s, q = r["stock"], r["ratios"]
            cells = [f"{r['chunks']:,}", f"{s['index_chunks_per_s']}", f"{s['query_p50_ms']} / {s['query_p95_ms']}",
                     f"{s['retrieve_p50_ms']} / {s['retrieve_p95_ms']}", f"{s['rss_mb']:.0f}", f"{s['persisted_mb']}",
                     f"{s['hit@5']:.2f}", f"{q['query_p50_stock_over_ours']}×", f"{q['index_throughput_ours_over_stock']}×"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_bench(path: Path, result: dict) -> None:
    """Log-log query latency against corpus size, with the 20k targets drawn in."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(result["sizes"], key=lambda r: r["chunks"])
    x = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.plot(x, [r["query_p50_ms"] for r in rows], "o-", label="ours p50 (answer)")
    ax.plot(x, [r["query_p95_ms"] for r in rows], "o--", label="ours p95 (answer)")
    stock = [r for r in rows if "stock" in r]
    if stock:
        xs = [r["chunks"] for r in stock]
        ax.plot(xs, [r["stock"]["query_p50_ms"] for r in stock], "s-", label="stock p50 (answer)")
        ax.plot(xs, [r["stock"]["query_p95_ms"] for r in stock], "s--", label="stock p95 (answer)")
        ax.plot(xs, [r["stock"]["retrieve_p50_ms"] for r in stock], "^:", label="stock p50 (retrieve only)")
    ax.axhline(TARGETS["query_p50_ms"], color="grey", lw=0.8, ls="-.", label="target p50 100 ms")
    ax.axhline(TARGETS["query_p95_ms"], color="grey", lw=0.8, ls=":", label="target p95 250 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_xticks(x)
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("warm query latency (ms)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(out: Path, result: dict) -> None:
    (out / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    head = (f"# Benchmark\n\n- commit `{result['commit']}`, {result['machine']['cpus']} CPUs, "
            f"{result['machine']['ram_gb']} GB RAM\n- each size: {result['questions_per_size']} warm questions; raw "
            f"embedding on up to {result['raw_sample']} of the same chunks\n\n")
    targets = targets_table(result)
    targets = f"\n## Issue 12's targets\n\n{targets}\n" if targets else ""
    (out / "bench.md").write_text(head + bench_table(result) + "\n" + targets, encoding="utf-8")
    plot_bench(out / "bench.png", result)


def bench(sizes: list[int], out: Path, baseline: bool = True, seeds_dir: str = "seeds", say=lambda _msg: None,
          keep: bool = False, n_questions: int = N_QUESTIONS, raw_sample: int = RAW_SAMPLE) -> dict:
    """Measure every size; rows of other sizes already in out/bench.json are kept (each says when it ran)."""
    import psutil

    from rag.eval.evaluate import git_state
    from rag.eval.synth import write_corpus

    if not Path(seeds_dir).is_dir():
        raise BadInput(f"the seed corpus {seeds_dir} is missing; run rag bench from the project folder")
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "bench.json"
    try:
        old = json.loads(previous.read_text(encoding="utf-8"))["sizes"] if previous.exists() else []
    except (OSError, ValueError, KeyError):
        old = []
    state = git_state(Path(__file__).parent.parent.parent)
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), **state, "targets": TARGETS,
              "questions_per_size": n_questions, "raw_sample": raw_sample,
              "machine": {"cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1)},
              "sizes": [r for r in old if r["size"] not in sizes]}
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    say("a cold rag ask on the seeds")
    result["seeds_ask"] = seeds_ask(seeds_dir, work)
    for n in sizes:
        corpus, index = work / f"corpus-{n}", work / f"index-{n}"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(index, ignore_errors=True)
        say(f"size {n}: writing the synthetic corpus")
        questions = write_corpus(corpus, n, seeds_dir)
        job = work / f"job-{n}.json"
        job.write_text(json.dumps({"questions": random.Random(1).sample(questions, min(n_questions, n)),
                                   "raw_sample": raw_sample}), encoding="utf-8")
        load = [round(x, 2) for x in os.getloadavg()]
        say(f"size {n}: indexing (ours)")
        ours = run_worker("index", corpus, index, job, work)
        say(f"size {n}: querying (ours)")
        serve = run_worker("serve", corpus, index, job, work)
        say(f"size {n}: a cold rag ask")
        serve.update(cold_ask(corpus, index))
        disk = dir_size_mb(index)
        stock = None
        if baseline:
            say(f"size {n}: stock LlamaIndex pipeline")
            stock = run_worker("stock", corpus, index, job, work)
        row = size_row(n, ours, serve, stock, disk)
        row.update(measured=time.strftime("%Y-%m-%dT%H:%M:%S"), commit=state["commit"],
                   load_avg_before=load, load_avg_after=[round(x, 2) for x in os.getloadavg()])
        result["sizes"] = sorted([r for r in result["sizes"] if r["size"] != n] + [row], key=lambda r: r["size"])
        write_outputs(out, result)
        if not keep:
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(index, ignore_errors=True)
    return result


def run_bench_cli(args) -> int:
    sizes = parse_sizes(args.sizes)

    def say(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    result = bench(sizes, Path(args.out), baseline=not args.no_baseline, say=say)
    print(bench_table(result))
    print(f"\nwrote {Path(args.out) / 'bench.md'}, bench.json and bench.png")
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
