"""Chroma vector store: embedded PersistentClient by default, HttpClient when a server URL is set.

Each index generation is its own collection (embedded: in its own folder), so a build writes
beside the live index and never into it. This module stores and queries vectors; it does not
decide what to index (see `rag.indexer`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from contextlib import closing
from pathlib import Path
from typing import Iterator, Protocol, Sequence
from urllib.parse import urlparse

from rag.chunk import Chunk, Sentence
from rag.errors import REBUILD_HINT, ConfigError, IndexCorrupt, StoreUnavailable

PAGE = 1000
SENTENCE_SUFFIX = "-s"  # each generation has a chunk collection and a sentence collection


class VectorStore(Protocol):
    def add(self, ids: Sequence[str], texts: Sequence[str] | None, metadatas: Sequence[dict], vectors: Sequence) -> None:
        """Upsert records by id; `texts` None keeps no text (records then yield None for it)."""
        ...

    def query(self, vector: Sequence[float], k: int, docs: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest records as (id, cosine), only from the documents `docs` when given."""
        ...

    def records(self, with_vectors: bool = False) -> Iterator[tuple[str, str | None, dict, list | None]]: ...

    def count(self) -> int: ...


class StoreBackend(Protocol):
    """Where an index's generations live: what the indexer, the retriever and the cleanup call.
    A generation is a chunk collection and a sentence collection (its name + SENTENCE_SUFFIX)."""

    kind: str  # recorded in the manifest: an index is refused by a backend of another kind
    persistent: bool  # whether the index outlives the process (files beside it, such as its BM25 index, too)

    def open(self, generation: str, create: bool = False, sentences: bool = False) -> VectorStore:
        """A generation's chunk (or sentence) collection; IndexCorrupt if it is missing and not `create`."""
        ...

    def generations(self, prefix: str) -> list[str]:
        """The generations this backend holds whose names start with `prefix`."""
        ...

    def drop(self, generation: str) -> None:
        """Delete a generation, both collections (best effort: it may already be gone)."""
        ...

    def compact(self, generation: str) -> None:
        """Give back the space a just-written generation left free (before the manifest publishes it)."""
        ...


class MemoryStore:
    """A `VectorStore` held in this process (nothing persisted): the same contract as `ChromaStore`
    (upsert by id, cosine ranking, the document filter, paging through records), checked by the same
    contract tests, for fast tests and throwaway indexes."""

    def __init__(self):
        self._rows: dict[str, tuple[str, dict, list[float]]] = {}

    def add(self, ids, texts, metadatas, vectors) -> None:
        texts = [None] * len(ids) if texts is None else texts
        if not len(ids) == len(texts) == len(metadatas) == len(vectors):
            raise ValueError("ids, texts, metadatas and vectors differ in length")
        for cid, text, meta, vector in zip(ids, texts, metadatas, vectors):
            self._rows[cid] = (text, dict(meta), [float(x) for x in vector])

    def query(self, vector, k: int, docs=None) -> list[tuple[str, float]]:
        if not k or (docs is not None and not docs):
            return []
        q = [float(x) for x in vector]
        qn = sum(x * x for x in q) ** 0.5 or 1.0

        def cosine(v: list[float]) -> float:
            return sum(a * b for a, b in zip(q, v)) / (qn * (sum(b * b for b in v) ** 0.5 or 1.0))

        scored = [(cid, cosine(v)) for cid, (_t, meta, v) in self._rows.items()
                  if docs is None or meta.get("doc_id") in docs]
        return sorted(scored, key=lambda kv: -kv[1])[:k]

    def records(self, with_vectors: bool = False):
        for cid, (text, meta, vector) in self._rows.items():
            yield cid, text, dict(meta), (list(vector) if with_vectors else None)

    def count(self) -> int:
        return len(self._rows)


class MemoryBackend:
    """Generations held in this process, one pair of `MemoryStore`s each, shared by every backend for
    the same index folder (so an assistant and its background indexer see the same index). Nothing
    is persisted: a manifest left on disk by another process opens as a missing generation."""

    kind, persistent = "memory", False
    _held: dict[tuple[str, str], MemoryStore] = {}
    _lock = threading.Lock()

    def __init__(self, index_dir: str):
        self.root = str(Path(index_dir).resolve())

    def open(self, generation: str, create: bool = False, sentences: bool = False) -> MemoryStore:
        key = (self.root, generation + (SENTENCE_SUFFIX if sentences else ""))
        with self._lock:
            if key not in self._held:
                if not create:
                    raise IndexCorrupt(f"the in-memory generation {generation} is not in this process "
                                       f"(nothing of a memory store outlives it). {REBUILD_HINT}")
                self._held[key] = MemoryStore()
            return self._held[key]

    def generations(self, prefix: str) -> list[str]:
        with self._lock:
            return sorted({name.removesuffix(SENTENCE_SUFFIX) for root, name in self._held
                           if root == self.root and name.startswith(prefix)})

    def compact(self, generation: str) -> None:
        """Nothing to give back: the records are Python objects."""

    def drop(self, generation: str) -> None:
        with self._lock:
            for name in (generation, generation + SENTENCE_SUFFIX):
                self._held.pop((self.root, name), None)


