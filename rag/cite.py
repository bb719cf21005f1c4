"""Citations and the citation checker, shared by every answerer.

`check_citations` is pure: it splits an answer into sentences, reads their `[n]` markers
(tolerating `[1, 2]` and `【1】`), drops markers that point nowhere, and scores each cited span
against its sentence. It does not retrieve or generate anything. Besides its inputs, `judge` reads
only fixed, pinned data: the lexicons and curated opposites (`rag.opposites`) and a parser (`rag.syntax`, also
read by `rag.roles` for which side of a relation each thing is on), loaded on the first claim that is not a
verbatim quote.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from rag.text import split_sentences
from rag.read import COUNTS, HEAD_NOUNS, MEASURES, PERSON, TITLES, DATE_RE, MONTHS, TIME_UNITS, WEEKDAYS, lemma
from rag.text import MARKER, STOPWORDS, tokenize
from rag.opposites import OPPOSITE
from rag.roles import (crossed, flipped_order, reordered, swapped_written_sides, swapped_numbers, swapped_pairs,
                       swapped_result, swapped_sides, swapped_slot, swapped_things, turned_owner)

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


@dataclass(frozen=True)
class Citation:
    n: int  # marker number as it appears in the answer text
    doc_id: str
    title: str
    quote: str  # the original file's text at [start:end]; in an HTML page, that span's visible text (inline
    #             tags such as <em> between its words are not part of the quote)
    start: int  # original-file offsets
    end: int
    score: float  # support score of the quote for its answer sentence
    outlet: str | None = None
    path: str = ""  # source file, relative to the corpus folder
    context: str = ""  # a few sentences around the quote, for display
    context_start: int = 0  # offset of the quote inside `context`
    published: str | None = None  # the article's date, YYYY-MM-DD
    published_from: str | None = None  # "page", "text" or "file" (the file's date, not the article's)
    sha256: str | None = None  # of the original file's bytes when indexed, so an export can be verified later

    def to_json(self) -> dict:
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "quote": self.quote,
                "start": self.start, "end": self.end, "score": round(self.score, 3), "outlet": self.outlet,
                "source": self.path, "context": self.context, "context_start": self.context_start,
                "published": self.published, "published_from": self.published_from, "sha256": self.sha256}


@dataclass(frozen=True)
class Verdict:
    sentence: str  # answer sentence without markers
    markers: tuple[int, ...]  # valid citation numbers on it
    score: float  # best support score among its citations
    supported: bool
    reason: str  # "ok", "no citation", or the failed check ("negated", "name 'Kim' not in the source", ...)
    shown: bool = True  # in the checked answer text (False: dropped as unsupported)

    @property
    def text(self) -> str:
        """The sentence as the answer text carries it, markers included: "Xi wrote. [1]" """
        return self.sentence + "".join(f" [{n}]" for n in self.markers)

    def to_json(self) -> dict:
        return {"sentence": self.sentence, "markers": list(self.markers), "score": round(self.score, 3),
                "supported": self.supported, "reason": self.reason, "text": self.text, "shown": self.shown}


@dataclass(frozen=True)
class CheckResult:
    text: str  # the verdicts' texts joined, valid markers only (unsupported sentences dropped if asked)
    verdicts: tuple[Verdict, ...]
    supported: bool  # every kept sentence is supported
    dropped_markers: tuple[int, ...]  # out-of-range numbers that were removed

    def to_json(self) -> dict:
        """What `rag check --json` prints and the `/check` API returns."""
        return {"supported": self.supported, "dropped_markers": list(self.dropped_markers),
                "verdicts": [v.to_json() for v in self.verdicts]}


def parse_markers(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Answer sentences and their marker numbers:
    parse_markers("Xi wrote [1]. Kim replied [2, 3]") -> [("Xi wrote.", (1,)), ("Kim replied", (2, 3))]"""
    plain, marks, cursor = [], [], 0
    for m in MARKER.finditer(text):
        plain.append(text[cursor:m.start()])
        pos = sum(len(p) for p in plain)
        marks.append((pos, tuple(int(x) for x in re.split(r"[,;，]", m.group(1) or m.group(2)))))
        cursor = m.end()
    plain.append(text[cursor:])
    body = "".join(plain)
    cuts = {pos for pos, _ in marks if re.match(r"\s+[\"“‘(]{0,2}[A-Z0-9]", body[pos:])}  # “(Reuters) - …
    spans = []
    for s, e in split_sentences(body):
        for cut in sorted(c for c in cuts if s < c < e):
            spans.append((s, cut))
            s = cut + len(body[cut:]) - len(body[cut:].lstrip())
        spans.append((s, e))
    out = []
    for i, (s, e) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(body) + 1
        numbers = tuple(n for pos, group in marks if s < pos < nxt or (i == 0 and pos <= s) for n in group)
        out.append((body[s:e], tuple(dict.fromkeys(numbers))))
    return out


CONTEXT_BEFORE = 2  # sentences before a span that may name what it says ("The company ..." after "Amazon ...")


def span_context(text: str, start: int, end: int) -> str:
    """The article's first line (its title) and the sentences just before and after a span, which a claim
    may draw names, numbers and dates from: span_context("Amazon results\n\nAmazon grew. It hired. X.",
    30, 39) -> "Amazon results\nAmazon grew.\nX." """
    spans = split_sentences(text)
    title = text.strip().split("\n", 1)[0].strip() if text.strip() else ""
    before = [text[a:b] for a, b in spans if b <= start][-CONTEXT_BEFORE:]
    after = [text[a:b] for a, b in spans if a >= end][:1]
    return "\n".join(dict.fromkeys(t for t in [title, *before, *after] if t and t != text[start:end]))


def support_score(claim: str, evidence: str) -> float:
    """Share of the claim's content words found in the evidence; 0 when the claim has a number
    the evidence lacks: support_score("Xi thanked Kim", "Xi thanked Kim warmly") -> 1.0"""
    words = tokenize(claim)
    if not words:
        return 1.0
    have = set(tokenize(evidence))
    numbers_in_evidence = set(_NUMBER.findall(_in_years(evidence))) | {COUNTS[w] for w in have if w in COUNTS}
    if any(num not in numbers_in_evidence for num in _NUMBER.findall(_in_years(claim))):
        return 0.0
    return sum(w in have for w in words) / len(words)


@dataclass(frozen=True)
class Judgment:
    supported: bool
    score: float  # share of the claim's content words in the evidence
    reason: str  # "ok", or the check that failed: "negated", "person 'Kim' not in the source", ...


_NEGATORS = frozenset("not no never without neither nor none nobody nothing cannot n't".split())
_NEGATION_ADVERBS = frozenset("longer yet even really always ever quite".split())  # "not yet", "no longer"
# What a negation passes through to reach its verb: "doesn't appear to allow", "not be able to attend".
_RAISING = frozenset("appear appears appeared seem seems seemed to be been able likely".split())
_REFUSALS = frozenset("refusal refusals failure".split())  # "her refusal to perform"
_REFUSING = frozenset("decline declines declined declining refuse refuses refused refusing fail fails failed "
                      "failing unable".split()) | _REFUSALS  # "declined to comment" is a "would not say"


_LACKS = frozenset("lack lacks lacked lacking".split())  # a negation ("unable to" counts as a refusal)
_LACKING = _LACKS | {"unable"}  # a "not" the claim may write with "can" or "have"
_SAYING = frozenset("say comment confirm disclose reveal elaborate answer discuss speak tell specify".split())


def _refusal_paraphrased(claim_words: list[str], evidence_words: list[str], refused: set[str]) -> bool:
    """Whether the claim's extra "not"s only restate a refusal to speak, or the source's own refusal (`refused`,
    from `_refused`): "would not say" for "declined to comment" and "would not respond" for "declined to respond"
    are faithful, "did not believe" for "declined to comment" is not."""
    explicit = _explicit(claim_words) - _explicit(evidence_words)
    # "could not raise" for "was unable to raise", "does not have" for "lacks": the source's word says the "not"
    plain = sum(w in _NEGATORS and (claim_words[i - 1:i] in (["can"], ["could"]) or w == "cannot" or
                                    bool({"have", "has", "had"} & set(claim_words[i + 1:i + 3])))
                for i, w in enumerate(claim_words))
    explicit -= min(plain, sum(w in _LACKING for w in evidence_words))
    if explicit <= 0:
        return True
    negated = [next((v for v in claim_words[i + 1:i + 3] if v not in ("be", "do", "does", "did", "would", "will")), "")
               for i, w in enumerate(claim_words) if w in _NEGATORS]
    saying = _SAYING | {_folded(w, w) for w in _SAYING}  # "disclosed" -> "disclos"
    return all(_base(v) in saying or lemma(v) in saying or _base(v) in refused for v in negated)


