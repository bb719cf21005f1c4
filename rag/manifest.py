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
from collections.abc import Iterator, Mapping
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


_ABSENT = object()
_TEXT, _NONE, _MISSING = 0, 1, 2  # what a text column holds for an article: a string, None, or no such field


class _TextColumn:
    """One field of every article, when it is text (or None, or absent): all its strings in one string,
    cut by offsets. The manifest's JSON tree is then freed whole; a column that kept the tree's own
    string objects would pin the tree's memory arenas, scattered among them."""

    def __init__(self, values: list):
        from array import array
        from itertools import accumulate

        self.kinds = bytes([_TEXT if v.__class__ is str else _MISSING if v is _ABSENT else _NONE for v in values])
        self.text = "".join([v for v in values if v.__class__ is str] + [""])  # joined anew, even one string
        self.ends = array("q", accumulate([len(v) if v.__class__ is str else 0 for v in values]))

    def __getitem__(self, i: int):
        kind = self.kinds[i]
        if kind != _TEXT:
            return None if kind == _NONE else _ABSENT
        return self.text[self.ends[i - 1] if i else 0:self.ends[i]]

    def values(self) -> list:
        return [None if k == _MISSING else self[i] for i, k in enumerate(self.kinds)]


class DocumentTable(Mapping):
    """The indexed articles as the query side holds them: doc_id -> {title, outlet, source, published, ...},
    kept as columns instead of a dict per article (a text field is one string cut by offsets), so that at
    100,000 articles it takes about a fifth of the manifest's dicts. An entry is built when it is looked up.
    DocumentTable({"a": {"title": "T", "outlet": "AFP"}})["a"] -> {"title": "T", "outlet": "AFP"}"""

    def __init__(self, documents: Mapping[str, Mapping]):
        ids = _TextColumn(list(documents))
        self._ids = ids.values()  # fresh strings, not the JSON tree's
        self._row = {doc_id: i for i, doc_id in enumerate(self._ids)}
        self._columns: dict = {}
        docs = list(documents.values())
        for field in sorted({key for doc in docs for key in doc}):
            values = [doc.get(field, _ABSENT) for doc in docs]
            texts = set(map(type, values)) <= {str, type(None), type(_ABSENT)}
            self._columns[field] = _TextColumn(values) if texts else values

    def __getitem__(self, doc_id: str) -> dict:
        i = self._row[doc_id]
        entry = {field: column[i] for field, column in self._columns.items()}
        return {field: value for field, value in entry.items() if value is not _ABSENT}

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def rows(self, *fields: str) -> Iterator[tuple]:
        """(doc_id, value of each field or None) for every article, without building its entry:
        DocumentTable({"a": {"title": "T"}}).rows("title", "outlet") -> ("a", "T", None)"""
        def column(field: str) -> list:
            values = self._columns.get(field)
            if values is None:
                return [None] * len(self._ids)
            return values.values() if isinstance(values, _TextColumn) else \
                [None if v is _ABSENT else v for v in values]
        return zip(self._ids, *(column(f) for f in fields))


def serving_manifest(manifest: dict) -> dict:
    """What answering keeps of a manifest: its articles as a `DocumentTable`, and not the corpus listing
    (`files`, `skipped`), which only the indexer reads."""
    kept = {k: v for k, v in manifest.items() if k not in ("files", "skipped", "documents")}
    kept["documents"] = DocumentTable(manifest["documents"])
    return kept


def write_manifest(index_dir: Path, manifest: dict) -> None:
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / MANIFEST)
