"""Synthetic news-like corpora for `rag bench`: seed sentences recombined, with countries, capitals,
leaders, weekdays and numbers swapped, plus one unique lead fact per article to ask about.

Each article stays under one chunk (~230 tokens), so N articles give N chunks for our chunker and the
stock SentenceSplitter alike. Deterministic for a given seed. It writes files; it does not index them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import get_encoding
from rag.text import split_sentences

_SYLLABLES = ("an", "bel", "cor", "dra", "el", "fen", "gal", "hav", "is", "jor", "kal", "lun", "mar", "nor", "os",
              "pel", "quar", "ros", "sal", "tor", "ul", "vel", "wen", "xan", "yor", "zel", "bra", "cas", "dun", "eri")
FIRST = ("Amara", "Boris", "Chen", "Dalia", "Emil", "Farah", "Goran", "Hana", "Ivan", "Jae", "Kofi", "Lena", "Marek",
         "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sami", "Tomas", "Ulla", "Viktor", "Wei", "Xenia", "Yusuf",
         "Zora", "Anil", "Bea", "Carlos", "Dmitri", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas")
LAST = ("Albescu", "Brandt", "Castell", "Dovran", "Eklund", "Ferrer", "Gashi", "Horvath", "Ilves", "Jankovic",
        "Kaspar", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quiroga", "Rahman", "Sato", "Toivonen",
        "Uribe", "Varga", "Weiss", "Xu", "Yilmaz", "Zeller", "Abreu", "Bianchi", "Costa", "Duarte")
TOPICS = ("fishing rights", "a rail corridor", "grain exports", "a border commission", "water sharing",
          "a nuclear freeze", "port access", "energy pipelines", "customs tariffs", "a prisoner exchange",
          "satellite launches", "refugee returns", "airspace rules", "a fisheries treaty", "mining licences",
          "joint military drills", "a currency swap", "telecom cables", "vaccine supplies", "river dams")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_TOKENS = 230


@dataclass(frozen=True)
class Cast:
    """The invented actors of one article: A plays North Korea, B China, C the U.S., D South Korea."""
    countries: tuple[str, str, str, str]
    capitals: tuple[str, str, str, str]
    leaders: tuple[str, str, str]


def invent_name(rng: random.Random, parts: int = 2) -> str:
    """A pronounceable invented name: invent_name(random.Random(1)) -> e.g. 'Nordra'"""
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def invent_cast(rng: random.Random) -> Cast:
    countries = tuple(invent_name(rng, rng.choice((2, 3))) + rng.choice(("ia", "a", "land", "istan", "")) for _ in range(4))
    capitals = tuple(invent_name(rng) + rng.choice(("", "grad", "ville", "ton", "burg")) for _ in range(4))
    leaders = tuple(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(3))
    return Cast(countries, capitals, leaders)  # type: ignore[arg-type]


def _swaps(cast: Cast) -> list[tuple[re.Pattern, str]]:
    a, b, c, d = cast.countries
    pairs = [
        (r"(?:Chairman |North Korean leader )?Kim Jong[- ][Uu]n", cast.leaders[0]), (r"North Korean", a + "n"),
        (r"North Korea|the North|DPRK", a), (r"Pyongyang", cast.capitals[0]),
        (r"(?:Chinese )?President Xi Jinping|Xi Jinping", cast.leaders[1]), (r"Chinese", b + "n"),
        (r"China", b), (r"Beijing", cast.capitals[1]), (r"(?:U\.S\. )?President Donald Trump|Donald Trump", cast.leaders[2]),
        (r"United States|U\.S\.", c), (r"Washington", cast.capitals[2]), (r"South Korean", d + "n"),
        (r"South Korea", d), (r"Seoul", cast.capitals[3]), (r"Korean", a + "n"),
        (r"\bMr Xi\b|\bXi\b", cast.leaders[1].split()[1]), (r"\bKim\b", cast.leaders[0].split()[1]),
        (r"\bTrump\b", cast.leaders[2].split()[1]),
    ]
    return [(re.compile(p), r) for p, r in pairs]


def perturb(sentence: str, cast: Cast, rng: random.Random, swaps: list | None = None) -> str:
    """A seed sentence with the cast swapped in and every number and weekday changed."""
    for pattern, repl in swaps or _swaps(cast):
        sentence = pattern.sub(repl, sentence)
    sentence = re.sub(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
                      lambda _m: rng.choice(DAYS), sentence)
    return re.sub(r"\d+", lambda m: str(rng.randint(10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 1,
                                                    10 ** len(m.group()) - 1)), sentence)


def seed_sentences(seeds_dir: str | Path) -> list[str]:
    """Sentences of the seed articles long enough to carry news (8+ words)."""
    from rag.corpus import load_corpus
    from rag.indexer import EVAL_FILES

    articles, _ = load_corpus(seeds_dir, exclude=EVAL_FILES)
    out = [a.text[s:e] for a in articles for s, e in split_sentences(a.text)]
    return [s for s in dict.fromkeys(out) if len(s.split()) >= 8 and "\n" not in s]


def make_article(number: int, pool: list[str], rng: random.Random) -> tuple[str, dict]:
    """One article's text and the question its lead fact answers."""
    cast = invent_cast(rng)
    topic, month, day, year = rng.choice(TOPICS), rng.choice(MONTHS), rng.randint(1, 28), rng.randint(1990, 2030)
    place = invent_name(rng) + rng.choice(("", "port", " Springs", "field"))
    envoy = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    title = f"{cast.leaders[0]} and {cast.leaders[1]} discuss {topic} in {place}"
    lead = (f"{cast.leaders[0]}, leader of {cast.countries[0]}, met {cast.leaders[1]} of {cast.countries[1]} in "
            f"{place} on {month} {day}, {year}, to discuss {topic}, envoy {envoy} told reporters.")
    body, swaps = [lead], _swaps(cast)
    candidates = [perturb(sentence, cast, rng, swaps) for sentence in rng.sample(pool, 12)]
    encode = get_encoding().encode_ordinary  # per text: the batch call's thread pool costs more than it saves here
    sizes = [len(encode(t)) for t in (title, lead, *candidates)]
    total = sizes[0] + sizes[1] + 2
    for candidate, size in zip(candidates, sizes[2:]):
        if total + size + 1 > MAX_TOKENS:  # +1: the joining space may not merge into a token
            break
        body.append(candidate)
        total += size + 1
    question = {"id": f"synth-{number:06d}", "doc_ids": [f"synth-{number:06d}"], "answers_any": [place],
                "question": f"Where did {cast.leaders[0]} meet {cast.leaders[1]} to discuss {topic}?"}
    return title + "\n\n" + " ".join(body) + "\n", question


def write_corpus(target: str | Path, n: int, seeds_dir: str | Path, seed: int = 0) -> list[dict]:
    """Write n articles (1000 per sub-folder) under target; returns one question per article."""
    rng = random.Random(seed)
    pool = seed_sentences(seeds_dir)
    root = Path(target)
    questions = []
    for i in range(n):
        text, question = make_article(i, pool, rng)
        folder = root / f"part-{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"synth-{i:06d}.txt").write_text(text, encoding="utf-8")
        questions.append(question)
    return questions