def _time_units(words: list[str]) -> set[str]:
    """The units of time a text counts in ("second" only as "seconds": "a second term" counts no time):
    _time_units(["a", "week", "later"]) -> {"week"}"""
    singular = {w[:-1] if w.endswith("s") and w[:-1] in TIME_UNITS else w for w in words if w != "second"}
    return singular & TIME_UNITS


_DETERMINERS = frozenset("the a an its their his her this that".split())
# A refusal with an aside before its "to": "declined, as he has before, to respond"
_REFUSAL_ASIDE = re.compile(rf"\b(?:{'|'.join(sorted(_REFUSING))}),[^,.;]{{1,40}},\s+to\s", re.I)


_PREVENTING = frozenset("stop stops stopped stopping prevent prevents prevented preventing bar bars barred barring "
                        "ban bans banned banning block blocks blocked blocking keep keeps kept keeping".split())
_STOPPED_WITHIN = 10  # "bars clinics that share office space with abortion providers from receiving"
_VOTING = frozenset("vote votes voted voting".split())


def _negations(words: list[str], text: str = "") -> int:
    """Negating words ("no" as a vote aside), "declined/refused/failed to" and "yet to" included, and in the text
    a refusal with an aside ("declined, as before, to respond"): _negations(['declined', 'to', 'comment']) -> 1"""
    return sum((w in _NEGATORS and not _a_vote(words, i) and not _second_of_neither(words, i)) or
               w in _LACKS or (w == "yet" and nxt == "to") or  # "have yet to"
               (w in _REFUSING and nxt == "to" and (before not in _DETERMINERS or w in _REFUSALS))  # "the decline to"
               for i, (before, w, nxt) in enumerate(zip([""] + words, words, words[1:] + [""]))) + \
        len(_REFUSAL_ASIDE.findall(text))


def _second_of_neither(words: list[str], at: int) -> bool:
    """Whether the word is the "nor" of a "neither ... nor", which negates once."""
    return words[at] == "nor" and "neither" in words[max(0, at - 12):at]


def _explicit(words: list[str]) -> int:
    """How many negating words the text has, a "neither ... nor" once."""
    return sum(w in _NEGATORS and not _second_of_neither(words, i) for i, w in enumerate(words))


def _prevented(words: list[str]) -> list[int]:
    """Where the words a "stop ... from" bears on are: _prevented("stops clinics from receiving funds".split())
    -> [3]"""
    return [j + 1 for i, w in enumerate(words) if w in _PREVENTING
            for j in range(i + 1, min(i + _STOPPED_WITHIN, len(words) - 1)) if words[j] == "from"]


def _a_vote(words: list[str], at: int) -> bool:
    """Whether a "no" is a vote: "plans to vote no", "a no vote"."""
    return words[at] == "no" and ((at and words[at - 1] in _VOTING) or words[at + 1:at + 2] in (["vote"], ["votes"]))


def _negated(words: list[str]) -> list[str]:
    """The word each negation bears on, past adverbs and raising verbs: "no longer expect" -> "expect"."""
    return [next((v for v in words[i + 1:i + 5] if v not in _NEGATION_ADVERBS and v not in _RAISING and
                  not (w in _NONE_OF and (v in _PARTITIVE or v in COUNTS or v.isdigit()))), "")
            for i, w in enumerate(words[:-1]) if (w in _NEGATORS and not _a_vote(words, i)) or
            (w == "yet" and words[i + 1] == "to")]


_NONE_OF = frozenset("none neither".split())
_PARTITIVE = frozenset("of the these those them us".split())  # "none of the three entered" -> "entered"


def _refused(words: list[str]) -> set[str]:
    """The bases of the words a refusal, or a "stop ... from", bears on, where the text has them nowhere else:
    _refused("declined to respond".split()) -> {"respond"}; not after a determiner ("attributed the decline
    to US-led efforts"), nor "perform" in "performed weddings but declined to perform others"."""
    at = [i + 2 for i, (before, w, to) in enumerate(zip([""] + words, words, words[1:]))
          if w in _REFUSING and to == "to" and i + 2 < len(words) and (before not in _DETERMINERS or w in _REFUSALS)]
    at += _prevented(words)  # "stops X from receiving"
    elsewhere = {_base(w) for i, w in enumerate(words) if i not in at}
    return {_base(words[i]) for i in at} - elsewhere


NUMERIC_WORDS = frozenset((
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions dozen dozens half quarter first second third fourth fifth sixth seventh "
    "eighth ninth tenth eleventh twelfth once twice").split())
_TIMES = {"once": "one", "twice": "two", "one": "once", "two": "twice"}  # "twice runner-up", "two-time runner-up"
# A count written out is its digits: "Ten people were wounded" for "left 10 people wounded", and back
_DIGITS = {d: w for w, d in COUNTS.items()}
_RAW_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|n['’]t")


_LONG_SPANS = re.compile(r"\b(a|an|one|" + "|".join(COUNTS) + r"|\d+)\s+(decade|centur)(?:y|ies|s)\b", re.I)


def _in_years(text: str) -> str:
    """Decades and centuries counted in years, so that either way of writing one compares with the other:
    _in_years("for three decades") -> "for 30 years" """
    def years(m: re.Match) -> str:
        count = m.group(1).lower()
        n = 1 if count in ("a", "an") else int(COUNTS.get(count, count))
        return f"{n * (10 if m.group(2).lower() == 'decade' else 100)} years"
    return _LONG_SPANS.sub(years, text)


# growth only: "halved" for "doubled" is the opposite way, which the opposite-meaning check tells
_MULTIPLE = re.compile(r"\b(?:(doubl|tripl|quadrupl)(?:e|es|ed|ing)|(two|three|four|five|ten)fold)\b", re.I)
_FOLDS = {"doubl": "two", "tripl": "three", "quadrupl": "four"}


def _multiples(text: str) -> dict[str, str]:
    """How many times over a text says something grew, as written: _multiples("Cases have
    doubled, and deaths tripled") -> {'two': 'doubled', 'three': 'tripled'}"""
    return {_FOLDS.get(m.group(1).lower(), "") if m.group(1) else m.group(2).lower(): m.group()
            for m in _MULTIPLE.finditer(text)}


_MEASURED = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)(?:\s|-)?(" + "|".join(
    re.escape(u) for u in sorted(MEASURES, key=len, reverse=True)) + r")\b", re.I)


def _measures(text: str) -> dict[str, dict[str, str]]:
    """Each number a text gives in a unit of measure, with the units (as written) it is given in:
    _measures("25 miles (40 kilometers)") -> {'25': {'mile': 'miles'}, '40': {'kilometre': 'kilometers'}}"""
    out: dict[str, dict[str, str]] = {}
    for m in _MEASURED.finditer(text):
        out.setdefault(m.group(1), {})[MEASURES[m.group(2).lower()]] = m.group(2)
    return out


def _number_differs(claim: str, evidence: str) -> str:
    """Why a number the source has means something else in the claim, or "": another multiple ("tripled"
    for "doubled"), or the source's figure in another unit ("40 miles" for "25 miles (40 kilometers)")."""
    ours, theirs = _multiples(claim), _multiples(evidence)
    if set(ours) - set(theirs) and set(theirs) - set(ours):
        return f"number differs: {ours[min(set(ours) - set(theirs))]} vs {theirs[min(set(theirs) - set(ours))]}"
    measured = _measures(evidence)
    for number, units in _measures(claim).items():
        given = measured.get(number, {})
        if given and not set(units) & set(given):
            return f"number differs: {number} {min(units.values())} vs {number} {min(given.values())}"
    return ""


_PART_BEFORE = frozenset("a an one two three another additional".split())
_FRACTIONS = frozenset("quarter quarters".split())  # not "half": "a year and a half", "half a point" count


def _first_otherwise(words: list[str]) -> bool:
    """Whether the source says "first" by another word of its sense: "initial", "initially", "maiden"."""
    from rag.opposites import lexicon

    lex = lexicon()
    return any(lex.kin("first") & lex.kin(w) for w in words if w not in STOPWORDS and w not in NUMERIC_WORDS)


def _counts_part(words: list[str], at: int) -> bool:
    """Whether a number word counts: "no one" is nobody, "once" before a verb is "formerly", and a quarter is
    a part only after "a", "one" ...
    or before "of" or "point" ("a quarter of", "a quarter-point"), else a period ("the July-September quarter")."""
    before, after = words[at - 1] if at else "", words[at + 1] if at + 1 < len(words) else ""
    if words[at] == "one":
        return before != "no"
    if words[at] == "once":  # "once a week", "only once", "more than once"; not "once worked" (formerly)
        return before in ("only", "than", "just", "exactly", "least") or after in ("a", "an", "every", "per", "or")
    if words[at] in _FRACTIONS:
        return before in _PART_BEFORE or after in ("of", "point", "points")
    return True


