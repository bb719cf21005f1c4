import pytest

from rag.cite import span_context, check_citations, first_use_order, parse_markers, renumber, support_score, judge
from rag.cite import _spelled_out, _time_units

SOURCE_1 = "Chinese foreign ministry spokeswoman Hua Chunying said Mr Xi had responded out of politeness."
SOURCE_2 = "The last time KCNA reported a message from Mr Xi was in July 2016."


def test_parse_markers_tolerant():
    assert parse_markers("Xi wrote [1]. Kim replied [2, 3]") == [("Xi wrote.", (1,)), ("Kim replied", (2, 3))]
    assert parse_markers("Xi wrote【1】. Kim replied [ 2 ].") == [("Xi wrote.", (1,)), ("Kim replied.", (2,))]
    # a marker ends its quote even when the next one opens with a parenthesis (a dateline)
    assert parse_markers("“China backs it.” [2] “(Reuters) - Xi wrote.” [3]") == [
        ("“China backs it.”", (2,)), ("“(Reuters) - Xi wrote.”", (3,))]
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
    assert [v.reason for v in result.verdicts] == ["ok", "name 'Kim' not in the source", "no citation"]
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


XI = ("Chinese President Xi Jinping on Wednesday said he hopes Beijing and Pyongyang will pursue sustainable "
      "soundness and stable development in relations")


@pytest.mark.parametrize("claim,reason", [
    ("Xi said he hopes Beijing and Pyongyang will pursue stable development.", "ok"),
    ("Xi said he does not hope Beijing and Pyongyang will pursue stable development.", "negated"),
    ("Kim said he hopes Beijing and Pyongyang will pursue stable development.", "name 'Kim' not in the source"),
    ("On Friday Xi said he hopes Beijing and Seoul will pursue stable development.",
     "date differs: Friday vs Wednesday"),
    ("Xi rejected any development of relations with Pyongyang.", "'reject' contradicts the source's 'hope'"),
])
def test_the_issues_five_claims_get_their_verdicts_with_reasons(claim, reason):
    judgment = judge(claim, XI)
    assert judgment.reason == reason and judgment.supported is (reason == "ok")


@pytest.mark.parametrize("claim,evidence,reason", [
    ("Kim wrote to Xi.", "Xi wrote to Kim.", "roles swapped: the source's 'write' goes from Xi to Kim"),
    ("The ministry denied the report.", "The ministry confirmed the report.",
     "'deny' contradicts the source's 'confirm'"),
    ("North Korea fired 14 missiles.", "North Korea fired 12 missiles.", "number 14 not in the source"),
    ("Kim did not reply.", "Kim replied at once.", "negated"),
    ("Xi wrote to Kim in July 2016.", "Xi wrote to Kim in July 2016, KCNA said.", "ok"),
    ("He said it was not a rare message.", "He said it was not a rare message.", "ok"),  # negation kept
    ("It was a rare message.", "It was not an ordinary letter, but it was a rare message.", "ok"),  # other clause
])
def test_judge_names_the_check_that_failed(claim, evidence, reason):
    assert judge(claim, evidence).reason == reason


DRILLS = "Its activities included artillery drills and flights by warplanes."
MOU = "The MOU declined to comment on whether ties were improving."


@pytest.mark.parametrize("claim,evidence,reason", [
    # a name in another's part, found by the word before it ("to", "from", "by", "against")
    ("Trump sent a courteous letter to Kim.", "The talks were revived after a courteous letter to Trump from Kim.",
     "roles swapped: the source has 'to Trump', not 'to Kim'"),
    ("North Korea signalled a willingness to support sanctions against China.",
     "China expressed a willingness to support sanctions against North Korea.",
     "roles swapped: the source has 'against North Korea', not 'against China'"),
    # the word before an organisation's head noun changed
    ("The defence ministry spokeswoman said so.", "The foreign ministry spokeswoman said so.",
     "organisation differs: 'defence ministry' vs 'foreign ministry'"),
    # a place named by its people's word is the same place
    ("North Koreans rejoiced over the great prosperity of China.",
     "The North Korean people rejoiced over the great prosperity of the Chinese nation.", "ok"),
    # "would not say" restates "declined to comment"; "did not believe" does not
    ("The MOU would not say whether ties were improving.", MOU, "ok"),
    ("The MOU did not believe ties were improving.", MOU, "negated"),
    # synonyms and words of one root are no added fact; three unrelated content words are
    ("Analysts described the letter as baby steps toward renewed relations, ahead of Trump's first trip to Asia.",
     "The letter, which analysts have called baby steps to renewed relations, comes before Trump's first visit "
     "to Asia.", "ok"),
    ("Its activities included artillery drills, flights by warplanes and a submarine-launched missile test.", DRILLS,
     "adds what the source does not say: submarine, launched, missile"),
    # a country's other names are the country, but a capital named as a place is the city
    ("Pyongyang backed the plan, KCNA said.", "North Korea backed the plan, KCNA said.", "ok"),
    ("The official will visit the DPRK soon.", "The official will visit North Korea soon.", "ok"),
    ("Hua told a briefing in Pyongyang that the message was one of many.",
     "Hua told a briefing in Beijing that North Korea's message was one of many.", "name 'Pyongyang' not in the source"),
    # the same country under two names can still swap parts
    ("The statement condemned proposals by Pyongyang for a pause in Chinese tests.",
     "The statement condemned proposals by Beijing for a pause in North Korean tests.",
     "roles swapped: the source has 'by Chinese', not 'by Pyongyang'"),
    # "no message" is "did not report any message"; a verb negated in the source and asserted is not
    ("State media reported no message from Kim.", "State media did not report any message from Kim.", "ok"),
    ("State media reported a message from Kim.", "State media did not report any message from Kim.", "negated"),
])
def test_judge_catches_moved_names_other_bodies_and_added_facts_but_not_paraphrases(claim, evidence, reason):
    assert judge(claim, evidence).reason == reason


