import pytest

from rag.read import (DATE, DEFINITION, NUMBER, ORG, OTHER, PERSON, PLACE, REASON, YESNO, analyze, best_phrase, headed,
                      in_window, leans_on_previous, missing_text, other_head, phrases, quotable, time_window)


@pytest.mark.parametrize("question,kind", [
    ("Which team won the cup?", ORG), ("What city hosted the summit?", PLACE), ("Where is the debate?", PLACE),
    ("Which Manchester City defender scored an own goal?", PERSON),  # the noun phrase's last head, not "City"
    ("Which Qatari club does Desailly play for?", ORG), ("What is the name of the record label he set up?", ORG),
    ("Who did China send as envoy?", PERSON), ("Who is Mao Ning?", DEFINITION),
    ("How many summits did they hold?", NUMBER), ("Exactly how many missiles were tested?", NUMBER),
    ("When did KCNA last report a message?", DATE), ("And when was that?", DATE), ("In which year did Kim write?", DATE),
    ("What year did the company collapse?", DATE),  # "company" comes after the verb
    ("Why did he resign?", REASON), ("Did Kim reply?", YESNO), ("What did Xi write?", OTHER),
])
def test_analyze_reads_what_is_asked(question, kind):
    assert analyze(question).kind == kind


def test_analyze_units_and_durations():
    assert analyze("How much did Chelsea pay for him?").unit == "money"
    assert analyze("What percentage of voters backed it?").unit == "percent"
    assert analyze("How long did the occupation last?").accepts == (NUMBER, DATE)
    assert analyze("Who wrote it?").accepts == (PERSON, ORG)


def test_phrases_are_spans_of_the_sentence():
    s = "Chinese foreign ministry spokeswoman Hua Chunying said on 5-6 March that 300 envoys cost $1.2bn, a decade on."
    found = {p.kind: [] for p in phrases(s, (PERSON, DATE, NUMBER))}
    for p in phrases(s, (PERSON, DATE, NUMBER)):
        assert s[p.start:p.end] == p.text
        found[p.kind].append(p.text)
    assert "Hua Chunying" in found[PERSON] and "5-6 March" in found[DATE]
    assert {"300", "$1.2bn", "a decade"} <= set(found[NUMBER])


def test_names_are_typed_by_titles_and_context():
    kinds = {p.text: p.kind for p in phrases("Mr Blair met Kofi Annan of the United Nations in Geneva.",
                                             (PERSON, ORG, PLACE))}
    assert kinds["Blair"] == PERSON and kinds["Geneva"] == PLACE and kinds["United Nations"] != PERSON
    # a lone capitalised first word, a demonym or a single letter is not taken for a name
    assert "Rock" not in [p.text for p in phrases("Rock star Ozzy sang.", (ORG,))]
    assert not phrases("An Iraqi pianist hid in a 3G hotel.", (ORG,))


def test_best_phrase_is_new_and_near_the_question_words():
    sentence = ("Chilean President Sebastián Piñera; Colombian President Juan Manuel Santos; "
                "Costa Rican President José María Figueres and others studied there.")
    assert best_phrase(sentence, analyze("Who is the Costa Rican President that studied there?")).text == \
        "José María Figueres"
    # what the question already names is never the answer
    assert best_phrase("Xi wrote to Kim.", analyze("Who did Xi write to?")).text == "Kim"
    assert best_phrase("Kim wrote.", analyze("Who is Kim writing to?")) is None
    # "sent" answers "send"; a name with its role after it (", its third-ranked official") is a person
    s = ("Last month, China sent Li Zhanshu, its third-ranked official, as a special envoy from President Xi "
         "to Pyongyang.")
    assert best_phrase(s, analyze("Who did China send as a special envoy to Pyongyang?")).text == "Li Zhanshu"


