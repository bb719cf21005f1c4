"""Load a folder of news articles (.txt, .md, .html) into clean `Article`s with an offset map.

The clean text is built only from verbatim slices of the decoded file, so `to_original` maps any span
back to the source. HTML entities are kept verbatim (`&amp;` stays `&amp;` in `text`). Cleaning
rules live in rag.clean; this module does the I/O, HTML text extraction and skipping of bad files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import stat
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rag.clean import (Segment, Span, clean_paragraphs, clean_text, find_byline, find_html_title, find_outlet,
                       find_published, find_title, line_spans, paragraph_text)
from rag.errors import CorpusError
from rag.listing import SUFFIXES, check_folder, corpus_paths, find_files

__all__ = ["Article", "load_corpus", "load_article", "clean_text", "clean_html", "extract_html_text",
           "find_title", "find_byline", "find_outlet", "find_files", "corpus_file", "is_html", "SUFFIXES"]

HTML_SUFFIXES = (".html", ".htm")


def is_html(name: str | Path) -> bool:
    """Whether a file is read as an HTML page: is_html("a/page.HTM") -> True"""
    return str(name).lower().endswith(HTML_SUFFIXES)


def corpus_file(root: Path, name: str, suffixes: tuple[str, ...] = ()) -> Path | None:
    """The existing file `name` (or `name` plus one of `suffixes`) inside the corpus folder `root`,
    resolved; None when there is none or the name leads outside the folder (`..`, a symlink out):
    corpus_file(Path("seeds"), "001_x", SUFFIXES) -> Path(".../seeds/001_x.txt")"""
    root = Path(root).resolve()
    for candidate in (root / name, *(root / f"{name}{suffix}" for suffix in suffixes)):
        path = candidate.resolve()
        if path.is_file():
            return path if path.is_relative_to(root) else None
    return None
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Article:
    doc_id: str  # file stem, e.g. "000_468aaedc6a09fc6c"
    path: str  # absolute path of the source file
    original: str  # decoded file text (raw HTML source for .html)
    text: str  # kept paragraphs joined by "\n\n"
    segments: tuple[Segment, ...]  # (clean_start, orig_start, length): text[cs:cs+n] == original[os:os+n]
    title: str  # the headline (an HTML page's own, decoded), else the whole first sentence
    outlet: str | None  # e.g. "Reuters", "NK News"
    byline: str | None  # e.g. "Sarah Kim"
    sha256: str  # of the raw file bytes
    source: str = ""  # path relative to the corpus folder: the only file name clients are shown
    published: str | None = None  # publication date, YYYY-MM-DD
    published_from: str | None = None  # "page" (HTML metadata), "text" (a Published:/dateline line), "file" (mtime)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean-text span [start, end) to original offsets; separators shrink to the nearest text.

        For a span inside one segment, original[os:oe] == text[start:end].
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside the text (length {len(self.text)})")
        if not self.segments:
            return (0, 0)
        starts = [cs for cs, _, _ in self.segments]
        i = bisect_right(starts, start) - 1  # segment holding start, or the one before the gap
        if i < 0 or start >= starts[i] + self.segments[i][2]:
            i += 1  # start sits in a separator: move forward to the next segment
        if i >= len(self.segments):
            cs, os_, n = self.segments[-1]
            return (os_ + n, os_ + n)
        cs, os_, _ = self.segments[i]
        orig_start = os_ + max(start - cs, 0)
        j = bisect_right(starts, end - 1) - 1  # segment holding the last char, or the one before the gap
        if end <= start or j < i:
            return (orig_start, orig_start)
        cs, os_, n = self.segments[j]
        return (orig_start, os_ + min(end - cs, n))


_INLINE = ("a|abbr|b|bdi|bdo|cite|code|data|dfn|em|font|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var|wbr")
_INLINE_GAP = re.compile(rf"(?:\s|</?(?:{_INLINE})\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>)*", re.I)
_TAG = re.compile(  # '<' is not allowed unquoted inside a tag, which keeps scanning linear on junk input
    r"<!--.*?(?:-->|\Z)|<![^>]*(?:>|\Z)|<\?[^>]*(?:>|\Z)|<(?P<close>/)?(?P<name>[a-zA-Z][\w:-]*)"
    r"(?P<attrs>(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_SKIP = {"head", "script", "style", "noscript", "template", "title", "textarea", "svg", "math", "iframe", "object",
         "nav", "footer", "aside", "form", "button", "select"}
_RAW = {"script", "style", "title", "textarea", "xmp"}  # content is text up to the closing tag, not markup
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HIDDEN = re.compile(r"(?:^|\s)hidden(?=[\s=/]|$)|display\s*:\s*none|visibility\s*:\s*hidden"
                     r"|aria-hidden\s*=\s*[\"']?true", re.I)


def extract_html_text(html: str) -> list[Span]:
    """Trimmed spans of visible text, one per text node line; head, script, style, nav, forms and hidden parts dropped.

    '<p>Hi <b>you</b></p><script>x()</script>' -> [(3, 5), (9, 12)]
    """
    spans: list[Span] = []
    pos, skip_name, skip_depth = 0, None, 0
    while pos < len(html):
        m = _TAG.search(html, pos)
        stop = m.start() if m else len(html)
        if skip_name is None:
            spans.extend((pos + a, pos + b) for a, b in line_spans(html[pos:stop]))
        if not m:
            break
        pos = m.end()
        name, closing = (m.group("name") or "").lower(), bool(m.group("close"))
        self_closing = name in _VOID or (m.group("attrs") or "").rstrip().endswith("/")
        if not name:
            continue
        if name in _RAW and not closing:
            end = re.compile(rf"</{name}\s*>", re.I).search(html, pos)
            pos = end.end() if end else len(html)
        elif skip_name is None and not closing and not self_closing \
                and (name in _SKIP or _HIDDEN.search(m.group("attrs") or "")):
            skip_name, skip_depth = name, 1
        elif name == skip_name and not self_closing:
            skip_depth += -1 if closing else 1
            skip_name = skip_name if skip_depth else None
        elif name == "body" and skip_name == "head":  # an unclosed <head> ends where <body> starts
            skip_name = None
    return spans


def group_inline(html: str, spans: list[Span]) -> list[tuple[Span, ...]]:
    """Join text spans separated only by whitespace and inline tags into paragraphs, keeping one space."""
    paragraphs: list[list[Span]] = []
    for a, b in spans:
        prev_end = paragraphs[-1][-1][1] if paragraphs else None
        if prev_end is not None and _INLINE_GAP.fullmatch(html, prev_end, a):
            gap = _TAG.sub(lambda t: "<" * len(t.group()), html[prev_end:a])  # whitespace outside tags only
            space = re.search(" ", gap) or re.search(r"\s", gap)
            if space:
                paragraphs[-1].append((prev_end + space.start(), prev_end + space.start() + 1))
            paragraphs[-1].append((a, b))
        else:
            paragraphs.append([(a, b)])
    return [tuple(p) for p in paragraphs]


def clean_html(html: str) -> tuple[str, tuple[Segment, ...]]:
    """Clean an HTML article: visible text, inline runs joined, then the same rules as plain text."""
    return clean_paragraphs(html, group_inline(html, extract_html_text(html)))


def load_article(path: Path | str, doc_id: str | None = None, max_bytes: int = MAX_BYTES) -> Article:
    """Read and clean one article; CorpusError if it is unreadable, too big, binary, not UTF-8 or empty."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise CorpusError(f"{path}: not a regular file")
        if info.st_size > max_bytes:
            raise CorpusError(f"{path}: too large ({info.st_size} bytes, limit {max_bytes})")
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in raw:
        raise CorpusError(f"{path}: binary file (contains NUL bytes)")
    try:
        original = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not valid UTF-8 (byte {exc.start})") from exc
    if is_html(path):
        paragraphs = group_inline(original, extract_html_text(original))
    else:
        paragraphs = [(span,) for span in line_spans(original)]
    if not paragraphs:
        raise CorpusError(f"{path}: empty file")
    text, segments = clean_paragraphs(original, paragraphs)
    if not text:
        raise CorpusError(f"{path}: empty after cleaning")
    lines = [paragraph_text(original, p) for p in paragraphs]
    published, published_from = publication_date(path, original, lines, info.st_mtime)
    title = find_title(text)
    if is_html(path):  # the page's own headline; entities decoded for display
        import html

        title = find_html_title(original) or " ".join(html.unescape(title).split())
    return Article(doc_id=doc_id or path.stem, path=str(path.absolute()), original=original, text=text,
                   segments=segments, title=title, outlet=find_outlet(lines, text),
                   byline=find_byline(lines), sha256=hashlib.sha256(raw).hexdigest(), published=published,
                   published_from=published_from)