# Other words for a date's first word: "late April" is "the end of April", "last week" "the past week"
_DATE_WORDING = {"late": ("end of",), "early": ("beginning of", "start of"), "mid": ("middle of",),
                 "last": ("past", "previous"), "next": ("coming", "following")}


def _date_said(date: str, have: str) -> bool:
    """Whether the lowercased text `have` says the lowercased date, as written or in other words:
    _date_said("late april", "by the end of april") -> True"""
    first, _, rest = date.replace("-", " ").partition(" ")
    return date in have or bool(rest) and any(f"{w} {rest}" in have for w in _DATE_WORDING.get(first, ()))


def _date_kind(date: str) -> str:
    """What a date names, to set it beside one of its kind: _date_kind("last Friday") -> "weekday"."""
    words = set(re.findall(r"[A-Za-z]+", date))
    if words & set(WEEKDAYS):
        return "weekday"
    if words & {m.rstrip(".") for m in MONTHS}:
        return "month day" if re.search(r"\d", date) and not re.fullmatch(r"\D*\d{4}", date) else "month"
    return "year" if re.search(r"\d{4}", date) else "other"


def _words(text: str) -> list[str]:
    """Lowercased words with negations split off: _words("Kim didn't go") -> ['kim', 'did', "n't", 'go']"""
    out = []
    for w in _RAW_WORD.findall(text):
        low = re.sub(r"'s$", "", w.lower().replace("’", "'"))  # "Korea's" is "korea"
        if low.endswith("n't") and len(low) > 3:
            out += [low[:-3], "n't"]
        else:
            out.append(low)
    return out


def _names_in(text: str) -> list[str]:
    """Capitalised words that name someone or something (not an opening "The" or "He"); an owner's name ends
    at its "'s": _names_in("The envoy met President Kim Jong Un in Seoul.") -> ['Kim Jong Un', 'Seoul'],
    _names_in("Russia's U.N. mission") -> ['Russia', 'U.N']"""
    out = []
    for m in re.finditer(r"\b[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*", text):  # "Kim Jong Un" is one name
        name: list[str] = []
        written = m.group().split()
        words = [re.sub(r"['’]s$", "", w.rstrip(".'’,")) for w in written] + ["I"]
        owner = [bool(re.search(r"['’]s$", w.rstrip(".,"))) for w in written] + [False]
        for w, after, owns in zip(words, words[1:-1] + ["", ""], owner):  # the closing "I" ends the last name
            if (len(w) >= 2 and w.lower() not in STOPWORDS or w == "New" and after[:1].isupper()) and \
                    w not in _NOT_NAME_WORDS:  # "New York", though "new" is a stopword
                name.append(w)
                if owns and after:  # "Russia's U.N. mission": Russia, then the U.N.
                    out.append(" ".join(name))
                    name = []
            elif name:  # a title ends a name: "Chinese President Xi Jinping" is "Chinese" and "Xi Jinping"
                out.append(" ".join(name))
                name = []
    return out


ADDED_WORDS = 3  # this many content words the span lacks make an added fact
_SPEECH_VERBS = frozenset("said says say told tell tells wrote writes write".split())
# titles and dates are not who; nor is a company post ("NJ Transit CEO Kris Kolluri" is NJ Transit and Kolluri)
_NOT_NAME_WORDS = frozenset({"I", *TITLES, *MONTHS, *WEEKDAYS, *"CEO CFO COO Executive Officer Director".split()})


def _people(claim: str, evidence: str) -> tuple[dict[str, str], dict[str, str], list, list]:
    """Who each name stands for: a name one of whose words already stands for someone is that one ("Robert
    Bosch" after "Bosch"), a country's other names are the country ("Pyongyang" and "the DPRK" are "north
    korea"). Gives each name word's one (`person`), each one's name as written, and, word by word, whom each
    word of the claim and of the source stands for where it is written ("Korea" of "South Korea" is not
    "Korea" of "North Korea"). A capitalised opening word that is no proper noun ("Last month, ...") is nobody."""
    from rag.places import country

    person: dict[str, str] = {}
    full: dict[str, str] = {}
    names_of: dict[str, list[tuple[str, ...]]] = {}  # each one's names so far, as their words
    tagged = []
    found = {text: _names_in(text) for text in (claim, evidence)}
    same = {**_abbreviations(evidence), **_abbreviations(claim)}
    named_elsewhere = [n for text in found for n in found[text][1:]]
    for text in (claim, evidence):
        words, at = _words(text), 0
        names: list[str | None] = [None] * len(words)
        for n, name in enumerate(found[text]):
            parts = _words(name)
            if not parts or (n == 0 and name not in named_elsewhere and _capitalised_opening(text, name)):
                continue
            key = (person.get(_words(same[name])[0]) if name in same and _words(same[name]) else None) or \
                (country(name) or _known_as(parts, names_of)).lower()
            names_of.setdefault(key, []).append(tuple(p for p in parts if p not in _LEGAL_FORMS))
            full.setdefault(key, name)
            for part in parts:
                person.setdefault(part, key)
            start = next((i for i in range(at, len(words) - len(parts) + 1) if words[i:i + len(parts)] == parts), None)
            if start is not None:
                names[start:start + len(parts)] = [key] * len(parts)
                at = start + len(parts)
        tagged.append(names)
    return person, full, tagged[0], tagged[1]


_LEGAL_FORMS = frozenset("co corp inc ltd plc llc".split())  # "Wells Fargo & Co" is "Wells Fargo"


def _known_as(parts: list[str], names_of: dict[str, list[tuple[str, ...]]]) -> str:
    """Whom a name (its words) stands for: the one with a name that holds all its words or whose words it
    holds ("Bosch" and "Robert Bosch", "Kim" and "Kim Jong Un"), or that the one is the other's initials
    ("EU" and "European Union"), else someone new, known by its first word unless that is taken ("Realty
    Income Corp" and "American Realty Capital Trust Inc" share a word, but are two companies; so are "Kim
    Jong Un" and "Kim Yo Jong").
    _known_as(["kim"], {"kim": [("kim", "jong", "un")]}) -> "kim" """
    mine = tuple(p for p in parts if p not in _LEGAL_FORMS) or tuple(parts)

    def same(theirs: tuple[str, ...]) -> bool:
        return set(mine) <= set(theirs) or set(theirs) <= set(mine) or _initials_of(mine, theirs)

    known = next((key for key, names in names_of.items() if any(same(n) for n in names if n)), None)
    if known is not None:
        return known
    return parts[0] if parts[0] not in names_of else " ".join(parts)


