"""Which side of a relation each thing is on, for the citation checker: the owner of each verb and number
("sales jumped 30 percent"), what a side word governs ("faster than X", "against X", "unlike X", "from X to
Y"), the order of a list read "respectively", and which way each owner moves. Each check compares a claim with
its source through `rag.syntax`'s parse and gives the reason it fails, or nothing; it does not judge names,
numbers or wording (`rag.cite` does).
"""

from __future__ import annotations

import re
from itertools import islice

from rag.read import DATE_RE, MONTHS, NAME_RE, NUMBER_WORDS, TIME_UNITS, WEEKDAYS, lemma
from rag.text import STOPWORDS


def crossed(claim: str, evidence: str) -> str:
    """Why two verbs or numbers have each other's owners in the claim, or "": "shares fell while the euro rose"
    for the source's "the euro fell while shares rose", "X jumped 13 percent while Y rose 30 percent" for "X
    jumped 30 percent while Y rose 13 percent" (each once in each; an owner named in fewer words is the same)."""
    from rag.syntax import owners, passives

    def once(text: str) -> dict[str, tuple[frozenset[str], str]]:
        found = owners(text)
        items = [item for item, _, _ in found]
        return {item: (words, written) for item, words, written in found if items.count(item) == 1}

    def same(a: frozenset[str], b: frozenset[str]) -> bool:
        return a <= b or b <= a

    a, b = once(claim), once(evidence)
    # a verb in one voice here and the other there has its doer as owner on one side, what it acts on on the other
    voiced = passives(claim, lemmas=True) ^ passives(evidence, lemmas=True)
    shared = sorted((set(a) & set(b)) - voiced)
    for i, v in enumerate(shared):
        for w in shared[i + 1:]:
            (av, _), (aw, _), (bv, tv), (bw, tw) = a[v], a[w], b[v], b[w]
            if not same(av, aw) and same(av, bw) and same(aw, bv) and not same(av, bv) and not same(aw, bw):
                if v[:1].isdigit():
                    return f"roles swapped: in the source {v} goes with {tv} and {w} with {tw}"
                return f"roles swapped: in the source {tv} does the '{v}' and {tw} the '{w}'"
    return ""


_TOKEN = re.compile(r"[^\W\d_]+_\d+\b|\d[\d,.]*\d|\d|[^\W\d_]+(?:_[^\W\d_]+)*|%")
_COMMA_TOKEN = re.compile(_TOKEN.pattern + "|,")


def _is_number(token: str) -> bool:
    """A number, a number word, or a date made one token ("aug_3")."""
    return token[0].isdigit() or token in NUMBER_WORDS or token[-1].isdigit()


# A run of capitalised words inside a sentence, letters only (not `rag.read.NAME_RE`, whose dots and "of the"
# connectors the tokens below would split or join otherwise: "U.S. President", "Bank of England")
_NAME_RUN = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)+")


def _day(m: re.Match) -> str:
    """A date of a month and a day as one token ("Aug. 3" -> "Aug_3"); other dates as written."""
    found = re.fullmatch(r"([^\W\d_]+)\.?\s+(\d{1,2})", m.group())
    return f"{found[1]}_{found[2]}" if found else m.group()


def _tokens(text: str, names: bool = False, dates: bool = False, commas: bool = False) -> list[str]:
    """The text's words, numbers and "%"s, lowercased; with `names`, a run of capitalised words inside a
    sentence is one token: _tokens("The aide Brad Parscale left", True) -> ['the', 'aide', 'brad_parscale', 'left'];
    with `dates`, a month and its day are ("Aug. 3" -> "aug_3"); with `commas`, each comma is a token."""
    if dates:
        text = DATE_RE.sub(_day, text)
    if names:
        text = _NAME_RUN.sub(lambda m: "_".join(m.group().split()), text)
    found = (_COMMA_TOKEN if commas else _TOKEN).findall(text.lower().replace("’", "'"))
    return [t for t in found if t != "%"]


