"""Conversation export, and checking an export against the corpus files it cites.

`conversation_json` and `conversation_markdown` turn the web app's session (turns holding
`Answer.to_json()` dicts) into a file a reader can keep; `verify_export` re-reads every cited file
and says which quotes or file hashes no longer match. No gradio, no index: only the corpus files.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rag.corpus import corpus_file, is_html
from rag.errors import BadInput, CorpusError

FORMAT = "rag-news-export"
VERSION = 1
CITATION_KEYS = ("n", "doc_id", "source", "start", "end", "quote", "sha256", "title", "outlet", "published",
                 "published_from")


def conversation_json(turns: list[dict], exported_at: datetime.datetime | str | None = None) -> dict:
    """The answered turns of a session as an export: turns are {"question", "answer": Answer.to_json()
    or None, "error"}; unanswered ones are left out. conversation_json([])["format"] -> "rag-news-export" """
    if exported_at is None:
        exported_at = datetime.datetime.now(datetime.timezone.utc)
    if isinstance(exported_at, datetime.datetime):
        exported_at = exported_at.isoformat(timespec="seconds")
    out = []
    for turn in turns:
        answer = turn.get("answer")
        if not answer:
            continue
        out.append({"question": turn.get("question", answer.get("question", "")), "answer": answer.get("answer", ""),
                    "abstained": bool(answer.get("abstained")), "lead": answer.get("lead"),
                    "citations": [{k: c.get(k) for k in CITATION_KEYS} for c in answer.get("citations", [])]})
    return {"format": FORMAT, "version": VERSION, "exported_at": exported_at, "turns": out}


def conversation_markdown(turns: list[dict], exported_at: datetime.datetime | str | None = None) -> str:
    """The same turns as readable Markdown: each question a heading, the answer, then its numbered
    sources with title, outlet, date, file, character range and the quote as a blockquote."""
    data = conversation_json(turns, exported_at)
    lines = ["# Conversation with the news archive", "",
             f"Exported {data['exported_at']}. Each quote is the text of the file named at the characters "
             "given; the JSON export can be checked against the files with `rag verify`.", ""]
    for i, turn in enumerate(data["turns"], 1):
        lines += [f"## {i}. {one_line(turn['question'])}", "", *block_safe(turn["answer"]), ""]
        if turn["citations"]:
            lines += ["**Sources**", ""]
        for c in turn["citations"]:
            dated = c["published"] and ("file dated " if c["published_from"] == "file" else "") + c["published"]
            about = ", ".join(one_line(str(x)) for x in (c["outlet"], dated) if x)
            pad = " " * len(f"{c['n']}. ")  # indented so the file and the quote stay inside the list item
            source = (c["source"] or "").replace("`", "")  # a backtick would end the code span
            lines += [f"{c['n']}. **{one_line(c['title'] or c['doc_id'] or '')}**" + (f" — {about}" if about else ""),
                      "", f"{pad}File `{source}`, characters {c['start']}–{c['end']}", ""]
            lines += [f"{pad}> {line}".rstrip() for line in block_safe(c["quote"] or "")] + [""]
    return "\n".join(lines).rstrip() + "\n"


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def one_line(text: str) -> str:
    """Text for a heading or a list item, whitespace folded and HTML tags escaped:
    one_line("Kim\\n <b>said</b> ") -> "Kim \\\\<b>said\\\\</b>" """
    return _TAG_START.sub(r"\\<", re.sub(r"\s+", " ", text).strip())


_BLOCK_START = re.compile(r"^(?:[#>*+=|`~-]|\d+(?=[.)]))")  # a heading, quote, list, rule, table or fence


def block_safe(text: str) -> list[str]:
    """Lines of article or answer text that stay plain text in Markdown: indentation (it would make
    code) is dropped, a leading block marker and an HTML tag start are backslash-escaped:
    block_safe("# Seoul <b>") -> ["\\\\# Seoul \\\\<b>"], block_safe("1. Kim") -> ["1\\\\. Kim"]"""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [_TAG_START.sub(r"\\<", _BLOCK_START.sub(_escape_marker, line)) for line in lines]


def _escape_marker(m: re.Match) -> str:
    return m.group() + "\\" if m.group()[0].isdigit() else "\\" + m.group()


@dataclass(frozen=True)
class Mismatch:
    turn: int  # 1-based, in the export's order
    n: int  # the citation's marker number
    source: str  # file path relative to the corpus, as recorded
    kind: str  # "outside the corpus", "missing file", "unreadable", "sha256 differs" or "quote differs"
    detail: str  # what differs, for a person
    found: str | None = None  # the text now at [start:end], when the quote differs

    def describe(self) -> str:
        """describe() -> "turn 2 [3] x.txt: quote differs at characters 100–180 …" """
        return f"turn {self.turn} [{self.n}] {self.source}: {self.detail}"

    def to_json(self) -> dict:
        return {"turn": self.turn, "n": self.n, "source": self.source, "kind": self.kind, "detail": self.detail,
                "found": self.found}


@dataclass(frozen=True)
class Verification:
    checked: int  # citations checked
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict:
        """What `rag verify --json` prints."""
        return {"ok": self.ok, "checked": self.checked, "mismatches": [m.to_json() for m in self.mismatches]}


def verify_export(data: object, corpus_dir: str | Path) -> Verification:
    """Check every citation of an export against the corpus: the file is inside `corpus_dir`, its
    sha256 is the recorded one (when recorded) and its text at [start:end] is the quote exactly.
    A malformed export raises BadInput; a missing corpus folder raises CorpusError."""
    turns = export_turns(data)
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} {'is not a directory' if root.exists() else 'does not exist'}")
    root = root.resolve()
    mismatches, checked = [], 0
    for t, turn in enumerate(turns, 1):
        for c in turn["citations"]:
            checked += 1
            problem = check_citation(c, root)
            if problem is not None:
                kind, detail, found = problem
                mismatches.append(Mismatch(t, c["n"], c["source"], kind, detail, found))
    return Verification(checked, tuple(mismatches))


def export_turns(data: object) -> list[dict]:
    """The turns of an export, after checking its shape; BadInput says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(f'not a conversation export: it needs "format": "{FORMAT}"')
    if data.get("version") != VERSION:
        raise BadInput(f"export version {data.get('version')!r} is not supported (this rag reads version {VERSION})")
    turns = data.get("turns")
    if not isinstance(turns, list) or not all(isinstance(t, dict) and isinstance(t.get("citations"), list)
                                              for t in turns):
        raise BadInput('the export needs "turns": [{"question", "answer", "citations": [...]}, ...]')
    for t, turn in enumerate(turns, 1):
        for c in turn["citations"]:
            if not isinstance(c, dict) or not all(isinstance(c.get(k), int) and not isinstance(c.get(k), bool)
                                                  for k in ("n", "start", "end")):
                raise BadInput(f"turn {t}: each citation needs whole numbers n, start and end")
            if not isinstance(c.get("source"), str) or not c["source"] or not isinstance(c.get("quote"), str):
                raise BadInput(f"turn {t} [{c['n']}]: a citation needs its file (\"source\") and its \"quote\"")
            if not 0 <= c["start"] <= c["end"] or not isinstance(c.get("sha256"), (str, type(None))):
                raise BadInput(f"turn {t} [{c['n']}]: needs 0 <= start <= end and a sha256 string or null")
    return turns


