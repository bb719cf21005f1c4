"""Our retrieval and checked answers as llama-index parts, for apps built with llama-index.

`NewsRetriever` is a `BaseRetriever` over the hybrid retrieval (dense + sentence-dense + BM25,
fused, near-duplicates grouped); `CheckedQueryEngine` is a query engine whose response is the
citation-checked answer and whose `source_nodes` are exactly the cited spans. Every node's
`start_char_idx`/`end_char_idx` are offsets into the original article file.

    from rag.llamaindex import CheckedQueryEngine, NewsRetriever
    engine = CheckedQueryEngine.from_settings(load_settings(None, corpus_dir="seeds"))
    response = engine.query("Who is Mao Ning?")

llama-index is imported here only, so `import rag` stays light.
"""

from __future__ import annotations

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.answer import Answer
from rag.cite import Citation
from rag.config import Settings
from rag.retrieve import Hit

DOCUMENT_KEYS = ("title", "outlet", "source", "published", "published_from")


def hit_node(hit: Hit, documents: dict) -> NodeWithScore:
    """A retrieved passage as a llama-index node: its clean text, and its span of the original file."""
    chunk, doc = hit.chunk, documents.get(hit.chunk.doc_id, {})
    first, last = chunk.sentences[0], chunk.sentences[-1]
    metadata = {"doc_id": chunk.doc_id, **{k: doc.get(k) for k in DOCUMENT_KEYS if doc.get(k) is not None},
                "dense": hit.dense, "bm25": hit.bm25, "duplicates": [c.doc_id for c in hit.duplicates]}
    node = TextNode(id_=chunk.chunk_id, text=chunk.text, start_char_idx=first.orig_start,
                    end_char_idx=last.orig_end, metadata=metadata,
                    excluded_embed_metadata_keys=list(metadata), excluded_llm_metadata_keys=["dense", "bm25"])
    return NodeWithScore(node=node, score=hit.score)


def citation_node(citation: Citation) -> NodeWithScore:
    """A cited span as a node: the quote, at [start:end] of the original file, with its support score."""
    c = citation
    metadata = {"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": c.path, "outlet": c.outlet,
                "published": c.published, "published_from": c.published_from, "sha256": c.sha256}
    node = TextNode(id_=f"{c.doc_id}:{c.start}-{c.end}", text=c.quote, start_char_idx=c.start, end_char_idx=c.end,
                    metadata={k: v for k, v in metadata.items() if v is not None})
    return NodeWithScore(node=node, score=c.score)


def answer_response(answer: Answer) -> Response:
    """A checked `Answer` as a llama-index `Response`: the text with its [n] markers, the cited spans
    as source nodes (in marker order), and the checker's verdicts in the metadata."""
    return Response(response=answer.text, source_nodes=[citation_node(c) for c in answer.citations],
                    metadata={"abstained": answer.abstained, "supported": answer.supported, "lead": answer.lead,
                              "verdicts": [v.to_json() for v in answer.verdicts], "mode": answer.mode})


def _assistant(settings: Settings):
    from rag import build_assistant

    assistant = build_assistant(settings)
    assistant.index()  # builds or updates the index only when the corpus changed
    return assistant


class NewsRetriever(BaseRetriever):
    """The assistant's hybrid retrieval as a llama-index retriever (top_k: passages per query)."""

    def __init__(self, assistant, top_k: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._assistant, self._top_k = assistant, top_k

    @classmethod
    def from_settings(cls, settings: Settings, top_k: int | None = None) -> "NewsRetriever":
        return cls(_assistant(settings), top_k)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        retriever = self._assistant.retriever  # the live index generation
        hits = retriever.retrieve(query_bundle.query_str, self._top_k)
        return [hit_node(hit, retriever.documents) for hit in hits]


class CheckedQueryEngine(BaseQueryEngine):
    """Citation-checked answers as a llama-index query engine; `mode` "extractive" (offline) or "llm"."""

    def __init__(self, assistant, mode: str | None = None, top_k: int | None = None):
        super().__init__(callback_manager=None)
        self._assistant, self._mode, self._top_k = assistant, mode, top_k

    @classmethod
    def from_settings(cls, settings: Settings, mode: str | None = None, top_k: int | None = None) -> "CheckedQueryEngine":
        return cls(_assistant(settings), mode, top_k)

    def _query(self, query_bundle: QueryBundle) -> Response:
        return answer_response(self._assistant.ask(query_bundle.query_str, mode=self._mode, top_k=self._top_k))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)

    def _get_prompt_modules(self) -> dict:
        return {}