def test_extractive_quotes_are_their_own_evidence():
    quote = "Chinese foreign ministry spokeswoman Hua Chunying told a regular press briefing in Beijing on Thursday."
    assert judge(f"Hua Chunying — “{quote}”", quote).supported


def test_possessives_and_non_breaking_spaces_are_the_same_words():
    assert judge("Relations soured over North Korea’s nuclear program.",
                 "Relations soured over North\u00a0Korea’s nuclear program.").supported


def test_each_verdict_carries_its_text_and_whether_the_answer_shows_it():
    from rag.cite import check_citations

    result = check_citations("Xi wrote to Kim. [1] Kim flew to the Moon. [1]", {1: "Xi wrote to Kim."}, 0.5,
                             drop_unsupported=True)
    good, bad = result.verdicts
    assert (good.text, good.shown, bad.shown) == ("Xi wrote to Kim. [1]", True, False)
    assert result.text == " ".join(v.text for v in result.verdicts if v.shown)
    assert good.to_json()["text"] == "Xi wrote to Kim. [1]" and bad.to_json()["shown"] is False


def test_span_context_is_the_title_and_the_sentences_around_the_span():
    text = "Amazon results\n\nAmazon grew fast. The firm hired. The company raised its outlook. Shares rose."
    start = text.index("The company")
    end = text.index("outlook.") + len("outlook.")
    assert span_context(text, start, end) == "Amazon results\nAmazon grew fast.\nThe firm hired.\nShares rose."


@pytest.mark.parametrize("claim,evidence,context,reason", [
    # the span opens by referring back, and the claim opens with whom it refers to
    ("Amazon raised its outlook.", "The company raised its outlook.", "Amazon results\nAmazon grew fast.", "ok"),
    ("The ECB cut its emergency rate.", "It cut its emergency rate.", "ECB cuts rates\nThe ECB met.", "ok"),
    # a name from around the span, anywhere else in the claim, is still not the span's
    ("The company raised its outlook for Google.", "The company raised its outlook.", "Google results",
     "name 'Google' not in the source"),
    # a span that names its own subject gives nothing to take from around it
    ("Amazon raised its outlook.", "Ebay raised its outlook.", "Amazon results", "name 'Amazon' not in the source"),
    ("Amazon raised its outlook.", "The company raised its outlook.", "", "name 'Amazon' not in the source"),
])
def test_a_claim_may_name_whom_the_span_refers_back_to(claim, evidence, context, reason):
    assert judge(claim, evidence, context=context).reason == reason


def test_check_citations_passes_each_citations_context_to_the_judge():
    result = check_citations("Amazon raised its outlook. [1]", {1: "The company raised its outlook."},
                             contexts={1: "Amazon results"})
    assert result.supported and result.verdicts[0].reason == "ok"
    assert not check_citations("Amazon raised its outlook. [1]", {1: "The company raised its outlook."}).supported


def test_two_verbs_with_each_others_doers_are_swapped_roles():
    judgment = judge("The move surprised markets: European shares fell sharply while the euro rose.",
                     "The move surprised markets: the euro fell sharply while European shares rose.")
    assert judgment.reason == "roles swapped: in the source the euro does the 'fall' and European shares the 'rise'"


def test_a_ticker_or_acronym_in_parentheses_is_the_name_before_it():
    from rag.cite import _abbreviations, judge

    assert _abbreviations("Hewlett-Packard Co ( HPQ.N ) jumped, the International Monetary Fund (IMF) said") == \
        {"HPQ.N": "Hewlett-Packard Co", "IMF": "International Monetary Fund"}
    assert _abbreviations("shares rose (see chart) on Monday") == {}
    evidence = ("After the market close, shares of Hewlett-Packard Co ( HPQ.N ) jumped 10 percent after the "
                "company raised the lower end of its full-year outlook.")
    dropped = "After the market close, shares of Hewlett-Packard Co jumped 10 percent after the company raised the " \
              "lower end of its full-year outlook."
    assert judge(dropped, evidence).supported  # the ticker left out is not another doer of "jumped"
    added = dropped[:-1] + " and announced further job cuts."
    assert judge(added, evidence).reason.startswith("adds what the source does not say")