def test_best_phrase_keeps_the_unit_asked_for():
    s = "It paid £4.6m for a 15% stake."
    assert best_phrase(s, analyze("How much did it pay?")).text == "£4.6m"
    assert best_phrase(s, analyze("What share did it buy?")).text == "15%"
    assert best_phrase("It bought a 15% stake.", analyze("How much did it pay?")) is None


@pytest.mark.parametrize("sentence,ok", [
    ("Where is the second Republican debate?", False), ("Kim Jong Un sends Xi a letter...", False),
    ("The debate is in Ohio.", True), ("“Is it over?” she asked.", True),
])
def test_quotable(sentence, ok):
    assert quotable(sentence) is ok


def test_the_title_is_not_an_answer():
    assert not quotable("Xi Writes To Kim", title="Xi writes to Kim") and quotable("Xi wrote.", title="Xi writes to Kim")


def test_leans_on_previous_and_missing_text():
    assert leans_on_previous('Mr Xi had responded "out of politeness," she said.')
    assert leans_on_previous("By then phones will be printed on wrists.") and not leans_on_previous("Kim wrote.")
    assert missing_text(analyze("When did Kim write?")) == "The articles don't say when."
    assert missing_text(analyze("Who chairs it?")) == "The articles don't say who."
    assert missing_text(analyze("Exactly how many missiles did it test?")) == "The articles don't say how many missiles."
    assert missing_text(analyze("Which news agency did Yang speak to?")) == "The articles don't say which news agency."


@pytest.mark.parametrize("question,window", [
    ("What did Kim say in 2019?", ("2019-01-01", "2019-12-31", False)),
    ("What did he say in March 2018?", ("2018-03-01", "2018-03-31", False)),
    ("What happened last month?", ("2022-09-01", "2022-09-30", False)),
    ("What happened last week?", ("2022-10-03", "2022-10-09", False)),  # 2022-10-12 is a Wednesday
    ("Did Xi write this week?", ("2022-10-10", "2022-10-12", False)),
    ("Who won yesterday?", ("2022-10-11", "2022-10-11", False)),
    ("What is the latest on the talks?", (None, "2022-10-12", True)),
])
def test_time_window_reads_the_question_against_the_day_it_is_asked(question, window):
    w = time_window(question, "2022-10-12")
    assert (w.start, w.end, w.latest) == window


def test_no_time_no_window_and_in_window():
    assert time_window("What did Kim write to Xi?", "2022-10-12") is None
    w = time_window("in 2019?", "2022-10-12")
    assert in_window("2019-05-01", w) and in_window("2020-01-01", w) is False and in_window(None, w) is None


def test_period_documents_keep_the_period_and_the_undated():
    from rag.read import Window, article_date, period_documents

    docs = {"a": {"published": "2019-05-01", "published_from": "text"},
            "b": {"published": "2021-05-01", "published_from": "page"},
            "c": {"published": "2019-05-01", "published_from": "file"}}  # a file's date is no article date
    assert article_date(docs["c"]) is None and article_date(docs["b"]) == "2021-05-01"
    dates = [(d, article_date(doc)) for d, doc in docs.items()]
    assert period_documents(dates, Window("2019-01-01", "2019-12-31")) == {"a", "c"}
    assert period_documents(dates, Window("2010-01-01", "2010-12-31")) == frozenset({"c"})
    assert period_documents(dates, Window(None, "2022-01-01", latest=True)) is None  # ranked, not filtered
    assert period_documents(dates[2:], Window("2019-01-01", "2019-12-31")) is None  # all qualify


def test_a_paper_named_like_a_person_can_answer_which_newspaper():
    s = "The message was reported on the front page of North Korea’s official Rodong Sinmun."
    assert best_phrase(s, analyze("In which newspaper did the message appear?")).text == "Rodong Sinmun"
    assert best_phrase("The European Indoor Championships start today.", analyze("Who coaches her?")) is None