def _initials_of(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one name is the other's initials: _initials_of(("eu",), ("european", "union")) -> True"""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(short) == 1 and _spelled_out(short[0], list(long_)) == list(long_)


def _name_words(name: str, evidence_words: list[str], evidence: str = "") -> list[str]:
    """The words of a claim's name that the source must have: an acronym the source spells out stands for its
    words ("US Congress" for "United States Congress", "NJ Transit CEO" for "NJ Transit's Chief Executive
    Officer"), a country the source names in another form stands for it ("Japan's Nippon Steel" for "the
    Japanese company Nippon Steel"), and the lowercase part of a hyphened word may be a synonym of a
    source's word ("Trump-backed" for "championed by Trump"):
    _name_words("US Congress", ["united", "states", "congress"]) -> ['congress']"""
    out = []
    for token in name.split():
        pieces = token.split("-")
        if len(pieces) > 1 and any(p[:1].isupper() for p in pieces):
            pieces = [p for p in pieces if p[:1].isupper() or _unrelated(_words(p), evidence_words)]
        for piece in pieces:
            words = _words(piece)
            if len(words) == 1 and piece.isupper() and _spelled_out(words[0], evidence_words):
                continue
            if evidence and not set(words) <= set(evidence_words) and _same_country(piece, evidence, as_place=True):
                continue  # "Japan's Nippon Steel" for "the Japanese company Nippon Steel"
            out += words
    return out


def _plural_or_clipped(word: str, known: set[str], evidence: str) -> bool:
    """Whether a name's word is the source's in the plural ("Super Bowls", "District Judges"), or a short form
    of a capitalised word of the source ("Fed" for "Federal Reserve")."""
    if word.endswith("s") and word[:-1] in known:
        return True
    return 3 <= len(word) <= 4 and bool(re.search(rf"\b{re.escape(word.title())}[a-z]{{2,}}\s+[A-Z]", evidence))


def _by_initials(name: str, parts: list[str], evidence: str, evidence_words: list[str]) -> bool:
    """Whether a claim's name is one of the source's by initials: an acronym the source spells out ("EU",
    "CEO" for "chief executive"), or the spelled-out form of a name the source abbreviates."""
    if name.isupper() and (len(parts) == 1 or all(len(p) == 1 for p in parts)) and \
            _spelled_out("".join(parts), evidence_words):  # "U.N." is "un"
        return True
    return any(_initials_of(tuple(parts), tuple(_words(other))) for other in _names_in(evidence))


def _spelled_out(acronym: str, words: list[str]) -> list[str]:
    """The words that spell out an acronym (its last "o" may be left out: "chief executive" for CEO):
    _spelled_out("ceo", ["the", "chief", "executive", "said"]) -> ['chief', 'executive']"""
    for n in (len(acronym), len(acronym) - 1 if acronym.endswith("o") else 0):
        for i in range(len(words) - n + 1 if n >= 2 else 0):
            if "".join(w[0] for w in words[i:i + n]) == acronym[:n] and all(w not in STOPWORDS for w in words[i:i + n]):
                return words[i:i + n]
    return []


def _acronym_words(claim_words: list[str], evidence: str) -> set[str]:
    """The claim's words that spell out one of the source's acronyms ("chief executive" for its "CEO")."""
    return {w for acronym in set(re.findall(r"\b[A-Z]{2,5}\b", evidence))
            for w in _spelled_out(acronym.lower(), claim_words)}


def _abbreviations(text: str) -> dict[str, str]:
    """A name in parentheses right after another stands for it (a ticker, an acronym):
    _abbreviations("Hewlett-Packard Co ( HPQ.N ) jumped") -> {'HPQ.N': 'Hewlett-Packard Co'}"""
    out = {}
    for m in re.finditer(r"\(\s*([A-Z][\w.&'’-]*)\s*\)", text):
        before = text[:m.start()].rstrip()
        names = _names_in(before)
        if names and _words(before)[-2:] and _words(names[-1])[-1:] == _words(before)[-1:]:
            out[m.group(1).rstrip(".'’,")] = names[-1]
    return out


_ANAPHORS = frozenset("it its he his she her they their".split())


def _named_before(claim: str, name: str, evidence: str, context: str) -> bool:
    """Whether the claim's opening name is who the span's opening refers back to: the span starts with a
    pronoun or "The/This <noun>" ("It held the rate", "The company also posted"), the claim starts with the
    name ("The ECB cut ...", "Amazon's margins ..."), and the title or the sentences before name it."""
    opens_with = re.match(r"\s*[\"“‘']?(?:The\s+)?(\S+)", claim)
    if not context or not opens_with or not name.startswith(opens_with.group(1).rstrip("'’s,")):
        return False
    first = _words(evidence)[:1]
    refers = bool(first and first[0] in _ANAPHORS) or bool(re.match(r"\s*(?:The|This|That)\s+[a-z]", evidence))
    return refers and all(w in set(_words(context)) for w in _words(name))


def _fills_description(parts: list[str], claim_words: list[str], evidence_words: list[str], evidence: str,
                       context: str) -> bool:
    """Whether a claim's name stands where the source has a pronoun or a short description without a name, and
    the span's context names it: "supporting Amnesty" for "supporting it", Amnesty named in the sentence before.
    Not a name put for another name ("Putin" for the source's "Xi"), one the source has in part ("Boris Johnson"
    for its "Johnson"), or one in a long run that difflib could not align word for word."""
    from difflib import SequenceMatcher

    if not context or not parts or not all(p in set(_words(context)) for p in parts) or set(parts) & set(evidence_words):
        return False
    named = {w for n in _names_in(evidence) for w in _words(n)}
    at = next((i for i in range(len(claim_words) - len(parts) + 1) if claim_words[i:i + len(parts)] == parts), None)
    if at is None:
        return False
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, claim_words, evidence_words, autojunk=False).get_opcodes():
        if tag == "replace" and i1 <= at and at + len(parts) <= i2:
            return i2 - i1 <= len(parts) + 2 and j2 - j1 <= MAX_SWAP and not named & set(evidence_words[j1:j2])
    return False


def _same_country(name: str, evidence: str, as_place: bool = False) -> bool:
    """Whether a name stands for a country the source names otherwise: "Pyongyang", "the DPRK" or
    "North Koreans" for the source's "North Korea" (`rag.places`). A capital named as a place ("a briefing
    in Pyongyang") is the city, not its government, so there it does not stand for the country."""
    from rag.places import countries_in, country

    place = country(name, capitals=not as_place)
    return place is not None and place in countries_in(_names_in(evidence))


_PLACE_WORDS = frozenset("in at to from into near visit visited visiting visits".split())


def _after_place_word(text: str, name: str) -> bool:
    """Whether the name follows a word that makes it a place: "in Pyongyang", "visited Beijing"."""
    return bool(re.search(r"\b(?:%s)\s+(?:the\s+)?%s" % ("|".join(_PLACE_WORDS), re.escape(name.split()[0])), text, re.I))


def _subject_object(names: list[str | None], at: int) -> tuple[str | None, str | None]:
    """The nearest name before a word (its subject) and after it (its object), within six words;
    `names` holds, for each word of the text, the name it belongs to (None for other words)."""
    before = [n for n in names[max(0, at - 6):at] if n]
    after = [n for n in names[at + 1:at + 7] if n]
    return (before[-1] if before else None), (after[0] if after else None)


def _base(word: str) -> str:
    """A word's base form, also the one the antonym list knows: "hopes" -> "hope", "rejected" -> "reject",
    "denied" -> "deny", "losing" -> "lose" """
    folded = tokenize(word)
    if not folded:
        return word
    if folded[0].endswith("ied") and len(folded[0]) > 4:
        return folded[0][:-3] + "y"
    word, stem = folded[0], lemma(folded[0])
    tries = [stem, stem + "e"] + [word[:-n] + e for n in (3, 2, 1) for e in ("", "e") if len(word) - n >= 2]
    return next((t for t in tries if t in OPPOSITE), _folded(word, stem))


def _bases(word: str) -> set[str]:
    """A word's base form, and its lemma where it is irregular (WordNet's exceptions): _bases("said") ->
    {'said', 'say'}"""
    from rag.opposites import lexicon

    irregular = lexicon().exceptions.get(word.lower())
    return {_base(word)} | ({irregular} if irregular else set())


def _folded(word: str, stem: str) -> str:
    """The same form for a word's inflections, where the antonym list does not know it: "regretted" and
    "regret", "allows" and "allow", "carries" and "carry" (both sides of a comparison go through it).
    Not WordNet's first known form (`Lexicon.forms`): its "-er" rule makes "beer" "be" and "officer" "office"."""
    if stem != word:  # -ed / -ing taken off: "regrett" -> "regret", "stopp" -> "stop" (not "call")
        stem = stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] in "bdgmnprt" else stem
    elif len(word) > 4 and word.endswith("ies"):
        stem = word[:-3] + "y"
    elif len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        stem = word[:-2] if word.endswith(("ches", "shes", "xes", "zes")) else word[:-1]
    return stem[:-1] if len(stem) > 4 and stem.endswith("e") else stem  # "arrive" as "arrived" -> "arriv"


def _as_written(name: str, full: dict[str, str]) -> str:
    """A name as the source writes it, where that holds the name ("Donald Trump" for "donald", "Baton Rouge"
    for "baton"); a country the source names by its people stays the country ("United States", not "U.S")."""
    written = full.get(name, "")
    return written if name.split()[0].lower() in written.lower().split() else name.title()


def _swapped(claim_names: list, i: int, evidence_names: list, at: int, word: str, evidence: str,
             person: dict[str, str], claim: str, claim_word: str, full: dict[str, str] | None = None) -> str:
    """Why the names around a word shared by claim (at i) and source (at `at`) are swapped, or "" (names
    as the source writes them in `full`: "President Donald Trump", not "Donald")."""
    full = full or {}
    subject, obj = _subject_object(claim_names, i)
    e_subject, e_obj = _subject_object(evidence_names, at)
    if subject and obj and subject != obj and (subject, obj) == (e_obj, e_subject):
        return f"roles swapped: the source has {_as_written(e_subject, full)} {word} {_as_written(e_obj, full)}"
    # "Kim said" where the source has "Xi said", Kim being someone else in it: the doer changed
    if i and at and subject and e_subject and subject != e_subject and subject in evidence_names and \
            claim_names[i - 1] == subject and evidence_names[at - 1] == e_subject and \
            _doer_confirmed(evidence, word, subject, person) and _doer_may_be(claim, claim_word, subject, person):
        return f"roles swapped: in the source {_as_written(e_subject, full)} {word}"
    return ""


def _doer_confirmed(evidence: str, word: str, name: str, person: dict[str, str]) -> bool:
    """Whether the parse agrees that the source's doer of `word` is not `name`: "Professor Yang of the
    University in Seoul said" has Yang say it, although Seoul is the name just before "said"."""
    from rag.syntax import doers

    return not any(person.get(w) == name for phrase in doers(evidence, word) for w in phrase)


