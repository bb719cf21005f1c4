"""Build and update the persisted index: manifest, generations, incremental and atomic.

A build copies the unchanged documents' vectors from the live generation into a fresh one,
embeds only new or changed documents, writes the generation's BM25 index beside it
(`<generation>.lexical/`), and then switches `manifest.json` with an atomic rename. A killed build
leaves the live index untouched; the next build starts over.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from rag.chunk import Chunk, Sentence, chunk_article
from rag.config import Settings
from rag.corpus import Article, load_corpus
from rag.listing import corpus_fingerprint
from rag.errors import REBUILD_HINT, CorpusError, IndexBusy, IndexCorrupt, IndexReadOnly
from rag.manifest import (SENTENCES_IN_FOLDER, expected_config, load_checked_manifest, open_store,
                          store_location_kind, verify_index, write_manifest)
from rag.lexical import (LEXICAL_SUFFIX, LexicalIndex, build_lexical, chunk_table, lexical_path, load_lexical,
                         save_lexical, sentence_table)
from rag.store import (StoreBackend, chunk_from_record, chunk_metadata, sentence_id, sentence_key, sentence_key_of_id,
                       sentence_metadata, store_backend)

EVAL_FILES = ("*eval*.jsonl",)  # labelled question sets that sit beside articles are never indexed


@dataclass(frozen=True)
class IndexReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    chunks: int = 0  # chunks in the index after the run
    embedded: int = 0  # chunks embedded in this run
    warnings: tuple[str, ...] = ()
    timings_ms: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.unchanged)} unchanged documents; {self.chunks} chunks ({self.embedded} embedded)")


def embed_chunks(chunks: list[Chunk], embedder, progress: bool) -> tuple[list, list[tuple], list]:
    """Embed each distinct sentence text once; a chunk's vector is the normalised mean of its sentences'.
    Returns (chunk vectors, sentence keys (doc_id, Sentence, text), sentence vectors)."""
    import numpy as np

    keys: dict[tuple, int] = {}
    texts, owners = [], []
    for chunk in chunks:
        for sent in chunk.sentences:
            key = (chunk.doc_id, sent)
            if key not in keys:
                keys[key] = len(texts)
                texts.append(chunk.text[sent.start - chunk.start:sent.end - chunk.start])
        owners.append([keys[(chunk.doc_id, s)] for s in chunk.sentences])
    if not texts:  # nothing new: e.g. an older index given its documents' new fields
        return [], [], []
    # A sentence repeated across articles (a dateline, a credit line, a quoted statement) is embedded once.
    unique = {text: k for k, text in enumerate(dict.fromkeys(texts))}
    vectors = np.asarray(embedder.embed(list(unique), progress=progress), dtype=np.float32).reshape(len(unique), -1)
    vectors = vectors[[unique[text] for text in texts]] if len(unique) < len(texts) else vectors
    chunk_vectors = []
    for rows in owners:
        mean = vectors[rows].mean(axis=0)
        chunk_vectors.append(mean / (np.linalg.norm(mean) or 1.0))
    sentence_keys = [(doc_id, sent, texts[i]) for (doc_id, sent), i in keys.items()]
    return chunk_vectors, sentence_keys, list(vectors)


@contextmanager
def index_lock(index_dir: Path, timeout: float = 120.0, say: Callable[[str], None] = lambda _m: None):
    """One indexer at a time per index folder; a killed holder releases the lock with its process.
    Waits up to `timeout` seconds for another indexer (saying so), then raises IndexBusy; an index
    folder that cannot be written raises IndexReadOnly."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / ".lock", "a")
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise IndexReadOnly(f"the index at {index_dir} does not match the corpus, and its folder cannot be "
                                f"written ({exc.strerror}); update it where it can be written, with: rag index") from None
        raise
    with fh:
        deadline, told = time.monotonic() + timeout, False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"another `rag index` has held the lock on {index_dir} for over {timeout:g} s "
                                    "(lock_timeout); try again when it has finished") from None
                if not told:
                    say(f"waiting for another `rag index` to finish with {index_dir} (up to {timeout:g} s)")
                    told = True
                time.sleep(0.2)
        yield