def chunk_metadata(chunk: Chunk, title: str) -> dict:
    """Flat metadata Chroma can hold; sentences are kept as JSON [[start, end, orig_start, orig_end], ...]."""
    spans = [[s.start, s.end, s.orig_start, s.orig_end] for s in chunk.sentences]
    return {"doc_id": chunk.doc_id, "start": chunk.start, "end": chunk.end, "tokens": chunk.tokens,
            "title": title, "sentences": json.dumps(spans)}


def sentence_id(doc_id: str, sentence: Sentence) -> str:
    return f"{doc_id}@{sentence.start}-{sentence.end}"


def sentence_key(doc_id: str, sentence: Sentence) -> tuple[str, int, int]:
    """How a sentence is known across chunks and generations: its document and clean-text span."""
    return (doc_id, sentence.start, sentence.end)


def sentence_key_of_id(sid: str) -> tuple[str, int, int]:
    """sentence_key_of_id("a@3-9") -> ("a", 3, 9), the key of a sentence record's id."""
    doc_id, _, span = sid.rpartition("@")
    start, _, end = span.partition("-")
    return (doc_id, int(start), int(end))


def sentence_metadata(doc_id: str) -> dict:
    """A sentence record's metadata: only what the document filter needs (its id carries the span, and its
    text is the chunk's; neither a copy of the text nor Chroma's full-text index of it is kept)."""
    return {"doc_id": doc_id}


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    sentences = tuple(Sentence(*span) for span in json.loads(meta["sentences"]))
    return Chunk(chunk_id, meta["doc_id"], text, int(meta["start"]), int(meta["end"]), sentences, int(meta["tokens"]))


def _client_settings():
    import chromadb

    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


def http_client(url: str):
    """A Chroma HttpClient for a server URL; StoreUnavailable if it cannot be made."""
    import chromadb

    parts = urlparse(url)
    try:
        return chromadb.HttpClient(host=parts.hostname or "127.0.0.1", port=parts.port or 8000,
                                   ssl=parts.scheme == "https", settings=_client_settings())
    except Exception as exc:  # noqa: BLE001
        raise _unavailable(url, exc) from exc


def _unavailable(url: str, exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"index unavailable: the Chroma server at {url} cannot be reached ({type(exc).__name__})")


def is_writable(folder: str) -> bool:
    """Whether Chroma may write in an index folder (access(2) also says no on a read-only mount, even to root)."""
    return os.access(folder, os.W_OK) and os.access(Path(folder, "chroma.sqlite3"), os.W_OK)