def _neighbours(text: str, pick, content: bool = False, names: bool = False, dates: bool = False,
                among: frozenset[str] | None = None, within: int | None = None) -> dict[str, tuple[str, str, int]]:
    """Each token that `pick` accepts and the text writes once, with the token right before it and right after
    it ("%" skipped), or the nearest ones that are no stopword and no number (`content`), or the nearest ones
    `among` the given words (only `within` that many words, if given), and where it is (a name of several words
    is one token with `names`):
    _neighbours("13 men and four women", _is_number, True) -> {'13': ('', 'men', 0), 'four': ('men', 'women', 3)}"""
    tokens = _tokens(text, names, dates)
    picked = [i for i, t in enumerate(tokens) if pick(t)]
    written = [tokens[i] for i in picked]

    def near(run) -> str:
        if among is not None:
            return next((t for t in islice(run, within) if t in among), "")
        return next((t for t in run if not content or t not in STOPWORDS and not _is_number(t)), "")

    return {tokens[i]: (near(reversed(tokens[:i])), near(tokens[i + 1:]), i)
            for i in picked if written.count(tokens[i]) == 1}


def swapped_numbers(claim: str, evidence: str) -> str:
    """Why two numbers of the source trade places in the claim, or "": each has, before or after it, the word
    the other has there in the source, right beside it or the nearest that is no stopword ("18 living and 10
    deceased hostages" for "10 living and 18 deceased", "ticked up to 2.65% ... a low of 6.86%" for "to 6.86%
    ... a low of 2.65%"). Numbers listed in another order that keep their words on the other side are not
    swapped ("free 30 civilians and 12 soldiers" for "free 12 soldiers and 30 civilians")."""
    near = {content: (_neighbours(claim, _is_number, content, dates=True),
                      _neighbours(evidence, _is_number, content, dates=True))
            for content in (True, False)}
    # the third way: the nearest words each text has once, no stopword or number ("the Wild Card games lost 8
    # percent" for "... the Wild Card games dropping 11.5 percent": "card" is 8's in the claim, 11.5's in the source)
    once = _once_in_both(claim, evidence, lambda t: t not in STOPWORDS and not _is_number(t), dates=True)
    near["once"] = (_neighbours(claim, _is_number, dates=True, among=once),
                    _neighbours(evidence, _is_number, dates=True, among=once))
    ours_c, theirs_c = near[True]
    shared = sorted(set(ours_c) & set(theirs_c))
    for i, a in enumerate(shared):
        for b in shared[i + 1:]:
            for content in (True, False, "once"):
                ours, theirs = near[content]
                # the word after first ("10 living" tells more than "release 10"), but a word each text has once
                # before it first (what comes after may be the next clause's)
                for side in (0, 1) if content == "once" else (1, 0):
                    x, y = theirs[a][side], theirs[b][side]
                    kept = theirs_c[a][1 - side] != theirs_c[b][1 - side] and \
                        (ours_c[a][1 - side], ours_c[b][1 - side]) == (theirs_c[a][1 - side], theirs_c[b][1 - side])
                    if x and y and x != y and ours[a][side] == y and ours[b][side] == x and not kept:
                        return f"roles swapped: in the source {a} goes with '{x}' and {b} with '{y}'".replace("_", " ")
    return ""


def _is_thing(token: str) -> bool:
    return len(token) > 3 and token.replace("_", "").isalpha() and token not in STOPWORDS


_LINKS = frozenset("and or".split())
_NEAR = 4  # two things this many words apart or fewer may be one phrase reordered
_CLOSE = 3  # a word this many words before a thing or fewer may say what it is ("Diamond Princess ship in Japan")


def swapped_things(claim: str, evidence: str) -> str:
    """Why two things of the source trade places in the claim, or "": each has right before it the word the
    other has there in the source, and not right after it ("protect primates ... trials in mice" for
    "protect mice ... trials in primates"). Not a list in another order ("X and Y"), nor words reordered
    within a few words ("a vaccine candidate developed" for "a candidate vaccine ... developed")."""
    ours, theirs = _neighbours(claim, _is_thing, names=True), _neighbours(evidence, _is_thing, names=True)
    found = _traded(ours, theirs)
    if found:
        return found
    # the nearest word each text has once, a few words before: "the Diamond Princess in California and the Grand
    # Princess in Japan" for "the Diamond Princess ship in Japan and the Grand Princess ship in California"; only
    # where both things or both of the words before them are names (clauses reordered move other words too)
    once = _once_in_both(claim, evidence, _is_thing, names=True)
    named = {t for t in once if "_" in t} | {w.lower() for w in re.findall(r"\b[A-Z][^\W\d_]+", claim + " " + evidence)}
    before = ({t: (b, "", i) for t, (b, _after, i) in  # the word before only: what follows may be anything
               _neighbours(text, once.__contains__, names=True, among=once, within=_CLOSE).items()}
              for text in (claim, evidence))
    return _traded(*before, named)


