"""Conversation export (JSON and Markdown) and `verify_export` against a tiny corpus in tmp_path."""

import hashlib
import json

import pytest

from tests.conftest import DATA, seed_subset

from rag.answer import make_citation
from rag.chunk import Chunk, Sentence
from rag.cite import Citation
from rag.cli import main
from rag.errors import BadInput, CorpusError
from rag.export import block_safe, conversation_json, conversation_markdown, one_line, verify_export

ARTICLE = "Xi writes to Kim.\n\nXi Jinping said he hopes for stable relations.\n# Not a heading\n"
OTHER = "Seoul, May 3.\n\nKim Jong Un met President Moon at Panmunjom.\n"


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    (root / "asia").mkdir(parents=True)
    (root / "xi.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "asia" / "kim.txt").write_text(OTHER, encoding="utf-8")
    return root


def cite(n: int, source: str, text: str, quote: str, **extra) -> dict:
    """A citation as `Answer.to_json()` gives it, for `quote` inside the file `text`."""
    start = text.index(quote)
    return Citation(n, source.rsplit("/", 1)[-1].removesuffix(".txt"), "Xi Jinping writes", quote, start,
                    start + len(quote), 1.0, "Reuters", source, "context", 0, "2019-06-20", "text",
                    hashlib.sha256(text.encode()).hexdigest()).to_json() | extra


def session() -> list[dict]:
    """The web app's turns: two answers and one turn that failed."""
    first = {"question": "What did Xi hope for?", "answer": "Xi hoped for stable relations [1].", "abstained": False,
             "lead": {"text": "stable relations", "kind": "what", "n": 1, "start": 38, "end": 54},
             "citations": [cite(1, "xi.txt", ARTICLE, "Xi Jinping said he hopes for stable relations.")]}
    second = {"question": "Whom did Kim meet?", "answer": "Moon [1]. Xi [2].", "abstained": False, "lead": None,
              "citations": [cite(1, "asia/kim.txt", OTHER, "Kim Jong Un met President Moon at Panmunjom."),
                            cite(2, "xi.txt", ARTICLE, "Xi writes to Kim.")]}
    return [{"question": first["question"], "answer": first, "error": None},
            {"question": "Who?", "answer": None, "error": "The index is busy."},
            {"question": second["question"], "answer": second, "error": None}]


def test_conversation_json_shape():
    data = conversation_json(session(), exported_at="2024-05-01T10:00:00+00:00")
    assert {k: data[k] for k in ("format", "version", "exported_at")} == \
        {"format": "rag-news-export", "version": 1, "exported_at": "2024-05-01T10:00:00+00:00"}
    assert [t["question"] for t in data["turns"]] == ["What did Xi hope for?", "Whom did Kim meet?"]  # no error turn
    turn = data["turns"][0]
    assert set(turn) == {"question", "answer", "abstained", "lead", "citations"}
    assert turn["answer"] == "Xi hoped for stable relations [1]." and turn["lead"]["text"] == "stable relations"
    c = turn["citations"][0]
    assert set(c) == {"n", "doc_id", "source", "start", "end", "quote", "sha256", "title", "outlet", "published",
                      "published_from"}
    assert c["sha256"] == hashlib.sha256(ARTICLE.encode()).hexdigest() and c["source"] == "xi.txt"
    assert json.loads(json.dumps(data)) == data
    assert conversation_json([])["exported_at"].endswith("+00:00")  # now, in UTC


def test_conversation_markdown_is_readable_and_keeps_its_structure():
    turns = session()
    turns[0]["answer"]["citations"][0]["quote"] = "Xi said:\n# Not a heading\n1. not a list <script>x</script>"
    turns[2]["answer"]["citations"][1]["published_from"] = "file"  # the file's date, not the article's
    md = conversation_markdown(turns, exported_at="2024-05-01T10:00:00+00:00")
    assert "## 1. What did Xi hope for?" in md and "## 2. Whom did Kim meet?" in md and "Who?" not in md
    assert "Xi hoped for stable relations [1]." in md
    assert "1. **Xi Jinping writes** — Reuters, 2019-06-20\n" in md
    assert "2. **Xi Jinping writes** — Reuters, file dated 2019-06-20\n" in md
    assert "   File `asia/kim.txt`, characters 15–59" in md
    assert "   > Kim Jong Un met President Moon at Panmunjom." in md
    # every quote line stays in the blockquote, and article text opens no heading, list or HTML
    assert "   > Xi said:\n   > \\# Not a heading\n   > 1\\. not a list \\<script>x\\</script>" in md
    assert not any(line.startswith("# Not") for line in md.splitlines())


def test_block_safe():
    assert block_safe("# Seoul <b>\n   indented\n> q\n1999 was a year") == \
        ["\\# Seoul \\<b>", "indented", "\\> q", "1999 was a year"]
    assert one_line("Who is\n <img src=x onerror=alert(1)> Kim? a < b") == \
        "Who is \\<img src=x onerror=alert(1)> Kim? a < b"
    md = conversation_markdown([{**session()[0], "question": "## Who?\n<b>Kim</b>"}])
    assert "## 1. ## Who? \\<b>Kim\\</b>\n" in md


def test_make_citation_carries_the_files_sha256():
    text = "Xi wrote to Kim."
    chunk = Chunk("d#0:x", "d", text, 0, len(text), (Sentence(0, len(text), 5, 5 + len(text)),), 5)
    docs = {"d": {"title": "T", "source": "a/d.txt", "sha256": "ab" * 32}}
    citation = make_citation(1, chunk, chunk.sentences[0], 1.0, docs)
    assert citation.sha256 == "ab" * 32 and citation.to_json()["sha256"] == "ab" * 32
    assert make_citation(1, chunk, chunk.sentences[0], 1.0, {}).to_json()["sha256"] is None


def test_every_sentence_the_pipeline_can_cite_verifies(tmp_path):
    """Citations made the way answers make them, of every sentence of a text article and of an HTML page
    (whose inline tags the cleaner skips), verify on the untouched files and fail after one edit."""
    from rag.chunk import chunk_article
    from rag.corpus import load_corpus

    root = seed_subset(tmp_path / "c", "000_468aaedc6a09fc6c.txt")
    (root / "page.html").write_bytes((DATA / "corpus_cases" / "page.html").read_bytes())
    articles, _ = load_corpus(root)
    docs = {a.doc_id: {"title": a.title, "source": a.source, "sha256": a.sha256} for a in articles}
    answers = []
    for a in articles:
        chunks = chunk_article(a, 256, 32)
        citations = [make_citation(n, ch, s, 1.0, docs).to_json() for n, (ch, s) in
                     enumerate(((ch, s) for ch in chunks for s in ch.sentences), 1)]
        answers.append({"question": a.doc_id, "answer": {"answer": "x", "citations": citations}})
    data = conversation_json(answers)
    result = verify_export(data, root)
    assert result.ok and result.checked > 20, result.mismatches
    page = (root / "page.html").read_text(encoding="utf-8")
    (root / "page.html").write_text(page.replace("<em>freight</em>", "<em>fright</em>"), encoding="utf-8")
    assert {m.kind for m in verify_export(data, root).mismatches} == {"quote differs"}


def test_verify_passes_on_an_untouched_corpus(corpus):
    result = verify_export(conversation_json(session()), corpus)
    assert result.ok and result.checked == 3 and result.to_json() == {"ok": True, "checked": 3, "mismatches": []}


def test_verify_names_the_citation_after_one_character_changes(corpus):
    (corpus / "asia" / "kim.txt").write_text(OTHER.replace("Moon", "Mood"), encoding="utf-8")
    result = verify_export(conversation_json(session()), corpus)
    assert not result.ok and result.checked == 3 and len(result.mismatches) == 1
    m = result.mismatches[0]
    assert (m.turn, m.n, m.source, m.kind) == (2, 1, "asia/kim.txt", "quote differs")
    assert m.found == "Kim Jong Un met President Mood at Panmunjom."
    assert m.describe() == "turn 2 [1] asia/kim.txt: quote differs at characters 15–59: from character 44 the " \
                           "file now has “…Un met President Mood at Panmunjom.”"


def test_verify_reports_a_changed_file_whose_quote_still_stands(corpus):
    (corpus / "xi.txt").write_text(ARTICLE + "Updated.\n", encoding="utf-8")
    result = verify_export(conversation_json(session()), corpus)
    assert [(m.turn, m.n, m.kind) for m in result.mismatches] == [(1, 1, "sha256 differs"), (2, 2, "sha256 differs")]
    assert "the quote is still there" in result.mismatches[0].detail


def test_verify_reports_a_moved_quote_and_a_missing_file(corpus):
    (corpus / "xi.txt").write_text("New first line.\n" + ARTICLE, encoding="utf-8")
    (corpus / "asia" / "kim.txt").unlink()
    result = verify_export(conversation_json(session()), corpus)
    kinds = {(m.turn, m.n): m for m in result.mismatches}
    assert kinds[(1, 1)].kind == "quote differs" and "the quote is now at characters 35–" in kinds[(1, 1)].detail
    assert kinds[(2, 1)].kind == "missing file"


@pytest.mark.parametrize("source", ["../outside.txt", "asia/../../outside.txt", "/etc/hostname"])
def test_verify_refuses_paths_outside_the_corpus(corpus, source):
    (corpus.parent / "outside.txt").write_text("Xi writes to Kim.", encoding="utf-8")
    data = conversation_json(session())
    data["turns"][0]["citations"][0]["source"] = source
    result = verify_export(data, corpus)
    m = result.mismatches[0]
    assert (m.turn, m.n, m.kind) == (1, 1, "outside the corpus") and len(result.mismatches) == 1


def test_verify_refuses_a_symlink_out_of_the_corpus(corpus):
    (corpus.parent / "outside.txt").write_text(ARTICLE, encoding="utf-8")
    (corpus / "link.txt").symlink_to(corpus.parent / "outside.txt")
    data = conversation_json(session())
    data["turns"][0]["citations"][0]["source"] = "link.txt"
    assert verify_export(data, corpus).mismatches[0].kind == "outside the corpus"


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update(format="something"), "not a conversation export"),
    (lambda d: d.update(version=2), "version 2 is not supported"),
    (lambda d: d.update(turns={}), '"turns"'),
    (lambda d: d["turns"][0]["citations"][0].update(start="0"), "whole numbers"),
    (lambda d: d["turns"][0]["citations"][0].update(n=True), "whole numbers"),
    (lambda d: d["turns"][0]["citations"][0].pop("source"), 'turn 1 [1]: a citation needs its file ("source")'),
    (lambda d: d["turns"][1]["citations"][0].update(start=70, end=60), "turn 2 [1]: needs 0 <= start <= end"),
    (lambda d: d["turns"][0]["citations"][0].update(sha256=5), "sha256"),
])
def test_malformed_exports_are_bad_input(corpus, mutate, message):
    data = conversation_json(session())
    mutate(data)
    with pytest.raises(BadInput, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        verify_export(data, corpus)
    with pytest.raises(BadInput, match="not a conversation export"):
        verify_export([1, 2], corpus)


def test_verify_needs_the_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        verify_export(conversation_json(session()), tmp_path / "nope")


def test_verify_command_in_process(corpus, tmp_path, capsys):
    export = tmp_path / "export.json"
    export.write_text(json.dumps(conversation_json(session())), encoding="utf-8")
    assert main(["verify", str(export), "--corpus", str(corpus)]) == 0
    assert capsys.readouterr().out == "3 citations checked, all match\n"
    (corpus / "xi.txt").write_text(ARTICLE.replace("stable", "stabel"), encoding="utf-8")
    assert main(["verify", str(export), "--corpus", str(corpus), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and [(m["turn"], m["n"], m["kind"]) for m in out["mismatches"]] == \
        [(1, 1, "quote differs"), (2, 2, "sha256 differs")]
    export.write_text("{not json", encoding="utf-8")
    assert main(["verify", str(export), "--corpus", str(corpus)]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read the export")