def test_names_sharing_a_word_are_one_only_when_one_holds_the_other():
    from rag.cite import _known_as, judge

    kim = {"kim": [frozenset({"kim", "jong", "un"})]}
    assert _known_as(["kim"], kim) == "kim" and _known_as(["jong", "un"], kim) == "kim"
    assert _known_as(["kim", "yo", "jong"], kim) == "kim yo jong"  # another Kim
    assert _known_as(["wells", "fargo"], {"wells": [frozenset({"wells", "fargo"})]}) == "wells"
    assert judge("American Realty Capital Trust Inc plans to acquire Realty Income Corp for $1.9 billion.",
                 "Realty Income Corp plans to acquire American Realty Capital Trust Inc for $1.9 billion.").reason == \
        "roles swapped: the source's 'acquire' goes from Realty Income Corp to American Realty Capital Trust Inc"
    assert not judge("Kim Jong Un met Kim Yo Jong in Pyongyang.", "Kim Yo Jong met Kim Jong Un in Pyongyang.").supported
    for claim, evidence in [("Bosch said it would cut jobs.", "Robert Bosch GmbH said Bosch would cut jobs."),
                            ("Wells Fargo said it would cut jobs.", "Wells Fargo & Co said it would cut jobs.")]:
        assert judge(claim, evidence).supported


_CHERRY = "Cherry has provided commentary on the show for more than three decades."
_INVESTMENT = "Business investment fell at a 2.7% annual rate in the July-September period, more than double the fall."
_PBS = "PBS member stations and a public television station in rural Minnesota filed suit on Friday."
_ROJAS = "Rojas also said investigators were still trying to determine a motive for Friday's attack."
_TRUCK = "“We have no idea at the moment how long the truck spent in Belgium,” the spokesman said."
_WARREN_ADS = "More than a dozen other Facebook ads from Warren were not affected."
_BONDI = "Bondi came under heavy criticism after she asked then-Gov. Rick Scott to move the date of an execution."
_POWELL = "Asked about the taunt, Powell declined, as he has before, to respond directly."
_BLAMED = "Republicans blamed Paul rather than the leader for the expiration."
_UN_WORK = "The UN says that without support it is difficult to expand its work."
_DIRECTIVE = ("Schools are obligated to treat students according to their gender identity, and there is no "
              "obligation for students to present a medical diagnosis.")
_ROLLINS = "The shooter, Austin Rollins, 17, was the only fatality."
_GUIDELINES = "Current guidelines are inadequate to address the challenge."
_PROTECT_LIFE = "The Protect Life Rule stops clinics from receiving funding if they share office space with abortion providers."
_ACCOUNTS = "A number of non-verified accounts were also suspended."
_FURTHER = "The Democrat has staked out a stance toward tech companies, going further than other candidates."


