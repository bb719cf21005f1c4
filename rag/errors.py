"""Typed errors raised by the library.

The library never prints or exits: the CLI maps these to messages and exit codes
(BadInput -> 2, any other RagError -> 1) and the UI maps them to a chat message.
"""


class RagError(Exception):
    """Base class for every error the library raises on purpose."""


class BadInput(RagError):
    """The user's input is unusable: empty or oversized question, bad flag, missing corpus."""


class CorpusError(BadInput):
    """The corpus folder is missing, empty, or holds no readable article."""


class ConfigError(BadInput):
    """A setting has an invalid value or names an unknown component."""


class IndexMissing(RagError):
    """No index has been built yet at the configured location."""


class IndexMismatch(RagError):
    """The index on disk was built with other settings (embedder, chunking, format)."""


class IndexCorrupt(RagError):
    """The index files or manifest are damaged or unreadable."""


class IndexBusy(RagError):
    """Another `rag index` held the index lock for longer than `lock_timeout`."""


class IndexReadOnly(RagError):
    """The index is out of date with the corpus and its folder cannot be written."""


class StoreUnavailable(RagError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""


class ModelError(RagError):
    """The embedding model is missing, fails its checksum, or cannot load."""


class LLMError(RagError):
    """The LLM server failed: unreachable, timeout, auth, rate limit, malformed output."""


REBUILD_HINT = "Rebuild it with: rag index --rebuild"
