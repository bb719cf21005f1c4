"""The lexical (BM25) index of a generation: built over its chunk texts, saved once by the indexer to
`index_dir/<generation>.lexical/` (the same place for an embedded and a server Chroma), and loaded by
the retriever with its score arrays memory-mapped, instead of being rebuilt at every start.

The folder also holds the chunk texts themselves (`texts.bin`, UTF-8, one after another, and
`texts.npy`, their byte offsets), so the Chroma chunk records carry no document: Chroma would keep each
text three times (the document, an index on it, and a full-text index nobody queries), two thirds of
its database. An index written before this keeps its texts in Chroma, and is still served.

And it holds the sentence vectors (`sentences.npy`, float16, each distinct sentence once, with
`sentence_rows.npy` / `sentence_offsets.npy` giving each chunk's rows in its sentence order), which the
retriever memory-maps and scores for the candidate chunks of a question only: no sentence collection,
no HNSW graph over every sentence (the largest part of an index that had one).

The memory store keeps no folder: its retriever builds the index in memory, as does one opening an
index built before lexical folders existed.
"""

from __future__ import annotations

import codecs
import json
import mmap
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import Chunk, Sentence
from rag.errors import REBUILD_HINT, IndexCorrupt
from rag.text import tokenize

LEXICAL_SUFFIX = ".lexical"  # index_dir/<generation>.lexical/ holds that generation's BM25 index
LEXICAL_FORMAT = 1  # bumped when the folder's layout changes; another value reads as "no folder"
LEXICAL_META = "lexical.json"  # {format, generation, order: [chunk ids], df: {token: chunks}}
EMPTY_TOKEN = "∅"  # stands in for a chunk with no words, so every chunk keeps its row


@dataclass(frozen=True)
class LexicalIndex:
    """A generation's BM25 index over its chunks in `order` (row i is chunk order[i]), and each token's
    document frequency over those chunks (what the answerer weighs query terms by)."""
    order: list[str]
    bm25: object  # bm25s.BM25, in memory or memory-mapped
    df: Counter
    texts: "Sequence[str] | None" = None  # the chunk texts in `order`, when the folder holds them
    sentences: SentenceTable | None = None  # the sentence vectors, when the folder holds them
    chunks: "ChunkTable | None" = None  # each chunk's article, offsets and sentence spans, when it holds them


class Texts(Sequence):
    """The chunk texts of a lexical folder, read from the memory-mapped `texts.bin` one at a time (a
    question needs a few dozen of them, not the archive)."""

    def __init__(self, blob, offsets):
        self.blob, self.offsets = blob, offsets  # a read-only mmap (or bytes) and numpy int64 [count + 1]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return bytes(self.blob[int(self.offsets[i]):int(self.offsets[i + 1])]).decode("utf-8")


@dataclass(frozen=True)
class ChunkTable:
    """What a chunk record holds besides its text, for chunks in the lexical index's `order`: row i of
    `meta` is (article index into `docs`, start, end, tokens, sentence count), and its sentences' spans
    (start, end, original start, original end) are rows `offsets[i]:offsets[i + 1]` of `spans`."""
    docs: list[str]
    meta: object  # numpy int64 [chunks, 5]
    spans: object  # numpy int64 [sentences, 4]
    offsets: object  # numpy int64 [chunks + 1]

    def chunk(self, i: int, chunk_id: str, text: str) -> Chunk:
        doc, start, end, tokens, _n = (int(v) for v in self.meta[i])
        spans = self.spans[int(self.offsets[i]):int(self.offsets[i + 1])]
        return Chunk(chunk_id, self.docs[doc], text, start, end,
                     tuple(Sentence(*(int(v) for v in span)) for span in spans), tokens)

    def doc_index(self):
        """Each chunk's article, as an index into `docs`."""
        return self.meta[:, 0]


def chunk_table(order: list[str], chunks: dict[str, Chunk]) -> ChunkTable:
    """The table of `chunks` (chunk id -> chunk; its text is not kept) in `order`."""
    import numpy as np

    docs = sorted({chunks[cid].doc_id for cid in order})
    doc = {d: i for i, d in enumerate(docs)}
    meta = np.asarray([(doc[chunks[cid].doc_id], chunks[cid].start, chunks[cid].end, chunks[cid].tokens,
                        len(chunks[cid].sentences)) for cid in order], dtype=np.int64).reshape(len(order), 5)
    spans = np.asarray([(s.start, s.end, s.orig_start, s.orig_end) for cid in order for s in chunks[cid].sentences],
                       dtype=np.int64).reshape(-1, 4)
    return ChunkTable(docs, meta, spans, _offsets(meta[:, 4]))


def _offsets(counts):
    import numpy as np

    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    return offsets