def _once_in_both(claim: str, evidence: str, keep, **how) -> frozenset[str]:
    """The tokens (`_tokens(text, **how)`) that `keep` accepts and each text writes exactly once."""
    ours, theirs = _tokens(claim, **how), _tokens(evidence, **how)
    return frozenset(t for t in set(ours) & set(theirs) if ours.count(t) == 1 == theirs.count(t) and keep(t))


def _traded(ours: dict[str, tuple[str, str, int]], theirs: dict[str, tuple[str, str, int]],
            named: set[str] | None = None) -> str:
    """Why two tokens have each other's word before them in the claim (`ours`) and the source (`theirs`), as
    `_neighbours` gives them, or ""; with `named`, only two names or two tokens after names."""
    shared = sorted(set(ours) & set(theirs))
    for i, a in enumerate(shared):
        for b in shared[i + 1:]:
            x, y = theirs[a][0], theirs[b][0]
            far = min(abs(ours[a][2] - ours[b][2]), abs(theirs[a][2] - theirs[b][2])) > _NEAR
            if named is not None and not {a, b} <= named and not {x, y} <= named:
                continue
            if far and x and y and x != y and not {x, y} & _LINKS and ours[a][0] == y and ours[b][0] == x and \
                    not (ours[a][1], ours[b][1]) == (theirs[a][1], theirs[b][1]) != (theirs[b][1], theirs[a][1]):
                return f"roles swapped: the source has '{x} {a}' and '{y} {b}'".replace("_", " ")
    return ""


def swapped_result(claim: str, evidence: str) -> str:
    """Why the claim has the other side lose, or "": "The Nuggets beat the Thunder" for the source's "the
    Thunder's home win over the Nuggets", each side named in both (`rag.syntax.losers`)."""
    from rag.syntax import losers, things

    theirs = losers(evidence)
    if not theirs:
        return ""
    claim_things, evidence_things = things(claim), things(evidence)
    for ours, written in losers(claim):
        if any(ours & lost for lost, _ in theirs) or not ours & evidence_things:
            continue
        lost, lost_written = next(((lost, w) for lost, w in theirs if lost & claim_things), (None, ""))
        if lost is not None and not lost & ours:
            return f"roles swapped: in the source {lost_written} lost, not {written}"
    return ""


def reordered(claim: str, evidence: str) -> str:
    """Why the claim lists in another order two things that the source pairs with others "respectively", or
    "": "beat Idlewild and Travis into second and third place respectively" for "Travis and Idlewild"."""
    from rag.syntax import listed

    if "respectively" not in claim.lower() or "respectively" not in evidence.lower():
        return ""
    theirs = listed(evidence)
    for a, b in listed(claim):
        if a != b and (b, a) in theirs and (a, b) not in theirs:
            return f"roles swapped: the source lists {b} before {a}, respectively"
    return ""


_ORDER = {"before": "after", "after": "before"}


def _what_follows(tokens: list[str], at: int) -> frozenset[str]:
    """The first three words after `at`, within six and before a comma, that are no stopword: what "before" or
    "after" places ("Two days before the reversal, Mulvaney announced" places the reversal alone)."""
    run = tokens[at + 1:at + 7]
    run = run[:run.index(",")] if "," in run else run
    return frozenset([t for t in run if t not in STOPWORDS][:3])


def _same_event(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) >= min(2, len(a), len(b)) > 0


def flipped_order(claim: str, evidence: str) -> str:
    """Why the claim puts after an event what the source puts before it, or the reverse, or "": "After the
    lockdown was announced, he said" for "he said before the lockdown was announced". The event is the
    same when two of its first three words that are no stopword are (one, for "the vote"). "B after A" for
    "A before B" is the same order."""
    ours, theirs = _tokens(claim, commas=True), _tokens(evidence, commas=True)
    for i, word in enumerate(ours):
        if word not in _ORDER:
            continue
        event = _what_follows(ours, i)
        placed = [(t, _what_follows(theirs, j)) for j, t in enumerate(theirs) if t in _ORDER]
        if not any(t == word and _same_event(there, event) for t, there in placed) and \
                any(t == _ORDER[word] and _same_event(there, event) for t, there in placed):
            return f"roles swapped: the source has '{_ORDER[word]}' where the claim has '{word}'"
        # "A before B" for the source's "B before A": each event is on the other side of the same word there
        before = _what_precedes(ours, i)
        for j, t in enumerate(theirs):
            if t == word and not _same_event(_what_follows(theirs, j), event) and \
                    _same_event(_what_precedes(theirs, j), event) and _same_event(_what_follows(theirs, j), before):
                run = theirs[j:j + 6]
                return f"roles swapped: the source has '{' '.join(run[:run.index(',')] if ',' in run else run)}'"
    return ""


