"""Evaluation tooling, apart from the library: `rag eval` (evaluate, metrics, the stock LlamaIndex
baseline) and `rag bench` (bench, synthetic corpora). Needs the `[eval]` extra (matplotlib for the
report charts): pip install -e '.[eval]'. Nothing in the answering path imports this package."""
