"""Which side of a relation each thing is on: side words, owners of verbs and numbers, "respectively" lists and
the way each owner moves, each judged through `rag.cite.judge`."""

from __future__ import annotations

import pytest

from rag.cite import judge
from rag.roles import (crossed, flipped_order, reordered, swapped_written_sides, swapped_numbers, swapped_pairs,
                       swapped_result, swapped_sides, swapped_slot, swapped_things, turned_owner)


@pytest.mark.parametrize("evidence,claim,reason", [
    ("Amazon grew faster than the wider online retail industry.",
     "The wider online retail industry grew faster than Amazon.",
     "roles swapped: the source has 'than the wider online retail industry', not 'than Amazon'"),
    ("The euro rose against the dollar on Friday.", "The dollar rose against the euro on Friday.",
     "roles swapped: the source has 'against the dollar', not 'against the euro'"),
    ("Facebook, the most popular site behind Google, drew 30 million visitors.",
     "Google, the most popular site behind Facebook, drew 30 million visitors.",
     "roles swapped: the source has 'behind Google', not 'behind Facebook'"),
    ("Unlike eBay, Amazon sounded upbeat about the holiday season.",
     "Unlike Amazon, eBay sounded upbeat about the holiday season.",
     "roles swapped: the source has 'unlike eBay', not 'unlike Amazon'"),
    ("Demand shifted from desktops to laptops.", "Demand shifted from laptops to desktops.",
     "roles swapped: the source has 'from desktops', not 'from laptops'"),
    ("The jobless rate for college graduates is half that of those with only a high school diploma.",
     "The jobless rate for those with only a high school diploma is half that of college graduates.",
     "roles swapped: the source has 'that of those with only a high school diploma', not 'that of college graduates'"),
    ("The operating margin widened to 5 percent from 4 percent.",
     "The operating margin widened to 4 percent from 5 percent.",
     "roles swapped: the source has 'to 5 percent', not 'to 4 percent'"),
    # two numbers with each other's owners
    ("While North American sales jumped 30 percent to $2 billion, international revenue rose 13 percent.",
     "While North American sales jumped 13 percent to $2 billion, international revenue rose 30 percent.",
     "roles swapped: in the source 13 goes with international revenue and 30 with North American sales"),
    ("Sales in North America rose 30 percent, outpacing international growth of 13 percent.",
     "Sales in North America rose 13 percent, outpacing international growth of 30 percent.",
     "roles swapped: in the source 13 goes with international growth and 30 with Sales"),
    # a number counts what its noun is "in"
    ("Microsoft shares have fallen 2 percent this year, compared to a 5 percent gain in the Nasdaq index.",
     "The Nasdaq index has fallen 2 percent this year, compared to a 5 percent gain in Microsoft shares.",
     "roles swapped: in the source 2 goes with Microsoft shares and 5 with the Nasdaq index"),
    # the two ends of a move, and a ranking's "after"
    ("Shoppers in China were shifting to weekly trips from daily shopping.",
     "Shoppers in China were shifting to daily shopping from weekly trips.",
     "roles swapped: the source has 'to weekly trips', not 'from weekly trips'"),
    ("JPMorgan is the largest U.S. lender after Wells Fargo & Co.", "Wells Fargo is the largest U.S. lender after JPMorgan.",
     "roles swapped: the source has 'after Wells Fargo & Co.', not 'after JPMorgan'"),
])
def test_a_thing_put_on_the_other_side_of_a_relation_or_with_anothers_number_is_a_swap(evidence, claim, reason):
    check = crossed if " goes with " in reason else swapped_sides
    assert check(claim, evidence) == reason
    assert judge(claim, evidence).reason == reason