@dataclass(frozen=True)
class SentenceTable:
    """Sentence vectors by chunk: chunk i (of the lexical index's `order`) has its sentences' vectors at
    rows `rows[offsets[i]:offsets[i + 1]]` of `vectors`, in the order of its `sentences`."""
    vectors: object  # numpy float16 [sentences, dim], memory-mapped when loaded
    rows: object  # numpy int32
    offsets: object  # numpy int64 [chunks + 1]

    def of_chunk(self, i: int):
        return self.rows[int(self.offsets[i]):int(self.offsets[i + 1])]

    def counts(self):
        """How many sentences each chunk has."""
        import numpy as np

        return np.diff(self.offsets)


def sentence_table(order: list[str], chunk_keys: dict[str, list], vectors: dict) -> SentenceTable:
    """The table for chunks in `order`, each with its sentence keys in order, from one vector per key:
    a sentence two chunks share is stored once."""
    import numpy as np

    row: dict = {}
    for cid in order:
        for key in chunk_keys[cid]:
            row.setdefault(key, len(row))
    dim = len(next(iter(vectors.values()))) if vectors else 0
    matrix = np.zeros((len(row), dim), dtype=np.float16)
    for key, i in row.items():
        if key not in vectors:
            raise IndexCorrupt(f"no vector for the sentence {key[0]}@{key[1]}-{key[2]} of the old index. {REBUILD_HINT}")
        matrix[i] = vectors[key]
    rows = np.asarray([row[key] for cid in order for key in chunk_keys[cid]], dtype=np.int32)
    offsets = np.zeros(len(order) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(chunk_keys[cid]) for cid in order])
    return SentenceTable(matrix, rows, offsets)


def build_lexical(texts: dict[str, str]) -> LexicalIndex:
    """The BM25 index over chunk texts, rows in chunk-id order (the order a loaded index must have too):
    build_lexical({"b": "Kim met Xi", "a": "Xi"}).order -> ["a", "b"]"""
    import bm25s

    order = sorted(texts)
    corpus = [tokenize(texts[cid]) or [EMPTY_TOKEN] for cid in order]
    df = Counter(word for words in corpus for word in set(words))
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return LexicalIndex(order, index, df, [texts[cid] for cid in order])


def lexical_path(index_dir: str | Path, generation: str) -> Path:
    return Path(index_dir) / f"{generation}{LEXICAL_SUFFIX}"


def save_lexical(folder: Path, lexical: LexicalIndex, generation: str) -> None:
    """Write a lexical folder whole or not at all: into a hidden temp folder, synced, then renamed into
    place, so a killed writer leaves no folder at `folder` that a reader would trust."""
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        lexical.bm25.save(tmp, show_progress=False)
        meta = {"format": LEXICAL_FORMAT, "generation": generation, "order": lexical.order, "df": lexical.df}
        if lexical.chunks is not None:
            meta["docs"] = lexical.chunks.docs
        (tmp / LEXICAL_META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if lexical.texts is not None:
            _save_texts(tmp, lexical.texts)
        if lexical.chunks is not None:
            import numpy as np

            np.save(tmp / CHUNK_FILES[0], lexical.chunks.meta)
            np.save(tmp / CHUNK_FILES[1], lexical.chunks.spans)
        if lexical.sentences is not None:
            import numpy as np

            for name, array in zip(SENTENCE_FILES, (lexical.sentences.vectors, lexical.sentences.rows,
                                                    lexical.sentences.offsets)):
                np.save(tmp / name, array)
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        shutil.rmtree(folder, ignore_errors=True)  # a folder left at this name by an earlier, failed run
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_lexical(folder: Path, generation: str) -> LexicalIndex | None:
    """The lexical index saved in `folder`, its score arrays memory-mapped; None when there is none (an
    index from before lexical folders, or of another folder format). A damaged folder raises IndexCorrupt."""
    if not os.path.lexists(folder):
        return None
    import bm25s

    try:
        meta = json.loads((folder / LEXICAL_META).read_text(encoding="utf-8"))
        if meta.get("format") != LEXICAL_FORMAT:
            return None
        if meta["generation"] != generation:
            raise ValueError(f"it belongs to generation {meta['generation']!r}")
        order, df = meta["order"], meta["df"]
        if not isinstance(order, list) or not isinstance(df, dict):
            raise ValueError("its chunk order or term table is missing")
        df = Counter(df)
        texts = _load_texts(folder, len(order))
        sentences = _load_sentences(folder, len(order))
        chunks = _load_chunks(folder, len(order), meta.get("docs"))
        bm25 = bm25s.BM25.load(folder, mmap=True, show_progress=False)
        scores = bm25.scores
        if scores["num_docs"] != len(order) or max(bm25.vocab_dict.values(), default=0) >= len(scores["indptr"]) \
                or not int(scores["indptr"][-1]) == len(scores["data"]) == len(scores["indices"]):
            raise ValueError("its arrays do not fit together")
    except Exception as exc:  # noqa: BLE001 - json, numpy and bm25s raise many types for damaged files
        text = f"{type(exc).__name__}: {exc}"
        raise IndexCorrupt(f"the lexical index {folder} is damaged ({text[:200]}). {REBUILD_HINT}") from exc
    return LexicalIndex(order, bm25, df, texts, sentences, chunks)


def mapped_files(lexical: LexicalIndex | None) -> list[mmap.mmap]:
    """The memory maps under a loaded lexical index's arrays: BM25 scores, chunk texts, chunk table and
    sentence vectors (each once; none for an index built in memory)."""
    if lexical is None:
        return []
    scores = getattr(lexical.bm25, "scores", None) or {}
    arrays = [scores.get(k) for k in ("data", "indices", "indptr")] + [getattr(lexical.texts, "blob", None)]
    if lexical.chunks is not None:
        arrays += [lexical.chunks.meta, lexical.chunks.spans]
    if lexical.sentences is not None:
        arrays += [lexical.sentences.vectors, lexical.sentences.rows, lexical.sentences.offsets]
    maps: list[mmap.mmap] = []
    for array in arrays:
        while array is not None and not isinstance(array, mmap.mmap):  # a view's base, a memmap's map
            array = getattr(array, "base", None)
        if array is not None and all(array is not m for m in maps):
            maps.append(array)
    return maps


def release_pages(maps: Sequence[mmap.mmap]) -> None:
    """Drop from this process the pages it has read through read-only maps (they stay in the page cache,
    and come back on the next read): without it, every question leaves a few MB of an archive's texts and
    vectors counted in the server's resident memory, about 240 MB after 50 questions at 100,000 chunks."""
    for m in maps:
        try:
            m.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):  # no madvise on this platform, or the map is closed
            pass