def _what_precedes(tokens: list[str], at: int) -> frozenset[str]:
    """The words that are no stopword among the fifteen before `at`, after any comma: what comes before "before"."""
    run = tokens[max(0, at - 15):at]
    run = run[len(run) - run[::-1].index(","):] if "," in run else run
    return frozenset(t for t in run if t not in STOPWORDS)


_OTHER_END = {"from": "to", "to": "from"}
# Words of a phrase that says when: months, weekdays, units of time ("second" would read "second place" as one)
_TIME = frozenset(w.lower() for w in MONTHS + WEEKDAYS) | (TIME_UNITS - {"second"}) | frozenset(
    "today yesterday tomorrow morning afternoon evening night weekend spring summer autumn winter".split())


def swapped_sides(claim: str, evidence: str) -> str:
    """Why the claim puts on one side of a relation word what the source puts on the other, or "": "the
    dollar rose against the euro" for "the euro rose against the dollar", "unlike Amazon, eBay ..." for
    "unlike eBay, Amazon ...", "Y, the site behind X" for "X, the site behind Y" (`rag.syntax.sides`)."""
    from rag.syntax import sides

    mine, theirs = sides(claim), sides(evidence)
    for ours in mine:
        same_word = [s for s in theirs if s.marker == ours.marker]
        # the same side if they share a word the source has only on that side ("party" of "Freedom Party" and
        # "the Appeal and D66 parties" tells nothing)
        if any(s.words == ours.words or (s.words - s.rest) & ours.words for s in same_word):
            continue
        when = ours.words <= _TIME  # "from next September" is when, not a side ("benefit from higher fees")
        for s in ([] if when else same_word):  # a phrase the claim has after the same word elsewhere is not on the other side
            if ours.words & s.rest and s.words & ours.rest and \
                    not any(m.words & (s.words - s.rest) for m in mine if m.marker == s.marker):
                return f"roles swapped: the source has '{ours.marker} {s.text}', not '{ours.marker} {ours.text}'"
        # "from X" where the source goes "to X" (and from something else): the two ends of a move swapped
        for s in theirs:
            if same_word and s.marker == _OTHER_END.get(ours.marker) and s.words == ours.words:
                return f"roles swapped: the source has '{s.marker} {s.text}', not '{ours.marker} {ours.text}'"
    return ""


def turned_owner(claim: str, evidence: str) -> tuple[str, str] | None:
    """A verb that moves something the other way from every verb that moves it in the source: "sales are
    declining" where the source's sales are growing, "cut its forecast" where the source "upped its forecast",
    however the rest of the sentence is worded (what a verb moves: `rag.syntax.moved`)."""
    from rag.opposites import lexicon
    from rag.syntax import moved

    lex = lexicon()

    def way_of(verb: str) -> float:  # "shoot down" goes down, though "shoot" goes up; "set up" neither way
        found = lex.direction(verb.split())
        return found[1] if found and found[0] == verb else 0

    theirs = [(verb, words, way_of(verb)) for verb, words in moved(evidence)]
    for verb, words in moved(claim):
        way = way_of(verb)
        same = [(v, w) for v, o, w in theirs if o <= words or words <= o]
        moving = [(v, w) for v, w in same if w]
        if way and moving and all(w == -way for _, w in moving) and verb not in {v for v, _ in same}:
            return verb, moving[0][0]
    return None