def _doer_may_be(claim: str, word: str, name: str, person: dict[str, str]) -> bool:
    """Whether the parse lets `name` be the claim's doer of `word`: not when it gives a doer named otherwise
    ("Jake Wood, the first head of GHF, resigned" has Wood resign, although GHF is the name just before
    "resigned"); a doer without a name ("he", "a spokesman for X") may be the name before the verb."""
    from rag.syntax import doers

    named = [person[w] for phrase in doers(claim, word) for w in phrase if w in person]
    return not named or name in named


_MARKERS = ("to", "from", "by", "against")  # a name after one of these has that part: sender, target, ...
_BEFORE_NAME = frozenset(("the", "a", "an", "its", "his", "her", "their", *(t.lower() for t in TITLES),
                          *HEAD_NOUNS[PERSON].split()))


def _pauses(text: str, marks: str = r"[;:\"“”()—–]") -> list[bool]:
    """For each of `_words(text)`, whether a quote mark, dash, bracket, colon or semicolon follows it (not a
    comma, which lists and describes too), or another of `marks`: _pauses('to PBS," White House') ->
    [False, True, False, False]"""
    out = []
    matches = list(_RAW_WORD.finditer(text))
    for m, nxt in zip(matches, matches[1:] + [None]):
        between = text[m.end():nxt.start() if nxt else len(text)]
        words = _words(m.group())
        if words:
            out += [False] * (len(words) - 1) + [bool(re.search(marks, between))]
    return out


def _marked(words: list[str], names: list[str | None], verbs: frozenset[str] = frozenset(),
            pauses: list[bool] | None = None, commas: list[bool] | None = None) -> dict[str, set[str]]:
    """The names each marker word governs, the last of a run of descriptions: "a letter to North Korean
    leader Kim Jong Un" gives {'to': {'kim'}}; up to two other words may describe the first name ("by
    parts maker Robert Bosch"), but not a verb ("to visit Beijing"); names joined by "and" count for the same
    marker. The run ends at a punctuation mark (`pauses`): "to PBS," White House spokesperson Harrison
    Fields said" governs PBS alone; and at a comma (`commas`) before a name that does a verb: "on the flight
    to Japan, Pompeo told reporters" governs Japan alone."""
    from rag.syntax import NOT_A_SIDE  # the parser's module, not loaded to check a quote

    out: dict[str, set[str]] = {}
    for i, word in enumerate(words):
        if word not in _MARKERS or (i and words[i - 1] in NOT_A_SIDE):  # "according to X" is who says it
            continue
        j, last, described = i + 1, None, 0
        while j < len(words) and (names[j] or words[j] in _BEFORE_NAME or (last and words[j] == "and") or
                                  (not last and described < 2 and bool(tokenize(words[j])) and words[j] not in verbs)):
            described += not (names[j] or words[j] in _BEFORE_NAME)  # "by parts maker Robert Bosch"
            if words[j] == "and":
                out.setdefault(word, set()).add(last)
            last = names[j] or last
            j += 1
            if pauses and len(pauses) == len(words) and pauses[j - 1]:
                break
            if commas and len(commas) == len(words) and commas[j - 1] and names[j:j + 1] and names[j]:
                k = j
                while k < len(words) and names[k] == names[j]:
                    k += 1
                if k < len(words) and words[k] in verbs:  # "…, Pompeo told": a new clause
                    break
        if last:
            out.setdefault(word, set()).add(last)
    return out


def _moved(claim: str, evidence: str, claim_names: list, evidence_names: list, full: dict[str, str]) -> str:
    """Why a name has another's part in the claim, or "": the claim sends a letter "to Kim" where the source
    sends it "to Trump", Kim being in the source in another part and Trump in the claim."""
    from rag.syntax import verbs

    ours = _marked(_words(claim), claim_names, verbs(claim), _pauses(claim), _pauses(claim, ","))
    theirs = _marked(_words(evidence), evidence_names, verbs(evidence), _pauses(evidence), _pauses(evidence, ","))
    for marker, names in ours.items():
        for name in sorted(names - theirs.get(marker, set())):
            other = sorted(n for n in theirs.get(marker, set()) - names if n in claim_names)
            if other and name in evidence_names:
                return f"roles swapped: the source has '{marker} {full[other[0]]}', not '{marker} {full[name]}'"
    return ""


_DEGREE = frozenset("less more fewer lesser".split())  # "less far" keeps "far" but turns "further"
MAX_SWAP = 4  # words on either side of a replaced run that the opposite-meaning check compares
_PLAIN = STOPWORDS - {"more", "less", "fewer"}  # words that say nothing of a long run's meaning


