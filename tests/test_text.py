"""The shared word helpers: tokenising, shingles, Jaccard."""

import pytest

from rag.text import jaccard, shingles, split_sentences, tokenize


def test_tokenize():
    assert tokenize("Kim's letters to the U.S. were rare") == ["kim", "letter", "u", "s", "rare"]
    assert tokenize("Korean War policies") == ["korean", "war", "policy"]


def test_shingles_and_jaccard():
    assert shingles("Kim met Xi in Beijing", 2) == {("kim", "met"), ("met", "xi"), ("xi", "beijing")}
    assert shingles("Kim", 3) == {("kim",)}
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert jaccard(set(), {1}) == 0.0


def test_split_sentences_keeps_abbreviations():
    text = "U.S. President Donald Trump will visit. Mr. Xi wrote to Kim Jong Un. The C.C., the CPC met."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "U.S. President Donald Trump will visit.", "Mr. Xi wrote to Kim Jong Un.", "The C.C., the CPC met."]


def test_split_sentences_quotes_and_newlines():
    text = "“I wish success,” he said. He left.\n\nNew paragraph without a stop\nNext"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["“I wish success,” he said.", "He left.", "New paragraph without a stop", "Next"]
