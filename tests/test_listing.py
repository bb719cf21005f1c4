"""Listing a corpus folder without reading it (rag.listing)."""

import os

import pytest

from rag.errors import CorpusError
from rag.listing import corpus_fingerprint, corpus_paths, find_files


def _tree(root):
    for rel in ("b.txt", "a.md", "sub/c.html", "sub/deeper/d.htm", ".hidden.txt", ".git/e.txt", "notes.pdf",
                "sub/x_eval_set.jsonl", "sub/questions-eval.txt"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"text of {rel}\n", encoding="utf-8")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "f.txt").write_text("outside\n", encoding="utf-8")
    os.symlink(outside, root / "linked-folder")  # not followed
    os.symlink(root / "a.md", root / "alias.txt")  # a symlinked file is listed
    return root


def test_files_are_listed_sorted_without_hidden_ones_or_symlinked_folders(tmp_path):
    root = _tree(tmp_path / "corpus")
    assert [p.relative_to(root).as_posix() for p in find_files(root)] == [
        "a.md", "alias.txt", "b.txt", "sub/c.html", "sub/deeper/d.htm", "sub/questions-eval.txt"]
    assert [rel for _p, rel in corpus_paths(root, ("*eval*.txt",))] == [
        "a.md", "alias.txt", "b.txt", "sub/c.html", "sub/deeper/d.htm"]
    assert [rel for _p, rel in corpus_paths(root, ("sub/*",))] == ["a.md", "alias.txt", "b.txt"]


def test_the_fingerprint_changes_with_size_mtime_mode_and_link_target_only(tmp_path):
    root = _tree(tmp_path / "corpus")
    first = corpus_fingerprint(root)
    assert set(first) == {rel for _p, rel in corpus_paths(root)}
    assert first["alias.txt"][-1] == str(root / "a.md") and len(first["b.txt"]) == 3
    assert corpus_fingerprint(root) == first  # listing twice reads nothing and changes nothing

    (root / "b.txt").read_text(encoding="utf-8")
    assert corpus_fingerprint(root) == first  # reading is not a change
    stat = (root / "b.txt").stat()
    os.utime(root / "b.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert corpus_fingerprint(root)["b.txt"] != first["b.txt"]
    (root / "a.md").chmod(0o600)
    assert corpus_fingerprint(root)["a.md"] != first["a.md"]
    (root / "sub" / "new.txt").write_text("new\n", encoding="utf-8")
    assert "sub/new.txt" in corpus_fingerprint(root)
    (root / "alias.txt").unlink()
    os.symlink(root / "nowhere.txt", root / "alias.txt")  # dangling: listed, as a change
    assert corpus_fingerprint(root)["alias.txt"] == ["FileNotFoundError"]


def test_a_missing_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        corpus_fingerprint(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match="is not a directory"):
        corpus_fingerprint(tmp_path / "file.txt")
