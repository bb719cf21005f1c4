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
