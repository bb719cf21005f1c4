"""Uploads become articles only when `rag index` would read them: safe names inside the corpus folder,
the indexer's checks before any write, no overwrite, and a background update whose errors are kept."""

import os
import threading
from pathlib import Path

import pytest

from rag.config import Settings
from rag.corpus import load_corpus
from rag.errors import CorpusError
from rag.ingest import IndexingJob, IngestReport, Refused, safe_name, save_uploads, write_new

STORY = b"Harbour seals return to the Wadden Sea\n\nCounts rose for a third year, the survey team said.\n"
OTHER = b"Tram line opens in Aarhus\n\nThe new line carries 40,000 riders a day, the city said.\n"


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "seals.txt").write_bytes(STORY)
    return folder


@pytest.mark.parametrize("given, expected", [
    ("../../etc/passwd.txt", "passwd.txt"), ("a/b.txt", "b.txt"), ("C:\\Users\\me\\story.HTML", "story.html"),
    (".hidden.txt", "hidden.txt"), ("...x.md", "x.md"), ("CON.txt", "CON_.txt"), ("nul.draft.md", "nul_.draft.md"),
    ("lpt1.htm", "lpt1_.htm"), ("a\x00b\x1b\u202ec.txt", "abc.txt"), ("  two   spaces .txt", "two spaces.txt"),
    ('what?<now>:"|*.txt', "what__now_____.txt"), ("trailing. .txt", "trailing.txt"), ("Ünïcode é.md", "Ünïcode é.md"),
])
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_safe_name_caps_the_length_in_bytes():
    name = safe_name("é" * 300 + ".txt")
    assert name.endswith("é.txt") and len(name.encode()) <= 120


@pytest.mark.parametrize("given, reason", [
    ("x.pdf", "type .pdf not accepted: use .txt, .md, .html or .htm"), ("notes", "no file type"),
    (".txt", "the file name is empty"), ("../..", "no file type"), ("..txt", "the file name is empty"),
    (None, "the file has no name"), ("a.exe\x00.txt.exe", "type .exe not accepted"),
])
def test_safe_name_refuses(given, reason):
    with pytest.raises(Refused, match=reason.replace(".", r"\.")):
        safe_name(given)


@pytest.mark.parametrize("content, reason", [
    (b"Title\n\nText\x00more\n", "binary file (contains NUL bytes)"),
    ("Caf\u00e9 story\n\nNews.\n".encode("latin-1"), "not valid UTF-8 (byte 3)"),
    (b"", "empty file"),
    (b"  \n\n\t\n", "empty file"),
    ("x", "no file content"),  # a str is never taken as a path on the server
])
def test_bad_content_is_rejected_and_nothing_written(corpus, content, reason):
    before = listing(corpus)
    report = save_uploads([("new.txt", content)], corpus, Settings())
    assert report.rejected == (("new.txt", reason),) and not report.written
    assert listing(corpus) == before


def test_oversize_is_rejected_before_reading(corpus, tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 640_000)  # 3.2 MB
    report = save_uploads([("big.txt", big), ("big2.txt", big.read_bytes())], corpus,
                          Settings(max_upload_bytes=2_000_000))
    assert report.rejected == (("big.txt", "too large (3.2 MB, limit 2 MB)"),
                               ("big2.txt", "too large (3.2 MB, limit 2 MB)"))
    assert listing(corpus) == ["seals.txt"]


def test_wrong_type_and_html_without_text(corpus):
    report = save_uploads([("scan.pdf", b"%PDF-1.4"), ("page.html", b"<html><script>x()</script></html>")],
                          corpus, Settings())
    assert report.rejected == (("scan.pdf", "type .pdf not accepted: use .txt, .md, .html or .htm"),
                               ("page.html", "empty file"))
    assert listing(corpus) == ["seals.txt"]


def test_saved_article_is_read_by_the_corpus_loader(corpus, tmp_path):
    upload = tmp_path / "gradio-temp-123"
    upload.write_bytes(OTHER)
    report = save_uploads([("../../Tram.TXT", upload)], corpus, Settings())
    assert report.renamed == (("../../Tram.TXT", "Tram.txt"),) and report.written == ("Tram.txt",)
    assert (corpus / "Tram.txt").read_bytes() == OTHER
    articles, warnings = load_corpus(corpus)
    assert [a.source for a in articles] == ["Tram.txt", "seals.txt"] and not warnings
    assert listing(corpus) == ["Tram.txt", "seals.txt"]  # no temp file left behind


def test_identical_copy_is_skipped_and_a_different_one_renamed(corpus):
    report = save_uploads([("seals.txt", STORY), ("seals.txt", OTHER), ("seals.md", OTHER + b"More.\n"),
                           ("copy.txt", OTHER)], corpus, Settings())
    assert report.skipped == (("seals.txt", "already in the archive"),
                              ("copy.txt", "already in the archive as seals-2.txt"))
    # seals.md would share the document id "seals" with seals.txt, so it gets a new one too
    assert report.renamed == (("seals.txt", "seals-2.txt"), ("seals.md", "seals-3.md"))
    assert (corpus / "seals.txt").read_bytes() == STORY and (corpus / "seals-2.txt").read_bytes() == OTHER
    assert "Skipped seals.txt: already in the archive." in report.summary()
    assert "Added seals.txt as seals-2.txt." in report.summary()


def test_known_hashes_skip_a_copy_under_another_name(corpus):
    import hashlib

    known = {hashlib.sha256(STORY).hexdigest(): "seals.txt"}
    report = save_uploads([("renamed.txt", STORY)], corpus, Settings(), known=known)
    assert report.skipped == (("renamed.txt", "already in the archive as seals.txt"),)