def check_citation(c: dict, root: Path) -> tuple[str, str, str | None] | None:
    """(kind, detail, text found) when the cited file no longer holds the quote, else None."""
    path = corpus_file(root, c["source"])
    if path is None:
        if not (root / c["source"]).resolve().is_relative_to(root):
            return "outside the corpus", f"refused: the path leads outside the corpus folder {root}", None
        return "missing file", "the file is missing from the corpus", None
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return "unreadable", f"cannot be read as UTF-8 text ({exc})", None
    start, end, quote = c["start"], c["end"], c["quote"]
    found = text[start:end]
    if not same_text(found, quote, is_html(path)):
        moved = text.find(quote) if quote else -1
        where = f"; the quote is now at characters {moved}–{moved + len(quote)}" if moved >= 0 else ""
        if end > len(text):
            return "quote differs", f"quote differs: characters {start}–{end} run past the end of the file " \
                                    f"({len(text)} characters){where}", found
        at = next((i for i, (a, b) in enumerate(zip(found, quote)) if a != b), min(len(found), len(quote)))
        return "quote differs", f"quote differs at characters {start}–{end}: from character {start + at} the file " \
                                f"now has “{excerpt(found, at)}”{where}", found
    digest = hashlib.sha256(raw).hexdigest()
    if c.get("sha256") and digest != c["sha256"]:
        return "sha256 differs", f"sha256 differs (the file changed since the export, the quote is still there): " \
                                 f"{digest[:12]}… instead of {c['sha256'][:12]}…", None
    return None


def same_text(found: str, quote: str, html: bool) -> bool:
    """Whether the file's span is the quote: exactly, or for an HTML page, once the inline tags the
    cleaner skipped are taken out and whitespace runs folded (the cleaner keeps one space of a gap):
    same_text("for <em>freight</em>\\n trains", "for freight trains", True) -> True"""
    if found == quote:
        return True
    return html and re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", found)) == re.sub(r"\s+", " ", quote)


def excerpt(text: str, at: int, before: int = 20, after: int = 40) -> str:
    """The text around position `at`, whitespace folded: excerpt("abcdefgh", 4, 2, 2) -> "…cdef…" """
    piece = re.sub(r"\s+", " ", text[max(0, at - before):at + after])
    return ("…" if at > before else "") + piece + ("…" if at + after < len(text) else "")