@pytest.mark.parametrize("claim,evidence,reason", [
    # an acronym and the name it stands for, either way; another acronym is another name
    ("Poland joined the EU 15 years ago.", "Poland joined the European Union 15 years ago.", "ok"),
    ("Poland joined the European Union 15 years ago.", "Poland joined the EU 15 years ago.", "ok"),
    ("Poland joined NATO 15 years ago.", "Poland joined the European Union 15 years ago.", "name 'NATO' not in the source"),
    # "according to X" says who says it
    ("According to Bellingcat, Fedotov was born in Kazakhstan in 1973.",
     "The man known as Fedotov was born in Kazakhstan in 1973, according to Bellingcat.", "ok"),
    # "raising the possibility" moves the possibility, not the economy; "cut its forecast" moves the forecast
    ("Germany said its economy contracted, raising the possibility of a recession.",
     "Germany reported that its economy shrank, opening up the possibility of a recession.", "ok"),
    ("Walmart reported strong sales but cut its forecast for the year.",
     "Walmart reported strong sales and upped its forecast for the year.", "'cut' contradicts the source's 'upped'"),
    # "no longer expect" negates "expect"
    ("Goldman still expects a trade deal with China before the election.",
     "Goldman no longer expects a trade deal with China before the election.", "negated"),
    ("The Kremlin confirmed the reports on Friday.", "The Kremlin dismissed the reports on Friday.",
     "'confirm' contradicts the source's 'dismiss'"),
    # decades are years, "no one" is no count
    ("Cherry has provided commentary on the show for over 30 years.", _CHERRY, "ok"),
    ("Cherry has provided commentary on the show for over 40 years.", _CHERRY, "number 40 not in the source"),
    ("Cherry has provided commentary on the show for two decades.", _CHERRY, "number 20 not in the source"),
    ("Cherry has provided commentary on the show for three decades.",
     "Cherry has provided commentary on the show for 30 years.", "ok"),
    ("Officials said no one had asked them to slow down testing.",
     "Officials also said they have not been asked to slow down testing.", "ok"),
    # another multiple or unit is another number
    ("Infections in Texas have tripled since May.", "Infections in Texas have doubled since May.",
     "number differs: tripled vs doubled"),
    ("Infections in Texas have doubled since May.", "Infections in Texas have doubled since May, officials said.", "ok"),
    ("The park is about 40 miles east of London.", "The park is 25 miles (40 kilometers) east of London.",
     "number differs: 40 miles vs 40 kilometers"),
    ("The park is about 25 miles east of London.", "The park is 25 miles (40 kilometers) east of London.", "ok"),
    ("The park is 40 km east of London.", "The park is 25 miles (40 kilometers) east of London.", "ok"),
    # a quarter that is a period, and "twice" for "double", are no new numbers
    ("Business investment declined at a 2.7% annual rate in the July-September quarter.", _INVESTMENT, "ok"),
    ("Business investment declined by a quarter in the July-September period.", _INVESTMENT,
     "number 'quarter' not in the source"),
    ("Business investment fell at a 2.7% annual rate in the July-September period, more than twice the fall.",
     _INVESTMENT, "ok"),
    ("Business investment fell at a 2.7% annual rate in the July-September period, more than twice the fall.",
     _INVESTMENT.replace("double", "triple"), "number 'twice' not in the source"),
    # an acronym WordNet spells out, or an opening adjective, is no new name; the UK's nations are places
    ("A public TV station in rural Minnesota sued on Friday.", _PBS, "ok"),
    ("A public CNN station in rural Minnesota sued on Friday.", _PBS, "name 'CNN' not in the source"),
    ("Longtime PBS member stations in rural Minnesota sued on Friday.", _PBS, "ok"),
    ("Minnesota PBS member stations in rural Minnesota sued on Friday.", _PBS, "ok"),
    ("Ohio PBS member stations in rural Minnesota sued on Friday.", _PBS, "name 'Ohio PBS' not in the source"),
    ("An English public television station sued on Friday.", _PBS, "name 'English' not in the source"),
    # an opening word where the source opens with a name is a name; where it opens with none, it is not
    ("Twitter removed several ads placed by Warren's campaign.",
     "Facebook removed several ads placed by Warren's campaign.", "name 'Twitter' not in the source"),
    ("Ties between the allies have suffered this year.", "Relations between the allies have taken a hit this year.",
     "ok"),
    # a phrase of new words is an added fact though it has only two
    ("Rojas said investigators were still trying to determine a motive for Friday's attack, which began in a "
     "classroom building.", _ROJAS, "adds what the source does not say: 'which began in a classroom building'"),
    ("Rojas said investigators were still trying to find a motive for Friday's attack.", _ROJAS, "ok"),
    # a hyphened word is the source's word written as one
    ("On Monday the storm hit towns in north-west Spain.", "The storm hit towns in northwest Spain on Monday.", "ok"),
    ("On Monday the storm hit towns in northwest Spain.", "The storm hit towns in north-west Spain on Monday.", "ok"),
    # a word put where the source has its negation drops it; what the source says is not known is not told as known
    ("Operations at Catania Airport, due south of Etna, were suspended.",
     "Operations at Catania Airport, due south of Etna, weren't affected.", "negated"),
    ("Operations at Catania Airport, south of Etna, were not affected.",
     "Operations at Catania Airport, due south of Etna, weren't affected.", "ok"),
    ("The spokesman said investigators knew how long the truck spent in Belgium.", _TRUCK,
     "negated: the source says it is not known how long …"),
    ("The spokesman said it was unclear how long the truck spent in Belgium.", _TRUCK, "ok"),
    ("The spokesman said the truck spent time in Belgium.", _TRUCK, "ok"),
    # the opposite of what the source negates keeps its meaning; "less" of the source's word turns its comparative
    ("Over a dozen of Warren's other Facebook ads were left untouched.", _WARREN_ADS, "ok"),
    ("Over a dozen of Warren's other Facebook ads were left affected.", _WARREN_ADS, "negated"),
    ("The Democrat has taken a stance toward tech companies, going less far than other candidates.", _FURTHER,
     "'less' contradicts the source's 'further'"),
    ("The Democrat has taken a stance toward tech companies, going farther than other candidates.", _FURTHER, "ok"),
    # reasons name the whole name, and the source's date of the same kind
    ("Half of the districts, including New York, reported effects.", "Half of the districts reported effects.",
     "name 'New York' not in the source"),
    ("The committee launched a probe of the operations in June.",
     "POLITICO on Friday reported that the committee launched a probe of the operations in April.",
     "date differs: June vs April"),
    ("Caal crossed the border on Dec. 1.", "Caal crossed the border on Dec. 6.", "date differs: Dec. 1 vs Dec. 6"),
    # the source's other party made the doer, where the source's doer is a pronoun
    ("Then-Gov. Rick Scott asked Bondi to move the date of an execution.", _BONDI,
     "roles swapped: in the source the 'ask' goes to Then-Gov Rick Scott"),
    # a pronoun on the other side each time: "he called Pritzker" for "Pritzker called him"
    ("Bailey said he called Pritzker on April 18 to discuss the economic impacts.",
     "Bailey said Pritzker called him April 18 to discuss the economic impacts.",
     "roles swapped: in the source Pritzker does the 'call'"),
    # the reason names the doer as the source writes it, not by a first name alone
    ("South Korea said Monday that it wants the United States to pay more for the American military presence.",
     "The revelation comes after President Donald Trump said Monday that he wants South Korea to pay more for the "
     "U.S. military presence there.", "roles swapped: in the source Donald Trump said"),
    ("Bailey said Pritzker called him on April 18 to discuss the economic impacts.",
     "Bailey said Pritzker called him April 18 to discuss the economic impacts.", "ok"),
    ("Bondi asked then-Gov. Rick Scott to move the date of an execution.", _BONDI, "ok"),
    # a refusal with an aside before its "to" is still a refusal
    ("Powell again refused to answer the taunt directly.", _POWELL, "ok"),
    ("Powell again agreed to answer the taunt directly.", _POWELL, "'agree' contradicts the source's 'decline'"),
    # what the source declines to do, told as done, is negated; told as not done, it is kept
    ("Powell responded directly.", "Powell declined to respond directly.", "negated"),
    ("Powell would not respond directly.", "Powell declined to respond directly.", "ok"),
    # a refusal the claim keeps, or a "decline" that is a noun, is no negation
    ("Critics chastised China for failing to hold North Korea accountable.",
     "Critics chastised China for failing to hold North Korea accountable by not adhering to sanctions.", "ok"),
    ("A White House chart credited US-led containment efforts for the decline in new cases.",
     "New cases plummeted, according to a White House chart, which attributed the decline to US-led containment "
     "efforts.", "ok"),
    # what follows "rather than" traded with what goes before it
    ("Republicans blamed the leader rather than Paul for the expiration.", _BLAMED,
     "roles swapped: the source has 'than the leader', not 'than Paul'"),
    ("Republicans blamed Paul instead of the leader for the expiration.", _BLAMED, "ok"),
    # a verb with "down" goes down; "both" are two; other words for a date
    ("Iranian forces downed the drone this week.", "Iranian forces shot down the drone this week.", "ok"),
    ("The two women both serve in the House.", "Both women serve in the House.", "ok"),
    ("The three women serve in the House.", "Both women serve in the House.", "number 'three' not in the source"),
    ("Most troops can go home by late April.", "Most troops can go home by the end of April.", "ok"),
    ("Most troops can go home by late May.", "Most troops can go home by the end of April.",
     "date differs: late May vs April"),
    ("Claims jumped to 3.28 million last week.", "Claims soared to 3.28 million in the past week.", "ok"),
    # names in the plural, clipped, dotted or owned
    ("Each of the last eight Super Bowls drew 100 million viewers.",
     "The past eight Super Bowl games drew 100 million viewers.", "ok"),
    ("Each of the last eight Super Cups drew 100 million viewers.",
     "The past eight Super Bowl games drew 100 million viewers.", "name 'Super Cups' not in the source"),
    ("Fed Chairman Jerome Powell said so.", "Federal Reserve Chairman Jerome Powell said so.", "ok"),
    ("Officials at Russia's U.N. mission left.", "Officials at Russia’s mission at the United Nations left.", "ok"),
    ("Officials at Russia's E.U. mission left.", "Officials at Russia’s mission at the United Nations left.",
     "name 'E.U' not in the source"),
    ("The American troops went home.", "The US troops went home.", "ok"),
    # opposites of amount and stance; an antonym at the head of a longer run
    ("The chair has minimal clout in the party.", "The chair has substantial clout in the party.",
     "'minimal' contradicts the source's 'substantial'"),
    ("Rights groups condemned the decision.", "Rights groups lauded the decision.", "'condemn' contradicts the source's 'laud'"),
    ("His speech reinforced the narrative of scandal.", "His speech was meant to counter the narrative of scandal.",
     "'reinforce' contradicts the source's 'counter'"),
    ("McConnell dropped his pledge not to hold a hearing.", "McConnell maintained his pledge to not hold a hearing.",
     "'drop' contradicts the source's 'maintain'"),
    ("The bill's fate is all but assured.", "The bill faces an uncertain fate.",
     "'assure' contradicts the source's 'uncertain'"),
    ("The UN says that without support it is easy for the agency and its partners to expand its work.", _UN_WORK,
     "'easy' contradicts the source's 'difficult'"),
    ("The UN says that without support it is hard for the agency and its partners to expand its work.", _UN_WORK, "ok"),
    ("The department plans to create a force made up of fighters.",
     "The department will set up a force comprising fighters.", "ok"),
    # a modal word the source negates, asserted before the verb it governs there
    ("Students must present a medical diagnosis before schools treat them.", _DIRECTIVE, "negated"),
    ("Schools must treat students according to their gender identity.", _DIRECTIVE, "ok"),
    ("Students do not have to present a medical diagnosis.", _DIRECTIVE, "ok"),
    # a refusal as a noun, and a refused verb the source also has elsewhere
    ("The commission warned the judge over her refusal to perform same-sex marriages.",
     "The judge was warned by the commission for refusing to perform same-sex marriages.", "ok"),
    ("The judge performed opposite-sex weddings while declining same-sex ceremonies.",
     "The judge had performed opposite-sex weddings but has declined to perform same-sex ceremonies.", "ok"),
    # "once" before a verb is "formerly"; "first" may be the source's "initial"
    ("Kudlow once worked for the Federal Reserve Bank of New York.",
     "Kudlow’s career includes stints working for the Federal Reserve Bank of New York.", "ok"),
    ("Kudlow worked for the bank only once.", "Kudlow worked for the bank three times.",
     "number 'once' not in the source"),
    ("On the first leg of the flight, Pompeo told reporters he was thrilled.",
     "Pompeo told reporters during the initial leg of the flight that he was thrilled.", "ok"),
    ("On the first leg of the flight, Pompeo told reporters he was thrilled.",
     "Pompeo told reporters during the second leg of the flight that he was thrilled.",
     "number 'first' not in the source"),
    # a comma before a name that does a verb ends what "to" governs; a phrasal verb goes its own way
    ("On the flight to Japan, Pompeo told reporters he was thrilled.",
     "Pompeo told reporters on the flight to Japan that he was thrilled.", "ok"),
    ("Trump directed the Pentagon to set up a space force as the sixth branch of the armed forces.",
     "Trump ordered the Pentagon to establish a space force that would become the sixth branch of the armed forces.",
     "ok"),
    # an age the source gives after a name; a word negated by its prefix, either way, unless the claim negates it
    ("The 17-year-old shooter, Austin Rollins, was the only person who died.", _ROLLINS, "ok"),
    ("The 18-year-old shooter, Austin Rollins, was the only person who died.", _ROLLINS, "number 18 not in the source"),
    ("Sen. Corker was left unmoved by the gesture.", "The gesture moved Sen. Corker to tears.",
     "negated: 'unmoved' for the source's 'moved'"),
    ("Guidelines are adequate to address the challenge.", _GUIDELINES, "negated: 'adequate' for the source's 'inadequate'"),
    ("Existing guidelines cannot adequately address the challenge.", _GUIDELINES, "ok"),
    ("Almost half of the infections were symptomatic when tested.",
     "Almost half of the infections were asymptomatic when they were tested.",
     "negated: 'symptomatic' for the source's 'asymptomatic'"),
    ("Almost half of the infections showed no symptoms when tested.",
     "Almost half of the infections were asymptomatic when they were tested.", "ok"),
    ("Fans gathered abroad to watch.", "Fans gathered broad smiles to watch.", "ok"),
    ("He could not attend the meeting.", "He was unable to attend the meeting.", "ok"),
    # "could not" for "was unable to" with another verb, "does not have" for "lacks", "neither ... nor" once
    ("Kelly spent three nights in jail because he could not come up with the $100,000 required to post bond.",
     "Kelly spent three nights in jail because he was unable to raise the $100,000 he needed to post bond.", "ok"),
    ("Kelly spent three nights in jail because he did not want to come up with the $100,000 required to post bond.",
     "Kelly spent three nights in jail because he was unable to raise the $100,000 he needed to post bond.", "negated"),
    ("The court found that the governor does not have the legal authority to order it.",
     "The court found that the governor lacks the legal authority to order it.", "ok"),
    ("The court found that the governor has the legal authority to order it.",
     "The court found that the governor lacks the legal authority to order it.", "'has' contradicts the source's 'lacks'"),
    ("Cobb said Trump was neither considering nor discussing firing Mueller.",
     "Cobb said Trump was not considering or discussing firing Mueller.", "ok"),
    ("Cobb said Trump was neither considering nor discussing firing Mueller.",
     "Cobb said Trump was considering and discussing firing Mueller.", "negated"),
    # "none of the three entered" bears on "entered"
    ("All three men entered pleas to the charges in the courtroom.",
     "None of the three entered pleas to the charges after they were brought into the courtroom.", "negated"),
    ("The three men were brought into the courtroom.",
     "None of the three entered pleas to the charges after they were brought into the courtroom.", "ok"),
    ("He was able to attend the meeting.", "He was unable to attend the meeting.", "negated"),
    # "stops X from" negates what follows; a "no" vote is no negation
    ("Under the rule, clinics that share space with abortion providers cannot receive funding.", _PROTECT_LIFE, "ok"),
    ("Under the rule, clinics that share space with abortion providers can receive funding.", _PROTECT_LIFE, "negated"),
    ("The rule bars clinics that share office space with abortion providers from receiving funding.", _PROTECT_LIFE,
     "ok"),
    ("Coons intends to oppose Pompeo in the final vote.", 'Coons says he plans to vote "no" on Pompeo in the final vote.',
     "ok"),
    ("Coons plans to vote yes on Pompeo.", 'Coons says he plans to vote "no" on Pompeo.', "'yes' contradicts the source's 'no'"),
    # ", not" marks a side; more curated opposites; a noun of the root the source negates
    ("The complaint was brought by a member of the public, not by the commission itself.",
     "The complaint was brought by the commission itself, not a member of the public.",
     "roles swapped: the source has 'not a member', not 'not by the commission'"),
    ("Trading will probably become calmer over the next few years.",
     "Trading will probably be more volatile in the next few years.", "'calm' contradicts the source's 'volatile'"),
    ("The court has unanimously ruled against the policy.", "The court has unanimously delivered a ruling in favor of "
     "the policy.", "'against' contradicts the source's 'favor'"),
    ("The indictment alleges American citizens committed crimes.",
     "There is no allegation in this indictment that any American citizen committed a crime.", "negated"),
    # what "before" places ends at a comma
    ("Two days before the reversal, Mulvaney had announced that the summit would be held at Doral.",
     "The change came two days after Mulvaney announced that Doral would host the summit.", "ok"),
    # "non-" negates too, and another negative prefix says the same
    ("Several verified accounts were suspended.", _ACCOUNTS, "negated: 'verified' for the source's 'non-verified'"),
    ("Several unverified accounts were suspended.", _ACCOUNTS, "ok"),
    # who holds it: another holder that is no synonym
    ("The attack hit a government-held town near the capital.", "The attack hit a rebel-held town near the capital.",
     "'government-held' contradicts the source's 'rebel-held'"),
    ("The state-run broadcaster said so.", "The government-run broadcaster said so.", "ok"),
    # an abbreviated US title ends a name, so the reason names the name
    ("Nevada Rep. Ben McAdams said he tested positive.", "Utah Rep. Ben McAdams said he tested positive.",
     "name 'Nevada' not in the source"),
    ("Sen. Mark Warner said so on Sunday.", "Sen. Mike Lee said so on Sunday.", "name 'Mark Warner' not in the source"),
])
def test_paraphrase_kinds_from_fresh_news(claim, evidence, reason):
    assert judge(claim, evidence).reason == reason


