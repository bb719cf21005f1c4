from pathlib import Path

import pytest

from rag.answer import coverage, should_abstain, term_weights
from rag.config import Settings
from rag.read import NUMBER, phrases

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_term_weights_and_coverage():
    w = term_weights(["xi", "weather"], {"xi": 9}, 10)
    assert w["weather"] > w["xi"]  # a word the corpus never uses weighs most
    assert coverage({"a": 1.0, "b": 3.0}, {"b"}) == pytest.approx(0.75)
    assert coverage({}, {"b"}) == 0.0


def test_should_abstain_threshold():
    s = Settings()
    assert should_abstain(s.min_evidence_score - 0.01, s) and not should_abstain(s.min_evidence_score, s)


def _original(doc_id):
    return (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("question,expected,doc", [
    ("What was Mike Pompeo planning?", "another trip to Pyongyang", "002_617917d42ee51cd6"),
    ("Who is the Chinese foreign ministry spokeswoman in the 2017 story?", "Hua Chunying", "001_32944c5d53887f74"),
    ("When did KCNA last report a message from Mr Xi?", "July 2016", "001_32944c5d53887f74"),
    ("What did Mao Ning call for?", "prevent the situation from escalating", "003_443b657839c6b62c"),
    ("Who did China send as a special envoy to Pyongyang?", "Li Zhanshu", "002_617917d42ee51cd6"),
])
def test_seeds_questions_get_the_right_sentence(seeds_assistant, question, expected, doc):
    answer = seeds_assistant.ask(question)
    assert not answer.abstained and answer.supported
    assert expected in answer.text
    assert answer.citations[0].doc_id == doc
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert _original(c.doc_id)[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.text


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Who won the 2022 World Cup?",
    "How much does a subscription plan cost?",
    "Why was an Uzbek man charged in New York?",
    "What is the recipe for kimchi?",
])
def test_off_corpus_questions_abstain(seeds_assistant, question):
    answer = seeds_assistant.ask(question)
    assert answer.abstained and answer.text.startswith("The articles don't say") and answer.lead is None
    assert len(answer.citations) <= 1  # the closest passage, so the reader can check the "no"
    for c in answer.citations:
        assert "The closest passage I found" in answer.text and _original(c.doc_id)[c.start:c.end] == c.quote


@pytest.mark.slow
def test_boilerplate_is_never_cited(seeds_assistant):
    for question in ["Trump Calls For Death Penalty For Uzbek Man", "NYC Attack Green Card Lottery",
                     "Follow us on Instagram", "Please enter your comment", "Plans starting at $75"]:
        answer = seeds_assistant.ask(question)
        for c in answer.citations:
            assert "READ ALSO" not in c.quote and "Instagram" not in c.quote and "comment!" not in c.quote


@pytest.mark.slow
def test_followup_uses_history(seeds_assistant):
    first = seeds_assistant.ask("Who is Professor Yang Moo-jin?")
    assert "Yang Moo-jin" in first.text
    follow = seeds_assistant.ask("Which news agency did he talk to?",
                                 history=[("user", "Who is Professor Yang Moo-jin?"), ("assistant", first.text)])
    assert "Yang" in follow.query and not follow.abstained
    assert follow.citations[0].doc_id == "001_32944c5d53887f74"


@pytest.mark.slow
def test_corroborating_quote_is_cited_together(seeds_assistant):
    answer = seeds_assistant.ask("What did Xi wish for the Korean people under the leadership of the WPK?")
    docs = {c.doc_id for c in answer.citations}
    assert {"000_468aaedc6a09fc6c", "004_9569ee472e9e94bc"} <= docs


@pytest.mark.slow
def test_how_many_is_never_answered_without_a_number(seeds_assistant):
    answer = seeds_assistant.ask("Exactly how many ballistic missiles did North Korea test?")
    assert answer.abstained or phrases(answer.citations[0].quote, (NUMBER,))
    assert answer.abstained  # the articles say "a record number", never how many
    assert answer.text.startswith("The articles don't say how many")


def test_an_answer_carries_at_most_max_citations():
    from rag.answer import finish_answer
    from rag.cite import Citation

    quote = "Xi Jinping wrote to Kim Jong Un."
    citations = [Citation(n, f"d{n}", "t", quote, 0, len(quote), 1.0) for n in range(1, 41)]
    text = quote + "".join(f" [{n}]" for n in range(1, 41))
    answer = finish_answer("q", text, citations, Settings(max_citations=12), "extractive", (), "q")
    assert len(answer.citations) == 12 and "[13]" not in answer.text and not answer.abstained


