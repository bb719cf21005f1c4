"""Server mode against a real `chroma run` on loopback: same code path, clear error when it is down."""

import pytest

from rag import build_assistant
from rag.errors import StoreUnavailable
from rag.indexer import build_index
from rag.manifest import read_manifest
from rag.retrieve import Retriever
from tests.chroma_server import ChromaServer, free_port
from tests.conftest import FakeEmbedder

pytestmark = pytest.mark.server


@pytest.fixture
def chroma(tmp_path):
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    server.stop()


def test_server_mode_index_and_answer(chroma, tmp_settings, embedder):
    settings = tmp_settings.replace(chroma_url=chroma.url)
    assistant = build_assistant(settings, embedder=embedder)
    report = assistant.index()
    assert len(report.added) == 5
    manifest = read_manifest(settings.index_path)
    assert manifest["store"] == "server"
    assert not any(p.is_dir() and p.suffix != ".lexical" for p in settings.index_path.iterdir())  # vectors live in the server
    assert (settings.index_path / f"{manifest['collection']}.lexical").is_dir()  # BM25 beside the manifest
    answer = assistant.ask("What was Mike Pompeo planning?")
    assert "another trip to Pyongyang" in answer.text
    assert assistant.retriever.store.count() == manifest["chunk_count"]
    only = frozenset({"003_443b657839c6b62c"})  # the server filters by document too (a question about a period)
    assert {h.chunk.doc_id for h in assistant.retriever.retrieve("Kim Jong Un letter", docs=only)} == only
    assert build_index(settings, FakeEmbedder()).changed is False


def test_server_down_then_back(chroma, tmp_settings, embedder):
    settings = tmp_settings.replace(chroma_url=chroma.url)
    assistant = build_assistant(settings, embedder=embedder)
    assistant.index()
    assert not assistant.ask("Who is Li Jianguo?").abstained
    chroma.stop()
    with pytest.raises(StoreUnavailable, match="index unavailable"):
        assistant.ask("Who is Li Jianguo?")
    chroma.start()
    assert "Li Jianguo" in assistant.ask("Who is Li Jianguo?").text


def test_no_server_at_all(tmp_settings):
    settings = tmp_settings.replace(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        build_index(settings, FakeEmbedder())


def test_embedded_and_server_indexes_are_not_mixed(chroma, tmp_settings):
    from rag.errors import IndexMismatch

    build_index(tmp_settings, FakeEmbedder())
    with pytest.raises(IndexMismatch, match="rebuild"):
        Retriever(tmp_settings.replace(chroma_url=chroma.url), FakeEmbedder())