@pytest.mark.parametrize("claim,evidence", [
    # the verb behind the negation, past "appear to" (Guardian batch, dev-h)
    ("Analysts said the configuration allows for concurrent takeoffs.",
     "Analysts said the configuration doesn’t appear to allow for concurrent takeoffs."),
    ("Abbott was suspended after saying she regretted her remarks.",  # "regretted" is "regret"
     "Abbott was suspended after saying she did not regret her remarks."),
    ("The unit has already arrived at the council.", "The unit has yet to arrive at the council."),  # "yet to"
])
def test_a_negation_reaches_its_verb_through_its_inflections_and_raising_verbs(claim, evidence):
    assert judge(claim, evidence).reason == "negated"


def test_not_disclosing_restates_failing_to_say():
    evidence = "An inquiry found she failed to say that the nominee had donated to her."
    assert judge("An inquiry found she had not disclosed that the nominee had donated to her.", evidence).supported


def test_another_unit_of_time_is_another_date():
    evidence = "Her apology comes a week after the chancellor made her own written apology."
    assert judge("Her apology came a month after the chancellor's written apology.", evidence).reason == \
        "date differs: month vs week"
    assert judge("Her apology came a week after the chancellor's written apology.", evidence).supported
    assert _time_units("a second term for two weeks and 3 seconds".split()) == {"week", "second"}


