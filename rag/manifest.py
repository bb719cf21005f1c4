"""The index manifest: reading, writing and checking it, and opening the generation it names.

Everything the query side needs to open an index lives here, so answering never imports the
build-time `rag.indexer`. The manifest records the settings an index was built with and a
version of the cleaning and chunking rules; an index that does not match is refused with the
rebuild hint, instead of silently mixing chunks cut by old and new rules.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from rag.config import Settings
from rag.embed import embedder_id
from rag.errors import REBUILD_HINT, IndexCorrupt, IndexMismatch, IndexMissing
from rag.store import VectorStore, store_backend

FORMAT_VERSION = 2  # 2: each generation also holds a sentence collection
MANIFEST = "manifest.json"
# The modules whose code decides what text an index holds and how it is cut: reading and cleaning
# files, splitting sentences, packing chunks.
RULE_MODULES = ("corpus.py", "clean.py", "text.py", "chunk.py")


@lru_cache(maxsize=1)
def rules_version() -> str:
    """A digest of the cleaning and chunking code: any change to it (even a comment, which costs one
    rebuild) makes indexes built before it refuse to serve until rebuilt."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in RULE_MODULES:
        try:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes())
        except OSError:  # installed without sources: the package version stands for the rules
            from importlib.metadata import PackageNotFoundError, version

            try:
                digest.update(f"{name}@{version('rag-news')}".encode())
            except PackageNotFoundError:
                digest.update(name.encode())
    return digest.hexdigest()[:16]


def expected_config(settings: Settings, dim: int | None = None) -> dict:
    """The manifest fields that must match the settings for an index to be usable."""
    config = {"format_version": FORMAT_VERSION, "embedder": embedder_id(settings), "rules": rules_version(),
              "chunking": {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
                           "tokenizer": "tiktoken:cl100k_base"}}
    if dim is not None:
        config["dimension"] = dim
    return config


def read_manifest(index_dir: Path) -> dict | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["documents"], manifest["collection"], manifest["chunk_count"]  # noqa: B018 - shape check
        return manifest
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"the index manifest {path} is damaged ({exc}). {REBUILD_HINT}") from exc


def check_manifest(manifest: dict, settings: Settings) -> None:
    """Refuse an index built with other settings."""
    want = expected_config(settings)
    if manifest.get("rules") != want["rules"]:
        raise IndexMismatch(f"the index at {settings.index_dir} was cut by other cleaning and chunking rules "
                            f"(an earlier or later version of this program). {REBUILD_HINT}")
    for key, value in want.items():
        if manifest.get(key) != value:
            raise IndexMismatch(f"the index at {settings.index_dir} was built with {key}={manifest.get(key)!r} "
                                f"but the settings say {value!r}. {REBUILD_HINT}")
    if manifest.get("store") != store_location_kind(settings):
        raise IndexMismatch(f"the index at {settings.index_dir} lives in a {manifest.get('store')} store, "
                            f"the settings name a {store_location_kind(settings)} one. {REBUILD_HINT}")


# A manifest's "sentences" value when the generation's sentence vectors are in its lexical folder (no
# sentence collection); a generation without it keeps them in a sentence collection of the store.
SENTENCES_IN_FOLDER = "lexical"


def verify_index(settings: Settings, manifest: dict) -> None:
    """Cheap integrity check of the live generation (no model load): its collections open, counts agree."""
    count = open_store(settings, manifest).count()
    if manifest.get("sentences") != SENTENCES_IN_FOLDER:
        open_store(settings, manifest, sentences=True).count()
    if count != manifest["chunk_count"]:
        raise IndexCorrupt(f"the index holds {count} chunks but its manifest says {manifest['chunk_count']}. "
                           f"{REBUILD_HINT}")


def store_location_kind(settings: Settings) -> str:
    """Where the settings keep an index: "embedded" or "server" (Chroma), or "memory"."""
    return store_backend(settings).kind


def open_store(settings: Settings, manifest: dict, create: bool = False, sentences: bool = False) -> VectorStore:
    """The generation's chunk collection, or with sentences=True its sentence collection."""
    return store_backend(settings).open(manifest["collection"], create=create, sentences=sentences)


def load_checked_manifest(settings: Settings) -> dict | None:
    """The manifest if there is one, refused (IndexMismatch) when built with other settings."""
    manifest = read_manifest(settings.index_path)
    if manifest is not None:
        check_manifest(manifest, settings)
    return manifest


def load_index_manifest(settings: Settings) -> dict:
    manifest = load_checked_manifest(settings)
    if manifest is None:
        raise IndexMissing(f"no index at {settings.index_dir}. Build it with: rag index")
    return manifest


def write_manifest(index_dir: Path, manifest: dict) -> None:
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / MANIFEST)
