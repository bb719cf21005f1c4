"""Pure cleaning rules for news articles: drop site boilerplate and repeats, find title, byline, outlet.

A paragraph is a tuple of verbatim (start, end) slices of the original; cleaning only trims their
ends and drops whole paragraphs, so the clean text maps back to the source through segments.
No file reading and no HTML parsing here (see rag.corpus); characters are never normalised.
"""

from __future__ import annotations

import html
import re

from rag.text import split_sentences

Span = tuple[int, int]
Segment = tuple[int, int, int]  # (clean_start, orig_start, length)
SEPARATOR = "\n\n"
_EXTRA_SPACE = "\u200b\ufeff"  # zero-width characters that str.isspace() does not cover
_MAX_BOILERPLATE_WORDS = 60  # site chrome is short; longer lines are taken as article text

_CREDIT = re.compile(  # image credits name a photo agency, not the outlet
    r"^(featured |lead |top |header |main )?(image|photo|picture|pic|photograph|graphic|illustration|video)s?"
    r"( credits?| courtesy| source)?\s*(:|\bby\b|\bcourtesy\b|/|\|)|^(credits?|courtesy)\s*(:|of\b)", re.I)
_RULES = [_CREDIT] + [re.compile(p, re.I) for p in (
    # navigation and breadcrumbs
    r"^skip to\b",
    r"^[\w&'’ .-]{1,40}(\s+[>›»|→/]\s+[\w&'’ .-]{1,40})+$",
    r"^(tags?|topics?|filed under|categories)\s*:",
    r"^(copyright\s*)?(©|\(c\))|^copyright\s+\d{4}\b|\ball rights reserved\b",
    r"^(advertisement|sponsored content|story continues below|continue reading( below)?)\s*$",
    # comment boxes
    r"^please (enter|type|fill in|provide|write) your\b",
    r"^(please )?(log|sign)[ -]?(in|on|up)\b",
    r"\b(log|sign)[ -]?(in|on)\b.{0,40}\b(to|and) (comment|connect|reply|post)\b",
    r"\b(comment|comments|reply)\b.{0,40}\b(log|sign)[ -]?(in|on)\b",
    r"^(leave|post|add|write) an? (reply|comment)\b",
    r"^(no|\d+) (comments?|replies)\b|^be the first to comment\b",
    r"\(\s*\d+\s*/\s*\d+\s*\S{0,3}\s*\)$",  # character counters such as (0/250)
    # app, social and subscription prompts
    r"\bdownload our\b.{0,30}\bapps?\b|\b(available|download|get it) on (the )?(app store|google play)\b",
    r"^follow (us|me)\b|^(like|find) (us|me) on\b|^click here\b",
    r"\bplans? (starting|start|from)\b.{0,20}[$€£¥]|^(?=.{0,30}$)\d+([.,]\d+)?\s*(/|per|a)\s*(month|year|week)\b",
    r"^subscribe\b|\bsubscribe (now|today|to (read|continue|unlock|access|our))\b",
    r"\bremaining [\d,]+ words\b|^(existing|already an?) (member|subscriber|user)\b",
    r"^(join|become) (the|our|a)\b.{0,60}\b(community|members?|subscribers?|newsletter)\b",
    r"\bsign up (for|to) (our|the)\b.{0,30}\bnewsletter\b",
    # cookie banners
    r"^(?=.*\bcookies?\b)(?=.*\b(accept|agree|consent|browsing|experience)\b)",
    # links to other stories
    r"^(read|see|watch|listen)( also| more| next| too)?\s*([:|»›>\-–—]|$)",
    r"^also (read|see|watch)\b|^you (may|might) also (like|enjoy|be interested)\b",
    r"^(related|recommended|more)( (stories|articles|news|coverage|content|posts?|reading))?\s*([:|»›>\-–—]|$)",
    # credits and contacts (bylines are matched by _BYLINE below)
    r"^(reporting|writing|editing|additional reporting|compiled|translated) by\b",
    r"^(contact|e-?mail|tips?|write to)( us| me)?\s*:",
    # share and comment widgets
    r"^(share|comment( on)?|email|print|tweet|save|bookmark)( this| the)? (post|article|story|page|link)\b",
)]
_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|van|de|der|von|da|bin))*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_BYLINE = re.compile(
    r"^(?P<kind>[Bb][Yy]|(?:[Ww]ritten|[Rr]eported|[Ww]ords|[Ee]dited) by|[Aa]uthor:|[Ee]ditor:)\s+"
    rf"(?P<name>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})?)\s*(?:[\[(<]?\s*{_EMAIL}\s*[\])>]?)?\s*(?:[,|–—-]\s*[\w ]{{1,40}})?$"
)
_EMAIL_RE = re.compile(_EMAIL)
_WIDGET_WORDS = frozenset("""
    share shares print dictionary email mail tweet facebook twitter instagram youtube linkedin whatsapp telegram
    reddit pinterest kakaotalk copy link url comment comments reply replies like likes save bookmark menu search
    close home top back next previous prev more less font size zoom listen audio play pause thumbnail image images
    photo photos icon lock help social latest news popular trending most read viewed related stories story articles
    article post posts advertisement ad ads sponsored subscribe subscription login logout log sign register account
    newsletter rss feed tags tag topics loading toggle navigation skip main content""".split())