def read_only_copy(folder: str) -> str:
    """A private copy of an embedded Chroma folder that cannot be written, made once per version.
    Chroma's embedded client writes to its SQLite file even to read and has no read-only mode
    (chroma-core/chroma#1438), so an index on read-only media is read from this copy."""
    src = Path(folder)
    st = (src / "chroma.sqlite3").stat()
    key = hashlib.sha256(f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"rag-news-{os.getuid()}" / "read-only-index"
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = cache / f"{src.name}-{key}"
    if not (target / "chroma.sqlite3").is_file():
        partial = cache / f".{target.name}.{os.getpid()}"
        shutil.copytree(src, partial, dirs_exist_ok=True)
        for path in [partial, *partial.rglob("*")]:  # read-only media often carry read-only modes
            path.chmod(path.stat().st_mode | 0o700 if path.is_dir() else path.stat().st_mode | 0o600)
        try:
            os.rename(partial, target)  # atomic; a concurrent reader may have made it first
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
    return str(target)


class ChromaStore:
    """One Chroma collection. `location` is a folder (embedded) or a server URL."""

    def __init__(self, location: str, collection: str, create: bool = False):
        self.location, self.name = location, collection
        self.is_server = location.startswith(("http://", "https://"))
        try:
            self.client = self._connect(create)
            if create:
                self.collection = self.client.get_or_create_collection(collection, metadata={"hnsw:space": "cosine"})
            else:
                self.collection = self.client.get_collection(collection)
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb raises many types for a damaged or missing index
            if self.is_server and _is_connection_error(exc):
                raise _unavailable(location, exc) from exc
            raise IndexCorrupt(f"cannot open Chroma collection {collection!r} at {location}: {_short(exc)}. {REBUILD_HINT}") from exc

    def _connect(self, create: bool):
        import chromadb

        if self.is_server:
            client = http_client(self.location)
            try:
                client.heartbeat()
            except Exception as exc:  # noqa: BLE001
                raise _unavailable(self.location, exc) from exc
            return client
        if not create and not Path(self.location, "chroma.sqlite3").is_file():
            raise IndexCorrupt(f"the Chroma files at {self.location} are missing. {REBUILD_HINT}")
        path = self.location if create or is_writable(self.location) else read_only_copy(self.location)
        return chromadb.PersistentClient(path=path, settings=_client_settings())

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            if self.is_server and _is_connection_error(exc):
                raise _unavailable(self.location, exc) from exc
            raise IndexCorrupt(f"Chroma collection {self.name!r} failed: {_short(exc)}. {REBUILD_HINT}") from exc

    def add(self, ids, texts, metadatas, vectors) -> None:
        step = min(PAGE * 4, self._call(self.client.get_max_batch_size))
        for i in range(0, len(ids), step):
            self._call(self.collection.upsert, ids=list(ids[i:i + step]),
                       documents=None if texts is None else list(texts[i:i + step]),
                       metadatas=list(metadatas[i:i + step]),
                       embeddings=[[float(x) for x in v] for v in vectors[i:i + step]])

    def query(self, vector, k: int, docs=None) -> list[tuple[str, float]]:
        n = min(k, self.count()) if k else 0
        if n == 0 or (docs is not None and not docs):
            return []
        where = {"doc_id": {"$in": sorted(docs)}} if docs is not None else None  # Chroma filters before ranking
        res = self._call(self.collection.query, query_embeddings=[list(vector)], n_results=n, include=["distances"],
                         where=where)
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def records(self, with_vectors: bool = False):
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        offset = 0
        while True:
            page = self._call(self.collection.get, include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            vectors = page["embeddings"] if with_vectors else [None] * len(page["ids"])
            yield from zip(page["ids"], page["documents"], page["metadatas"], vectors)
            offset += len(page["ids"])

    def count(self) -> int:
        return int(self._call(self.collection.count))



class ChromaBackend:
    """Generations in Chroma: embedded, each generation in its own folder under the index folder; or
    on a Chroma server (`chroma_url`), each a pair of collections."""

    def __init__(self, index_dir: str, chroma_url: str = ""):
        self.index_dir, self.url = Path(index_dir), chroma_url
        self.kind, self.persistent = ("server" if chroma_url else "embedded"), True

    def open(self, generation: str, create: bool = False, sentences: bool = False) -> ChromaStore:
        name = generation + (SENTENCE_SUFFIX if sentences else "")
        return ChromaStore(self.url or str(self.index_dir / generation), name, create=create)

    def generations(self, prefix: str) -> list[str]:
        if not self.url:  # a generation's folder; other files beside it (a "<generation>.lexical") are not
            return sorted(p.name for p in self.index_dir.glob(prefix + "*") if p.is_dir() and "." not in p.name[len(prefix):])
        try:
            names = [getattr(c, "name", c) for c in http_client(self.url).list_collections()]
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unavailable(self.url, exc) from exc
        return sorted({n.removesuffix(SENTENCE_SUFFIX) for n in names if n.startswith(prefix)})

    def compact(self, generation: str) -> None:
        """Embedded: SQLite VACUUM of the generation's database, as `chroma vacuum` does; Chroma deletes its
        write-ahead log entries once their vectors are in the HNSW files, and the pages stay free otherwise
        (a third of the file on a fresh index). A server manages its own files."""
        if self.url:
            return
        import sqlite3

        path = self.index_dir / generation / "chroma.sqlite3"
        try:
            with closing(sqlite3.connect(path, timeout=30)) as db:
                db.execute("VACUUM")
        except sqlite3.Error as exc:
            raise IndexCorrupt(f"cannot compact {path}: {exc}. {REBUILD_HINT}") from exc

    def drop(self, generation: str) -> None:
        if not self.url:
            shutil.rmtree(self.index_dir / generation, ignore_errors=True)
            return
        try:
            client = http_client(self.url)
        except StoreUnavailable:
            return
        for name in (generation, generation + SENTENCE_SUFFIX):
            try:
                client.delete_collection(name)
            except Exception:  # noqa: BLE001 - already gone
                pass


# The store registry: `Settings.store` names one.
STORES = {"chroma": lambda settings: ChromaBackend(settings.index_dir, settings.chroma_url),
          "memory": lambda settings: MemoryBackend(settings.index_dir)}


def store_backend(settings) -> StoreBackend:
    """The backend `settings.store` names: store_backend(Settings(store="memory")).kind -> "memory" """
    try:
        make = STORES[settings.store]
    except KeyError:
        raise ConfigError(f"unknown store {settings.store!r}; known stores: {', '.join(sorted(STORES))}") from None
    return make(settings)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + "…"


def _is_connection_error(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        name = type(seen).__name__
        if any(word in name for word in ("Connect", "Timeout", "NetworkError", "RemoteProtocol")) or isinstance(seen, OSError):
            return True
        if "Could not connect" in str(seen) or "Connection refused" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
