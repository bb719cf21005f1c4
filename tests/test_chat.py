import pytest

from rag.chat import condense_question, is_followup, key_entities, validate_history
from rag.errors import BadInput


def test_key_entities():
    assert key_entities("Xi wrote to Kim Jong Un in 2017.") == ["Xi", "Kim Jong Un", "2017"]
    assert key_entities("What did Hua Chunying say [1]?") == ["Hua Chunying"]


def test_is_followup():
    assert is_followup("When did he send it?")
    assert is_followup("And then?")
    assert is_followup("And in 2018?")
    assert is_followup("Why?")
    assert is_followup("What did he tell Kim?")  # "he" comes before any name it could mean
    assert is_followup("What did Xi say about this new message?")
    assert not is_followup("What did Mike Pompeo plan in Pyongyang?")
    assert not is_followup("Who is Mao Ning?")  # short, but it names its own subject
    assert not is_followup("What did Xi say in his letter to Kim?")  # "his" has "Xi" before it
    assert not is_followup("Where was the first North-U.S. summit that Trump canceled supposed to take place?")


def test_a_self_contained_question_is_not_bent_by_the_history():
    history = [("user", "What did Xi say in his letter to Kim?"),
               ("assistant", "Xi Jinping told Kim Jong Un after the 19th Congress that … [1]")]
    assert condense_question("Who is Mao Ning?", history) == "Who is Mao Ning?"


def test_condense_carries_entities():
    history = [("user", "Who is Professor Yang Moo-jin?"),
               ("assistant", "Professor Yang Moo-jin of the University of North Korean Studies in Seoul said… [1]")]
    query = condense_question("Which news agency did he talk to?", history)
    assert query.startswith("Which news agency did he talk to?")
    assert "Yang Moo-jin" in query


def test_standalone_question_is_unchanged():
    history = [("user", "Who is Mao Ning?")]
    assert condense_question("What did Mike Pompeo plan in Pyongyang?", history) == \
        "What did Mike Pompeo plan in Pyongyang?"


def test_validate_history():
    assert validate_history([["user", "hi"], ("assistant", "hello")]) == [("user", "hi"), ("assistant", "hello")]
    with pytest.raises(BadInput):
        validate_history([("system", "x")])
    with pytest.raises(BadInput):
        validate_history(["not a pair"])


def test_history_is_bounded_per_message_and_in_count():
    long_chat = [("user", f"question {i}") for i in range(100)]
    kept = validate_history(long_chat, max_messages=10, max_chars=50)
    assert kept == long_chat[-10:]  # older messages are dropped, not refused
    with pytest.raises(BadInput, match="history message 1 is 8,000,000 characters"):
        validate_history([["user", "Kim " * 2_000_000], ["assistant", "x"]])
    with pytest.raises(BadInput, match="not valid text"):
        validate_history([["user", "lone \ud800 surrogate"]])
    with pytest.raises(BadInput):
        validate_history("user: hi")
    with pytest.raises(BadInput):
        validate_history([["user", "a", "b"]])


def test_clean_text_refuses_what_it_cannot_use():
    from rag.chat import clean_text

    assert clean_text(" a\x00b ", "the question", 10) == "a b"
    for bad in (None, 3, ["q"], "x" * 11, "\udcff"):
        with pytest.raises(BadInput):
            clean_text(bad, "the question", 10)


def test_condensed_query_stays_short_whatever_the_history():
    history = [("user", "Kim " * 1000 + "Jong Un"), ("assistant", "And " + "Xi Jinping " * 500)]
    query = condense_question("And then?", history)
    assert query.startswith("And then?") and len(query) < 300