@pytest.mark.parametrize("evidence,claim", [
    ("Amazon grew faster than the wider online retail industry.", "Amazon grew faster than the online retail industry."),
    ("The euro rose against the dollar on Friday, as traders bet on higher rates.", "The euro rose against the dollar."),
    ("Unlike eBay, Amazon sounded upbeat about the holiday season.", "Amazon, unlike eBay, was upbeat about the holiday season."),
    ("Shares rose to $10 from $9.50.", "Shares rose from $9.50 to $10."),
    ("After the meeting, Kim left for Pyongyang.", "Kim left for Pyongyang after the meeting."),
    ("Sales rose 5 percent in March, the company said.", "The company said sales rose 5 percent in March."),
    # a phrase the claim keeps after the same word elsewhere is not on the other side
    ("The decision might have been taken to cut costs in the run-up to the election.",
     "The decision might have been taken to lower costs in the run-up to the election."),
])
def test_a_relation_with_its_sides_kept_passes(evidence, claim):
    assert swapped_sides(claim, evidence) == ""
    assert judge(claim, evidence).supported


def test_a_word_on_both_sides_of_the_source_does_not_make_two_sides_the_same():
    # "party" is on both sides of "than" in the source, so it cannot say which side "the Freedom Party" is on
    evidence = "The Freedom Party was set to win 20 seats, one more than the Labour and Green parties."
    swapped = "The Labour Party was set to win 20 seats, one more than the Freedom Party."
    assert swapped_sides(swapped, evidence) == \
        "roles swapped: the source has 'than the Labour and Green parties', not 'than the Freedom Party'"
    assert not judge(swapped, evidence).supported
    kept = "The Freedom Party was set to win 20 seats, one more than the Labour Party."
    assert swapped_sides(kept, evidence) == "" and judge(kept, evidence).supported


@pytest.mark.parametrize("evidence,claim,reason", [
    ("Apple sued Samsung over the patents.", "Samsung sued Apple over the patents.",
     "roles swapped: in the source Apple does the 'sued', not Samsung"),
    ("Samsung was sued by Apple over the patents.", "Apple was sued by Samsung over the patents.",
     "roles swapped: in the source Apple does the 'sued', not Samsung"),
    # a passive with no "by": what it is done to, against the other party of its clause
    ("The Labour Party was knocked out of a coalition with the Greens.",
     "The Greens were knocked out of their coalition with the Labour Party.",
     "roles swapped: in the source the 'knocked' is done to The Labour Party, not The Greens"),
])
def test_a_verbs_doer_or_what_it_is_done_to_taken_from_elsewhere_in_its_clause_is_a_swap(evidence, claim, reason):
    assert swapped_slot(claim, evidence) == reason
    assert not judge(claim, evidence).supported


@pytest.mark.parametrize("evidence,claim", [
    ("Arsenal beat Chelsea 2-1 on Sunday.", "Chelsea were beaten by Arsenal 2-1 on Sunday."),  # the voice changed
    ("Samsung was sued by Apple over the patents.", "Apple sued Samsung over the patents."),
])
def test_the_same_roles_in_another_voice_or_order_are_kept(evidence, claim):
    assert swapped_slot(claim, evidence) == ""


@pytest.mark.parametrize("evidence,claim", [
    ("Kim met Xi in Beijing.", "Xi met Kim in Beijing."),
    ("China signed a trade deal with Japan.", "Japan signed a trade deal with China."),
])
def test_parties_that_could_trade_places_are_still_read_as_swapped_like_every_role_check(evidence, claim):
    # one rule for every role check (tests/test_cite.py: "Kim Jong Un met Kim Yo Jong" for the reverse fails)
    assert not judge(claim, evidence).supported


def test_clauses_in_another_order_keep_their_owners():
    evidence = "While North American sales jumped 30 percent to $2 billion, international revenue rose 13 percent."
    claim = "International revenue rose 13 percent, while North American sales jumped 30 percent."
    assert crossed(claim, evidence) == "" and judge(claim, evidence).supported


def test_things_swapped_around_a_verb_are_reversed_roles():
    assert judge("Inflation outpaced wages last year.", "Wages outpaced inflation last year.").reason == \
        "roles swapped: the source's 'outpace' goes from wages to inflation"
    assert judge("Inflation was outpaced by wages last year.", "Wages outpaced inflation last year.").supported
    # "be" relates a thing to what it is, either way round
    assert judge("The largest online retailer is Amazon.", "Amazon is the largest online retailer.").supported