TEXTS, OFFSETS = "texts.bin", "texts.npy"
SENTENCE_FILES = ("sentences.npy", "sentence_rows.npy", "sentence_offsets.npy")
CHUNK_FILES = ("chunks.npy", "spans.npy")


def _load_chunks(folder: Path, count: int, docs) -> ChunkTable | None:
    """The chunk table, memory-mapped; None for a folder written before it held one."""
    if docs is None or not (folder / CHUNK_FILES[0]).exists():
        return None
    import numpy as np

    meta, spans = (np.load(folder / name, mmap_mode="r") for name in CHUNK_FILES)
    if not isinstance(docs, list) or meta.shape != (count, 5) or spans.ndim != 2 or spans.shape[1] != 4:
        raise ValueError("its chunk table has the wrong shape")
    offsets = _offsets(meta[:, 4])
    if int(offsets[-1]) != len(spans) or (count and (int(meta[:, 0].max()) >= len(docs) or int(meta[:, 0].min()) < 0)):
        raise ValueError("its chunk table does not fit its sentence spans or articles")
    return ChunkTable(docs, meta, spans, offsets)


def _load_sentences(folder: Path, count: int) -> SentenceTable | None:
    if not (folder / SENTENCE_FILES[0]).exists():
        return None
    import numpy as np

    vectors, rows, offsets = (np.load(folder / name, mmap_mode="r") for name in SENTENCE_FILES)
    if vectors.ndim != 2 or len(offsets) != count + 1 or int(offsets[-1]) != len(rows) or \
            (len(rows) and (int(rows.max()) >= len(vectors) or int(rows.min()) < 0)) or (np.diff(offsets) < 0).any():
        raise ValueError("its sentence vectors do not fit their rows")
    return SentenceTable(vectors, np.asarray(rows), np.asarray(offsets))


def _save_texts(folder: Path, texts: list[str]) -> None:
    import numpy as np

    blobs = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    (folder / TEXTS).write_bytes(b"".join(blobs))
    np.save(folder / OFFSETS, offsets)


def _load_texts(folder: Path, count: int) -> Texts | None:
    """The chunk texts saved beside the BM25 arrays, or None for a folder written before they were."""
    if not (folder / TEXTS).exists():
        return None
    import numpy as np

    offsets = np.load(folder / OFFSETS)
    size = (folder / TEXTS).stat().st_size
    if len(offsets) != count + 1 or int(offsets[-1]) != size or (np.diff(offsets) < 0).any():
        raise ValueError("its chunk texts do not fit its offsets")
    if size == 0:
        return Texts(b"", offsets)
    with open(folder / TEXTS, "rb") as fh:
        # Damaged bytes fail here, not in a question. The check reads the file, not the map, so the map's
        # pages stay out of the process until a question needs them (87 MB at 100,000 chunks).
        decoder = codecs.getincrementaldecoder("utf-8")()
        for at in range(0, size, 1 << 23):
            decoder.decode(fh.read(1 << 23), final=at + (1 << 23) >= size)
        blob = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return Texts(blob, offsets)
