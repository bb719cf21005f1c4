"""Shared fixtures: the real MiniLM embedder (loaded once), a seeds index built once per session,
fresh tmp index dirs, and a tiny corpus. Tests that need the model or an index are marked slow."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 embedder from the pinned package, shared by the whole session."""
    from rag.config import Settings
    from rag.embed import build_embedder

    emb = build_embedder(Settings())
    emb.embed(["warm up"])
    return emb


@pytest.fixture(scope="session")
def seeds_settings(tmp_path_factory):
    from rag.config import Settings

    return Settings(corpus_dir=str(SEEDS), index_dir=str(tmp_path_factory.mktemp("seeds-index")))


@pytest.fixture(scope="session")
def seeds_assistant(seeds_settings, embedder):
    """An assistant over the seeds corpus with its index built once (read-only: do not re-index it)."""
    from rag import build_assistant

    assistant = build_assistant(seeds_settings, embedder=embedder)
    assistant.index()
    return assistant


@pytest.fixture
def corpus_copy(tmp_path):
    """A writable copy of the seeds corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rag_env(**extra) -> dict:
    """Environment for subprocesses running the `rag` CLI: offline, no stray settings."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


RAG = [sys.executable, "-m", "rag.cli"]
