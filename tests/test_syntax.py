"""The checker's dependency parse: spaCy's small English pipeline from its pinned package."""

from __future__ import annotations

import pytest

from rag import syntax
from rag.cite import judge
from rag.errors import ModelError
from rag.syntax import relations


def test_a_verbs_doer_and_other_party():
    (rel,) = relations("Kim wrote to Xi.")
    assert (rel.verb, rel.agent, rel.patients) == ("write", ("kim",), (("xi",),))


def test_a_passive_doer_is_the_by_phrase():
    rels = {r.verb: r for r in relations("The letter was sent to Kim Jong Un by Xi Jinping.")}
    assert "jinping" in rels["send"].agent and ("kim", "jong", "un") in rels["send"].patients


def test_a_possessive_noun_relates_its_owner_and_recipient():
    rels = {r.verb: r for r in relations("Kim's letter to Xi praised the ties.")}
    assert rels["letter"].agent == ("kim",) and rels["letter"].patients == (("xi",),)


@pytest.mark.parametrize("claim,evidence,swapped", [
    ("Kim expressed sincere thanks to Xi.", "Xi expressed sincere thanks to Kim.", True),
    ("Kim's letter to Xi praised the ties.", "Xi's letter to Kim praised the ties.", True),
    ("Xi sent a letter to Kim.", "A letter was sent to Kim by Xi.", False),  # same roles, passive
])
def test_the_checker_uses_the_parse_for_roles(claim, evidence, swapped):
    judgment = judge(claim, evidence)
    assert judgment.reason.startswith("roles swapped") is swapped


def test_a_clause_without_its_own_subject_takes_its_head_verbs_doer():
    assert ("replace", ("ranieri",)) in syntax.acts("Ranieri took over at Valencia, having replaced Mourinho.")
    assert ("replace", ("mourinho",)) in syntax.acts("Ranieri took over at Valencia, having been replaced by Mourinho.")


def test_verbs_and_doers_come_from_the_tagger_and_parser():
    assert syntax.verbs("Beijing's recent proposals failed.") == frozenset({"failed"})
    assert syntax.doers("Professor Yang of the University in Seoul said so.", "said")[0][-1] == "yang"


def test_the_source_doing_what_the_claim_does_to_it_is_a_role_swap():
    judgment = judge("Ranieri took over at Valencia, having replaced Mourinho at Chelsea.",
                     "Ranieri took over at Valencia, having been replaced at Chelsea by Mourinho.")
    assert judgment.reason == "roles swapped: in the source Mourinho does the 'replace'"


def test_a_damaged_parser_file_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(syntax.PARSER_FILES, "parser/model", "0" * 64)
    with pytest.raises(ModelError, match="sha256.*reinstall"):
        syntax._model_path()


def test_a_side_word_governs_its_phrase_and_leaves_the_rest_of_the_sentence():
    (side,) = syntax.sides("Amazon grew faster than the wider online retail industry.")
    assert (side.marker, side.words, side.rest, side.text) == (
        "than", frozenset({"industry"}), frozenset({"amazon"}), "the wider online retail industry")
    assert syntax.sides("Wages rose faster than prices did.")[0].words == frozenset({"price"})  # "than" a clause
    assert syntax.sides("The rate is half that of those with a diploma.")[0].marker == "that of"
    assert syntax.sides("Prices rose in March.") == ()  # "in" puts nothing on another side
    assert syntax.sides("According to Bellingcat, Fedotov was born in 1973.") == ()  # who says it, not a side