def _own_pole(verb, slot: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words of a verb's doer (or done-to) that its clause has nowhere else, and the clause's other words."""
    elsewhere = verb.rest | (verb.done_to if slot == "doer" else verb.doer)
    return getattr(verb, slot) - elsewhere, elsewhere


def swapped_slot(claim: str, evidence: str) -> str:
    """Why the claim has as a verb's doer (or what it is done to) a thing that the source has elsewhere in
    that verb's clause, while the source's doer is elsewhere in the claim's, or "": "the Social Democrats
    were knocked out of their coalition with the CDU" for "the CDU was knocked out of a coalition with the
    Social Democrats". Voice does not matter ("Y was beaten by X" is "X beat Y"). Only words that a clause
    has in that one place count. Like the other role checks, it reads "Xi met Kim" for "Kim met Xi" as a swap."""
    from rag.syntax import poles

    theirs = poles(evidence)
    for ours in poles(claim):
        same = [t for t in theirs if t.verb == ours.verb]
        if not same:
            continue
        for at, slot in enumerate(("doer", "done_to")):
            mine, around = _own_pole(ours, slot)
            found = []
            for t in same if mine else []:
                other, there = _own_pole(t, slot)
                if not other or mine & other:
                    found = []
                    break
                if mine & there and other & around:
                    found.append(t)
            if found:
                source, claimed = found[0].texts[at], ours.texts[at]
                if slot == "doer":
                    return f"roles swapped: in the source {source} does the '{found[0].written}', not {claimed}"
                return f"roles swapped: in the source the '{found[0].written}' is done to {source}, not {claimed}"
    return ""


def _distinct(poles_of_verb: list) -> list[frozenset[str]]:
    """What each of a verb's uses has that none of its other uses has, doers aside."""
    doers = frozenset().union(*(p.doer for p in poles_of_verb))
    stuff = [p.done_to | p.rest for p in poles_of_verb]
    return [s - doers - frozenset().union(*(o for j, o in enumerate(stuff) if j != i)) for i, s in enumerate(stuff)]


def swapped_pairs(claim: str, evidence: str) -> str:
    """Why the claim gives one doer of a verb the source uses twice what the source gives the other, or "":
    "Kim tweeted 'You have my full support!' while Musk tweeted an emoji" for "Kim, who tweeted an emoji, and
    Musk, who tweeted, 'You have my full support!'"."""
    from rag.syntax import poles

    theirs_all, ours_all = poles(evidence), poles(claim)
    for verb in {p.verb for p in ours_all}:
        theirs = [p for p in theirs_all if p.verb == verb and p.doer]
        ours = [p for p in ours_all if p.verb == verb and p.doer]
        if len(theirs) < 2 or len(ours) < 2:
            continue
        their_own, our_own = _distinct(theirs), _distinct(ours)
        for p, own in zip(ours, our_own):
            by_doer = [i for i, t in enumerate(theirs) if t.doer & p.doer]
            by_stuff = [i for i, s in enumerate(their_own) if s & own]
            if len(by_doer) == 1 and len(by_stuff) == 1 and by_doer != by_stuff and \
                    not their_own[by_doer[0]] & own and not theirs[by_stuff[0]].doer & p.doer:
                t = theirs[by_stuff[0]]
                return f"roles swapped: in the source {t.texts[0]} {t.written} that, not {p.texts[0]}"
    return ""


# A side word and the first word after it that is no article, "to" or "by": "than Paul", "rather than to phone
# companies"
_MARKED = re.compile(r"(\bthan|\bagainst|\bunlike|\bversus|\bbehind|(?<=, )not)\s+(?:(?:the|a|an|to|by)\s+)*"
                     r"([^\W\d_][\w'’-]*)", re.I)  # ", not": "by the commission, not a member of the public"


def _sides_as_written(text: str) -> list[tuple[str, str, str]]:
    """Each side word of the text, what it governs (a whole name, or one word that is no stopword) and the two
    as written: _sides_as_written("Voters blamed Paul rather than the leader.")
    -> [('than', 'leader', 'than the leader')]"""
    out = []
    for m in _MARKED.finditer(text):
        word, end = m[2], m.end(2)
        if word[0].isupper() and (name := NAME_RE.match(text, m.start(2))):
            word = name.group().rstrip(".'’")
            end = m.start(2) + len(word)
        if word.lower() not in STOPWORDS:
            out.append((m[1].lower(), word, text[m.start(1):end]))
    return out


def swapped_written_sides(claim: str, evidence: str) -> str:
    """Why the claim puts after "than", "against", "unlike", "versus" or "behind" what the source has
    elsewhere, and elsewhere what the source has there, or "": the words as written, for where the parse
    misreads ("... closer relationship with Trump than Boris Johnson" for "... than May"; "blamed the leader
    rather than Paul" for "blamed Paul rather than the leader"; "affect developed nations more than
    emerging-market ones" for the reverse)."""
    words = {text: {lemma(w) for w in re.findall(r"\w+(?:['’.-]\w+)*", text.lower())} for text in (claim, evidence)}
    theirs = _sides_as_written(evidence)
    for marker, ours, written in _sides_as_written(claim):
        mine = {lemma(w) for w in ours.lower().split()}  # "rather than call" / "rather than seeking"
        for their_marker, name, their_written in theirs:
            other = {lemma(w) for w in name.lower().split()}
            if marker == their_marker and not mine & other and mine <= words[evidence] and other <= words[claim]:
                return f"roles swapped: the source has '{their_written}', not '{written}'"
    return ""