def test_a_document_id_in_a_subfolder_is_not_taken(corpus):
    (corpus / "2019").mkdir()
    (corpus / "2019" / "tram.txt").write_bytes(b"Old tram\n\nThe old line closed.\n")
    report = save_uploads([("tram.txt", OTHER)], corpus, Settings())
    assert report.renamed == (("tram.txt", "tram-2.txt"),)


def test_symlinks_are_never_followed(corpus, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret\n")
    (corpus / "link.txt").symlink_to(outside)
    report = save_uploads([("link.txt", OTHER), ("evil.txt", Path(corpus / "link.txt"))], corpus, Settings())
    assert report.renamed == (("link.txt", "link-2.txt"),)
    assert report.rejected == (("evil.txt", "not a regular file"),)
    assert outside.read_bytes() == b"secret\n"


def test_corpus_folder_reached_through_a_symlink(tmp_path, corpus):
    alias = tmp_path / "alias"
    alias.symlink_to(corpus)
    assert save_uploads([("a.txt", OTHER)], alias, Settings()).saved == ("a.txt",)
    assert (corpus / "a.txt").is_file()


def test_missing_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        save_uploads([("a.txt", OTHER)], tmp_path / "nope", Settings())


def test_too_many_files(corpus):
    files = [(f"n{i}.txt", OTHER + str(i).encode()) for i in range(3)]
    report = save_uploads(files, corpus, Settings(max_upload_files=2))
    assert report.saved == ("n0.txt", "n1.txt") and report.rejected == (("n2.txt", "more than 2 files in one upload"),)


def test_malformed_upload_entries(corpus):
    report = save_uploads([("a.txt",), "b.txt", ("\x07" * 3, b"x")], corpus, Settings())
    assert [why for _n, why in report.rejected] == ["the file has no name"] * 2 + ["no file type: use .txt, .md, .html or .htm"]


def test_write_new_never_replaces(corpus):
    assert write_new(corpus.resolve(), "seals.txt", b"other") is False
    assert (corpus / "seals.txt").read_bytes() == STORY and listing(corpus) == ["seals.txt"]
    with pytest.raises(ValueError, match="outside the corpus"):
        write_new(corpus.resolve(), "../x.txt", b"x")


def test_summary():
    report = IngestReport(saved=("a.txt", "b.md"), renamed=(("c.txt", "c-2.txt"),),
                          skipped=(("a.txt", "already in the archive"),), rejected=(("x.pdf", "type .pdf not accepted"),))
    assert report.summary() == ("Added 2 articles: a.txt, b.md.\nAdded c.txt as c-2.txt.\n"
                                "Skipped a.txt: already in the archive.\nNot added x.pdf: type .pdf not accepted.")
    assert IngestReport().summary() == "No files were given."
    assert report.to_json()["renamed"] == [["c.txt", "c-2.txt"]]


class Report:
    def summary(self):
        return "1 added"


def test_indexing_job_queues_one_more_update_and_keeps_errors():
    entered, gate, calls, heard = threading.Event(), threading.Event(), [], []

    def update(progress):
        calls.append(len(calls))
        progress(f"run {len(calls)}")
        if len(calls) == 1:
            entered.set()
            gate.wait(5)
            raise RuntimeError("disk full")
        return Report()

    job = IndexingJob(update)
    job.start(["a.txt"], heard.append)
    assert entered.wait(5)
    job.start(["b.txt"])
    job.start(["c.txt"])
    assert job.status()["running"] and job.status()["queued"]
    gate.set()
    assert job.wait(5)
    status = job.status()
    assert len(calls) == 2  # the two later uploads share one update after the first
    assert status["running"] is False and status["queued"] is False
    assert status["total"] == status["done"] == 2 and status["index_report"] == "1 added"
    assert status["error"] is None  # the later update succeeded
    assert heard == ["indexing 1 new article", "run 1", "indexing failed: disk full"]


def test_indexing_job_error_is_kept_in_the_status():
    def update(_progress):
        raise CorpusError("the corpus holds no readable article")

    job = IndexingJob(update)
    job.start(["a.txt"], lambda _m: 1 / 0)  # a failing listener does not stop anything
    assert job.wait(5)
    assert job.status()["error"] == "the corpus holds no readable article"
    assert job.status()["message"] == "indexing failed: the corpus holds no readable article"


def test_concurrent_uploads_of_one_name_never_overwrite(corpus):
    texts = [OTHER + f"Version {i}.\n".encode() for i in range(8)]
    threads = [threading.Thread(target=save_uploads, args=([("same.txt", t)], corpus, Settings())) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = sorted(p.read_bytes() for p in corpus.glob("same*.txt"))
    assert saved == sorted(texts) and not [n for n in os.listdir(corpus) if n.startswith(".")]


def test_write_new_without_hard_links(corpus, monkeypatch):
    import errno

    def no_links(*_a, **_k):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert write_new(corpus.resolve(), "fat.txt", OTHER) is True
    assert (corpus / "fat.txt").read_bytes() == OTHER and listing(corpus) == ["fat.txt", "seals.txt"]
    assert write_new(corpus.resolve(), "seals.txt", OTHER) is False and (corpus / "seals.txt").read_bytes() == STORY


def test_a_fifo_or_a_stale_temp_file_in_the_corpus(corpus):
    os.mkfifo(corpus / "pipe.txt")
    stale = corpus / ".upload-dead.part"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    report = save_uploads([("pipe.txt", OTHER)], corpus, Settings())  # does not block on the FIFO
    assert report.renamed == (("pipe.txt", "pipe-2.txt"),) and not stale.exists()