def test_words_that_spell_out_the_sources_acronym_are_its_words():
    evidence = "Tesla shareholders approved a $1tn compensation plan for CEO Elon Musk on Thursday."
    assert judge("On Thursday Tesla shareholders approved a $1tn pay plan for chief executive Elon Musk.",
                 evidence).supported
    assert _spelled_out("ceo", ["the", "chief", "executive", "said"]) == ["chief", "executive"]
    assert _spelled_out("ceo", ["the", "company", "chief"]) == [] and _spelled_out("eu", ["the", "union"]) == []


def test_a_describing_word_before_an_organisation_noun_is_no_other_organisation():
    evidence = "The Fujian is the third carrier for China’s rapidly expanding navy."
    assert judge("The Fujian is the third carrier in China's fast-growing navy.", evidence).supported
    assert judge("Talks were led by the defence ministry.", "Talks were led by the foreign ministry.").reason == \
        "organisation differs: 'defence ministry' vs 'foreign ministry'"


def test_a_passive_read_as_active_keeps_its_roles():
    # word order says nothing across voices: "Boston was led by Brown" is "Brown led Boston"
    evidence = "Defending champion Boston was led by Jaylen Brown, who had 20 points."
    assert judge("Jaylen Brown led Boston with 20 points.", evidence).supported
    assert not judge("Boston led Jaylen Brown with 20 points.", evidence).supported
    # the voice comes from the parse, not from a "by" right after the verb
    assert judge("Jaylen Brown led Boston on Sunday.", "Boston was led on Sunday by Jaylen Brown.").supported