def test_a_list_read_respectively_keeps_its_order():
    evidence = "The group beat Travis and Idlewild into second and third place respectively."
    claim = "The group beat Idlewild and Travis into second and third place respectively."
    assert reordered(claim, evidence) == "roles swapped: the source lists Travis before Idlewild, respectively"
    assert judge(claim, evidence).reason == reordered(claim, evidence)
    assert judge("The group beat Travis and Idlewild.", evidence).supported
    assert reordered("Idlewild and Travis came second.", "Travis and Idlewild came second.") == ""


@pytest.mark.parametrize("evidence,claim,turned", [
    ("Analysts said sales in Europe, the company's biggest market, are declining after a weak holiday season.",
     "Sales in Europe are growing, analysts said.", ("grow", "decline")),
    ("Amazon shares rose while eBay shares fell.", "Amazon shares fell.", ("fall", "rise")),
])
def test_an_owner_moved_the_other_way_is_an_opposite(evidence, claim, turned):
    assert turned_owner(claim, evidence) == turned
    assert not judge(claim, evidence).supported


@pytest.mark.parametrize("evidence,claim", [
    ("Analysts said sales in Europe are declining after a weak holiday season.", "Sales in Europe are falling."),
    ("Shares fell early but rose later in the session.", "Shares rose later in the session."),
    ("Amazon shares rose while eBay shares fell.", "eBay shares fell."),
])
def test_an_owner_moved_the_same_way_passes(evidence, claim):
    assert turned_owner(claim, evidence) is None and judge(claim, evidence).supported


@pytest.mark.parametrize("evidence,claim,owner", [
    # a number's owner in brackets after it, or held by "for" / "with" (Guardian and CNN batches, dev-h / dev-g)
    ("The SPD will need two partners, Die Linke (15.6%) and the Greens (15.2%), to govern.",
     "The SPD will need Die Linke, which won 15.2%, and the Greens, which won 15.6%, to govern.", "15.2"),
    ("The average was 94 PPD for greyscale images, while for red and green patterns it was 89 PPD.",
     "The average was 89 PPD for greyscale images, while for red and green patterns it was 94 PPD.", "89"),
    ("Webster has averaged almost 35 with the bat and 23 with the ball since the New Year's Test.",
     "Webster has averaged almost 23 with the bat and 35 with the ball.", "23"),
])
def test_numbers_keep_the_owner_they_are_in_brackets_after_or_for(evidence, claim, owner):
    assert crossed(claim, evidence).startswith(f"roles swapped: in the source {owner} goes with")
    assert not judge(claim, evidence).supported


def test_a_time_after_from_is_no_side():
    evidence = "All institutions will benefit from increased fees for the next two years, starting next September."
    claim = "Every institution would get higher fees for the next two years from next September."
    assert swapped_sides(claim, evidence) == ""
    # the two ends of a move still count when they are times
    assert swapped_sides("The talks moved from Friday to Monday.", "The talks moved from Monday to Friday.")


def test_a_than_clause_about_a_pronoun_is_about_what_it_holds():
    evidence = "An official explained that negotiations are much more alive under Johnson than they were under May."
    assert swapped_sides("An official said negotiations were much more alive under May than they are under Johnson.",
                         evidence) == "roles swapped: the source has 'than May', not 'than Johnson'"
    assert swapped_sides("Negotiations are more alive under Johnson than they were under May.", evidence) == ""


def test_a_verb_after_due_to_or_likely_to_is_its_subjects():
    evidence = ("The Republic of Ireland will remain a part of the European Union; however Northern Ireland, as part "
                "of the United Kingdom, is due to leave the EU.")
    claim = "Northern Ireland will remain a part of the European Union, while the Republic of Ireland is due to leave the EU."
    assert crossed(claim, evidence) == \
        "roles swapped: in the source Northern Ireland does the 'leave' and The Republic the 'remain'"
    assert crossed("Northern Ireland is due to leave the EU, while the Republic of Ireland will remain in it.",
                   evidence) == ""


