"""Incremental and atomic indexing, manifest checks. Uses a real embedded Chroma and a fake embedder."""

import json
from pathlib import Path

import pytest

from rag.errors import CorpusError, IndexCorrupt, IndexMismatch
from rag.indexer import build_index, plan_changes
from rag.manifest import read_manifest
from rag.retrieve import Retriever
from tests.conftest import FakeEmbedder


def _chroma_count(settings, embedder):
    return Retriever(settings, embedder).store.count()


def test_plan_changes():
    class A:
        def __init__(self, d, h):
            self.doc_id, self.sha256 = d, h

    old = {"a": {"sha256": "1"}, "b": {"sha256": "2"}, "c": {"sha256": "3"}}
    assert plan_changes([A("a", "1"), A("b", "X"), A("d", "4")], old) == (["d"], ["b"], ["c"], ["a"])


def test_incremental_add_modify_delete(tmp_settings, corpus_copy):
    emb = FakeEmbedder()
    first = build_index(tmp_settings, emb)
    assert len(first.added) == 5 and first.embedded == first.chunks > 0
    manifest = read_manifest(tmp_settings.index_path)
    assert manifest["format_version"] == 2 and manifest["dimension"] == 384
    assert manifest["chunking"]["chunk_tokens"] == tmp_settings.chunk_tokens
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"].values())

    calls = emb.calls
    again = build_index(tmp_settings, emb)
    assert emb.calls == calls and not again.changed and again.chunks == first.chunks  # no embedding at all

    (corpus_copy / "004_9569ee472e9e94bc.txt").unlink()
    path = corpus_copy / "001_32944c5d53887f74.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA new closing paragraph about Xi and Kim was added.\n",
                    encoding="utf-8")
    (corpus_copy / "new_article.md").write_text("# New story\n\nKim Jong Un visited a tractor factory today.\n",
                                                encoding="utf-8")
    before = emb.texts
    third = build_index(tmp_settings, emb)
    assert third.added == ("new_article",) and third.updated == ("001_32944c5d53887f74",)
    assert third.removed == ("004_9569ee472e9e94bc",) and len(third.unchanged) == 3
    manifest = read_manifest(tmp_settings.index_path)
    assert set(manifest["documents"]) == {"000_468aaedc6a09fc6c", "001_32944c5d53887f74", "002_617917d42ee51cd6",
                                          "003_443b657839c6b62c", "new_article"}
    assert _chroma_count(tmp_settings, emb) == manifest["chunk_count"] == third.chunks
    assert emb.texts - before < first.embedded * 10  # only the two changed documents' sentences
    retriever = Retriever(tmp_settings, emb)
    assert not any(c.doc_id == "004_9569ee472e9e94bc" for c in retriever.chunks.values())
    assert any("tractor factory" in c.text for c in retriever.chunks.values())


def test_only_two_generations_kept(tmp_settings, corpus_copy):
    emb = FakeEmbedder()
    for i in range(3):
        (corpus_copy / f"extra{i}.txt").write_text(f"Story {i}\n\nKim met Xi for talk number {i}.\n")
        build_index(tmp_settings, emb)
    generations = [p.name for p in tmp_settings.index_path.iterdir() if p.is_dir() and p.suffix != ".lexical"]
    lexical = [p.name for p in tmp_settings.index_path.iterdir() if p.is_dir() and p.suffix == ".lexical"]
    assert len(generations) == 2 and sorted(lexical) == sorted(g + ".lexical" for g in generations)


def test_failed_build_keeps_previous_index(tmp_settings, corpus_copy):
    build_index(tmp_settings, FakeEmbedder())
    good = read_manifest(tmp_settings.index_path)
    (corpus_copy / "late.txt").write_text("Late story\n\nA late article arrives about Pyongyang.\n")
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(tmp_settings, FakeEmbedder(fail_after=0))
    assert read_manifest(tmp_settings.index_path) == good
    left = sorted(p.name for p in tmp_settings.index_path.iterdir() if p.is_dir())
    assert left == [good["collection"], good["collection"] + ".lexical"]  # the failed generation is gone
    assert _chroma_count(tmp_settings, FakeEmbedder()) == good["chunk_count"]
    report = build_index(tmp_settings, FakeEmbedder())
    assert report.added == ("late",)


def test_rebuild_from_scratch(tmp_settings):
    emb = FakeEmbedder()
    first = build_index(tmp_settings, emb)
    again = build_index(tmp_settings, emb, rebuild=True)
    assert len(again.added) == 5 and again.chunks == first.chunks


