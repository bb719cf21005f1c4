import pytest

from rag.cite import check_citations, first_use_order, parse_markers, renumber, support_score

SOURCE_1 = "Chinese foreign ministry spokeswoman Hua Chunying said Mr Xi had responded out of politeness."
SOURCE_2 = "The last time KCNA reported a message from Mr Xi was in July 2016."


def test_parse_markers_tolerant():
    assert parse_markers("Xi wrote [1]. Kim replied [2, 3]") == [("Xi wrote.", (1,)), ("Kim replied", (2, 3))]
    assert parse_markers("Xi wrote【1】. Kim replied [ 2 ].") == [("Xi wrote.", (1,)), ("Kim replied.", (2,))]
    assert parse_markers("No marker here.") == [("No marker here.", ())]


def test_marker_ends_sentence_without_period():
    assert parse_markers("Headline words [1] The next claim [2]") == [("Headline words", (1,)), ("The next claim", (2,))]


# Calibration pairs for the support threshold (0.5): supported paraphrases and quotes score above,
# unrelated or number-changed claims below.
SUPPORTED = [
    ("Hua Chunying said Xi responded out of politeness.", SOURCE_1),
    ("KCNA last reported a message from Xi in July 2016.", SOURCE_2),
    (SOURCE_2, SOURCE_2),
]
UNSUPPORTED = [
    ("Xi invited Kim to Beijing for a state banquet.", SOURCE_1),
    ("KCNA last reported a message from Xi in July 2015.", SOURCE_2),  # wrong number
    ("The weather in Pyongyang was cold and rainy.", SOURCE_2),
]


@pytest.mark.parametrize("claim,source", SUPPORTED)
def test_supported_pairs_pass(claim, source):
    assert support_score(claim, source) >= 0.5


@pytest.mark.parametrize("claim,source", UNSUPPORTED)
def test_unsupported_pairs_fail(claim, source):
    assert support_score(claim, source) < 0.5


def test_check_citations_flags_and_drops():
    text = "Xi responded out of politeness [1]. Xi invited Kim to a banquet [2]. KCNA reported in July 2016 [7]."
    result = check_citations(text, {1: SOURCE_1, 2: SOURCE_2})
    assert [v.reason for v in result.verdicts] == ["ok", "unsupported", "no citation"]
    assert result.dropped_markers == (7,)
    assert "[7]" not in result.text and not result.supported
    dropped = check_citations(text, {1: SOURCE_1, 2: SOURCE_2}, drop_unsupported=True)
    assert dropped.text == "Xi responded out of politeness. [1]" and dropped.supported


def test_uncited_sentence_is_unsupported():
    result = check_citations("Xi responded out of politeness.", {1: SOURCE_1})
    assert not result.supported and result.verdicts[0].reason == "no citation"


def test_renumber_and_first_use():
    assert first_use_order("x [3] y [1] z [3]") == [3, 1]
    assert renumber("a [3] b [1] c [9]", {3: 1, 1: 2}) == "a [1] b [2] c"