@pytest.mark.parametrize("evidence,claim,reason", [
    ("The rebels said they would free 12 soldiers and 30 civilians in exchange for prisoners.",
     "The rebels said they would free 30 soldiers and 12 civilians in exchange for prisoners.",
     "roles swapped: in the source 12 goes with 'soldiers' and 30 with 'civilians'"),
    ("Turnout rose to 71% this year, far above the low of 48% seen in 2019.",
     "Turnout rose to 48% this year, far above the low of 71% seen in 2019.",
     "roles swapped: in the source 48 goes with 'seen' and 71 with 'year'"),
    ("The study followed nine girls and 14 boys.", "The study followed 14 girls and nine boys.",
     "roles swapped: in the source 14 goes with 'boys' and nine with 'girls'"),
])
def test_two_numbers_that_trade_places_are_swapped(evidence, claim, reason):
    assert swapped_numbers(claim, evidence) == reason
    assert judge(claim, evidence).reason.startswith("roles swapped")  # this check, or an earlier one of roles


@pytest.mark.parametrize("evidence,claim", [
    ("Prices fell from 5% to 3% over the year.", "Over the year, prices fell to 3% from 5%."),
    ("The rebels said they would free 12 soldiers and 30 civilians.", "The rebels would free 30 civilians and 12 soldiers."),
    ("Sales rose 4% in France and 7% in Spain.", "Sales rose 7% in Spain and 4% in France."),
])
def test_numbers_kept_with_their_words_in_another_order_are_not_swapped(evidence, claim):
    assert swapped_numbers(claim, evidence) == ""


def test_compared_to_is_no_end_of_a_move():
    evidence = "Data from the statistics bureau show exports jumped 8.1% in April when compared to the previous year."
    assert swapped_sides("Statistics bureau data show exports rose 8.1% in April from a year earlier.", evidence) == ""
    assert swapped_sides("The talks moved from Friday to Monday.", "The talks moved from Monday to Friday.")


def test_a_relative_clauses_which_is_the_noun_it_hangs_on():
    evidence = "The paintings were returned by the Louvre, which in 2021 contacted the city museum in Lagos."
    claim = "The city museum in Lagos contacted the Louvre in 2021."
    assert swapped_slot(claim, evidence).startswith("roles swapped: in the source the Louvre does the 'contacted'")
    assert swapped_slot("The Louvre contacted the city museum in Lagos in 2021.", evidence) == ""


def test_what_is_near_what_is_kept():
    evidence = "Police said the fire broke out on Elm Street near Oak Avenue, close to the station."
    assert swapped_sides("Police said the fire broke out on Oak Avenue near Elm Street.", evidence) == \
        "roles swapped: the source has 'near Oak Avenue', not 'near Elm Street'"
    assert swapped_sides("Police said the fire broke out near Oak Avenue, on Elm Street.", evidence) == ""


def test_owners_are_not_compared_across_voices():
    evidence = "They were among 12 sailors whose letters were seized by a captain to be sent to Lisbon."
    assert crossed("A captain seized the 12 sailors' letters to send them to Lisbon.", evidence) == ""
    # in the same voice, traded owners are still swapped
    assert crossed("Exports fell while imports rose.", "Imports fell while exports rose.")


_MATCH = "Smith scored twice as City came from behind to beat the Rovers 3-1 on Saturday."
_TRIALS = "Tests show the drug can protect dogs from the virus, he said, and trials in rats and pigs are underway."


