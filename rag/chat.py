"""Conversation: turn a follow-up question plus its history into a stand-alone retrieval query.

Without an LLM, a follow-up ("And what did he say then?") is expanded with the key entities
(names, places, dates, rare words) of the latest turns. The raw question is still what gets
answered. This module does not retrieve or answer.
"""

from __future__ import annotations

import re
from typing import Sequence

from rag.errors import BadInput
from rag.text import MARKER, STOPWORDS

History = Sequence[tuple[str, str]]
_ELLIPSIS = re.compile(r"^\W*(and|but|so|also|then|what about|how about)\b", re.I)
# Words that refer back; "this week" or "these days" name a time, not an earlier turn.
_REFERENCE = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|it|its|that|there|then|this|these|those)\b"
                        r"(?!\s+(?:week|month|year|morning|afternoon|evening|weekend|days?)\b)", re.I)
_POINTERS = {"this", "these", "those"}
_ENTITY = re.compile(r"\b(?:[A-Z][\w’'-]+(?:\s+(?:[A-Z][\w’'-]+|of|de|the))*\s*)+|\b(?:1[89]|20)\d\d\b|\b\d+(?:st|nd|rd|th)\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_ENTITY_WORDS = 6  # a carried-over name or phrase; a run of capitalised words longer than this is not one
_QUESTION_START = {"what", "who", "when", "where", "why", "how", "which", "did", "does", "do", "is", "was",
                   "and", "but", "so", "the", "a", "an", "in", "on", "at", "i", "according", "whom", "whose"}


def clean_text(value: object, what: str, limit: int) -> str:
    """Text from a client, control characters blanked, or BadInput naming `what` was wrong with it:
    clean_text(" hi\\x00 ", "the question", 10) -> "hi" """
    if not isinstance(value, str):
        raise BadInput(f"{what} must be text")
    if len(value) > 4 * limit:  # refuse before any work on a huge value
        raise BadInput(f"{what} is {len(value):,} characters long; the limit is {limit:,}")
    if _SURROGATE.search(value):
        raise BadInput(f"{what} is not valid text (invalid UTF-8 or an unpaired surrogate)")
    text = _CONTROL.sub(" ", value).strip()
    if len(text) > limit:
        raise BadInput(f"{what} is {len(text):,} characters long; the limit is {limit:,}")
    return text


def validate_history(history: object, max_messages: int = 40, max_chars: int = 8000) -> list[tuple[str, str]]:
    """The last `max_messages` (role, text) pairs, role "user" or "assistant"; a message longer than
    `max_chars`, a wrong shape or a wrong role is BadInput. Older messages are dropped, not refused,
    so a long conversation keeps working; an oversized one never reaches retrieval."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise BadInput("history must be a list of [role, text] pairs")
    pairs = []
    for i, item in enumerate(list(history)[-max_messages:] if max_messages else []):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise BadInput("history must be a list of [role, text] pairs")
        role, text = item
        if role not in ("user", "assistant"):
            raise BadInput(f"history roles must be 'user' or 'assistant', not {str(role)[:40]!r}")
        pairs.append((role, clean_text(text, f"history message {i + 1}", max_chars)))
    return pairs


def key_entities(text: str) -> list[str]:
    """Names, dates and ordinals in text: key_entities("Xi wrote to Kim Jong Un in 2017.") -> ['Xi', 'Kim Jong Un', '2017']"""
    found = []
    for m in _ENTITY.finditer(MARKER.sub(" ", text)):
        words = m.group(0).strip().split()
        while words and words[0].lower() in _QUESTION_START | STOPWORDS:
            words = words[1:]
        if words and len(words) <= _MAX_ENTITY_WORDS:
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


def is_followup(question: str) -> bool:
    """Whether a question leans on the history: it opens with an ellipsis ("And in 2018?"), uses a
    pronoun or "that"/"there" before naming anyone it could refer to, points back with "this"/"those"
    (but not "this week"), or is too short to stand alone. A question naming its own subject is not
    one, so the history cannot bend it: is_followup("When did he send it?") -> True;
    is_followup("Who is Mao Ning?") -> False; is_followup("What did Xi say in his letter?") -> False"""
    if _ELLIPSIS.search(question):
        return True
    names = [question.find(e) for e in key_entities(question)]
    for m in _REFERENCE.finditer(question):
        if m.group(0).lower() in _POINTERS or not any(0 <= start < m.start() for start in names):
            return True
    content = [w for w in re.findall(r"\w+", question.lower()) if w not in STOPWORDS]
    return not names and len(content) <= 2


def condense_question(question: str, history: History, turns: int = 2) -> str:
    """A stand-alone retrieval query: the question plus entities of the last turns when it is a follow-up.
    condense_question("When did he send it?", [("user", "Did Kim write to Xi?")]) -> "When did he send it? Kim Xi" """
    if not history or not is_followup(question):
        return question
    recent = list(history)[-2 * turns:]
    user_text = " ".join(text for role, text in recent if role == "user")[:2000]
    answer_text = " ".join(text for role, text in recent if role == "assistant")[:600]
    own = set(key_entities(question))
    carried = [e for e in key_entities(user_text) + key_entities(answer_text) if e not in own]
    return " ".join([question, *list(dict.fromkeys(carried))[:8]])
