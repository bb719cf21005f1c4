"""`import rag` stays light: no torch, sentence-transformers, chromadb or gradio until first use."""

import subprocess
import sys


def test_import_rag_is_lazy():
    code = ("import sys, rag; from rag import build_assistant, Settings; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'gradio', 'chromadb', 'llama_index.core') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
