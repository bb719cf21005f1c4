"""Our retrieval and checked answers as llama-index parts: a fast test over a fake-embedder index,
and the README's example run as is against the seeds."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, rag_env


def test_retriever_nodes_point_into_the_original_files_and_the_engine_returns_the_cited_spans(memory_settings,
                                                                                               fake_embedder):
    from llama_index.core.base.response.schema import Response
    from llama_index.core.retrievers import BaseRetriever

    from rag.llamaindex import CheckedQueryEngine, NewsRetriever
    from rag.pipeline import build_assistant

    assistant = build_assistant(memory_settings, embedder=fake_embedder)
    assistant.index()
    retriever = NewsRetriever(assistant, top_k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("Mike Pompeo trip to Pyongyang")
    assert 1 <= len(nodes) <= 3 and nodes[0].score >= nodes[-1].score
    for hit in nodes:
        meta = hit.node.metadata
        original = (Path(memory_settings.corpus_dir) / meta["source"]).read_text(encoding="utf-8")
        span = original[hit.node.start_char_idx:hit.node.end_char_idx]
        assert span.split()[:3] == hit.node.text.split()[:3] and meta["title"]
    response = CheckedQueryEngine(assistant).query("What was Mike Pompeo planning?")
    assert isinstance(response, Response) and "[1]" in response.response
    assert response.metadata["supported"] and not response.metadata["abstained"]
    for cited in response.source_nodes:
        meta = cited.node.metadata
        original = (Path(memory_settings.corpus_dir) / meta["source"]).read_text(encoding="utf-8")
        assert original[cited.node.start_char_idx:cited.node.end_char_idx] == cited.node.text
        assert f"[{meta['n']}]" in response.response
    assert CheckedQueryEngine(assistant).query("Who won the 2022 World Cup?").metadata["abstained"]


@pytest.mark.slow
def test_the_readme_example_runs_against_the_seeds(tmp_path):
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- llama-index example -->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    run = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code], cwd=tmp_path, env=rag_env(),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert len(lines) >= 5 and "Mao Ning" in lines[3] and "[1]" in lines[3]
    assert "Mao Ning" in lines[4]