def _turned(claim_words: list[str], evidence_words: list[str], denied: set[str],
            negated_here: set[str] = frozenset()) -> tuple[str, str] | None:
    """A word or phrase the claim puts where the source has one of opposite meaning (WordNet antonyms,
    VADER valence of the other sign), unless the source negates its word (`denied`, bases) or the claim its
    own (`negated_here`): the runs that differ between the two, aligned by difflib.
    _turned("xi rejected talks".split(), "xi hopes for talks".split(), set()) -> ('rejected', 'hopes')"""
    from difflib import SequenceMatcher

    from rag.opposites import lexicon

    lex = lexicon()
    ops = SequenceMatcher(None, claim_words, evidence_words, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "replace":
            ours, theirs = claim_words[i1:i2], evidence_words[j1:j2]
            if i2 - i1 <= MAX_SWAP and j2 - j1 <= MAX_SWAP:
                found = lex.opposite(ours, theirs)
            else:  # a longer run: only an antonym among its first or its last words ("easy for the UN" /
                # "difficult", "much shorter than" / "living far longer on surfaces than")
                found = next((pair for pair in (lex.antonym_pair(*([w for w in run[ends] if w not in _PLAIN]
                                                                   for run in (ours, theirs)))
                                                for ends in (slice(None, MAX_SWAP), slice(-MAX_SWAP, None))) if pair),
                             None)
                if found and _moved_here(found[0], claim_words[:i1] + claim_words[i2:], evidence_words):
                    found = None  # the claim moved the source's word: "public gatherings" / "gatherings in public"
            kept = found and found[0] not in _DEGREE and _kept_otherwise(found[1], ours, found[0])  # "less far"
            if found and not set(found) & (_NEGATORS | {"any"}) and not kept and not _bases(found[1]) & denied \
                    and not _bases(found[0]) & negated_here:
                return found  # ("no message" for "not ... any message" was counted as a negation)
    return None


def _moved_here(word: str, rest: list[str], evidence_words: list[str]) -> bool:
    """Whether the source has the word more often than the claim outside the run (`rest`): the claim only moved it."""
    mine = _bases(word)
    return sum(bool(_bases(w) & mine) for w in evidence_words) > sum(bool(_bases(w) & mine) for w in rest)


def _kept_otherwise(word: str, run: list[str], partner: str) -> bool:
    """Whether the claim's run keeps the source's `word` in another form or by a synonym, beside the word it
    was paired with: then the claim did not trade it for its opposite ("had broken" keeps the source's "broke",
    "helping to smuggle" its "facilitating the smuggling"). Only that way round: "passed" for the source's
    "failed to pass" does trade "failed" away, though the source has "pass"."""
    from rag.opposites import lexicon

    lex = lexicon()
    mine = lex.kin(word)
    return any(w not in partner.split() and w not in STOPWORDS and mine & lex.kin(w) for w in run)


# Words of one modality: "no obligation to present" is not "must present", "not allowed" not "may"
_MODALITIES = (frozenset("must obligation obligations obligated obliged required requires require requirement "
                         "mandatory compulsory".split()),
               frozenset("allowed allow allows permitted permit permits permission may".split()))


def _said_otherwise(negated: list[str], claim_negated: list[str], claim_words: list[str],
                    evidence_words: list[str]) -> bool:
    """Whether the claim has, without a negation, a synonym of a verb the source negates, or a word one step
    more general or specific than it, or a word of its modality, that the source itself does not have: "had
    been told" for "had not been informed", "must present" for "no obligation to present"."""
    from rag.opposites import lexicon

    lex = lexicon()
    new = [w for w in claim_words if (w not in STOPWORDS or w in _SPEECH_VERBS) and w not in evidence_words and
           w not in claim_negated]  # "told" is a stopword, but a verb a negation may bear on
    # a modal word of the claim before the verb that the span's negated modal word governs: "must present"
    # for "no obligation for students to present" ("schools must treat" is another clause)
    governed = {w for i, v in enumerate(evidence_words) if v in negated for w in evidence_words[i + 1:i + 5]}
    for i, w in enumerate(claim_words):
        kind = next((k for k in _MODALITIES if w in k), None)
        after = next((a for a in claim_words[i + 1:i + 3] if a not in STOPWORDS), "")
        if kind and w not in evidence_words and w not in claim_negated and after in governed and \
                any(v in kind for v in negated):
            return True
    return any(v and v not in STOPWORDS and (lex.synonyms(v) & lex.synonyms(w) or lex.broader(v) & lex.synonyms(w) or
                                             lex.broader(w) & lex.synonyms(v) or _same_root(v, w))
               for v in negated for w in new)


def _same_root(a: str, b: str) -> bool:
    """Whether two words are one root, by WordNet's derivation links and a shared first four letters:
    "allegation" / "alleges", "decision" / "decided"."""
    from rag.opposites import lexicon

    lex = lexicon()
    return a[:4] == b[:4] and bool(lex.kin(a) & lex.kin(b))


def _filled_in(claim_words: list[str], evidence_words: list[str]) -> bool:
    """Whether the claim has, right after the two words before a negation of the source, another word in
    its place: "operations at the airport were suspended" for "... were n't affected"."""
    anchors = {tuple(evidence_words[i - 2:i]) for i, w in enumerate(evidence_words) if i >= 2 and w in _NEGATORS}
    return any(tuple(claim_words[i - 2:i]) in anchors and w not in _NEGATORS and w not in _NEGATION_ADVERBS and
               not any(map(_negative_prefixed, claim_words[i:i + 3]))  # "were left untouched"
               for i, w in enumerate(claim_words) if i >= 2)


def _negative_prefixed(word: str) -> bool:
    """A word that negates another by its prefix: "untouched", "unable", "nonbinding" (not "under", "union")."""
    from rag.opposites import lexicon

    stem = next((word[len(p):] for p in ("un", "non") if word.startswith(p)), "")
    return len(stem) >= 4 and bool(lexicon().synsets.get(stem) or lexicon().synsets.get(lemma(stem)))


def _prefix_negated(words: list[str]) -> dict[str, str]:
    """The words a text negates by a prefix, each with its negating word: "unmoved" -> "moved", "inadequate"
    -> "adequate", "non-verified" -> "verified", "asymptomatic" -> "symptomatic" ("in", "im", "il", "ir", "dis"
    and "a" only for adjectives, so "dismiss" and "abroad" negate nothing):
    _prefix_negated(["left", "unmoved"]) -> {"moved": "unmoved"}"""
    from rag.opposites import lexicon

    lex = lexicon()

    def kinds(w: str) -> set[str]:  # WordNet's parts of speech of the word in any form
        return {lex.pos[i] for f in lex.forms(w) for i in lex.synsets.get(f, ())}

    def adjective(w: str) -> bool:  # an adjective, and no verb in any form ("dismissed", "missed")
        return bool(kinds(w) & {"a", "s"}) and "v" not in kinds(w)

    out = {}
    for before, word in zip([""] + words, words):
        if before == "non" and len(word) >= 4:  # "non-verified", split at its hyphen
            out[word] = f"non-{word}"
            continue
        if _negative_prefixed(word):
            out[next(word[len(p):] for p in ("un", "non") if word.startswith(p))] = word
            continue
        for prefix in ("in", "im", "il", "ir", "dis"):
            stem = word[len(prefix):]
            if word.startswith(prefix) and len(stem) >= 4 and adjective(word) and adjective(stem):
                out[stem] = word
        stem = word[1:]  # "asymptomatic", "atypical": an adjective only, of an adjective of five letters or more
        if word.startswith("a") and len(stem) >= 5 and adjective(stem) and adjective(word) and \
                kinds(word) <= {"a", "s"}:
            out[stem] = word
    return out


def _stems(word: str) -> set[str]:
    """A word's base forms, an adverb's adjective among them: _stems("adequately") -> {..., "adequate"}"""
    return {word, lemma(word)} | ({word[:-2]} if word.endswith("ly") else set())


def _plainly(words: list[str], stem: str) -> str | None:
    """The first word of the text that is the stem in some form and not negated right before it ("non-verified",
    "not verified"): _plainly(["the", "gesture", "moved"], "moved") -> "moved" """
    return next((w for i, w in enumerate(words) if stem in _stems(w) and
                 (i == 0 or words[i - 1] not in _NEGATORS and words[i - 1] not in ("non", "un"))), None)


def _prefix_turned(claim_words: list[str], evidence_words: list[str], claim_negated: list[str],
                   evidence_negated: list[str], evidence_prefixed: dict[str, str]) -> tuple[str, str] | None:
    """A word the claim has where the source has it negated by a prefix (`evidence_prefixed`, from
    `_prefix_negated`), or the reverse, neither side negating it otherwise: "left unmoved" for "moved to
    tears" -> ("unmoved", "moved")."""
    for ours, theirs, flip, prefixed in ((claim_words, evidence_words, False, _prefix_negated(claim_words)),
                                         (evidence_words, claim_words, True, evidence_prefixed)):
        for stem, word in prefixed.items():
            if word in theirs or word.replace("-", " ") in " ".join(theirs):
                continue
            plain = _plainly(theirs, stem)
            negated_there = {s for w in (claim_negated if flip else evidence_negated) for s in _stems(w)}
            if plain is not None and stem not in negated_there and _plainly(ours, stem) is None:
                return (plain, word) if flip else (word, plain)
    return None


_PUBLIC = frozenset("state government public".split())  # "state-run" is "government-run"
_HELD = re.compile(r"\b([a-z]{3,})-(held|controlled|led|backed|owned|run|funded|dominated)\b")


def _holder_changed(claim: str, evidence: str) -> tuple[str, str] | None:
    """A compound of who holds something ("rebel-held", "state-owned") whose holder the claim changes to one
    that is no synonym and not in the source: ("government-held", "rebel-held")."""
    from rag.opposites import lexicon

    lex = lexicon()
    theirs = {m[2]: m for m in _HELD.finditer(evidence)}
    have = set(_words(evidence))
    for m in _HELD.finditer(claim):
        other = theirs.get(m[2])
        if other and other[1] != m[1] and m[1] not in have and not lex.kin(m[1]) & lex.kin(other[1]) and \
                not {m[1], other[1]} <= _PUBLIC:
            return m.group(), other.group()
    return None


_AGE = re.compile(r"\b(\d{1,3})-year-old\b")


def _hyphened(text: str, other: str) -> set[str]:
    """A hyphened word's parts and the whole, where the other text writes it as one word:
    _hyphened("in north-west Spain", "in northwest Spain") -> {'north', 'west', 'northwest'}"""
    words = set(_words(other))
    return {w for m in re.finditer(r"\b([^\W\d_]+)-([^\W\d_]+)\b", text) if (m[1] + m[2]).lower() in words
            for w in (m[1].lower(), m[2].lower(), (m[1] + m[2]).lower())}


_UNKNOWN = re.compile(r"\b(?:no idea|unclear|unknown|uncertain|not (?:yet )?(?:known|clear|sure|certain|say|know|specify|"
                      r"disclose|reveal)|n't (?:know|say|specify|disclose|reveal)|declined to (?:say|specify|disclose))"
                      r"\W+(?:\w+\W+){0,3}?(how|what|when|where|why|whether|who|which)\W+(\w+)", re.I)


def _made_known(claim: str, evidence: str) -> str:
    """What the source says is not known ("no idea how long", "unclear whether") that the claim tells as
    known, with the same question word and the word after it, or "": "investigators knew how long"."""
    if _UNKNOWN.search(claim):
        return ""
    for m in _UNKNOWN.finditer(evidence):
        if re.search(rf"\b{m[1]}\W+{re.escape(m[2])}\b", claim, re.I):
            return f"{m[1]} {m[2]}".lower()
    return ""


def _unrelated(words: list[str], evidence_words: list[str]) -> list[str]:
    """The words that share no WordNet sense, and no root, with any word of the source, nor are one step more
    general than one: a paraphrase's "described" (the source's "called"), "contribute" ("contribution") and
    "vessels" ("ships") are not new facts; a more specific word would be."""
    from rag.opposites import lexicon

    lex = lexicon()
    theirs = frozenset().union(*map(lex.kin, evidence_words), *map(lex.broader, evidence_words))
    return [w for w in words if not lex.kin(w) & theirs]


def _other_body(claim_words: list[str], evidence_words: list[str]) -> tuple[str, str] | None:
    """An organisation the claim names otherwise: a word put before the noun that heads it, where the
    source has another word that is no synonym ("defence ministry" for the source's "foreign ministry")."""
    from difflib import SequenceMatcher

    from rag.opposites import lexicon

    lex = lexicon()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, claim_words, evidence_words, autojunk=False).get_opcodes():
        if tag != "replace" or i2 - i1 > 2 or j2 - j1 > 2 or i2 >= len(claim_words) or j2 >= len(evidence_words):
            continue
        head = claim_words[i2]
        if head != evidence_words[j2] or not lex.is_body(head):
            continue
        ours, theirs = claim_words[i1:i2], evidence_words[j1:j2]
        if any(w in STOPWORDS for w in ours + theirs) or any(lex.kin(a) & lex.kin(b) for a in ours for b in theirs):
            continue
        if len(ours) == 1 and _spelled_out(ours[0], theirs) == theirs:  # "US Congress" for "United States Congress"
            continue
        if any(w.endswith(("ing", "ly")) for w in ours + theirs):  # "fast growing navy" describes, not names
            continue
        return " ".join(ours + [head]), " ".join(theirs + [head])
    return None


