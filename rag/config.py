"""The one settings object, built from defaults, then `rag.toml`, then RAG_* variables, then flags.

`Settings` is a frozen dataclass passed explicitly to every component; nothing here reads
hidden global state. The LLM API key is the one secret: it is kept out of repr, and only
`rag.llm` reads it (falling back to OPENAI_API_KEY) when it builds the client.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from rag.errors import ConfigError

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    # Folder of articles (.txt, .md, .html) to index.
    corpus_dir: str = "seeds"
    # Folder holding the persisted index (Chroma generations + manifest.json).
    index_dir: str = "index"
    # Where vectors live: "chroma" (embedded in index_dir, or the server at chroma_url) or "memory" (held
    # in this process, nothing persisted: for tests and throwaway indexes). See rag.store.STORES.
    store: str = "chroma"
    # URL of a Chroma server (e.g. http://127.0.0.1:8000); empty = embedded persistent Chroma.
    chroma_url: str = ""
    # Prefix of the Chroma collection names this project creates.
    collection_prefix: str = "rag"
    # Embedder: "onnx" (the packaged all-MiniLM-L6-v2 on ONNX Runtime, no torch at query time) or "torch"
    # (the same model on sentence-transformers); or "sentence-transformers:<model name or local path>" (a bare
    # name or path also works) for another model. onnx and torch vectors agree to cosine 0.99999, so an
    # index built by one serves the other (README, "Embeddings").
    embedder: str = "onnx"
    # Quantise the onnx embedder's weights to int8 (smaller file; vectors at mean cosine 0.99 to the float
    # ones, so it needs its own index). Ignored by the other embedders.
    embed_int8: bool = False
    # Texts per embedding batch.
    embed_batch_size: int = 32
    # Where packaged model weights are extracted once (default: ~/.cache/rag-news/models).
    model_cache_dir: str = ""
    # Target chunk size in tiktoken (cl100k_base) tokens; justified by `rag eval` (README).
    chunk_tokens: int = 256
    # Tokens of trailing context repeated at the start of the next chunk (whole sentences).
    chunk_overlap: int = 48
    # Retriever: "hybrid" (dense vectors and BM25, fused by reciprocal rank). See rag.pipeline.RETRIEVERS.
    retriever: str = "hybrid"
    # Candidates taken from each retriever (dense and BM25) before fusion.
    candidates: int = 20
    # Evidence chunks kept after fusion and near-duplicate grouping.
    top_k: int = 5
    # Reciprocal-rank-fusion constant.
    rrf_k: int = 60
    # Most sentences an extractive answer quotes (a name, date or amount gets one; a reason or a
    # description may get more).
    max_answer_sentences: int = 2
    # Abstain when the best evidence sentence scores below this (0.5 x idf-weighted share of the
    # question's words in it + 0.5 x its cosine to the question); calibrated with `rag eval`.
    min_evidence_score: float = 0.34
    # An abstention shows the closest passage when that passage scores at least this (on the seeds,
    # passages on the question's topic score about 0.5, off-topic ones 0.1-0.25).
    min_closest_score: float = 0.3
    # An answer leads with its phrase in bold only when the phrase's strength (its kind, the question's
    # noun beside it, the question's words near it) reaches this; below it the quote stands alone, since
    # on the dev sets three in four of the weaker phrases were not the answer.
    min_lead_strength: float = 1.2
    # A cited span supports its sentence when the support score reaches this.
    support_threshold: float = 0.5
    # Drop unsupported sentences from answers instead of flagging them.
    drop_unsupported: bool = False
    # Answer mode: "extractive" (offline) or "llm".
    mode: str = "extractive"
    # Longest accepted question, in characters.
    max_question_chars: int = 2000
    # Longest accepted chat-history message (a question or an answer), in characters.
    max_turn_chars: int = 8000
    # Most recent history messages kept for a follow-up (older ones are dropped, not refused).
    max_history_messages: int = 40
    # Most citations one answer carries (near-duplicate articles would otherwise add one each).
    max_citations: int = 12
    # Largest article a reader may upload in the web app, in bytes (the indexer reads files up to 5 MB,
    # so a larger value has no effect).
    max_upload_bytes: int = 5_000_000
    # Most files one upload may add; the rest are refused.
    max_upload_files: int = 100
    # The web app adds no articles (no upload panel, the upload route closed): RAG_READ_ONLY / --read-only.
    read_only: bool = False
    # Seconds to wait for another `rag index` holding the index lock before giving up.
    lock_timeout: float = 120.0
    # Largest HTTP request body `rag serve` accepts, in bytes (a question plus its history fit easily).
    max_request_bytes: int = 1_000_000
    # Extra host names `rag serve` answers to, comma-separated ("*" = any; ".example.org" = that domain and
    # its subdomains). The bound address and loopback names are always allowed; others are refused,
    # so a DNS-rebinding page cannot reach the app.
    allowed_hosts: str = ""
    # LLM provider for mode "llm": "openai" (any OpenAI-compatible server) or "ollama".
    llm_provider: str = "openai"
    # Base URL of the LLM server, e.g. http://127.0.0.1:8080/v1.
    llm_base_url: str = ""
    # Model name sent to the LLM server.
    llm_model: str = ""
    # Seconds one LLM reply may take from the request to its last token, streamed or not; past it the
    # reply is abandoned (and the offline answer given, see llm_fallback).
    llm_timeout: float = 30.0
    # Most tokens the model may write in one reply (sent with every request), so a model that loops stops.
    llm_max_tokens: int = 400
    # What to do when the LLM fails: "extractive" (answer offline, labelled) or "error".
    llm_fallback: str = "extractive"
    # API key for the LLM server (RAG_LLM_API_KEY); empty = the OPENAI_API_KEY variable, or none for
    # local servers. Kept out of repr, and never written to messages, logs or JSON (see rag.llm).
    llm_api_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("extractive", "llm"):
            raise ConfigError(f"unknown mode {self.mode!r}; known modes: extractive, llm")
        if self.chunk_tokens < 32 or not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError("chunk_tokens must be >= 32 and 0 <= chunk_overlap < chunk_tokens")
        if self.top_k < 1 or self.candidates < self.top_k:
            raise ConfigError("top_k must be >= 1 and candidates >= top_k")
        if min(self.max_question_chars, self.max_turn_chars, self.max_history_messages, self.max_citations) < 1:
            raise ConfigError("max_question_chars, max_turn_chars, max_history_messages and max_citations must be >= 1")
        if min(self.max_upload_bytes, self.max_upload_files) < 1:
            raise ConfigError("max_upload_bytes and max_upload_files must be >= 1")
        if self.llm_timeout <= 0 or self.llm_max_tokens < 1:
            raise ConfigError("llm_timeout must be > 0 and llm_max_tokens >= 1")
        if self.llm_fallback not in ("extractive", "error"):
            raise ConfigError("llm_fallback must be 'extractive' or 'error'")

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed; None values are ignored (handy for CLI flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def public(self) -> dict:
        """The settings as a dict without the secrets (fields kept out of repr, and user:password in
        URLs), safe to write to reports."""
        return {f.name: shown_url(v) if f.name.endswith("_url") else v
                for f in fields(self) if f.repr for v in [getattr(self, f.name)]}

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir)

    @property
    def models_path(self) -> Path:
        return Path(self.model_cache_dir or Path.home() / ".cache" / "rag-news" / "models")


def shown_url(url: str) -> str:
    """A URL without user:password: shown_url("http://u:p@h:1/v1") -> "http://h:1/v1" """
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl() if "@" in parts.netloc else url


def _coerce(name: str, raw: Any) -> Any:
    """Convert a TOML or environment value to the field's type."""
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "bool":
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return str(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {name}: cannot read {raw!r} as {kind}") from exc


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults < rag.toml (or RAG_CONFIG / config_file) < RAG_* env < overrides (None = unset)."""
    env = os.environ if env is None else env
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    path = Path(config_file or env.get("RAG_CONFIG") or "rag.toml")
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        data = data.get("rag", data)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for name in known:
        key = "RAG_" + name.upper()
        if key in env:
            values[name] = _coerce(name, env[key])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
