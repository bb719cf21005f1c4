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


def seed_subset(target: Path, *names: str, extra: dict[str, str] | None = None) -> Path:
    """A corpus folder at `target` holding the named seed articles (and any extra files' texts)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SEEDS / name, target / name)
    for name, text in (extra or {}).items():
        (target / name).write_text(text, encoding="utf-8")
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


class FakeEmbedder:
    """A deterministic bag-of-words hashing embedder for fast indexing tests (no model, no torch).
    `calls` counts embed() calls so tests can assert that no embedding work happened."""

    name = "sentence-transformers/all-MiniLM-L6-v2"  # pretends to be the default so manifests match
    dim = 384

    def __init__(self, fail_after: int | None = None):
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def embed(self, texts, progress=False):
        import hashlib
        import math

        self.calls += 1
        if self.fail_after is not None and self.texts + len(texts) > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.texts += len(texts)
        out = []
        for text in texts:
            vec = [0.0] * self.dim
            for word in text.lower().split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        import numpy as np

        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)  # the Embedder contract

    def embed_query(self, text):
        return tuple(self.embed([text])[0].tolist())


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def tmp_settings(tmp_path, corpus_copy):
    from rag.config import Settings

    return Settings(corpus_dir=str(corpus_copy), index_dir=str(tmp_path / "index"))


@pytest.fixture
def memory_settings(tmp_settings):
    """tmp_settings with the vectors held in this process (rag.store.MemoryBackend): no Chroma at all."""
    return tmp_settings.replace(store="memory")