def publication_date(path: Path, original: str, lines: list[str], mtime: float) -> tuple[str, str]:
    """(YYYY-MM-DD, where it came from): an HTML page's own metadata (htmldate: meta tags, JSON-LD,
    <time>, the URL), else a "Published:" or dateline line at the top of the text, else the file's
    modification time, which says when the file was saved, not when the article was written."""
    if is_html(path):
        import logging

        from htmldate import find_date

        logging.getLogger("htmldate").setLevel(logging.ERROR)
        try:
            found = find_date(original, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
        except Exception:  # noqa: BLE001 - a page htmldate cannot parse has no date, not a failed corpus
            found = None
        if found:
            return found, "page"
    if found := find_published(lines):
        return found, "text"
    import datetime

    return datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).date().isoformat(), "file"


def doc_id_for(rel_path: str, used: set[str]) -> str:
    """A document's id: its file stem, or its relative path when another file already has that stem:
    doc_id_for("x/a.txt", {"a"}) -> "x/a.txt" """
    stem = Path(rel_path).stem
    return stem if stem not in used else rel_path


def load_corpus(corpus_dir: str | Path, exclude: Iterable[str] = (),
                max_bytes: int = MAX_BYTES) -> tuple[list[Article], list[str]]:
    """Load every article under corpus_dir (recursively, sorted by path); bad files become warnings.

    Hidden files and folders are ignored; `exclude` holds file names or glob patterns (matched against
    the name and the path relative to corpus_dir). A repeated file stem gets the relative path as doc_id.
    """
    root = Path(corpus_dir)
    check_folder(root)
    real_root = root.resolve()
    articles, warnings, used_ids = [], [], set()
    for path, rel in corpus_paths(root, exclude):
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            warnings.append(f"{rel}: skipped, symlink points outside the corpus folder")
            continue
        doc_id = doc_id_for(rel, used_ids)
        try:
            article = dataclasses.replace(load_article(path, doc_id, max_bytes), source=rel)
        except CorpusError as exc:
            warnings.append(f"{rel}: skipped, {str(exc).removeprefix(f'{path}: ')}")
            continue
        used_ids.add(doc_id)
        articles.append(article)
    return articles, warnings