# Bumped when the manifest's per-document fields change (2: publication dates; 3: headlines from an
# HTML page's own title, never a cut sentence); an index with an older value is brought up to date by
# copying its vectors, without embedding anything again.
DOCUMENT_FIELDS = 3


def date_metadata(article: Article) -> dict:
    """The chunk metadata for the article's date (Chroma holds no None): {"published": "2022-10-10", ...}"""
    if not article.published:
        return {}
    return {"published": article.published, "published_from": article.published_from or ""}


def plan_changes(articles: list[Article], old_docs: dict) -> tuple[list, list, list, list]:
    """(added, updated, removed, unchanged) document ids: plan_changes([a], {}) -> ([a.doc_id], [], [], [])"""
    current = {a.doc_id: a.sha256 for a in articles}
    added = [d for d in current if d not in old_docs]
    updated = [d for d in current if d in old_docs and old_docs[d]["sha256"] != current[d]]
    removed = [d for d in old_docs if d not in current]
    unchanged = [d for d in current if d in old_docs and old_docs[d]["sha256"] == current[d]]
    return added, updated, removed, unchanged


def _drop_generation(backend: StoreBackend, index_dir: Path, generation: str) -> None:
    """Delete a generation: its collections and its lexical folder."""
    backend.drop(generation)
    shutil.rmtree(lexical_path(index_dir, generation), ignore_errors=True)


def _collect_garbage(backend: StoreBackend, prefix: str, keep: set[str], index_dir: Path) -> None:
    """Drop generations other than the live one and the one before it (readers may still use it), with
    their lexical folders. Runs under the index lock, so a generation not in `keep`, or a lexical temp
    folder, belongs to a killed build."""
    for generation in backend.generations(prefix + "-"):
        if generation not in keep:
            _drop_generation(backend, index_dir, generation)
    for folder in Path(index_dir).glob(f"{prefix}-*{LEXICAL_SUFFIX}"):  # one whose collections are gone
        if folder.name.removesuffix(LEXICAL_SUFFIX) not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in Path(index_dir).glob(f".{prefix}-*{LEXICAL_SUFFIX}.*.tmp"):
        shutil.rmtree(folder, ignore_errors=True)


def keeps_lexical(settings: Settings) -> bool:
    """Whether the index's lexical folders are written to disk: only beside a store that persists (a
    memory store's retriever builds its BM25 index in memory, as for an older index)."""
    return store_backend(settings).persistent


def write_lexical(settings: Settings, generation: str, texts: dict[str, str], chunk_keys: dict | None = None,
                  sentence_vectors: dict | None = None, chunks: dict[str, Chunk] | None = None) -> None:
    """Index the generation's chunk texts (chunk id -> text) with BM25 and save it beside the generation,
    with the texts and, when given, the sentence vectors (chunk id -> its sentence keys; key -> vector)
    and the chunk table (chunk id -> chunk), which let the retriever open it without reading the store."""
    if keeps_lexical(settings):
        lexical = build_lexical(texts)
        if chunk_keys is not None:
            lexical = replace(lexical, sentences=sentence_table(lexical.order, chunk_keys, sentence_vectors or {}))
        if chunks is not None:
            lexical = replace(lexical, chunks=chunk_table(lexical.order, chunks))
        save_lexical(lexical_path(settings.index_path, generation), lexical, generation)