@pytest.mark.parametrize("check,evidence,claim,reason", [
    # the side that lost is kept
    (swapped_result, _MATCH, "The Rovers beat City 3-1 at home.", "roles swapped: in the source the Rovers lost, not City"),
    (swapped_result, _MATCH, "City lost to the Rovers 3-1.", "roles swapped: in the source the Rovers lost, not City"),
    (swapped_result, _MATCH, "The Rovers' 3-1 home win over City came on Saturday.",
     "roles swapped: in the source the Rovers lost, not City"),
    (swapped_result, _MATCH, "City beat the Rovers 3-1.", ""),
    (swapped_result, _MATCH, "The Rovers lost 3-1 to City.", ""),
    (swapped_result, _MATCH, "City's 3-1 victory over the Rovers came on Saturday.", ""),
    # two things that trade places are swapped; a list in another order, or a phrase reordered, is not
    (swapped_things, _TRIALS, "Tests show the drug can protect rats from the virus, and trials in dogs and pigs are "
     "underway.", "roles swapped: the source has 'protect dogs' and 'in rats'"),
    (swapped_things, _TRIALS, "Trials in rats and pigs are underway, and tests show the drug can protect dogs from the "
     "virus.", ""),
    (swapped_things, _TRIALS, "Tests show the drug can protect dogs from the virus, and trials in pigs and rats are "
     "underway.", ""),
    (swapped_things, "A candidate vaccine against COVID-19 developed by Moderna appears to be safe.",
     "A COVID-19 vaccine candidate developed by Moderna seems to be safe.", ""),
    # a name of several words is one thing: the posts before the names trade places
    (swapped_things, "Trump replaced campaign manager Brad Parscale with veteran GOP operative Bill Stepien.",
     "Trump replaced campaign manager Bill Stepien with veteran GOP operative Brad Parscale.",
     "roles swapped: the source has 'operative bill stepien' and 'manager brad parscale'"),
    (swapped_things, "Trump replaced campaign manager Brad Parscale with veteran GOP operative Bill Stepien.",
     "Trump replaced Brad Parscale, his campaign manager, with Bill Stepien, a veteran GOP operative.", ""),
])
def test_who_won_and_which_thing_goes_where_are_kept(check, evidence, claim, reason):
    assert check(claim, evidence) == reason


@pytest.mark.parametrize("claim,reason", [
    ("After the lockdown was announced on Tuesday, John said India was forced to act.",
     "roles swapped: the source has 'before' where the claim has 'after'"),
    ("Before the lockdown was announced on Tuesday, John said India was forced to act.", ""),
    ("The lockdown was announced on Tuesday after John said India was forced to act.", ""),  # the same order
    ("After the vote, John said India was forced to act.", ""),  # another event
])
def test_an_event_put_after_what_the_source_puts_it_before_is_flipped(claim, reason):
    evidence = "John said before the wholesale lockdown was announced on Tuesday that India was forced to act."
    assert flipped_order(claim, evidence) == reason


@pytest.mark.parametrize("claim,reason", [
    ("Kim tweeted \"You have my full support!\" while Musk tweeted an American flag emoji.",
     "roles swapped: in the source Tesla CEO Musk tweeted that, not Kim"),
    ("Musk tweeted \"You have my full support!\" while Kim tweeted an American flag emoji.", ""),
    ("Kim tweeted an American flag emoji.", ""),
])
def test_a_verb_used_twice_keeps_what_each_doer_did(claim, reason):
    evidence = "The news drew memes, including from his wife, Kim, who tweeted an American flag emoji, and Tesla CEO " \
               "Musk, who tweeted, \"You have my full support!\""
    assert swapped_pairs(claim, evidence) == reason


def test_dates_that_trade_their_places_are_swapped():
    evidence = "Deadlines are ahead, including Michigan (July 16), Pennsylvania (Aug. 3) and Arizona (Sept. 4)."
    assert swapped_numbers("Deadlines are ahead, including Pennsylvania on Sept. 4 and Arizona on Aug. 3.", evidence) \
        == "roles swapped: in the source aug 3 goes with 'pennsylvania' and sept 4 with 'arizona'"
    assert swapped_numbers("Deadlines are ahead, including Arizona on Sept. 4 and Pennsylvania on Aug. 3.", evidence) \
        == ""