@pytest.mark.slow
def test_a_weak_answer_phrase_is_not_shown_in_bold(seeds_assistant):
    """The phrase leads only when its strength reaches min_lead_strength; below it the same quote stands alone."""
    from rag.answer import ExtractiveAnswerer

    q = "Who is the Chinese foreign ministry spokeswoman who spoke about Xi's message?"
    retriever = seeds_assistant.retriever
    hits, evidence = retriever.retrieve(q), retriever.evidence()
    shown = ExtractiveAnswerer(seeds_assistant.settings).answer(q, q, hits, evidence)
    hidden = ExtractiveAnswerer(seeds_assistant.settings.replace(min_lead_strength=99.0)).answer(q, q, hits, evidence)
    assert shown.lead["text"] == "Hua Chunying" and shown.text.startswith("Hua Chunying — “")
    assert hidden.lead is None and hidden.text == shown.text[len("Hua Chunying — "):]
    assert hidden.citations == shown.citations and not hidden.abstained


@pytest.mark.slow
def test_self_contained_questions_get_the_same_answer_with_another_questions_history(seeds_assistant):
    """Every bundled question that does not lean on a history, asked after another one (its question and
    its answer as the history), gets exactly the answer it gets when asked first (issue 9, item 6)."""
    import json

    from rag.chat import is_followup

    rows = [json.loads(line) for line in (Path(__file__).parent.parent / "rag" / "data" / "seeds_eval.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    alone = [r for r in rows if not is_followup(r["question"])]
    assert len(alone) >= 75  # not vacuous: the bundled set has 80 stand-alone questions
    assert sum(is_followup(r["question"]) for r in rows if r["type"] == "followup") >= 14
    for i, row in enumerate(alone):
        other = alone[i - 1]["question"]
        history = [("user", other), ("assistant", seeds_assistant.ask(other).text)]
        first, after = seeds_assistant.ask(row["question"]), seeds_assistant.ask(row["question"], history=history)
        assert after.query == row["question"], (row["id"], after.query)
        assert (after.text, after.citations) == (first.text, first.citations), row["id"]


DATED = {
    "bridge_2019.txt": "Council backs the Eastford bridge\n\nPublished: 4 March 2019\n\nThe town council of Eastford "
                       "voted on Monday to build a new bridge over the river. Mayor Anna Berg said the bridge would "
                       "cost £4m and open within three years.\n",
    "bridge_2021.txt": "Eastford bridge costs rise\n\nPublished: 10 June 2021\n\nThe town council of Eastford said "
                       "the new bridge over the river would now cost £7m. Mayor Anna Berg blamed the price of "
                       "steel.\n",
    "bridge_2022.txt": "Eastford bridge opens\n\nPublished: 5 October 2022\n\nThe new bridge over the river in "
                       "Eastford opened on Wednesday. Mayor Tom Hale cut the ribbon in front of a large crowd.\n",
}


@pytest.fixture(scope="module")
def dated_assistant(tmp_path_factory, embedder):
    from rag.pipeline import build_assistant

    root = tmp_path_factory.mktemp("dated")
    for name, text in DATED.items():
        (root / "corpus").mkdir(exist_ok=True)
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    assistant = build_assistant(Settings(corpus_dir=str(root / "corpus"), index_dir=str(root / "index")), embedder)
    assistant.index()
    return assistant


@pytest.mark.slow
@pytest.mark.parametrize("question,expected,doc", [
    ("How much did the council say the bridge would cost in 2019?", "£4m", "bridge_2019"),
    ("How much would the bridge cost in 2021?", "£7m", "bridge_2021"),
    ("Who is the latest mayor of Eastford?", "Tom Hale", "bridge_2022"),
])
def test_a_question_about_a_time_is_answered_from_an_article_of_that_time(dated_assistant, question, expected,
                                                                            doc):
    answer = dated_assistant.ask(question, as_of="2022-10-12")
    assert not answer.abstained and answer.lead["text"] == expected and answer.citations[0].doc_id == doc
    assert answer.citations[0].published_from == "text" and answer.citations[0].published[:4] == doc[-4:]
    assert f"published on {answer.citations[0].published}" in answer.notice  # the answer says when


@pytest.mark.slow
def test_a_period_no_article_covers_is_said_so(dated_assistant):
    answer = dated_assistant.ask("What did the council decide about the bridge in 2020?", as_of="2022-10-12")
    assert answer.abstained and "for 2020-01-01 to 2020-12-31" in answer.text
    assert len(answer.citations) == 1  # the closest passage, from another year, to check the "no" against


@pytest.mark.slow
def test_the_day_asked_is_checked(dated_assistant):
    from rag.errors import BadInput

    with pytest.raises(BadInput):
        dated_assistant.ask("What happened last week?", as_of="last Tuesday")