def old_sentence_vectors(settings: Settings, manifest: dict, lexical: LexicalIndex | None,
                         records: list[tuple]) -> dict:
    """The sentence vectors of the chunk `records` (id, text, metadata, vector) of an existing generation:
    key -> vector, from its lexical folder (`lexical`, already loaded) or, for a generation that keeps
    them in the store, from its sentence collection."""
    docs = {meta["doc_id"] for _cid, _t, meta, _v in records}
    if manifest.get("sentences") == SENTENCES_IN_FOLDER:
        if lexical is None or lexical.sentences is None:
            raise IndexCorrupt(f"the sentence vectors of {manifest['collection']} are missing. {REBUILD_HINT}")
        position = {cid: i for i, cid in enumerate(lexical.order)}
        out = {}
        for cid, _t, meta, _v in records:
            chunk = chunk_from_record(cid, "", meta)
            for sent, row in zip(chunk.sentences, lexical.sentences.of_chunk(position[cid])):
                out[sentence_key(chunk.doc_id, sent)] = lexical.sentences.vectors[int(row)]
        return out
    return {sentence_key_of_id(sid): vector
            for sid, _t, meta, vector in open_store(settings, manifest, sentences=True).records(with_vectors=True)
            if meta["doc_id"] in docs}


def generation_texts(settings: Settings, manifest: dict, lexical: LexicalIndex | None = None) -> dict[str, str]:
    """A generation's chunk texts (chunk id -> text): from its lexical folder (`lexical` when already
    loaded), or from the store for an index that keeps them there (a memory store, or one written before
    lexical folders held them)."""
    if lexical is None:
        lexical = load_lexical(lexical_path(settings.index_path, manifest["collection"]), manifest["collection"])
    if lexical is not None and lexical.texts is not None:
        return dict(zip(lexical.order, lexical.texts))
    texts = {cid: text for cid, text, _meta, _v in open_store(settings, manifest).records()}
    if any(text is None for text in texts.values()):
        raise IndexCorrupt(f"the chunk texts of {manifest['collection']} are missing (no lexical folder holds "
                           f"them). {REBUILD_HINT}")
    return texts


def lacks_lexical(settings: Settings, manifest: dict | None) -> bool:
    """An up-to-date index built before lexical folders, in a folder this process may write: `rag index`
    then adds its lexical folder (no embedding, no new generation)."""
    return (manifest is not None and keeps_lexical(settings) and os.access(settings.index_path, os.W_OK)
            and not lexical_path(settings.index_path, manifest["collection"]).exists())


def no_change_report(settings: Settings, old: dict, unchanged, warnings, t0: float) -> IndexReport:
    """The report of an index that already matches the corpus, once its store is verified."""
    verify_index(settings, old)
    return IndexReport(unchanged=tuple(unchanged), chunks=old["chunk_count"], warnings=tuple(warnings),
                       timings_ms={"total": round((time.perf_counter() - t0) * 1000, 1)})


def unchanged_report(settings: Settings, old: dict | None, articles: list[Article], warnings: list,
                     t0: float) -> IndexReport | None:
    """The no-change report when the index `old` describes already matches the corpus (verified), else None."""
    if old is None:
        return None
    added, updated, removed, unchanged = plan_changes(articles, old["documents"])
    if added or updated or removed or old.get("document_fields") != DOCUMENT_FIELDS:
        return None  # an index from before a document field was added gets it, without re-embedding
    return no_change_report(settings, old, unchanged, warnings, t0)


def keep_listing(index_dir: Path, manifest: dict, files: dict, warnings: list[str]) -> None:
    """Write the corpus listing (and the skipped files) into the live manifest when they differ from it."""
    if manifest.get("files") != files or manifest.get("skipped") != warnings:
        write_manifest(index_dir, {**manifest, "files": files, "skipped": warnings})


def record_listing(settings: Settings, old: dict, files: dict, warnings: list[str]) -> None:
    """Keep the corpus listing of an index whose articles are unchanged but whose listing is not (files
    touched or copied, or an index from before listings were kept), so the next check lists the folder
    instead of reading it. Skipped when another indexer holds the lock or the folder is read-only."""
    if old.get("files") == files and old.get("skipped") == warnings:
        return
    try:
        with index_lock(settings.index_path, timeout=0.0):
            now = load_checked_manifest(settings)
            if now is not None and now["collection"] == old["collection"]:
                keep_listing(settings.index_path, now, files, warnings)
    except (IndexBusy, IndexReadOnly, OSError):
        pass