def test_a_verb_and_a_number_belong_to_their_doer():
    owned = {item: words for item, words, _ in syntax.owners(
        "While North American sales jumped 30 percent, international revenue rose 13 percent.")}
    assert owned["30"] == owned["jump"] == frozenset({"north", "american", "sale"})
    assert owned["13"] == owned["rise"] == frozenset({"international", "revenue"})
    # a number "of" a noun is that noun's; a verb the parser hangs on the clause before is the noun's just before it
    assert dict((i, w) for i, w, _ in syntax.owners("Sales rose, outpacing growth of 13 percent."))["13"] == \
        frozenset({"growth"})
    fall = next(w for i, w, _ in syntax.owners("The move took markets by surprise - European shares fell while the "
                                               "euro rose.") if i == "fall")
    assert "share" in fall and "move" not in fall
    # a number "of" a noun, the number itself held by "of"; and what its noun is "in"
    owned = {i: w for i, w, _ in syntax.owners("331 cases were reported, compared to a weekly average of 63.")}
    assert owned["331"] == frozenset({"case"}) and owned["63"] == frozenset({"average", "weekly"})
    assert dict((i, w) for i, w, _ in syntax.owners("It includes $12 billion in spending cuts."))["12"] == \
        frozenset({"spending", "cut"})


def test_a_verb_moves_its_object_when_it_has_one_else_its_owner():
    assert syntax.moved("Germany's economy shrank, raising the risk.") == (
        ("shrink", frozenset({"economy", "germany"})), ("raise", frozenset({"risk"})))


def test_things_joined_by_and_are_listed_in_order():
    assert syntax.listed("Travis and Idlewild came second and third.") == (("Travis", "Idlewild"),)


def test_a_verbs_poles_are_the_same_in_either_voice():
    from rag.syntax import poles

    active = next(p for p in poles("Arsenal beat Chelsea on Sunday.") if p.verb == "beat")
    passive = next(p for p in poles("Chelsea were beaten by Arsenal on Sunday.") if p.verb == "beat")
    assert (active.doer, active.done_to) == (passive.doer, passive.done_to) == ({"arsenal"}, {"chelsea"})
    assert passive.written == "beaten" and passive.texts == ("Arsenal", "Chelsea")
    knocked = next(p for p in poles("The CDU was knocked out of a coalition with the Greens.") if p.verb == "knock")
    assert knocked.doer == frozenset() and knocked.done_to == {"cdu"} and {"coalition", "greens"} <= knocked.rest


def test_a_passive_is_read_from_the_parse():
    assert syntax.passives("Boston was led on Sunday by Jaylen Brown.") == {"led"}
    assert syntax.passives("Jaylen Brown led Boston on Sunday.") == frozenset()


def test_a_verb_joined_to_a_passive_one_is_its_subjects():
    owned = {item: words for item, words, _ in syntax.owners(
        "A firefighter was struck by debris in Lyon and taken to hospital with burns, officials said.")}
    assert owned["take"] == owned["strike"] == frozenset({"firefighter"})
    from rag.cite import judge

    assert judge("A firefighter was taken to hospital after being struck by debris in Lyon.",
                 "A firefighter was struck by debris in Lyon and taken to hospital with burns, officials said.").supported


def test_instead_of_is_a_side_however_the_parser_hangs_it():
    (side,) = syntax.sides("The firm now ships 300 cars a week instead of 900 or 1,200.")
    assert (side.marker, side.words) == ("instead of", frozenset({"900", "1,200"}))


def test_verbs_joined_in_a_row_share_their_first_verbs_subject():
    from rag.syntax import poles

    text = "A Tesla sedan left a freeway at high speed, ran a red light and struck a Honda Civic."
    struck = next(p for p in poles(text) if p.verb == "strike")
    assert struck.doer == {"tesla", "sedan"} and struck.done_to == {"honda", "civic"}
    # a joined verb with its own subject, or a passive one, keeps its own
    text = "A Tesla sedan left the freeway and the Honda was struck at the light."
    struck = next(p for p in poles(text) if p.verb == "strike")
    assert "tesla" not in struck.doer


def test_an_added_phrase_is_one_whose_content_words_are_mostly_new():
    from rag.syntax import added_phrase

    text = "Trump kept up his attacks on the Fed, calling Powell an enemy and demanding that Powell resign."
    assert added_phrase(text, frozenset({"demanding", "resign"})) == "demanding that Powell resign"
    # the same new words spread over the sentence are paraphrase, not a phrase of their own
    text = "Trump, demanding more, kept up his attacks on the Fed and said Powell should resign."
    assert added_phrase(text, frozenset({"demanding", "resign"})) == ""