def _capitalised_opening(claim: str, name: str, evidence: str = "") -> bool:
    """Whether a "name" is only a capitalised first word that the parser's tagger says is not a proper
    noun ("Speaking at a rally, ...", "Ties between ..."): _names_in cannot tell that one from "Kim said"."""
    if " " in name or not claim.lstrip(" \"“‘'(").startswith(name):
        return False
    from rag.opposites import lexicon
    from rag.syntax import opening_is_proper_noun

    senses = lexicon().synonyms(name)
    if senses and all(lexicon().pos[i] in "asr" for i in senses):
        return True  # WordNet knows it only as an adjective or adverb: "Longtime IOC member ..."
    return not opening_is_proper_noun(claim) and not _in_a_names_place(claim, evidence)


def _in_a_names_place(claim: str, evidence: str) -> bool:
    """Whether the claim's first word stands where the source opens with a name, the word after it the
    same: "Twitter removed several ads" for "Facebook removed several ads" (the tagger may read an opening
    "Twitter" as a common noun)."""
    from rag.syntax import opening_is_proper_noun

    ours, theirs = _words(claim)[:2], _words(evidence)[:2]
    return len(ours) == len(theirs) == 2 and ours[1] == theirs[1] and ours[0] != theirs[0] and \
        evidence.lstrip(" \"“‘'(")[:1].isupper() and opening_is_proper_noun(evidence)


def _acronym_for(name: str, evidence_words: list[str]) -> bool:
    """Whether a name in capitals is WordNet's synonym of a source word or pair of words: "TV" for
    "television", "UN" for "United Nations"."""
    from rag.opposites import lexicon

    if not re.fullmatch(r"[A-Z]{2,5}", name):
        return False
    senses = lexicon().synonyms(name.lower())
    pairs = [f"{a}_{b}" for a, b in zip(evidence_words, evidence_words[1:])]
    return bool(senses) and any(senses & lexicon().synonyms(w) for w in evidence_words + pairs)


_PRONOUNS = frozenset("he she they him her them we us i me".split())


def _reversed(claim: str, evidence: str, person: dict[str, str], full: dict[str, str]) -> str:
    """Why the parse says the claim reverses who did what to whom in the source, or "": a verb of both
    whose doer and other party are names, or things other than with "be" ("wages outpaced inflation" /
    "inflation outpaced wages"), swapped (Kim wrote to Xi / Xi wrote to Kim), whose doer is the source's
    other party where the source's doer is a pronoun (Scott asked Bondi / she asked Scott), whose doer is a
    pronoun where the source's other party is one (he called Pritzker / Pritzker called him), or whose other
    party is the source's doer of that verb (X replaced Y / X was replaced by Y)."""
    from rag.syntax import acts, relations

    def who(words: tuple[str, ...], thing: bool = False) -> str | None:
        found = next((person[w] for w in reversed(words) if w in person), None)
        return found or (words[-1] if thing and words and tokenize(words[-1]) else None)

    def pair(rel) -> tuple[str | None, str | None]:
        thing = rel.verb != "be"  # "the largest retailer is Amazon" is "Amazon is the largest retailer"
        return who(rel.agent, thing), next(filter(None, (who(p, thing) for p in rel.patients)), None)

    for rel in relations(claim):
        agent, patient = pair(rel)
        if not agent and patient and rel.agent and rel.agent[-1].lower() in _PRONOUNS:
            # "he called Pritzker" for "Pritzker called him": a pronoun on the other side each time
            theirs = [e for e in relations(evidence) if e.verb == rel.verb]
            if theirs and all(who(e.agent) == patient and e.patients and
                              all(p and p[-1].lower() in _PRONOUNS for p in e.patients) for e in theirs):
                return f"roles swapped: in the source {full.get(patient, patient)} does the '{rel.verb}'"
        if not agent or not patient or agent == patient:
            continue
        theirs = [pair(e) for e in relations(evidence) if e.verb == rel.verb]
        if theirs and all(t == (patient, agent) for t in theirs):
            return f"roles swapped: the source's '{rel.verb}' goes from {full.get(patient, patient)} to {full.get(agent, agent)}"
        if theirs and all(t[0] is None and t[1] == agent for t in theirs):  # "she asked Scott" / "Scott asked Bondi"
            return f"roles swapped: in the source the '{rel.verb}' goes to {full.get(agent, agent)}"
        doers = {who(phrase) for verb, phrase in acts(evidence) if verb == rel.verb}
        if patient in doers and agent not in doers and agent in person.values():  # "having been replaced by Y"
            return f"roles swapped: in the source {full.get(patient, patient)} does the '{rel.verb}'"
    return ""


def _normal(text: str) -> str:
    """Text for verbatim comparison: case, quotes, dashes and spacing (incl. non-breaking) folded."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text).lower().translate(str.maketrans("‘’“”", "''\"\""))
    return re.sub(r"\s+", " ", text).strip(" \"'.,;:")


def is_quote(claim: str, evidence: str) -> bool:
    """Whether the claim is the evidence's own words: a verbatim quote, or "Phrase — “quote”" (an
    extractive answer's lead and sentence): is_quote("Kim — “Kim wrote.”", "Kim wrote.") -> True"""
    have = _normal(evidence)
    if _normal(claim) and _normal(claim) in have:
        return True
    m = re.match(r"^(.{1,120}?) — (.+)$", claim.strip(), re.S)
    return bool(m) and bool(_normal(m.group(1))) and _normal(m.group(1)) in have and _normal(m.group(2)) in have


