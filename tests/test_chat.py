import pytest

from rag.chat import condense_question, is_followup, key_entities, validate_history
from rag.errors import BadInput


def test_key_entities():
    assert key_entities("Xi wrote to Kim Jong Un in 2017.") == ["Xi", "Kim Jong Un", "2017"]
    assert key_entities("What did Hua Chunying say [1]?") == ["Hua Chunying"]


def test_is_followup():
    assert is_followup("When did he send it?")
    assert is_followup("And then?")
    assert not is_followup("What did Mike Pompeo plan in Pyongyang?")


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