def build_index(settings: Settings, embedder, rebuild: bool = False,
                progress: Callable[[str], None] | None = None) -> IndexReport:
    """Bring the index in line with the corpus. `embedder` is only used when something changed."""
    say = progress or (lambda _msg: None)
    index_dir = settings.index_path
    t0 = time.perf_counter()
    # An up-to-date index is checked without the lock or any write, so read-only media work; under the
    # lock the check runs again, since another indexer may have just done the work. The corpus is
    # listed first (taken before any file is read, so a file changed while it is read is seen next time):
    # when nothing in the listing changed, no article is read.
    files = corpus_fingerprint(settings.corpus_dir, EVAL_FILES)
    old = None if rebuild else load_checked_manifest(settings)
    if old is not None and old.get("files") == files and old.get("document_fields") == DOCUMENT_FIELDS \
            and not lacks_lexical(settings, old):
        return no_change_report(settings, old, old["documents"], old.get("skipped", ()), t0)
    articles, warnings = load_corpus(settings.corpus_dir, exclude=EVAL_FILES)
    if not articles:
        raise CorpusError(f"the corpus {settings.corpus_dir} holds no readable article (.txt, .md, .html)"
                          + ("; skipped: " + "; ".join(warnings) if warnings else ""))
    current = unchanged_report(settings, old, articles, warnings, t0)
    if current is not None and not lacks_lexical(settings, old):
        record_listing(settings, old, files, warnings)
        return current
    with index_lock(index_dir, settings.lock_timeout, say):
        old = None if rebuild else load_checked_manifest(settings)
        current = unchanged_report(settings, old, articles, warnings, t0)
        if current is not None:
            if lacks_lexical(settings, old):
                say("writing the lexical (BM25) index")
                write_lexical(settings, old["collection"], generation_texts(settings, old))
            keep_listing(index_dir, old, files, warnings)
            return current
        old_docs = old["documents"] if old else {}
        added, updated, removed, unchanged = plan_changes(articles, old_docs)
        generation = f"{settings.collection_prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        manifest = {**expected_config(settings, embedder.dim), "store": store_location_kind(settings),
                    "embedder_runtime": getattr(embedder, "runtime", type(embedder).__name__),
                    "document_fields": DOCUMENT_FIELDS,
                    "collection": generation, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "documents": {},
                    "files": files, "skipped": warnings}
        backend = store_backend(settings)
        new_store = backend.open(generation, create=True)
        try:
            kept = set(unchanged)
            by_id = {a.doc_id: a for a in articles}
            texts: dict[str, str] = {}  # every chunk of the new generation, for its BM25 index
            # Chunk texts and sentence vectors go to the lexical folder where there is one; a memory store
            # keeps them itself (texts in its chunk records, sentences in a sentence collection).
            in_store = not keeps_lexical(settings)
            new_sentences = backend.open(generation, create=True, sentences=True) if in_store else None
            if not in_store:
                manifest["sentences"] = SENTENCES_IN_FOLDER
            chunk_keys: dict[str, list] = {}  # chunk id -> its sentences' keys, for the folder's table
            table: dict[str, Chunk] = {}  # chunk id -> chunk (text left out), for the folder's chunk table
            sent_vecs: dict = {}  # sentence key -> vector
            if kept:
                say(f"copying {len(kept)} unchanged documents")
                old_lexical = load_lexical(lexical_path(index_dir, old["collection"]), old["collection"])
                old_texts = generation_texts(settings, old, old_lexical)
                batch = [r for r in open_store(settings, old).records(with_vectors=True) if r[2]["doc_id"] in kept]
                metas = [{**r[2], **date_metadata(by_id[r[2]["doc_id"]])} for r in batch]
                new_store.add([r[0] for r in batch], [old_texts[r[0]] for r in batch] if in_store else None, metas,
                              [r[3] for r in batch])
                texts.update((r[0], old_texts[r[0]]) for r in batch)
                sent_vecs = old_sentence_vectors(settings, old, old_lexical, batch)
                for cid, _t, meta, _v in batch:
                    chunk = table[cid] = chunk_from_record(cid, "", meta)
                    chunk_keys[cid] = [sentence_key(chunk.doc_id, s) for s in chunk.sentences]
                if in_store:
                    new_sentences.add([sentence_id(k[0], Sentence(k[1], k[2], 0, 0)) for k in sent_vecs], None,
                                      [sentence_metadata(k[0]) for k in sent_vecs], list(sent_vecs.values()))
            fresh = [a for a in articles if a.doc_id not in kept]
            chunks, metas = [], []
            for article in fresh:
                for chunk in chunk_article(article, settings.chunk_tokens, settings.chunk_overlap):
                    chunks.append(chunk)
                    metas.append({**chunk_metadata(chunk, article.title), **date_metadata(article)})
            say(f"embedding {len(chunks)} chunks from {len(fresh)} documents")
            t1 = time.perf_counter()
            vectors, sent_keys, sent_vectors = embed_chunks(chunks, embedder, progress is not None and len(chunks) > 16)
            t2 = time.perf_counter()
            new_store.add([c.chunk_id for c in chunks], [c.text for c in chunks] if in_store else None, metas, vectors)
            if in_store:
                new_sentences.add([sentence_id(d, s) for d, s, _t in sent_keys], None,
                                  [sentence_metadata(d) for d, _s, _t in sent_keys], sent_vectors)
            sent_vecs.update((sentence_key(d, s), v) for (d, s, _t), v in zip(sent_keys, sent_vectors))
            chunk_keys.update((c.chunk_id, [sentence_key(c.doc_id, s) for s in c.sentences]) for c in chunks)
            table.update((c.chunk_id, c) for c in chunks)
            t3 = time.perf_counter()
            counts = {}
            for meta in metas:
                counts[meta["doc_id"]] = counts.get(meta["doc_id"], 0) + 1
            for a in articles:
                prior = old_docs.get(a.doc_id, {})
                manifest["documents"][a.doc_id] = {
                    "sha256": a.sha256, "path": a.path, "source": a.source,
                    "title": a.title, "outlet": a.outlet, "byline": a.byline,
                    "published": a.published, "published_from": a.published_from,
                    "chunks": counts.get(a.doc_id, prior.get("chunks", 0))}
            manifest["chunk_count"] = new_store.count()
            texts.update((c.chunk_id, c.text) for c in chunks)
            if not manifest["chunk_count"] == len(texts) == sum(d["chunks"] for d in manifest["documents"].values()):
                raise IndexCorrupt(f"the new index holds {manifest['chunk_count']} chunks ({len(texts)} written), "
                                   f"expected {sum(d['chunks'] for d in manifest['documents'].values())}. {REBUILD_HINT}")
            t4 = time.perf_counter()
            write_lexical(settings, generation, texts, chunk_keys, sent_vecs, table)  # before the manifest names it
            backend.compact(generation)
            t5 = time.perf_counter()
            write_manifest(index_dir, manifest)
        except BaseException:
            _drop_generation(backend, index_dir, generation)
            raise
        keep = {generation} | ({old["collection"]} if old else set())
        _collect_garbage(backend, settings.collection_prefix, keep, index_dir)
        return IndexReport(tuple(added), tuple(updated), tuple(removed), tuple(unchanged), manifest["chunk_count"],
                           len(chunks), tuple(warnings),
                           {"embed": round((t2 - t1) * 1000, 1), "store": round((t3 - t2) * 1000, 1),
                            "lexical": round((t5 - t4) * 1000, 1),
                            "total": round((time.perf_counter() - t0) * 1000, 1)})


def report_dict(report: IndexReport) -> dict:
    return asdict(report)
