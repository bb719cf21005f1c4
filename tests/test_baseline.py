"""The stock LlamaIndex pipeline: pure helpers, the embedding adapter, and answers whose spans check out."""

import pytest

from rag.eval.baseline import best_sentence, stock_doc_ids
from tests.conftest import seed_subset


def test_best_sentence_picks_the_closest_vector():
    assert best_sentence([(0, 2), (3, 5)], [[1, 0], [0, 1]], [0.1, 0.9]) == 1
    assert best_sentence([(0, 2), (3, 5)], [[0, 1], [0, 1]], [0, 1]) == 0  # ties go to the first


def test_doc_ids_match_the_corpus_rule(tmp_path):
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "x" / "a.txt"), str(tmp_path / "b.md")]
    assert stock_doc_ids(paths, tmp_path) == {paths[0]: "a", paths[1]: "x/a.txt", paths[2]: "b"}


def test_eval_modules_import_no_heavy_dependency():
    import subprocess
    import sys

    code = ("import sys, rag.eval.baseline, rag.eval.bench, rag.eval.evaluate, rag.eval.metrics, rag.eval.synth; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'llama_index', 'chromadb', 'matplotlib') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_adapter_returns_our_vectors(embedder):
    from rag.eval.baseline import embedding_adapter

    adapter = embedding_adapter(embedder)
    ours = embedder.embed(["Kim met Xi.", "It rained."])
    import numpy as np

    assert np.allclose(adapter.get_text_embedding_batch(["Kim met Xi.", "It rained."]), ours, atol=1e-5)
    assert adapter.get_query_embedding("Kim met Xi.") == pytest.approx(ours[0], abs=1e-5)


@pytest.mark.slow
def test_stock_pipeline_answers_with_a_valid_span_and_never_abstains(embedder, tmp_path):
    import llama_index.core
    from llama_index.core import Settings as LlamaSettings

    from rag.eval.baseline import StockPipeline
    from rag.config import Settings

    corpus = seed_subset(tmp_path / "corpus", "002_617917d42ee51cd6.txt", "003_443b657839c6b62c.txt",
                         extra={"questions_eval.jsonl": '{"id": 1}\n'})  # the eval file is never indexed
    pipeline = StockPipeline(Settings(corpus_dir=str(corpus), index_dir=str(tmp_path / "i")), embedder)
    assert pipeline.build() == 2  # default 1024-token splitting: one node per short article
    answer = pipeline.ask("Who did China send as a special envoy to Pyongyang?")
    assert not answer.abstained and answer.text.endswith("[1]") and len(answer.citations) == 1
    c = answer.citations[0]
    assert (corpus / f"{c.doc_id}.txt").read_text(encoding="utf-8")[c.start:c.end] == c.quote
    assert c.doc_id == "002_617917d42ee51cd6" and "Li Zhanshu" in c.quote
    assert set(answer.retrieved) == {"002_617917d42ee51cd6", "003_443b657839c6b62c"}
    assert not pipeline.ask("Who won the 2022 World Cup?").abstained  # stock has no abstention
    # Nothing was handed to llama-index through its globals.
    assert LlamaSettings._embed_model is None and LlamaSettings._transformations is None
    assert llama_index.core.global_tokenizer is None