def test_numbers_are_swapped_by_the_nearest_word_each_text_has_once():
    evidence = "Audiences fell, with the Wild Card games dropping 11.5 percent and the Championship games down by 8 percent."
    assert swapped_numbers("The Wild Card games lost 8 percent of their audience, while the Championship games were "
                           "down 11.5 percent.", evidence) == \
        "roles swapped: in the source 11.5 goes with 'card' and 8 with 'championship'"
    assert swapped_numbers("The Championship games were down 8 percent, while the Wild Card games lost 11.5 percent.",
                           evidence) == ""


def test_what_follows_than_traded_with_what_precedes_it_is_swapped_whatever_the_parse():
    evidence = "Boris Johnson is seen as likely to forge a much closer relationship to Trump than May."
    assert swapped_written_sides("May is seen as likely to forge a closer relationship with Trump than Boris Johnson.",
                               evidence) == "roles swapped: the source has 'than May', not 'than Boris Johnson'"
    assert swapped_written_sides("Johnson is seen as likely to forge a closer relationship with Trump than May.",
                               evidence) == ""
    assert swapped_written_sides("Johnson is seen as likely to be closer to Trump than Obama.", evidence) == ""
    # not only names: what follows "than" traded with what precedes it
    evidence = "Economists say the slowdown will affect emerging-market nations more than developed ones."
    assert swapped_written_sides("Economists say the slowdown will affect developed nations more than emerging-market "
                               "ones.", evidence) == "roles swapped: the source has 'than developed', not 'than emerging-market'"
    assert swapped_written_sides("Economists expect emerging-market nations to suffer more than developed ones.",
                               evidence) == ""


def test_things_traded_between_two_names_a_few_words_before_them_are_swapped():
    evidence = "The study examined outbreaks on the Diamond Princess ship in Japan and the Grand Princess ship in California."
    claim = "The study looked at outbreaks on the Diamond Princess in California and the Grand Princess in Japan."
    assert swapped_things(claim, evidence) == \
        "roles swapped: the source has 'grand princess california' and 'diamond princess japan'"
    assert swapped_things(evidence.replace("ship ", ""), evidence) == ""
    # a clause moved carries other words with it: no names on either side, no swap
    assert swapped_things("With $21 billion in commerce last year, the U.S. ranked as Turkey's fourth largest "
                          "trading partner, after Germany, China and Russia.",
                          "The U.S. was Turkey's fourth largest trading partner last year with $21 billion in "
                          "commerce, behind Germany, China and Russia.") == ""


_MCCONNELL = ("McConnell is expected to call a vote to acquit him after the trial rather than seeking to dismiss the "
              "charges.")
_PHILBIN = ("Philbin argued the House voted to impeach Trump before it collected all the evidence it wanted to use in "
            "the Senate trial, The Hill reported.")


@pytest.mark.parametrize("check,claim,evidence,reason", [
    # the sides of "than" compared by base form
    (swapped_written_sides, "McConnell is expected to seek a dismissal of the charges rather than call a vote to "
     "acquit him after the trial.", _MCCONNELL, "roles swapped: the source has 'than seeking', not 'than call'"),
    (swapped_written_sides, "McConnell is expected to call a vote to acquit him rather than seek to dismiss the "
     "charges.", _MCCONNELL, ""),
    # two events on the other sides of the same "before"
    (flipped_order, "Philbin argued that the House collected all the evidence it wanted to use in the Senate trial "
     "before it voted to impeach Trump.", _PHILBIN, "roles swapped: the source has 'before it collected all the evidence'"),
    (flipped_order, "Philbin argued that the House voted to impeach Trump before it collected all the evidence it "
     "wanted.", _PHILBIN, ""),
    (flipped_order, "Philbin argued that the House collected all the evidence it wanted to use in the Senate trial "
     "after it voted to impeach Trump.", _PHILBIN, ""),
])
def test_sides_by_base_form_and_events_on_the_other_sides_of_before(check, claim, evidence, reason):
    assert check(claim, evidence) == reason
