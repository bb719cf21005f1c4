"""The assistant's input boundary: every client value (question, history, top_k, mode) is checked in
`rag.pipeline` before any work, for the CLI, the web app and the API alike."""

import math

import pytest

from rag.errors import BadInput, ConfigError
from rag.pipeline import clean_question, parse_mode, parse_top_k


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), (5, 5), ("7", 7), (3.0, 3), ("50", 50)])
def test_parse_top_k(value, expected):
    assert parse_top_k(value) == expected


@pytest.mark.parametrize("value", ["abc", math.nan, math.inf, [1, 2], {"k": 1}, True, 0, 51, 2.5, "1e400"])
def test_parse_top_k_refuses(value):
    with pytest.raises(BadInput, match="top_k must be a whole number between 1 and 50"):
        parse_top_k(value)


def test_parse_mode():
    assert parse_mode(None, "extractive") == "extractive" and parse_mode("llm", "extractive") == "llm"
    for bad in (["x"], 3, "bogus"):
        with pytest.raises(ConfigError, match="known modes: extractive, llm"):
            parse_mode(bad, "extractive")


def test_clean_question():
    assert clean_question("  Who is Xi?\x07 ", 100) == "Who is Xi?"
    for bad, message in ((None, "empty"), ("   ", "empty"), ("x" * 101, "101 characters"),
                         ("Who is \ud800?", "not valid text"), (b"bytes", "must be text")):
        with pytest.raises(BadInput, match=message):
            clean_question(bad, 100)
