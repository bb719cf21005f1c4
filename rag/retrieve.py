"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s) rankings fused by reciprocal rank fusion.

Near-duplicate passages (the same quote carried by two outlets) are grouped under the best
one so they do not crowd out other evidence, and stay available as corroboration. Each generation's
BM25 index is written once by the indexer and memory-mapped here (`rag.lexical`).
Tokenising, fusion and grouping are pure functions; `Retriever` only wires them to the index.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Sequence

from rag.chunk import Chunk
from rag.config import Settings
from rag.errors import REBUILD_HINT, IndexCorrupt
from rag.lexical import build_lexical, lexical_path, load_lexical, mapped_files, release_pages
from rag.manifest import SENTENCES_IN_FOLDER, DocumentTable, load_index_manifest, open_store, serving_manifest
from rag.read import Window, own_date
from rag.store import chunk_from_record, sentence_key, sentence_key_of_id
from rag.text import shingles, tokenize

def fuse_rankings(rankings: Sequence[Sequence[str]], k: int = 60,
                  weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """(Weighted) reciprocal rank fusion: fuse_rankings([["a", "b"], ["b"]]) -> [("b", 1/62 + 1/61), ("a", 1/61)]"""
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights else 1.0
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def group_near_duplicates(ids: Sequence[str], texts: dict[str, str], threshold: float = 0.5) -> list[tuple[str, list[str]]]:
    """Keep the first of each group of near-duplicate passages: [(kept_id, [duplicate ids])].
    A pair is a duplicate when their word-trigram containment (overlap / smaller set) reaches threshold."""
    kept: list[tuple[str, set, list[str]]] = []
    for cid in ids:
        sh = shingles(texts[cid])
        for _kid, ksh, dups in kept:
            if sh and ksh and len(sh & ksh) / min(len(sh), len(ksh)) >= threshold:
                dups.append(cid)
                break
        else:
            kept.append((cid, sh, []))
    return [(kid, dups) for kid, _sh, dups in kept]


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused RRF score
    dense: float  # cosine similarity to the query (0 when only BM25 found it)
    bm25: float
    duplicates: tuple[Chunk, ...] = ()  # near-identical passages from other articles (corroboration)
    sentence_sims: dict = field(default_factory=dict)  # clean (start, end) of a sentence -> cosine to the query


@dataclass(frozen=True)
class Evidence:
    """What the answerer may know about the index besides the hits."""
    df: dict  # document frequency of each token over chunks
    n_chunks: int
    documents: Mapping  # manifest documents: doc_id -> {title, outlet, path, published, ...}
    window: Window | None = None  # the period the question asks about, read once by the pipeline


class Retriever:
    """A loaded index generation: its manifest, Chroma collection, chunk table and BM25 index (loaded from
    the generation's lexical folder, or built here for an index that has none)."""

    def __init__(self, settings: Settings, embedder):
        self.settings, self.embedder = settings, embedder
        self.manifest = serving_manifest(load_index_manifest(settings))
        self.store = open_store(settings, self.manifest)
        folder = lexical_path(self.settings.index_path, self.generation)
        lexical = load_lexical(folder, self.generation)
        in_folder = self.manifest.get("sentences") == SENTENCES_IN_FOLDER
        if in_folder and lexical is not None and None not in (lexical.chunks, lexical.texts, lexical.sentences):
            self._open_lean(lexical, folder)
        else:
            self._open_from_store(lexical, folder, in_folder)
        if self.sentence_table is not None:
            self._rows = SentenceRows(self.sentence_table)
        if lexical is None:  # built by an earlier version, or a memory store: index the chunks here
            lexical = build_lexical({cid: chunk.text for cid, chunk in self.chunks.items()})
        self.bm25, self.df = lexical.bm25, lexical.df
        self._maps = mapped_files(lexical)

    def release(self) -> None:
        """Give back the pages a question read from the index's mapped files (see `rag.lexical.release_pages`)."""
        release_pages(self._maps)

    def _open_lean(self, lexical, folder) -> None:
        """An index whose lexical folder holds the chunk texts, table and sentence vectors: nothing is read
        from the store but its count, and a chunk is built when a question needs it."""
        count = self.store.count()
        if not count == self.manifest["chunk_count"] == len(lexical.order):
            raise IndexCorrupt(f"the index holds {count} chunks but its manifest says {self.manifest['chunk_count']} "
                               f"and its lexical index {len(lexical.order)}. {REBUILD_HINT}")
        if len(lexical.texts) != count or not (lexical.chunks.meta[:, 4] == lexical.sentences.counts()).all():
            raise IndexCorrupt(f"the chunk table of {self.generation} does not fit its texts or sentence vectors "
                               f"({folder}). {REBUILD_HINT}")
        self.order = lexical.order
        self.position = {cid: i for i, cid in enumerate(self.order)}
        self.chunks = LazyChunks(lexical.order, self.position, lexical.chunks, lexical.texts)
        self.doc_names, self.chunk_doc = lexical.chunks.docs, lexical.chunks.doc_index()
        self.sentence_table, self.sentence_store = lexical.sentences, None

    def _open_from_store(self, lexical, folder, in_folder: bool) -> None:
        """An index written before lexical folders held the chunk table, or a memory store: every chunk
        record is read from the store."""
        import numpy as np

        records = list(self.store.records())
        if len(records) != self.manifest["chunk_count"]:
            raise IndexCorrupt(f"the index holds {len(records)} chunks but its manifest says "
                               f"{self.manifest['chunk_count']}. {REBUILD_HINT}")
        self.order = sorted(cid for cid, *_ in records)
        self.position = {cid: i for i, cid in enumerate(self.order)}
        if lexical is not None and lexical.order != self.order:
            raise IndexCorrupt(f"the lexical index {folder} lists other chunks than the index holds. {REBUILD_HINT}")
        # The texts are in the lexical folder; an index written before it held them has them in the store.
        texts = dict(zip(lexical.order, lexical.texts)) if lexical is not None and lexical.texts is not None else {}
        try:
            self.chunks = {cid: chunk_from_record(cid, texts.get(cid, text), meta) for cid, text, meta, _v in records}
        except (KeyError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"the index holds malformed chunk records ({exc}). {REBUILD_HINT}") from exc
        if any(not isinstance(chunk.text, str) for chunk in self.chunks.values()):
            raise IndexCorrupt(f"the chunk texts of {self.generation} are missing ({folder} holds none). {REBUILD_HINT}")
        # Sentence vectors: in the lexical folder (scored for a question's candidate chunks only), or, for a
        # memory store or an index written before, in the store's sentence collection (searched whole).
        self.sentence_table = lexical.sentences if in_folder and lexical is not None else None
        if in_folder and (self.sentence_table is None or [len(self.chunks[cid].sentences) for cid in self.order]
                          != [int(n) for n in self.sentence_table.counts()]):
            raise IndexCorrupt(f"the sentence vectors of {self.generation} are missing or do not fit its chunks "
                               f"({folder}). {REBUILD_HINT}")
        self.sentence_store = None if self.sentence_table is not None else \
            open_store(self.settings, self.manifest, sentences=True)
        self.doc_names = sorted({chunk.doc_id for chunk in self.chunks.values()})
        doc = {d: i for i, d in enumerate(self.doc_names)}
        self.chunk_doc = np.asarray([doc[self.chunks[cid].doc_id] for cid in self.order], dtype=np.int64)
        self._of_sentence: dict[tuple, list[str]] = {}
        if self.sentence_store is not None:
            for cid in self.order:
                chunk = self.chunks[cid]
                for sent in chunk.sentences:
                    self._of_sentence.setdefault(sentence_key(chunk.doc_id, sent), []).append(cid)

    @property
    def generation(self) -> str:
        return self.manifest["collection"]

    def bm25_ranking(self, query: str, n: int, docs: frozenset[str] | None = None) -> list[tuple[str, float]]:
        words = [w for w in tokenize(query) if w in self.bm25.vocab_dict]
        if not words:
            return []
        if docs is not None:  # bm25s scores every chunk; keep the best of the allowed documents
            import numpy as np

            scores = self.bm25.get_scores(words)
            allowed = np.flatnonzero(np.isin(self.chunk_doc, [i for i, d in enumerate(self.doc_names) if d in docs]))
            best = sorted(allowed.tolist(), key=lambda i: -scores[i])[:n]
            return [(self.order[i], float(scores[i])) for i in best if scores[i] > 0]
        found, scores = self.bm25.retrieve([words], k=min(n, len(self.order)), show_progress=False)
        return [(self.order[int(i)], float(s)) for i, s in zip(found[0], scores[0]) if s > 0]

    @property
    def documents(self) -> DocumentTable:
        """The indexed articles: doc_id -> {title, outlet, source, published, ...} from the manifest."""
        return self.manifest["documents"]

    def article_dates(self) -> list[tuple[str, str | None]]:
        """(doc_id, the article's own date or None) for every indexed article (see `rag.read.article_date`)."""
        return [(d, own_date(published, source)) for d, published, source in self.documents.rows("published",
                                                                                                 "published_from")]

    def evidence(self, window: Window | None = None) -> Evidence:
        """What an answerer may know about this index besides the hits (term statistics, the articles)."""
        return Evidence(self.df, len(self.chunks), self.documents, window)

    def retrieve(self, query: str, top_k: int | None = None, timings: dict | None = None,
                 docs: frozenset[str] | None = None) -> list[Hit]:
        """Best evidence chunks for a query, near-duplicates grouped under the best of them; only from
        the documents `docs` when given (e.g. the articles of the period a question asks about)."""
        top_k = top_k or self.settings.top_k
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        n = self.settings.candidates
        # With a sentence table, a wider dense list (and the BM25 one) is the pool whose sentences are scored.
        wide = self.store.query(vector, n * 3 if self.sentence_table is not None else n, docs)
        dense = wide[:n]
        t2 = time.perf_counter()
        sparse = self.bm25_ranking(query, n, docs)
        t3 = time.perf_counter()
        rows: dict = {}
        sims = self.sentence_sims(vector, n * 3, docs, [c for c, _ in wide] + [c for c, _ in sparse], rows)
        by_sentence: list[str] = []
        for key, _sim in sims[:n * 3]:
            by_sentence.extend(self.chunks_of_sentence(key, rows))
        rankings = [[c for c, _ in dense], list(dict.fromkeys(by_sentence)), [c for c, _ in sparse]]
        fused = fuse_rankings(rankings, self.settings.rrf_k)
        dense_score, bm25_score = dict(dense), dict(sparse)
        sentence_sim = dict(sims)
        ids = [cid for cid, _ in fused if cid in self.chunks]
        groups = group_near_duplicates(ids, {cid: self.chunks[cid].text for cid in ids})
        fused_score = dict(fused)
        floor = min((sim for _key, sim in sims[:n * 3]), default=0.0)  # sentences outside the list score below it
        hits = [Hit(self.chunks[kid], fused_score[kid], dense_score.get(kid, 0.0), bm25_score.get(kid, 0.0),
                    tuple(self.chunks[d] for d in dups if self.chunks[d].doc_id != self.chunks[kid].doc_id),
                    {(s.start, s.end): sentence_sim.get(sentence_key(self.chunks[kid].doc_id, s), floor * 0.9)
                     for s in self.chunks[kid].sentences})
                for kid, dups in groups[:top_k]]
        if timings is not None:
            timings.update(embed=(t1 - t0) * 1000, dense=(t2 - t1) * 1000, bm25=(t3 - t2) * 1000,
                           fuse=(time.perf_counter() - t3) * 1000)  # fuse: sentence scores included
        return hits

    def sentence_sims(self, vector, n: int, docs: frozenset[str] | None = None, pool: list[str] = (),
                      rows: dict | None = None) -> list[tuple[tuple[str, int, int], float]]:
        """Sentences by cosine to the query vector, best first: [((doc_id, start, end), cosine)]. From the
        sentence table, every sentence of the `pool` chunks (each one's row put in `rows`, when given); from
        a sentence collection, the n best of all."""
        if self.sentence_table is not None:
            return self._pool_sims(vector, pool, {} if rows is None else rows)
        return [(sentence_key_of_id(sid), sim) for sid, sim in self.sentence_store.query(vector, n, docs)]

    def chunks_of_sentence(self, key: tuple[str, int, int], rows: dict) -> list[str]:
        """The chunks that hold a sentence (chunks overlap), in chunk-id order; `rows` as `sentence_sims` filled it."""
        if self.sentence_table is None:
            return self._of_sentence.get(key, [])
        return [self.order[i] for i in self._rows.chunks(rows[key])] if key in rows else []

    def _pool_sims(self, vector, pool: list[str], row_of: dict) -> list[tuple[tuple[str, int, int], float]]:
        import numpy as np

        keys, rows = [], []
        for cid in dict.fromkeys(pool):
            chunk = self.chunks[cid]
            for sent, row in zip(chunk.sentences, self.sentence_table.of_chunk(self.position[cid])):
                key = sentence_key(chunk.doc_id, sent)
                if key not in row_of:
                    row_of[key] = int(row)
                    keys.append(key)
                    rows.append(int(row))
        if not rows:
            return []
        sims = np.asarray(self.sentence_table.vectors[np.asarray(rows)], dtype=np.float32) @ \
            np.asarray(vector, dtype=np.float32)
        return [(keys[i], float(sims[i])) for i in np.argsort(-sims, kind="stable")]


class LazyChunks(Mapping):
    """Chunk id -> Chunk, built from the lexical folder's chunk table and memory-mapped texts when asked
    for (a few dozen per question), the last few thousand kept."""

    def __init__(self, order: list[str], position: dict[str, int], table, texts):
        self._order, self._position, self._table, self._texts = order, position, table, texts
        self._get = functools.lru_cache(maxsize=4096)(self._build)

    def _build(self, chunk_id: str) -> Chunk:
        i = self._position[chunk_id]
        return self._table.chunk(i, chunk_id, self._texts[i])

    def __getitem__(self, chunk_id: str) -> Chunk:
        if chunk_id not in self._position:
            raise KeyError(chunk_id)
        return self._get(chunk_id)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._position

    def __iter__(self):
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class SentenceRows:
    """Which chunks hold each row of a sentence table (a sentence two overlapping chunks share is one row)."""

    def __init__(self, table):
        import numpy as np

        counts = table.counts()
        entry_chunk = np.repeat(np.arange(len(counts)), counts)
        by_row = np.argsort(table.rows, kind="stable")
        self._chunk = entry_chunk[by_row]
        self._start = np.searchsorted(table.rows[by_row], np.arange(len(table.vectors) + 1))

    def chunks(self, row: int) -> list[int]:
        return self._chunk[self._start[row]:self._start[row + 1]].tolist()