def test_a_word_the_claim_keeps_in_another_form_is_not_traded_for_its_opposite():
    # the claim keeps the source's "broke" as "had broken": "had" is no opposite of it
    evidence = "The officials said the company broke export rules in 2021."
    assert judge("The officials said the company had broken export rules in 2021.", evidence).supported
    assert judge("The envoy was accused of helping to smuggle weapons.",
                 "The envoy was accused of facilitating the smuggling of weapons.").supported
    # trading it away is still caught, and only the claim's side counts: "passed" drops "failed to pass"
    assert judge("The officials said the company obeyed export rules in 2021.", evidence).reason.startswith("'obeyed'")
    assert not judge("The bill passed in the Senate last year.", "The bill, which failed to pass in the Senate "
                     "last year, returned this week.").supported


def test_a_names_acronym_or_hyphened_description_is_the_sources_name():
    evidence = "A tax bill being considered in the United States Congress was backed by President Donald Trump."
    assert judge("The tax bill before the US Congress was backed by Trump.", evidence).supported
    assert judge("The Trump-supported tax bill is before the United States Congress.", evidence).supported
    # the name itself must still be the source's, and an unrelated description is a name not in the source
    assert judge("The tax bill before the UK Congress was backed by Trump.", evidence).reason == \
        "name 'UK Congress' not in the source"
    assert not judge("The Biden-backed tax bill is before the United States Congress.", evidence).supported
    assert not judge("The Trump-vetoed tax bill is before the United States Congress.", evidence).supported
    assert judge("Governor Phil Murphy and NJ Transit CEO Kris Kolluri spoke.", "New Jersey Governor Phil Murphy "
                 "and NJ Transit's Chief Executive Officer Kris Kolluri spoke.").supported


