"""The shared word helpers: tokenising, shingles, Jaccard."""

import pytest

from rag.text import jaccard, shingles, tokenize


def test_tokenize():
    assert tokenize("Kim's letters to the U.S. were rare") == ["kim", "letter", "u", "s", "rare"]
    assert tokenize("Korean War policies") == ["korean", "war", "policy"]


def test_shingles_and_jaccard():
    assert shingles("Kim met Xi in Beijing", 2) == {("kim", "met"), ("met", "xi"), ("xi", "beijing")}
    assert shingles("Kim", 3) == {("kim",)}
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert jaccard(set(), {1}) == 0.0