def judge(claim: str, evidence: str, threshold: float = 0.5, context: str = "") -> Judgment:
    """Whether the evidence supports the claim, and if not, which check failed: every number, date and
    name of the claim is in the evidence (a country may go by another of its names), the claim keeps the
    evidence's polarity (a negation or an opposite word flips it), its organisations and who did what to
    whom (which side of "than", "against", "unlike" ... each thing is on, whose each number is), shares enough
    content words (`support_score`) and adds no clause of its own.
    When the span opens by referring back ("It ...", "The company ..."), the claim's opening name may come
    from `context` (`span_context`: the article's title and the sentences around the span).
    judge("Xi does not hope for talks.", "Xi hopes for talks.").reason -> "negated" """
    score = support_score(claim, evidence)
    if is_quote(claim, evidence):
        return Judgment(True, score, "ok")

    def fail(reason: str) -> Judgment:
        return Judgment(False, score, reason)

    have = evidence.lower()
    claim_words, evidence_words = _words(claim), _words(evidence)
    evidence_dates = [m.group().strip() for m in DATE_RE.finditer(evidence) if m.group().strip()]
    for m in DATE_RE.finditer(claim):  # dates first: "Dec. 1" for "Dec. 6" is a date that differs, not a number
        date = m.group().strip()
        if date and not _date_said(date.lower(), have):
            like = [d for d in evidence_dates if _date_kind(d) == _date_kind(date)] or evidence_dates
            return fail(f"date differs: {date} vs {like[0]}" if like else f"date '{date}' not in the source")
    counted = _in_years(claim), _in_years(evidence)  # "30 years" is "three decades"
    evidence_numbers, counted_words = set(_NUMBER.findall(counted[1])), _words(counted[1])
    for number in _NUMBER.findall(counted[0]):
        if number not in evidence_numbers and _DIGITS.get(number) not in counted_words:
            return fail(f"number {number} not in the source")
    claim_counted = _words(counted[0])
    for i, word in enumerate(claim_counted):
        if word in NUMERIC_WORDS and word not in counted_words and not (word == "one" and "a" in counted_words) \
                and _TIMES.get(word) not in counted_words and COUNTS.get(word) not in evidence_numbers \
                and not (word == "twice" and "two" in _multiples(evidence)) and _counts_part(claim_counted, i) \
                and not (word == "two" and "both" in counted_words) \
                and not (word == "first" and _first_otherwise(counted_words)):  # "the two women" for "both women"
            return fail(f"number '{word}' not in the source")
    differs = _number_differs(claim, evidence)
    if differs:
        return fail(differs)
    units = _time_units(claim_counted), _time_units(counted_words)
    if units[0] - units[1] and units[1] - units[0]:  # "a month after" where the source has "a week after"
        return fail(f"date differs: {min(units[0] - units[1])} vs {min(units[1] - units[0])}")
    known = set(evidence_words) | {lemma(w) for w in evidence_words} | set(counted_words)
    for at, name in enumerate(_names_in(claim)):
        if at == 0 and " " in name and _capitalised_opening(claim, name.split()[0], evidence):
            name = name.split(" ", 1)[1]  # "Although Beijing ...": the name is Beijing
        parts = _name_words(name, evidence_words, evidence)
        if parts and not all(p in known or _plural_or_clipped(p, known, evidence) for p in parts) and \
                not _capitalised_opening(claim, name, evidence) and \
                not _same_country(name, evidence, as_place=_after_place_word(claim, name)) and \
                not _by_initials(name, parts, evidence, evidence_words) and not _acronym_for(name, evidence_words) and \
                not (at == 0 and _named_before(claim, name, evidence, context)) and \
                not _fills_description(parts, claim_words, evidence_words, evidence, context):
            return fail(f"name '{name}' not in the source")
    claim_negated, evidence_negated = _negated(claim_words), _negated(evidence_words)
    # a negation the source makes by a prefix ("cannot adequately" for "inadequate") or by a "stop ... from"
    # ("cannot receive" for "stops clinics from receiving")
    prefixed = _prefix_negated(evidence_words)
    stopped = {_base(evidence_words[i]) for i in _prevented(evidence_words)}
    refused = _refused(evidence_words)
    said = sum(bool(_stems(w) & set(prefixed)) or _base(w) in stopped or  # "no symptoms" for "asymptomatic"
               any(_same_root(w, stem) for stem in prefixed)
               for w in claim_negated)
    if not said and not _refusal_paraphrased(claim_words, evidence_words, refused):
        return fail("negated")
    negations = _negations(claim_words, claim), _negations(evidence_words, evidence)
    # a verb the source negates, refuses or stops that the claim has without that ("have not responded" is kept)
    claim_bases = {b for w in claim_words for b in _bases(w)} - {b for w in claim_negated for b in _bases(w)}
    done = refused & claim_bases - _refused(claim_words)  # "responded" for "declined to respond"
    if done & stopped:  # "can receive" for "stops clinics from receiving": no negation counts it
        return fail("negated")
    if negations[0] != negations[1] and negations[0] - said != negations[1]:
        if negations[0] - said > negations[1] or done or any(_bases(w) & claim_bases for w in evidence_negated) or \
                _said_otherwise(evidence_negated, claim_negated, claim_words, evidence_words) or \
                _filled_in(claim_words, evidence_words):
            return fail("negated")
    turned_by_prefix = _prefix_turned(claim_words, evidence_words, claim_negated, evidence_negated, prefixed)
    if turned_by_prefix:
        return fail(f"negated: '{turned_by_prefix[0]}' for the source's '{turned_by_prefix[1]}'")
    made_known = _made_known(claim, evidence)
    if made_known:
        return fail(f"negated: the source says it is not known {made_known} …")
    evidence_lemmas = {_base(w) for w in evidence_words}
    claim_lemmas = {_base(w) for w in claim_words}
    # the opposite of a word the source negates is what the source says: "left untouched" for "not affected"
    denied = {b for w in evidence_negated for b in _bases(w)}
    # and the claim may negate the opposite of the source's word: "does not have" for "lacks"
    negated_here = {b for w in claim_negated for b in _bases(w)}
    for word in sorted(claim_lemmas - evidence_lemmas - negated_here):  # sorted: the same reason on every run
        opposite = next((o for o in sorted(OPPOSITE.get(word, ())) if o in evidence_lemmas), None)
        if opposite is not None and opposite not in claim_lemmas and opposite not in denied:
            return fail(f"'{word}' contradicts the source's '{opposite}'")
    turned = _turned(claim_words, evidence_words, denied, negated_here) or _holder_changed(claim, evidence)
    if turned:
        return fail(f"'{turned[0]}' contradicts the source's '{turned[1]}'")
    body = _other_body(claim_words, evidence_words)
    if body:
        return fail(f"organisation differs: '{body[0]}' vs '{body[1]}'")
    person, full, claim_names, evidence_names = _people(claim, evidence)  # who each name stands for, and where
    reversed_ = _reversed(claim, evidence, person, full) or crossed(claim, evidence)
    if reversed_:
        return fail(reversed_)
    moved = _moved(claim, evidence, claim_names, evidence_names, full) or swapped_sides(claim, evidence) or \
        swapped_written_sides(claim, evidence) or reordered(claim, evidence) or swapped_slot(claim, evidence) or \
        swapped_numbers(claim, evidence) or swapped_result(claim, evidence) or swapped_things(claim, evidence) or \
        flipped_order(claim, evidence) or swapped_pairs(claim, evidence)
    if moved:
        return fail(moved)
    from rag.syntax import passives, verbs

    claim_verbs, claim_passive, evidence_passive = verbs(claim), passives(claim), passives(evidence)
    for i, word in enumerate(claim_words):
        if word in person or word not in claim_verbs:
            continue  # only a verb relates names
        # the same voice only: "Boston was led by Brown" is "Brown led Boston", so word order says nothing
        places = [j for j, w in enumerate(evidence_words) if _base(w) == _base(word) and
                  (w in evidence_passive) == (word in claim_passive)]
        swaps = [_swapped(claim_names, i, evidence_names, at, evidence_words[at], evidence, person, claim, word, full)
                 for at in places]
        if swaps and all(swaps):  # the word relates the names otherwise wherever the source uses it
            return fail(swaps[0])
    turned = turned_owner(claim, evidence)  # after the roles: a verb moved to another owner is a swap
    if turned:
        return fail(f"'{turned[0]}' contradicts the source's '{turned[1]}'")
    if score < threshold:
        return fail(f"unsupported: {score:.0%} of its words are in the source")
    spelled = _acronym_words(claim_words, evidence)
    spelled |= _hyphened(claim, evidence) | _hyphened(evidence, claim)  # "north-west" and "northwest"
    if any(age in evidence_numbers for age in _AGE.findall(claim)):  # "the 17-year-old shooter" / "Rollins, 17"
        spelled |= {"year", "old"}
    new = [w for w in dict.fromkeys(tokenize(claim)) if w not in known and lemma(w) not in known and
           _base(w) not in evidence_lemmas and w not in person and w not in spelled]  # names were checked above
    if len(new) >= 2:
        new = _unrelated(new, evidence_words)
    if len(new) >= ADDED_WORDS:  # a clause the source does not have ("including a full ban on crude oil")
        return fail(f"adds what the source does not say: {', '.join(new[:ADDED_WORDS])}")
    if len(new) >= 2:  # fewer new words, but together in one phrase: "…, demanding that Powell resign"
        from rag.syntax import added_phrase

        phrase = added_phrase(claim, frozenset(new))
        if phrase:
            return fail(f"adds what the source does not say: '{phrase}'")
    return Judgment(True, score, "ok")


def check_citations(text: str, sources: dict[int, str], threshold: float = 0.5,
                    drop_unsupported: bool = False, contexts: dict[int, str] | None = None) -> CheckResult:
    """Verify each sentence of `text` against the cited `sources` ({n: span text}) with `judge`;
    `contexts` ({n: text around the span}) may hold the names, numbers and dates a sentence draws on."""
    contexts = contexts or {}
    verdicts, kept, dropped = [], [], []
    for sentence, numbers in parse_markers(text):
        valid = tuple(n for n in numbers if n in sources)
        dropped.extend(n for n in numbers if n not in sources)
        # A sentence that quotes one of its spans is supported by it: the other spans (the same words in
        # another article, say) need not go through the slower checks.
        quoted = [n for n in valid if is_quote(sentence, sources[n])]
        judgments = [judge(sentence, sources[n], threshold, contexts.get(n, "")) for n in (quoted or valid)]
        if not valid:
            verdict = Verdict(sentence, (), 0.0, False, "no citation")
        else:
            best = max(judgments, key=lambda j: (j.supported, j.score))
            verdict = Verdict(sentence, valid, best.score, best.supported, best.reason)
        verdict = dataclasses.replace(verdict, shown=verdict.supported or not drop_unsupported)
        verdicts.append(verdict)
        if verdict.shown:
            kept.append(verdict.text)
    shown = [v for v in verdicts if v.shown]
    return CheckResult(" ".join(kept), tuple(verdicts), bool(shown) and all(v.supported for v in shown),
                       tuple(dict.fromkeys(dropped)))


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite marker numbers, dropping unmapped ones: renumber("a [3] b [1]", {3: 1, 1: 2}) -> "a [1] b [2]"."""
    def repl(m: re.Match) -> str:
        nums = [mapping[int(x)] for x in re.split(r"[,;，]", m.group(1) or m.group(2)) if int(x) in mapping]
        return "".join(f" [{n}]" for n in dict.fromkeys(nums))

    return MARKER.sub(repl, text)


def first_use_order(text: str) -> list[int]:
    """Marker numbers in order of first appearance: first_use_order("x [2] y [1] z [2]") -> [2, 1]"""
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        for x in re.split(r"[,;，]", m.group(1) or m.group(2)):
            seen.setdefault(int(x), None)
    return list(seen)