def test_a_name_in_an_apposition_before_the_verb_is_not_its_doer():
    evidence = "The first chair of UNICEF, Maria Lind, resigned on Monday, citing pressure."
    assert judge("Maria Lind, the first chair of UNICEF, resigned on Monday.", evidence).supported
    # a doer without a name may still be the name before the verb: the spokesman's side is swapped
    evidence = 'A spokesman for Leeds Council said: "The problem is with Royal Mail."'
    assert not judge('A spokesman for Royal Mail said: "The problem is with Leeds Council."', evidence).supported


def test_a_negation_the_claim_keeps_is_not_dropped_because_another_is():
    evidence = "The firms have not paid their staff. They have not answered our letters, the union says."
    assert judge("The union says the firms have not answered its letters.", evidence).supported
    assert judge("The union says the firms have answered its letters.", evidence).reason == "negated"


def test_a_marker_governs_no_name_past_the_end_of_a_quote():
    evidence = '"The mayor will limit funding to the Met and the Tate," City Hall spokesperson Ann Cole said.'
    assert judge("City Hall spokesperson Ann Cole said the mayor will limit funding to the Met and the Tate.",
                 evidence).supported
    evidence = '"The mayor sent the letter to Bob Tate," City Hall spokesperson Ann Cole said.'
    assert judge("City Hall spokesperson Bob Tate said the mayor sent the letter to Ann Cole.", evidence).reason == \
        "roles swapped: the source has 'to Bob Tate', not 'to Ann Cole'"


def test_a_negation_dropped_from_an_irregular_verb_is_caught():
    evidence = "The minister did not say when the ban would start."
    assert judge("The minister said the ban would start immediately.", evidence).reason == "negated"
    assert judge("The minister did not say when the ban would start.", evidence).supported


def test_a_name_may_fill_a_pronoun_or_description_from_the_spans_context():
    evidence = "The designation means that those accused of supporting it will face criminal prosecution."
    context = "Russia bans Amnesty\nRussia has designated Amnesty International an undesirable organisation."
    assert judge("Those accused of supporting Amnesty will face criminal prosecution.", evidence, context=context).supported
    # not a name the context lacks, nor one put for a name of the source
    assert judge("Those accused of supporting Greenpeace will face criminal prosecution.", evidence,
                 context=context).reason == "name 'Greenpeace' not in the source"
    evidence = "The designation means that those accused of supporting Oxfam will face criminal prosecution."
    assert not judge("Those accused of supporting Amnesty will face criminal prosecution.", evidence,
                     context=context).supported


def test_a_country_in_a_name_may_be_the_sources_nationality():
    evidence = "He celebrated a deal between the American steelmaker and the Japanese company Nippon Steel."
    assert judge("He celebrated a deal between the American steelmaker and Japan's Nippon Steel.", evidence).supported
    assert judge("He celebrated a deal between the American steelmaker and Korea's Nippon Steel.", evidence).reason == \
        "name 'Korea' not in the source"  # an owner's name ends at its "'s"


def test_a_more_general_word_is_no_new_fact_but_a_more_specific_one_is():
    from rag.cite import _unrelated

    evidence = "many ships on the routes have been diverted".split()
    assert _unrelated(["vessels"], evidence) == []  # a ship is a vessel
    assert _unrelated(["frigates"], evidence) == ["frigates"]  # a ship need not be a frigate


def test_a_count_written_out_is_its_digits_and_an_opening_word_is_no_part_of_a_name():
    evidence = "A shooting early Sunday left 10 people wounded, after five days of calm, police said."
    assert judge("Ten people were wounded early Sunday, police said.", evidence).supported
    assert judge("Eleven people were wounded early Sunday, police said.", evidence).reason == \
        "number 'eleven' not in the source"
    assert judge("Police said 5 days of calm ended early Sunday.", evidence).supported
    # a digit inside another number is not the count ("4.1" holds no "four")
    assert not judge("After four days of calm, 10 people were wounded.", "After five days of calm, 4.1% of 10 people "
                     "were wounded.").supported
    # "Although" opens the sentence: the name is Beijing
    assert judge("Although Beijing was frustrated, it backed new UN measures.",
                 "But Beijing was frustrated, and backed new UN measures.").reason != \
        "name 'Although Beijing' not in the source"


def test_a_dropped_negation_is_caught_through_a_near_synonym_of_its_verb():
    evidence = "The ministry said families had not been informed when the crossing would open."
    assert judge("The ministry said families had been told when the crossing would open.", evidence).reason == "negated"
    assert judge("The ministry said families had not been told when the crossing would open.", evidence).supported