_FILLER_WORDS = frozenset("to the a an this our us me my on in up out of and or for with your".split())
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_TITLE_SENTENCE = re.compile(r"^.+?(?<![A-Z])[.!?…][\"'”’]*(?=\s+[\"“‘(]?[A-Z0-9])")


def line_spans(original: str) -> list[Span]:
    """Trimmed spans of the non-empty lines: "a\\n  b \\n" -> [(0, 1), (4, 5)]."""
    spans = (trim_span(original, m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", original))
    return [s for s in spans if s[0] < s[1]]


def trim_span(original: str, start: int, end: int) -> Span:
    """Move the bounds past surrounding whitespace and a leading markdown heading marker."""
    while start < end and (original[start].isspace() or original[start] in _EXTRA_SPACE):
        start += 1
    while end > start and (original[end - 1].isspace() or original[end - 1] in _EXTRA_SPACE):
        end -= 1
    heading = re.compile(r"#{1,6}[ \t]+").match(original, start, end)
    return (heading.end(), end) if heading else (start, end)


def clean_text(original: str) -> tuple[str, tuple[Segment, ...]]:
    """Clean a plain-text (or markdown) article: one paragraph per non-empty line."""
    return clean_paragraphs(original, [(span,) for span in line_spans(original)])


def clean_paragraphs(original: str, paragraphs: list[tuple[Span, ...]]) -> tuple[str, tuple[Segment, ...]]:
    """Drop boilerplate, repeats and trailing widgets; join the rest with blank lines."""
    texts = [paragraph_text(original, p) for p in paragraphs]
    kept = [i for i, t in enumerate(texts) if not is_boilerplate(t)]
    kept = drop_repeats(kept, texts)
    kept = drop_trailing_widgets(kept, texts)
    return join_paragraphs(original, [paragraphs[i] for i in kept])


def paragraph_text(original: str, pieces: tuple[Span, ...]) -> str:
    return "".join(original[a:b] for a, b in pieces)


def is_boilerplate(line: str) -> bool:
    """True for site chrome: navigation, prompts, credits, bylines, widgets. "Follow us on X" -> True."""
    line = html.unescape(line)  # only for matching: "Home &gt; World" is a breadcrumb too
    words = line.split()
    if len(line.strip()) <= 2 or not any(c.isalnum() for c in line):
        return True
    if len(words) > _MAX_BOILERPLATE_WORDS:
        return False
    bare = _strip_bullet(line)
    if any(rule.search(bare) for rule in _RULES) or _BYLINE.match(line):
        return True
    if len(words) <= 8 and _EMAIL_RE.search(line):
        return True
    tokens = re.findall(r"[^\W\d_]+", line.lower())
    return 0 < len(tokens) <= 8 and all(t in _WIDGET_WORDS or t in _FILLER_WORDS for t in tokens) \
        and any(t in _WIDGET_WORDS for t in tokens)


def drop_repeats(kept: list[int], texts: list[str]) -> list[int]:
    """Keep the first occurrence of a paragraph; also drop a long one whose every sentence came before."""
    seen, seen_sentences, out = set(), set(), []
    for i in kept:
        norm = _normalise(texts[i])
        sentences = [s for s in (_normalise(texts[i][a:b]) for a, b in split_sentences(texts[i])) if s]
        if norm in seen or (len(norm.split()) >= 8 and all(s in seen_sentences for s in sentences)):
            continue
        seen.add(norm)
        seen_sentences.update(sentences)
        out.append(i)
    return out


def drop_trailing_widgets(kept: list[int], texts: list[str]) -> list[int]:
    """Drop short unpunctuated lines after the last real paragraph (leftover widgets); keep the first."""
    end = len(kept)
    while end > 1 and len(texts[kept[end - 1]].split()) <= 10 and not _TERMINAL.search(texts[kept[end - 1]]):
        end -= 1
    return kept[:end]


def join_paragraphs(original: str, paragraphs: list[tuple[Span, ...]]) -> tuple[str, tuple[Segment, ...]]:
    """Concatenate pieces, with SEPARATOR between paragraphs; merge segments that stay contiguous."""
    parts, segments, pos = [], [], 0
    for n, pieces in enumerate(paragraphs):
        if n:
            parts.append(SEPARATOR)
            pos += len(SEPARATOR)
        for a, b in pieces:
            if segments and segments[-1][0] + segments[-1][2] == pos and segments[-1][1] + segments[-1][2] == a:
                segments[-1] = (segments[-1][0], segments[-1][1], segments[-1][2] + b - a)
            else:
                segments.append((pos, a, b - a))
            parts.append(original[a:b])
            pos += b - a
    return "".join(parts), tuple(segments)


def _strip_bullet(line: str) -> str:
    return re.sub(r"^[\W_]+", "", line)  # bullets, brackets: "• Plans …", "(Photo: AFP)"


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def is_headline(line: str) -> bool:
    """Headline-like: 3–20 words, at least 3 alphabetic, no sentence-final period or comma."""
    words = line.split()
    alpha = sum(1 for w in words if re.search(r"[^\W\d_]{2}", w))
    return 3 <= len(words) <= 20 and alpha >= 3 and len(line) <= 200 \
        and not re.search(r"[.,;:]$", line) and not line[0].islower()


def find_title(text: str, max_chars: int = 250) -> str:
    """First headline-like paragraph before the body starts; else the whole first sentence (a reader is
    never shown a sentence cut in the middle), cut at a word only when longer than `max_chars`."""
    paragraphs = [p for p in text.split(SEPARATOR) if p]
    for p in paragraphs[:3]:
        if is_headline(p):
            return p
        if _TERMINAL.search(p) and len(p.split()) > 10:
            break
    if not paragraphs:
        return ""
    match = _TITLE_SENTENCE.match(paragraphs[0])
    sentence = " ".join((match.group(0) if match else paragraphs[0]).split())
    if len(sentence) <= max_chars:
        return sentence
    return sentence[:max_chars].rsplit(" ", 1)[0].rstrip(",;:—–-") + "…"


_META_TITLE = re.compile(r"<meta\b(?=[^>]*\b(?:property|name)\s*=\s*[\"']?(?:og|twitter):title\b)"
                         r"[^>]*\bcontent\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)
_TITLE_TAG = re.compile(r"<(title|h1)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")


def find_html_title(page: str) -> str | None:
    """An HTML page's headline, decoded: og:title (or twitter:title), else the first <h1>, else <title>
    without a trailing " | Site" or " - Site": find_html_title("<title>Talks &amp; trade - BBC</title>") -> "Talks & trade" """
    import html

    def clean(raw: str) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", raw)).split())

    if (m := _META_TITLE.search(page)) and (title := clean(m.group(1) or m.group(2) or "")):
        return title
    tags = {}
    for m in _TITLE_TAG.finditer(page):
        tags.setdefault(m.group(1).lower(), clean(m.group(2)))
    if tags.get("h1"):
        return tags["h1"]
    return _SITE_SUFFIX.sub("", tags.get("title", "")) or None


def find_byline(lines: list[str]) -> str | None:
    """Author from a byline line ("BY SARAH KIM [x@y.kr]" -> "Sarah Kim"); an editor only if no author."""
    found = [m for m in map(_BYLINE.match, lines) if m]
    authors = [m for m in found if not m.group("kind").lower().startswith(("edited", "editor"))]
    for m in authors or found:
        name = m.group("name").strip(" ,")
        return name.title() if name.isupper() else name
    return None


_OUTLETS = [(name, re.compile(pattern)) for name, pattern in (
    ("Reuters", r"\bReuters\b|reuters\.com"),
    ("AFP", r"\bAFP\b|Agence France[- ]Presse"),
    ("AP", r"\bAssociated Press\b|\(AP\)|apnews\.com"),
    ("Yonhap", r"\bYonhap\b|yna\.co\.kr"),
    ("Korea JoongAng Daily", r"\bJoongAng\b|joongang\.co\.kr"),
    ("The Korea Herald", r"\bKorea Herald\b|koreaherald\.com"),
    ("The Korea Times", r"\bKorea Times\b|koreatimes\.co\.kr"),
    ("NK News", r"\bNK News\b|nknews\.org"),
    ("Daily NK", r"\bDaily NK\b|dailynk\.com"),
    ("BBC", r"\bBBC\b"),
    ("CNN", r"\bCNN\b"),
    ("The Guardian", r"\bThe Guardian\b|theguardian\.com"),
    ("The New York Times", r"\bNew York Times\b|nytimes\.com"),
    ("The Washington Post", r"\bWashington Post\b|washingtonpost\.com"),
    ("The Wall Street Journal", r"\bWall Street Journal\b|wsj\.com"),
    ("Bloomberg", r"\bBloomberg\b"),
    ("South China Morning Post", r"\bSouth China Morning Post\b|scmp\.com"),
    ("Al Jazeera", r"\bAl Jazeera\b"),
    ("Kyodo", r"\bKyodo\b"),
    ("Xinhua", r"\bXinhua\b"),
)]
_DATELINE = re.compile(r"^(?:[A-Z][A-Z .,'/-]*\s)?\((?P<name>[A-Z][\w&.' -]{0,30})\)\s*[-–—]")
_TOLD = re.compile(r"\btold (?:the )?(?P<name>[A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,4})")


def find_outlet(lines: list[str], text: str) -> str | None:
    """Outlet from a "(Reuters) -" dateline, else a known name in the dropped site chrome, else "told AFP"."""
    paragraphs = text.split(SEPARATOR)
    for p in paragraphs:
        if m := _DATELINE.match(p):
            return _known_outlet(m.group("name")) or m.group("name").strip()
    kept = set(paragraphs)
    for line in lines:
        if line not in kept and not _CREDIT.search(_strip_bullet(line)) and (name := _known_outlet(line)):
            return name
    for m in _TOLD.finditer(text):
        if name := _known_outlet(m.group("name")):
            return name
    return None


def _known_outlet(text: str) -> str | None:
    return next((name for name, pattern in _OUTLETS if pattern.search(text)), None)


# -- publication dates ------------------------------------------------------------------------------
_PUBLISHED = re.compile(r"^\W{0,3}(?:published|posted|updated|first published|date|dated|last updated)\b\s*(?:on|at)?\s*[:\-–—]?"
                        r"\s*(?P<date>.{6,60}?)\s*$", re.I)
_DATE_TEXT = re.compile(
    r"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?(?:"
    r"\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b")


def find_published(lines: list[str], max_lines: int = 12) -> str | None:
    """The publication date an article states near its top, as YYYY-MM-DD: a "Published:" or "Updated"
    line, front matter "date:", or a line that is only a date (a dateline); never a date in the body:
    find_published(["Xi writes to Kim", "Published: 10 October 2022, 08:00"]) -> "2022-10-10" """
    from dateutil import parser  # a dependency of htmldate, which reads HTML pages' dates

    for line in lines[:max_lines]:
        line = line.strip()
        m = _PUBLISHED.match(line)
        candidate = m.group("date") if m else (line if len(line) <= 40 else "")
        found = _DATE_TEXT.search(candidate)
        if not found:
            continue
        try:
            return parser.parse(found.group(0), dayfirst=not re.match(r"\d{4}-", found.group(0))).date().isoformat()
        except (ValueError, OverflowError):
            continue
    return None
