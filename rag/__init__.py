"""A news-archive question answerer with checkable citations, offline by default.

Public entry points: `Settings`, `load_settings` and `build_assistant`. Importing `rag` does not
import torch, sentence-transformers, chromadb or gradio; they load on first use.
"""

from rag.config import Settings, load_settings
from rag.pipeline import Assistant, build_assistant

__all__ = ["Assistant", "Settings", "build_assistant", "load_settings"]
