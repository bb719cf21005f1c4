"""The stock LlamaIndex pipeline that `rag eval --baseline` and `rag bench` compare against.

`VectorStoreIndex` over the raw files (SimpleDirectoryReader, default SentenceSplitter), the in-memory
default vector store, dense top-k only, and the same MiniLM embedder through a small adapter. Its
extractive answer is the retrieved sentence most similar to the question, cited as [1]. It never
abstains and has no conversation memory (like the stock "context" chat mode, it retrieves on the
latest message). Every llama-index component gets its models passed in; no global `Settings`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Sequence

from rag.answer import Answer
from rag.cite import Citation, check_citations
from rag.config import Settings
from rag.corpus import SUFFIXES, doc_id_for


def embedding_adapter(embedder, batch_size: int = 32):
    """Our `Embedder` as a llama-index `BaseEmbedding` (same model, same normalised vectors)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.bridge.pydantic import PrivateAttr

    class RagEmbedding(BaseEmbedding):
        _embedder: object = PrivateAttr()

        def __init__(self, inner, **kwargs):
            super().__init__(model_name=getattr(inner, "name", "rag-embedder"), **kwargs)
            self._embedder = inner

        @classmethod
        def class_name(cls) -> str:
            return "RagEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(texts).tolist()

    return RagEmbedding(embedder, embed_batch_size=batch_size)


def stock_doc_ids(paths: Sequence[str], root: str | Path) -> dict[str, str]:
    """Document ids the way `rag.corpus` assigns them (`doc_id_for`, in relative-path order):
    stock_doc_ids(["/c/a.txt", "/c/x/a.txt"], "/c") -> {"/c/a.txt": "a", "/c/x/a.txt": "x/a.txt"}"""
    root = Path(root).absolute()
    rel = {path: Path(path).absolute().relative_to(root).as_posix() for path in paths}
    ids, used = {}, set()
    for path in sorted(paths, key=rel.__getitem__):
        ids[path] = doc_id_for(rel[path], used)
        used.add(ids[path])
    return ids


def best_sentence(spans: Sequence[tuple[int, int]], vectors: Sequence[Sequence[float]],
                  query: Sequence[float]) -> int:
    """Index of the sentence whose (normalised) vector is closest to the query's:
    best_sentence([(0, 2), (3, 5)], [[1, 0], [0, 1]], [0.1, 0.9]) -> 1"""
    scores = [sum(a * b for a, b in zip(v, query)) for v in vectors]
    return max(range(len(spans)), key=lambda i: (scores[i], -i))


class StockPipeline:
    """VectorStoreIndex + dense top-k + best-sentence extraction over the raw corpus files."""

    def __init__(self, settings: Settings, embedder, top_k: int | None = None):
        self.settings = settings
        self.embedder = embedder
        self.top_k = top_k or settings.top_k
        self.index = None
        self.doc_ids: dict[str, str] = {}

    def load_documents(self):
        from llama_index.core import SimpleDirectoryReader

        # Articles only (question sets such as *eval*.jsonl never match these suffixes).
        reader = SimpleDirectoryReader(input_dir=self.settings.corpus_dir, recursive=True,
                                       required_exts=list(SUFFIXES))
        docs = reader.load_data(show_progress=False)
        self.doc_ids = stock_doc_ids([d.metadata["file_path"] for d in docs], self.settings.corpus_dir)
        return docs

    def build(self, documents=None, show_progress: bool = False) -> int:
        """Split, embed and index the documents in memory; returns the number of nodes."""
        from llama_index.core import VectorStoreIndex
        from llama_index.core.callbacks import CallbackManager
        from llama_index.core.node_parser import SentenceSplitter

        from rag.chunk import get_encoding

        callbacks = CallbackManager([])
        # The default splitter with its default tokenizer (tiktoken cl100k_base), handed over explicitly.
        splitter = SentenceSplitter(tokenizer=partial(get_encoding().encode, allowed_special="all"),
                                    callback_manager=callbacks)
        self.embed_model = embedding_adapter(self.embedder, self.settings.embed_batch_size)
        documents = self.load_documents() if documents is None else documents
        self.index = VectorStoreIndex.from_documents(documents, transformations=[splitter],
                                                     embed_model=self.embed_model, callback_manager=callbacks,
                                                     show_progress=show_progress)
        self.retriever = self.index.as_retriever(similarity_top_k=self.top_k)
        return len(self.index.index_struct.nodes_dict)

    def doc_id(self, node) -> str:
        path = node.metadata.get("file_path", "")
        return self.doc_ids.get(path) or Path(path).stem or node.ref_doc_id or node.node_id

    def retrieve(self, question: str):
        from llama_index.core.schema import QueryBundle

        vector = self.embed_model.get_query_embedding(question)
        return self.retriever.retrieve(QueryBundle(question, embedding=vector)), vector

    def ask(self, question: str, history=None) -> Answer:
        """The best-matching retrieved sentence, cited as [1]; the history is not used (stock retrieval)."""
        from llama_index.core.utils import globals_helper

        if self.index is None:
            self.build()
        hits, query_vector = self.retrieve(question)
        retrieved = tuple(dict.fromkeys(self.doc_id(h.node) for h in hits))
        candidates = []  # (node, start, end) of every sentence of the retrieved text
        for hit in hits:
            text = hit.node.get_content()
            candidates += [(hit.node, s, e) for s, e in globals_helper.punkt_tokenizer.span_tokenize(text)
                           if text[s:e].strip()]
        if not candidates:
            return Answer(question, "", False, False, retrieved=retrieved, query=question, mode="stock")
        texts = [node.get_content()[s:e] for node, s, e in candidates]
        vectors = self.embed_model.get_text_embedding_batch(texts)
        node, s, e = candidates[best_sentence([(s, e) for _, s, e in candidates], vectors, query_vector)]
        quote = node.get_content()[s:e]
        base = node.start_char_idx
        start, end = (base + s, base + e) if base is not None else (-1, -1)
        path = node.metadata.get("file_path", "")
        citation = Citation(1, self.doc_id(node), node.metadata.get("file_name", path), quote, start, end, 1.0,
                            path=path)
        check = check_citations(f"{quote} [1]", {1: quote}, self.settings.support_threshold)
        return Answer(question, f"{quote} [1]", False, check.supported, (citation,), check.verdicts, "stock",
                      retrieved, question)
