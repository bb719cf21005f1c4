"""The manifest: the rules version that refuses an index cut by other cleaning/chunking code, and the
query side opening an index without importing the build-time indexer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.errors import IndexMismatch
from rag.manifest import MANIFEST, RULE_MODULES, expected_config, load_checked_manifest, rules_version
from tests.conftest import ROOT


def test_the_rules_version_is_a_digest_of_the_cleaning_and_chunking_code(tmp_settings):
    version = rules_version()
    assert len(version) == 16 and int(version, 16) >= 0 and rules_version() == version
    assert all((ROOT / "rag" / name).is_file() for name in RULE_MODULES)
    assert expected_config(tmp_settings)["rules"] == version


def test_an_index_cut_by_other_rules_is_refused_with_the_rebuild_hint(tmp_settings, fake_embedder):
    from rag.indexer import build_index

    build_index(tmp_settings, fake_embedder)
    path = tmp_settings.index_path / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["rules"] = "0123456789abcdef"
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="other cleaning and chunking rules.*rag index --rebuild"):
        load_checked_manifest(tmp_settings)
    report = build_index(tmp_settings, fake_embedder, rebuild=True)
    assert len(report.added) == 5 and load_checked_manifest(tmp_settings)["rules"] == rules_version()


def test_answering_does_not_import_the_indexer():
    code = ("import sys, rag.pipeline, rag.retrieve, rag.answer, rag.manifest; "
            "print('rag.indexer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_document_table_reads_like_the_manifest_documents_and_holds_none_of_their_objects():
    from rag.manifest import DocumentTable, serving_manifest

    docs = {"doc-a": {"title": "Xi writes", "outlet": "AFP", "published": "2019-06-20", "byline": None, "chunks": 3},
            "doc-b": {"title": "Kim replies", "outlet": "AFP", "published": "2019-06-20", "chunks": 1},
            "doc-c": {"title": "Undated", "byline": "Jane Doe"}}
    table = DocumentTable({d: dict(v) for d, v in docs.items()})
    assert dict(table) == docs and list(table) == ["doc-a", "doc-b", "doc-c"] and len(table) == 3
    assert "doc-b" in table and "z" not in table and table.get("z", {}) == {} and table["doc-a"]["byline"] is None
    with pytest.raises(KeyError):
        table["z"]  # noqa: B018
    # fresh strings: the JSON tree the manifest was parsed into can be freed whole
    assert all(value is not docs[d][k] for d in docs for k, value in table[d].items() if isinstance(value, str))
    assert all(d is not mine for d, mine in zip(docs, table))
    assert list(table.rows("published", "chunks", "missing")) == [
        ("doc-a", "2019-06-20", 3, None), ("doc-b", "2019-06-20", 1, None), ("doc-c", None, None, None)]
    assert len(DocumentTable({})) == 0 and list(DocumentTable({}).rows("title")) == []
    assert DocumentTable({"é": {"title": "金正恩 wrote"}})["é"] == {"title": "金正恩 wrote"}
    manifest = {"documents": docs, "files": {"a.txt": {}}, "skipped": [], "collection": "g", "chunk_count": 3}
    served = serving_manifest(manifest)
    assert set(served) == {"documents", "collection", "chunk_count"} and dict(served["documents"]) == docs