def test_a_phrase_of_the_asked_kind_beats_one_the_question_only_tolerates():
    # "who" asks for a person and tolerates an organisation: the person wins even when the
    # organisation's kind is the surer guess.
    sentence = ("The message was a response to a letter sent by Kim Jong Un congratulating Xi on his reelection "
                "at the 19th Congress of the Communist Party of China (CPC) last week.")
    assert best_phrase(sentence, analyze("Who did Xi send a letter to?")).text == "Kim Jong Un"
    assert best_phrase(sentence, analyze("Which party held a congress?")).kind == "organisation"


def test_how_many_counts_the_noun_not_the_verb_after_it():
    assert analyze("How many events occur in an engine cycle?").counted == "event"
    assert analyze("How many ballistic missiles did North Korea test?").counted == "missile"
    assert analyze("How many people died?").counted == "people"
    sentence = "The cycle also comprises four events – admission, expansion, exhaust, compression."
    assert best_phrase(sentence, analyze("How many events occur in an engine cycle?")).text == "four"
    assert analyze("What distance did Jade Johnson jump?").kind == "number"


def test_the_rest_of_a_title_is_not_a_name():
    sentence = ("The last Prime Minister of the German Democratic Republic, Lothar de Maizière, is a descendant of "
                "a Huguenot family, as is the German Federal Minister of the Interior, Thomas de Maizière.")
    found = [p.text for p in phrases(sentence, ("person", "organisation"))]
    assert "of the Interior" not in found and "Thomas de Maizière" in found


def test_the_noun_the_question_asks_for_names_the_answer():
    assert analyze("Which consultancy carried out the survey?").head == "consultancy"
    assert analyze("Which bands played at the party?").head == "band"
    assert analyze("Who won the race?").head == ""
    sentence = "The survey, reported by the Financial Times, was carried out by consultancy group Capgemini."
    assert best_phrase(sentence, analyze("Which consultancy carried out the survey?")).text == "Capgemini"
    found = phrases(sentence, (ORG,))
    capgemini = next(p for p in found if p.text == "Capgemini")
    assert headed(sentence, capgemini, "consultancy") and not headed(sentence, found[0], "consultancy")


def test_an_office_after_a_title_is_not_a_name():
    sentence = ("The most recent Chinese official to visit was Liu Zhenmin, Vice Minister of Foreign Affairs, who "
                "attended the meeting.")
    assert [p.text for p in phrases(sentence, (PERSON,))] == ["Liu Zhenmin"]


def test_a_place_and_the_town_it_is_in_are_one_answer():
    assert [p.text for p in phrases("He sold them from a stall in Camden Market, London.", (PLACE,))] == \
        ["Camden Market, London"]
    assert [p.text for p in phrases("Talks were held in Seoul, Pyongyang and Beijing.", (PLACE,))] == \
        ["Seoul", "Pyongyang", "Beijing"]  # a list, not one place


def test_an_organisation_of_another_kind_does_not_answer_which_agency():
    sentence = "Professor Yang Moo-jin of the University of North Korean Studies in Seoul said so, he told AFP."
    ask = analyze("Which news agency did Yang Moo-jin speak to?")
    university, afp = (next(p for p in phrases(sentence, (ORG,)) if p.text == name) for name in
                       ("University of North Korean Studies", "AFP"))
    assert other_head(sentence, university, "agency") and not other_head(sentence, afp, "agency")
    assert best_phrase(sentence, ask).text == "AFP"
    assert not other_head(sentence, university, "organisation")  # a generic noun takes any organisation
    assert not other_head(sentence, university, "school")  # kindred nouns: a school may be called a college


def test_what_is_missing_is_said_in_the_questions_own_case():
    assert missing_text(analyze("Which top American diplomat was planning to travel?")) == \
        "The articles don't say which top American diplomat."
    assert missing_text(analyze("What is the name of the world renowned cellist who studied there?")) == \
        "The articles don't say which world renowned cellist."