def test_mismatched_settings_are_refused(tmp_settings):
    build_index(tmp_settings, FakeEmbedder())
    other = tmp_settings.replace(chunk_tokens=128)
    with pytest.raises(IndexMismatch, match="rag index --rebuild"):
        build_index(other, FakeEmbedder())
    with pytest.raises(IndexMismatch):
        Retriever(tmp_settings.replace(embedder="sentence-transformers/other-model"), FakeEmbedder())
    assert build_index(other, FakeEmbedder(), rebuild=True).chunks > 0


def test_corrupt_manifest_and_chroma_files(tmp_settings):
    build_index(tmp_settings, FakeEmbedder())
    manifest_path = tmp_settings.index_path / "manifest.json"
    text = manifest_path.read_text()
    manifest_path.write_text(text[: len(text) // 2])
    with pytest.raises(IndexCorrupt, match="rag index --rebuild"):
        Retriever(tmp_settings, FakeEmbedder())
    with pytest.raises(IndexCorrupt):
        build_index(tmp_settings, FakeEmbedder())
    assert build_index(tmp_settings, FakeEmbedder(), rebuild=True).chunks > 0

    generation = json.loads(manifest_path.read_text())["collection"]
    sqlite = tmp_settings.index_path / generation / "chroma.sqlite3"
    sqlite.write_bytes(b"garbage" * 100)
    with pytest.raises(IndexCorrupt, match="rag index --rebuild"):
        Retriever(tmp_settings, FakeEmbedder())
    assert build_index(tmp_settings, FakeEmbedder(), rebuild=True).chunks > 0
    assert Retriever(tmp_settings, FakeEmbedder()).store.count() > 0


def test_empty_corpus(tmp_path):
    from rag.config import Settings

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_text("")
    settings = Settings(corpus_dir=str(tmp_path / "empty"), index_dir=str(tmp_path / "ix"))
    with pytest.raises(CorpusError, match="no readable article"):
        build_index(settings, FakeEmbedder())
    with pytest.raises(CorpusError):
        build_index(settings.replace(corpus_dir=str(tmp_path / "missing")), FakeEmbedder())


def test_an_up_to_date_index_is_read_without_the_lock(tmp_settings):
    import fcntl

    build_index(tmp_settings, FakeEmbedder())
    with open(tmp_settings.index_path / ".lock", "a") as held:  # another indexer holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        report = build_index(tmp_settings.replace(lock_timeout=0.5), FakeEmbedder())
    assert not report.changed and report.chunks > 0


def test_a_held_lock_is_waited_for_with_a_message_then_given_up(tmp_settings, corpus_copy):
    import fcntl
    import time

    from rag.errors import IndexBusy

    build_index(tmp_settings, FakeEmbedder())
    (corpus_copy / "new.txt").write_text("Border trade\n\nTrucks crossed the bridge at Dandong on Tuesday.\n")
    said = []
    with open(tmp_settings.index_path / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="lock_timeout"):
            build_index(tmp_settings.replace(lock_timeout=1.0), FakeEmbedder(), progress=said.append)
    assert 0.9 < time.monotonic() - started < 5
    assert any("waiting for another `rag index`" in m for m in said)
    assert build_index(tmp_settings, FakeEmbedder()).added == ("new",)  # released: the next run goes ahead


def test_manifest_names_sources_relative_to_the_corpus(tmp_settings):
    build_index(tmp_settings, FakeEmbedder())
    documents = read_manifest(tmp_settings.index_path)["documents"]
    assert documents["000_468aaedc6a09fc6c"]["source"] == "000_468aaedc6a09fc6c.txt"


def test_dates_reach_the_manifest_and_chroma_and_an_older_index_gets_them_without_embedding(tmp_settings,
                                                                                          corpus_copy):
    (corpus_copy / "dated.txt").write_text("Council backs the bridge\n\nPublished: 4 March 2019\n\n"
                                           "The town council voted on Tuesday to build the new bridge.\n",
                                           encoding="utf-8")
    emb = FakeEmbedder()
    build_index(tmp_settings, emb)
    manifest = read_manifest(tmp_settings.index_path)
    assert manifest["documents"]["dated"]["published"] == "2019-03-04"
    assert manifest["documents"]["dated"]["published_from"] == "text"
    assert manifest["documents"]["000_468aaedc6a09fc6c"]["published_from"] == "file"  # no date in the text
    metas = [m for _i, _t, m, _v in Retriever(tmp_settings, emb).store.records() if m["doc_id"] == "dated"]
    assert metas and all(m["published"] == "2019-03-04" for m in metas)
    # An index written before documents carried dates: brought up to date by copying, not embedding.
    for doc in manifest["documents"].values():
        doc.pop("published"), doc.pop("published_from")
    manifest.pop("document_fields")
    (tmp_settings.index_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    calls = emb.calls
    report = build_index(tmp_settings, emb)
    assert emb.calls == calls and report.embedded == 0
    assert read_manifest(tmp_settings.index_path)["documents"]["dated"]["published"] == "2019-03-04"


# -- the lexical (BM25) folder written with each generation ---------------------------------------------
def _lexical_folders(settings) -> list[str]:
    return sorted(p.name for p in settings.index_path.iterdir() if ".lexical" in p.name)


def test_each_generation_gets_a_lexical_folder_over_all_its_chunks(tmp_settings, corpus_copy):
    import numpy as np

    emb = FakeEmbedder()
    report = build_index(tmp_settings, emb)
    generation = read_manifest(tmp_settings.index_path)["collection"]
    assert _lexical_folders(tmp_settings) == [generation + ".lexical"] and report.timings_ms["lexical"] >= 0
    (corpus_copy / "extra.txt").write_text("Border trade\n\nTrucks crossed the bridge at Dandong on Tuesday.\n")
    again = build_index(tmp_settings, emb)  # incremental: four documents copied, one embedded
    assert again.added == ("extra",) and len(again.unchanged) == 5
    retriever = Retriever(tmp_settings, emb)
    assert isinstance(retriever.bm25.scores["data"], np.memmap)  # loaded, not rebuilt
    assert retriever.bm25.scores["num_docs"] == len(retriever.chunks) == again.chunks
    meta = json.loads((tmp_settings.index_path / f"{retriever.generation}.lexical" / "lexical.json").read_text())
    assert meta["order"] == sorted(retriever.chunks) and meta["generation"] == retriever.generation
    assert retriever.bm25_ranking("Pompeo", 3)[0][0].startswith("002_617917d42ee51cd6")  # a copied document
    assert retriever.chunks[retriever.bm25_ranking("Dandong", 3)[0][0]].doc_id == "extra"  # the new one
    assert _lexical_folders(tmp_settings) == sorted([generation + ".lexical", retriever.generation + ".lexical"])


def test_a_failed_lexical_write_publishes_nothing_and_leaves_no_folder(tmp_settings, corpus_copy, monkeypatch):
    import rag.indexer

    build_index(tmp_settings, FakeEmbedder())
    good = read_manifest(tmp_settings.index_path)
    (corpus_copy / "late.txt").write_text("Late story\n\nA late article arrives about Pyongyang.\n")
    real = rag.indexer.build_lexical

    def half_written(texts):
        lexical = real(texts)
        save = lexical.bm25.save

        def save_then_die(folder, **kwargs):
            save(folder, **kwargs)  # the arrays are on disk, the order and df never will be
            raise OSError(28, "No space left on device")

        lexical.bm25.save = save_then_die
        return lexical

    monkeypatch.setattr(rag.indexer, "build_lexical", half_written)
    with pytest.raises(OSError, match="No space left"):
        build_index(tmp_settings, FakeEmbedder())
    assert read_manifest(tmp_settings.index_path) == good
    assert _lexical_folders(tmp_settings) == [good["collection"] + ".lexical"]  # no half folder, no temp folder
    monkeypatch.undo()
    assert build_index(tmp_settings, FakeEmbedder()).added == ("late",)


def test_a_killed_builds_temp_folder_is_ignored_then_collected(tmp_settings, corpus_copy):
    build_index(tmp_settings, FakeEmbedder())
    generation = read_manifest(tmp_settings.index_path)["collection"]
    stale = tmp_settings.index_path / ".rag-20000101000000-dead00.lexical.4242.tmp"
    stale.mkdir()
    (stale / "data.csc.index.npy").write_bytes(b"half")
    orphan = tmp_settings.index_path / "rag-20000101000000-dead00.lexical"  # its generation is gone
    orphan.mkdir()
    assert Retriever(tmp_settings, FakeEmbedder()).bm25_ranking("Pompeo", 1)
    (corpus_copy / "extra.txt").write_text("Border trade\n\nTrucks crossed the bridge at Dandong on Tuesday.\n")
    build_index(tmp_settings, FakeEmbedder())
    live = read_manifest(tmp_settings.index_path)["collection"]
    assert _lexical_folders(tmp_settings) == sorted([generation + ".lexical", live + ".lexical"])


def test_an_index_from_before_lexical_folders_serves_and_gets_one_without_embedding(tmp_settings, capfd, monkeypatch):
    import rag.indexer

    emb = FakeEmbedder()
    with monkeypatch.context() as m:  # as the version before lexical folders wrote it: texts in Chroma, no folder
        m.setattr(rag.indexer, "keeps_lexical", lambda settings: False)
        build_index(tmp_settings, emb)
    manifest = read_manifest(tmp_settings.index_path)
    folder = tmp_settings.index_path / f"{manifest['collection']}.lexical"
    assert not folder.exists()
    loaded = Retriever(tmp_settings, emb)
    capfd.readouterr()
    rebuilt = Retriever(tmp_settings, emb)  # builds its BM25 index in memory, silently
    assert capfd.readouterr() == ("", "")
    assert rebuilt.bm25_ranking("Kim Jong Un letter", 10) == loaded.bm25_ranking("Kim Jong Un letter", 10)
    calls, said = emb.calls, []
    report = build_index(tmp_settings, emb, progress=said.append)
    assert not report.changed and emb.calls == calls and folder.is_dir()
    assert read_manifest(tmp_settings.index_path) == manifest  # the same generation, now with its folder
    assert any("lexical" in m for m in said)
    assert Retriever(tmp_settings, emb).df == loaded.df


def test_chunk_texts_and_sentence_vectors_live_in_the_lexical_folder_not_in_chroma(tmp_settings):
    import shutil

    from rag.errors import IndexCorrupt
    from rag.manifest import open_store

    emb = FakeEmbedder()
    build_index(tmp_settings, emb)
    manifest = read_manifest(tmp_settings.index_path)
    assert all(text is None for _cid, text, _m, _v in open_store(tmp_settings, manifest).records())
    assert manifest["sentences"] == "lexical"  # sentence vectors in the folder too: no sentence collection
    with pytest.raises(IndexCorrupt):
        open_store(tmp_settings, manifest, sentences=True)
    retriever = Retriever(tmp_settings, emb)
    article = (Path(tmp_settings.corpus_dir) / "002_617917d42ee51cd6.txt").read_text(encoding="utf-8")
    chunk = next(c for c in retriever.chunks.values() if c.doc_id == "002_617917d42ee51cd6")
    assert chunk.text and chunk.text.split()[0] in article
    # a change copies the unchanged documents' texts from the old generation's folder
    (Path(tmp_settings.corpus_dir) / "extra.txt").write_text("Kim Jong Un wrote to Xi Jinping again in 2023.\n", encoding="utf-8")
    build_index(tmp_settings, emb)
    again = Retriever(tmp_settings, emb)
    assert {cid: c.text for cid, c in again.chunks.items() if c.doc_id != "extra"} == \
        {cid: c.text for cid, c in retriever.chunks.items()}
    pool = list(retriever.chunks)  # and their sentence vectors: the same scores for any query
    assert again.sentence_sims(emb.embed_query("Pompeo"), 10, None, pool) == \
        retriever.sentence_sims(emb.embed_query("Pompeo"), 10, None, pool)
    shutil.rmtree(tmp_settings.index_path / f"{read_manifest(tmp_settings.index_path)['collection']}.lexical")
    with pytest.raises(IndexCorrupt, match="texts.*missing.*rag index --rebuild"):
        Retriever(tmp_settings, emb)


def test_a_change_to_an_older_index_moves_its_sentence_vectors_into_the_folder(tmp_settings, monkeypatch):
    import numpy as np

    import rag.indexer
    from rag.manifest import open_store

    emb = FakeEmbedder()
    with monkeypatch.context() as m:  # the older layout: texts and sentence vectors in Chroma
        m.setattr(rag.indexer, "keeps_lexical", lambda settings: False)
        build_index(tmp_settings, emb)
    old = read_manifest(tmp_settings.index_path)
    old_vectors = {sid: vec for sid, _t, _m, vec in open_store(tmp_settings, old, sentences=True).records(with_vectors=True)}
    (Path(tmp_settings.corpus_dir) / "extra.txt").write_text("Kim Jong Un wrote to Xi Jinping again.\n", encoding="utf-8")
    calls = emb.calls
    build_index(tmp_settings, emb)
    assert emb.calls == calls + 1  # only the new article was embedded
    retriever = Retriever(tmp_settings, emb)
    assert read_manifest(tmp_settings.index_path)["sentences"] == "lexical" and retriever.sentence_table is not None
    for cid, chunk in retriever.chunks.items():
        if chunk.doc_id == "extra":
            continue
        for sent, row in zip(chunk.sentences, retriever.sentence_table.of_chunk(retriever.position[cid])):
            expected = old_vectors[f"{chunk.doc_id}@{sent.start}-{sent.end}"]
            assert np.allclose(np.asarray(retriever.sentence_table.vectors[row], dtype=np.float32), expected, atol=1e-3)


def test_the_memory_store_writes_no_lexical_folder(memory_settings, fake_embedder):
    build_index(memory_settings, fake_embedder)
    assert _lexical_folders(memory_settings) == []
    retriever = Retriever(memory_settings, fake_embedder)  # builds BM25 in memory, as it always has
    assert retriever.chunks[retriever.bm25_ranking("Pompeo", 1)[0][0]].doc_id == "002_617917d42ee51cd6"
    assert build_index(memory_settings, fake_embedder).changed is False


def test_an_unchanged_corpus_is_checked_by_listing_it_not_by_reading_it(tmp_settings, corpus_copy, monkeypatch):
    """The manifest keeps the corpus listing (size, mtime, mode per file); while it matches, `rag ask`'s
    check reads no article. A touched file is read once, found unchanged, and its new listing is kept;
    an edit that keeps the size is still seen, since the mtime moves."""
    import os

    import rag.indexer

    (corpus_copy / "binary.txt").write_bytes(b"\x00\x01 not text")
    first = build_index(tmp_settings, FakeEmbedder())
    manifest = read_manifest(tmp_settings.index_path)
    assert set(manifest["files"]) == {p.name for p in corpus_copy.iterdir()}
    assert manifest["skipped"] == list(first.warnings) and any("binary.txt" in w for w in first.warnings)

    real_load = rag.indexer.load_corpus
    reads = []
    monkeypatch.setattr(rag.indexer, "load_corpus", lambda *a, **k: reads.append(1) or real_load(*a, **k))
    again = build_index(tmp_settings, FakeEmbedder())
    assert reads == [] and not again.changed and again.chunks == first.chunks
    assert again.warnings == first.warnings  # the skipped file is still named

    path = corpus_copy / "002_617917d42ee51cd6.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # touched, same text
    stamp = (tmp_settings.index_path / "manifest.json").stat().st_mtime_ns
    touched = build_index(tmp_settings, FakeEmbedder())
    assert reads == [1] and not touched.changed
    assert read_manifest(tmp_settings.index_path)["collection"] == manifest["collection"]  # no new generation
    assert (tmp_settings.index_path / "manifest.json").stat().st_mtime_ns != stamp  # the listing was kept
    build_index(tmp_settings, FakeEmbedder())
    assert reads == [1]  # listed again, not read

    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Kim", "Kin", 1), encoding="utf-8")  # same size, new content
    edited = build_index(tmp_settings, FakeEmbedder())
    assert reads == [1, 1] and edited.updated == ("002_617917d42ee51cd6",)

    path.chmod(0o200)
    assert build_index(tmp_settings, FakeEmbedder()) and reads == [1, 1, 1]  # a mode change is a change
    path.chmod(0o644)


def test_a_read_only_index_with_a_stale_listing_still_answers(tmp_settings, corpus_copy, monkeypatch):
    """Keeping a new listing is a courtesy: where the index folder cannot be written it is skipped."""
    import os

    import rag.indexer

    first = build_index(tmp_settings, FakeEmbedder())
    path = corpus_copy / "000_468aaedc6a09fc6c.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))

    def read_only(*_a, **_k):
        raise rag.indexer.IndexReadOnly("read-only")

    monkeypatch.setattr(rag.indexer, "index_lock", read_only)
    report = build_index(tmp_settings, FakeEmbedder())
    assert not report.changed and report.chunks == first.chunks


def test_a_sentence_repeated_across_articles_is_embedded_once(tmp_path):
    from rag.chunk import chunk_article
    from rag.corpus import load_article
    from rag.indexer import embed_chunks

    credit = "The ministry said in a statement that the talks would resume in Geneva next week."
    for i in range(3):
        (tmp_path / f"a{i}.txt").write_text(f"Story {i} happened in town {i} today.\n\n{credit}\n", encoding="utf-8")
    articles = [load_article(tmp_path / f"a{i}.txt", f"a{i}") for i in range(3)]
    chunks = [c for a in articles for c in chunk_article(a, 256, 48)]
    seen = []

    class Counting(FakeEmbedder):
        def embed(self, texts, progress=False):
            seen.extend(texts)
            return super().embed(texts, progress)

    vectors, keys, sentence_vectors = embed_chunks(chunks, Counting(), False)
    assert seen.count(credit) == 1 and len(seen) == 4
    assert len(keys) == len(sentence_vectors) == 6 and len(vectors) == 3  # every article keeps its sentences
    credit_vectors = [v for (_d, _s, text), v in zip(keys, sentence_vectors) if text == credit]
    assert len(credit_vectors) == 3 and all((v == credit_vectors[0]).all() for v in credit_vectors)
