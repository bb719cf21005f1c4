"""Pure HTML rendering for the web app: questions, answers, sources, errors and the page header.

Every string that comes from an article, a question or an error goes through `text_html`, which
escapes HTML and neutralises Markdown/LaTeX characters, so none of it can become markup or run.
Input is the `rag ask --json` dictionary (`Answer.to_json()`). No Gradio, no I/O, no scoring.
"""

from __future__ import annotations

import html
import re
from pathlib import PurePath

from rag.corpus import is_html
from rag.text import MARKER

# Characters the Chatbot's Markdown/KaTeX pass would act on; as entities they stay plain text.
# Decimal entities only: the Chatbot shows hex ones (html.escape's &#x27;) verbatim.
_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]~$|#'\""})
QUESTION_PREVIEW = 300  # characters of a question shown in its bubble; longer ones are cut


def text_html(text: str, breaks: bool = True) -> str:
    """Text as inert HTML: text_html("<b>*hi*</b>") -> "&lt;b&gt;&#42;hi&#42;&lt;/b&gt;" """
    out = html.escape(text, quote=False).translate(_MARKDOWN)
    return out.replace("\r\n", "\n").replace("\n", "<br>") if breaks else out


def source_id(turn: int, n: int) -> str:
    """The element id of citation n of answer number `turn`: source_id(2, 1) -> "src-2-1" """
    return f"src-{turn}-{n}"


def cite_link(turn: int, n: int) -> str:
    """A clickable [n] that jumps to its source (a plain #anchor, so it works without script)."""
    return (f'<a class="rag-cite" href="#{source_id(turn, n)}" title="Show source {n}">'
            f"&#91;{n}&#93;</a>")


def inline_html(text: str, turn: int, cited: set[int] | None = None) -> str:
    """Escaped text whose [n] markers become links (only for numbers in `cited`, when given):
    inline_html("Yes [1].", 0) -> 'Yes <a class="rag-cite" href="#src-0-1" ...>&#91;1&#93;</a>.'"""
    out, pos = [], 0
    for m in MARKER.finditer(text):  # the checker's own marker pattern: "[1]", "[1, 2]", "【1】"
        space = m.group(0)[:len(m.group(0)) - len(m.group(0).lstrip())]
        out.append(text_html(text[pos:m.start()] + space))
        for n in (int(x) for x in re.split(r"[,;，]", m.group(1) or m.group(2))):
            out.append(cite_link(turn, n) if cited is None or n in cited else text_html(f"[{n}]"))
        pos = m.end()
    out.append(text_html(text[pos:]))
    return "".join(out)


def answer_sentences(answer: dict) -> list[tuple[str, dict | None]]:
    """The answer as (sentence with markers, verdict) pairs, straight from the checker's verdicts (whose
    texts make up the answer text, plus any sentence the library dropped as unsupported); an answer
    without verdicts is its whole text."""
    verdicts = answer.get("verdicts") or []
    if not verdicts:
        return [(answer.get("answer", ""), None)]
    return [(v.get("text") or v["sentence"] + "".join(f" [{n}]" for n in v["markers"]), v) for v in verdicts]


def citation_verdicts(answer: dict) -> dict[int, list[dict]]:
    """For each citation number, the verdicts of the answer sentences that cite it."""
    out: dict[int, list[dict]] = {}
    for v in answer.get("verdicts") or []:
        for n in v["markers"]:
            out.setdefault(n, []).append(v)
    return out


def source_name(citation: dict) -> str:
    """Where a quote comes from: the outlet, else the file name."""
    return citation.get("outlet") or PurePath(citation.get("source") or "").name or citation["doc_id"]


def date_text(citation: dict) -> str:
    """The article's date for a source card; a file's own date says so:
    date_text({"published": "2022-10-10", "published_from": "text"}) -> "10 Oct 2022" """
    value = citation.get("published")
    if not value:
        return ""
    try:
        import datetime

        shown = datetime.date.fromisoformat(value).strftime("%-d %b %Y")
    except ValueError:
        return ""
    return f"file dated {shown}" if citation.get("published_from") == "file" else shown


def plain_answer(answer: dict) -> str:
    """The answer and its sources as plain text, for the copy button."""
    lines = [answer.get("answer", "")]
    if answer.get("citations"):
        lines.append("")
        lines += [f"[{c['n']}] {c['title']} ({source_name(c)}): “{shown_text(c, c['quote'])}”"
                  for c in answer["citations"]]
    return "\n".join(lines)


def copy_button(text: str) -> str:
    """A Copy button; its text rides along in a hidden element because the Chatbot's sanitizer strips
    data-* attributes, and one <span> per line because raw newlines would end the HTML block."""
    lines = "".join(f"<span>{text_html(line, breaks=False)}</span>" for line in text.split("\n"))
    return (f'<button class="rag-copy" type="button" title="Copy the answer and its sources">Copy</button>'
            f'<span class="rag-copy-text">{lines}</span>')


def failure_text(verdict: dict) -> str:
    """Why a sentence is not supported, as the checker named it:
    failure_text({"reason": "negated", "score": 1.0}) -> "negated"; a bare "unsupported" shows its score."""
    reason = verdict.get("reason") or "unsupported"
    return reason if reason not in ("unsupported", "ok") else f"score {verdict['score']:.2f}"


QUOTED = re.compile(r"^(?P<head>.*?)“(?P<quote>.+)”(?P<tail>[\s.,;:]*(?:\[\d+\][\s.,;:]*)*)$", re.S)
FOLD_CHARS = 320  # a quote longer than this folds to its first FOLD_HEAD characters
FOLD_HEAD = 200


def quote_parts(sentence: str) -> tuple[str, str, str] | None:
    """A quoting sentence as (words before, the quote, markers after); None for the assistant's own words:
    quote_parts("Kim — “He wrote.” [1]") -> ("Kim — ", "He wrote.", " [1]")"""
    m = QUOTED.match(sentence.strip())
    if not m or not (m.group("head") == "" or m.group("head").endswith(("— ", ": "))):
        return None
    return m.group("head"), m.group("quote"), m.group("tail")


def fold_html(text: str, limit: int = FOLD_CHARS, head: int = FOLD_HEAD) -> str:
    """A long quote folded to its opening words, with the whole of it one click away (no script)."""
    if len(text) <= limit:
        return text_html(text)
    cut = text.rfind(" ", 0, head)
    cut = cut if cut > head // 2 else head
    return (f'<details class="rag-fold"><summary><span class="rag-fold-head">{text_html(text[:cut])}'
            f'<span class="rag-fold-more">… more</span></span><span class="rag-fold-less">show less</span>'
            f'</summary>{text_html(text)}</details>')


def lead_line(head: str, lead: str) -> str:
    """The words before a quote: the answer phrase in bold on its own line when they are exactly it."""
    phrase = head.strip().rstrip("—–-: ").strip()
    if not phrase:
        return ""
    if lead and phrase == lead:
        return f'<p class="rag-lead-line"><strong class="rag-lead">{text_html(lead, breaks=False)}</strong></p>'
    return f'<p class="rag-lead-line">{text_html(phrase, breaks=False)}</p>'


def sentence_html(sentence: str, verdict: dict | None, turn: int, cited: set[int], lead: str = "",
                  decode: bool = False) -> str:
    """One answer sentence as its own block: a quote from an article as a (folding) blockquote under
    the answer phrase, the assistant's own words as a paragraph; an unsupported one is flagged.
    decode: the quote comes from HTML pages, whose entities a reader should see decoded."""
    parts = quote_parts(sentence)
    if parts:
        head, quote, tail = parts
        quote = html.unescape(quote) if decode else quote
        body = (f'{lead_line(head, lead)}<blockquote class="rag-quote">{fold_html(quote)}'
                f'{inline_html(tail, turn, cited)}</blockquote>')
    else:
        body = f'<p class="rag-own">{inline_html(sentence, turn, cited)}</p>'
    if verdict is None or verdict["supported"]:
        return f'<div class="rag-s">{body}</div>'
    why = failure_text(verdict) if verdict.get("reason") not in (None, "unsupported") else \
        f"not in the cited source · {verdict['score']:.2f}"
    return (f'<div class="rag-s rag-unsupported" title="Unsupported: {why}"><span class="rag-flag">⚠ Unsupported '
            f'({why})</span>{body}</div>')


def render_answer(answer: dict, turn: int, show_unsupported: bool = True) -> str:
    """One assistant message: an answer with linked markers and flagged sentences, or an abstention.
    Unsupported sentences are marked, or (when hidden by the setting) counted in a visible note."""
    cited = {c["n"] for c in answer.get("citations") or []}
    if answer.get("abstained"):
        return render_abstention(answer.get("answer", ""), turn, cited)
    sentences = answer_sentences(answer)
    shown = [(s, v) for s, v in sentences if show_unsupported or v is None or v["supported"]]
    hidden = len(sentences) - len(shown)
    out = ['<div class="rag-msg rag-answer">']
    if answer.get("notice"):
        out.append(f'<div class="rag-notice">{text_html(answer["notice"])}</div>')
    if not answer.get("supported", True):
        out.append('<div class="rag-warn">⚠ Citation check failed: part of this answer is not supported '
                   "by the sources it cites.</div>")
    lead = (answer.get("lead") or {}).get("text", "")
    pages = {c["n"] for c in answer.get("citations") or [] if is_page(c)}
    out.append('<div class="rag-text">' + "".join(
        sentence_html(s, v, turn, cited, lead, bool(v and v["markers"]) and set(v["markers"]) <= pages)
        for s, v in shown) + "</div>")
    if hidden:
        plural = hidden > 1
        out.append(f'<p class="rag-hidden-note">⚠ {hidden} unsupported sentence{"s" * plural} hidden (turn on '
                   f'“Show unsupported sentences” in Settings to see {"them" if plural else "it"})</p>')
    out.append(f'<div class="rag-actions">{copy_button(plain_answer(answer))}</div></div>')
    return "".join(out)


REPHRASE = ("Try rephrasing: name the person, place or event, or use the words an article would use. "
            "Nothing outside these articles is searched.")


def render_abstention(text: str, turn: int, cited: set[int]) -> str:
    """ "The articles don't say who…", then the closest passage, labelled as not an answer, and a hint."""
    found = text.find(": “")
    split = text.rfind(". ", 0, found) if found > 0 else -1
    said, passage = (text[:split + 1], text[split + 2:]) if split > 0 else (text, "")
    parts = quote_parts(passage) if passage else None
    out = ['<div class="rag-msg rag-abstain"><div class="rag-badge">Not in the articles</div>',
           f'<p class="rag-own">{inline_html(said if parts else text, turn, cited)}</p>']
    if parts:
        out.append('<p class="rag-near-label">Nearest passage — not an answer:</p>'
                   f'<blockquote class="rag-quote rag-near">{fold_html(parts[1])}{inline_html(parts[2], turn, cited)}'
                   "</blockquote>")
    out.append(f'<p class="rag-hint">{REPHRASE}</p></div>')
    return "".join(out)


def render_partial(text: str) -> str:
    """A streaming answer so far (markers stay plain until the citations are checked)."""
    body = text_html(text) if text else "Searching the articles…"
    return f'<div class="rag-msg rag-pending"><p class="rag-text">{body}<span class="rag-cursor">▍</span></p></div>'


def render_error(message: str) -> str:
    return (f'<div class="rag-msg rag-error"><div class="rag-badge">Couldn’t answer</div>'
            f'<p class="rag-text">{text_html(message)}</p></div>')


def render_question(question: str, length: int | None = None) -> str:
    """A user bubble; an empty question is shown as such and a very long one is cut.
    `length`: the full length of a question the session kept only in part."""
    if not question.strip():
        return '<div class="rag-q rag-empty">(empty question)</div>'
    shown = text_html(question[:QUESTION_PREVIEW])
    length = max(length or 0, len(question))
    if length > QUESTION_PREVIEW:
        shown += f' <span class="rag-cut">… ({length:,} characters)</span>'
    return f'<div class="rag-q">{shown}</div>'


def chat_messages(turns: list[dict], show_unsupported: bool = True) -> list[dict]:
    """Chatbot messages for the conversation; each turn is {question, answer|None, error|None, partial|None}."""
    messages = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": render_question(turn["question"], turn.get("length"))})
        if turn.get("error"):
            content = render_error(turn["error"])
        elif turn.get("answer"):
            content = render_answer(turn["answer"], i, show_unsupported)
        else:
            content = render_partial(turn.get("partial") or "")
        messages.append({"role": "assistant", "content": content})
    return messages


def highlight_context(context: str, context_start: int, quote: str) -> str:
    """The context with the quote in <mark>: highlight_context("a b c", 2, "b") -> "a <mark>b</mark> c" """
    start = context_start if context[context_start:context_start + len(quote)] == quote else context.find(quote)
    if not quote or start < 0:
        return f"<mark>{text_html(quote, breaks=False)}</mark>"
    end = start + len(quote)
    return (text_html(context[:start], breaks=False) + f"<mark>{text_html(quote, breaks=False)}</mark>"
            + text_html(context[end:], breaks=False))


def can_fail(citation: dict, verdicts: list[dict], mode: str) -> bool:
    """Whether a source's support badge tells the reader anything: in the LLM mode, or when a sentence
    citing it is not an exact quote (score below 1) or is unsupported. An exact quote is always supported."""
    return mode == "llm" or any(not v["supported"] or v["score"] < 0.999 for v in verdicts)


def verdict_html(verdicts: list[dict]) -> str:
    """The source's check result: its best support score, and any sentence it fails to support."""
    if not verdicts:
        return '<span class="rag-verdict">not checked</span>'
    best = max(verdicts, key=lambda v: v["score"])
    if best["supported"]:
        return f'<span class="rag-verdict ok">✓ supported · {best["score"]:.2f}</span>'
    return f'<span class="rag-verdict bad">⚠ unsupported · {best["score"]:.2f}</span>'


def is_page(citation: dict) -> bool:
    """Whether a citation quotes an HTML page (whose text keeps its entities, as in the file)."""
    return is_html(citation.get("source") or "")


def shown_text(citation: dict, text: str) -> str:
    """Article text as a reader should see it: an HTML page's entities decoded ("&amp;" -> "&"); the
    citation's offsets still point at the original file."""
    return html.unescape(text) if is_page(citation) else text


def render_source(citation: dict, turn: int, verdicts: list[dict], mode: str = "extractive",
                  nearest: bool = False) -> str:
    c = citation
    file_name = PurePath(c.get("source") or "").name or c["doc_id"]
    quote = shown_text(c, c["quote"])
    context = highlight_context(shown_text(c, c.get("context") or c["quote"]),
                                c.get("context_start", 0) if quote == c["quote"] else 0, quote)
    failed = [v for v in verdicts if not v["supported"]] if any(v["supported"] for v in verdicts) else []
    shown_date = date_text(c)
    outlet = f'<span class="rag-src-outlet">{text_html(c["outlet"])}</span>' if c.get("outlet") else ""
    date_html = f'<span class="rag-src-date">{text_html(shown_date)}</span>' if shown_date else ""
    badge = verdict_html(verdicts) if can_fail(c, verdicts, mode) else ""
    if nearest:
        badge = '<span class="rag-verdict near">nearest, not an answer</span>'
    flags = "".join(f'<div class="rag-src-flag">⚠ Does not support: “{text_html(v["sentence"])}” '
                    f'({text_html(failure_text(v))})</div>' for v in failed)
    return (f'<details class="rag-src" id="{source_id(turn, c["n"])}" open><summary>'
            f'<span class="rag-src-n">{c["n"]}</span><span class="rag-src-head">'
            f'<span class="rag-src-title">{text_html(c["title"])}</span>'
            f'<span class="rag-src-by">{outlet}{date_html}</span></span>'
            f'{badge}</summary>'
            f'<blockquote class="rag-ctx">{context}</blockquote>{flags}'
            f'<div class="rag-src-meta">{text_html(file_name)} · characters {c["start"]:,}–{c["end"]:,}'
            '<button class="rag-back" type="button" title="Back to the answer">↑ back to the answer</button></div>'
            "</details>")


def render_sources(turns: list[dict], selected: int | None) -> str:
    """The sources panel for answer number `selected`: only its cited sources, numbered as in the answer."""
    if selected is None or not 0 <= selected < len(turns):
        return ('<div class="rag-sources rag-sources-empty"><p>Sources appear here. Every answer quotes the '
                "articles; click a <b>[n]</b> marker to see the quote in its paragraph.</p></div>")
    turn = turns[selected]
    question = turn["question"]
    short = question[:120] + ("…" if len(question) > 120 else "")
    head = f'<div class="rag-sources-head">Cited in the answer to “{text_html(short)}”</div>'
    answer = turn.get("answer")
    if not answer:
        note = "No sources: this question was not answered." if turn.get("error") else "Searching…"
        return f'<div class="rag-sources" data-turn="{selected}">{head}<p class="rag-sources-note">{note}</p></div>'
    if not answer.get("citations"):
        return (f'<div class="rag-sources" data-turn="{selected}">{head}<p class="rag-sources-note">'
                "No sources: nothing in the indexed articles answers this question.</p></div>")
    if answer.get("abstained"):  # the closest passage, shown so the reader can check the "no"
        head += ('<p class="rag-sources-note">Nothing here answers the question; this is the closest '
                 "passage found.</p>")
    verdicts = citation_verdicts(answer)
    items = "".join(render_source(c, selected, verdicts.get(c["n"], []), answer.get("mode", "extractive"),
                                  bool(answer.get("abstained")))
                    for c in sorted(answer["citations"], key=lambda c: c["n"]))
    return f'<div class="rag-sources" data-turn="{selected}">{head}{items}</div>'


def render_ingest(status: dict, report: dict | None = None) -> str:
    """The upload panel's status: what happened to each dropped file, then the index update's progress
    or result. `status` is `Assistant.indexing_status()`, `report` an `IngestReport.to_json()`."""
    lines = []
    if report:
        lines += [f'<li class="ok">Added {text_html(n, breaks=False)}</li>' for n in report.get("saved", [])]
        lines += [f'<li class="ok">Added {text_html(a, breaks=False)} as {text_html(b, breaks=False)} '
                  "(that name was taken)</li>" for a, b in report.get("renamed", [])]
        lines += [f'<li class="skip">Skipped {text_html(n, breaks=False)}: {text_html(why, breaks=False)}</li>'
                  for n, why in report.get("skipped", [])]
        lines += [f'<li class="bad">Not added {text_html(n, breaks=False)}: {text_html(why, breaks=False)}</li>'
                  for n, why in report.get("rejected", [])]
    files = f'<ul class="rag-ingest-files">{"".join(lines)}</ul>' if lines else ""
    if status.get("running") or status.get("queued"):
        total = status.get("total") or 0
        what = f"{total:,} new article{'s' * (total != 1)}" if total else "the new articles"
        state = (f'<p class="rag-ingest-state busy"><span class="rag-spinner"></span> Indexing {what}… '
                 f'{text_html(status.get("message") or "", breaks=False)}<br>Questions are answered from the '
                 "articles already indexed meanwhile.</p>")
    elif status.get("error"):
        state = (f'<p class="rag-ingest-state bad">⚠ {text_html(status["error"], breaks=False)}. The articles '
                 "indexed before still answer.</p>")
    elif report and (report.get("saved") or report.get("renamed")):
        state = '<p class="rag-ingest-state ok">✓ Indexed: the new articles answer questions now.</p>'
    elif report:
        state = '<p class="rag-ingest-state">Nothing new to index.</p>'
    else:
        state = ('<p class="rag-ingest-state">Files are checked (size, type, text encoding), copied into the '
                 "archive without replacing any article, and indexed in the background.</p>")
    return f'<div class="rag-ingest">{files}{state}</div>'


def render_ingest_error(message: str) -> str:
    return f'<div class="rag-ingest"><p class="rag-ingest-state bad">⚠ {text_html(message)}</p></div>'


def listing(names: list[str], limit: int = 4) -> str:
    """listing(["AFP", "BBC", "CNN"]) -> "AFP, BBC and CNN"; more than `limit` -> "A, B, C, D and 3 more" """
    names = [n for n in names if n]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else ""


def period_text(first: str | None, last: str | None) -> str:
    """period_text("2017-11-03", "2022-10-10") -> "Nov 2017 – Oct 2022"; one month -> "Oct 2022" """
    import datetime

    try:
        a, b = (datetime.date.fromisoformat(d).strftime("%b %Y") for d in (first, last))
    except (TypeError, ValueError):
        return ""
    return a if a == b else f"{a} – {b}"


def render_header(status: dict) -> str:
    """What the archive holds, for a reader: "5 articles from AFP, NK News and Reuters, Nov 2017 – Oct 2022"."""
    n = status.get("documents", 0)
    text = f"<b>{n:,} news article{'s' * (n != 1)}</b>"
    if outlets := listing(list(status.get("outlets") or [])):
        text += f" from {text_html(outlets, breaks=False)}"
    first, last = status.get("date_range") or (None, None)
    if period := period_text(first, last):
        undated = n - status.get("dated", n)
        text += f", published {period}" + (f" ({undated:,} undated)" if undated > 0 else "")
    return ('<header class="rag-header"><h1>Ask the news archive</h1>'
            f"<p>{text}. Every answer quotes the articles, and every quote links to its source.</p></header>")


EXAMPLE_SAMPLE = 500  # titles read for example questions


def example_questions(titles: list[str], limit: int = 3) -> list[str]:
    """Questions about the names that recur across article titles, else about the shortest titles:
    example_questions(["Xi Jinping writes to Kim", "Xi Jinping visits"]) -> ["What did Xi Jinping say?"]"""
    def norm(text: str) -> str:
        return " ".join(re.findall(r"[a-z]+", text.lower()))
    titles = titles[::max(1, len(titles) // EXAMPLE_SAMPLE)]  # names x titles: a sample of a large archive
    names = dict.fromkeys(m.group(0) for t in titles
                          for m in re.finditer(r"\b[A-Z][a-z]+(?:-[a-z]+)?(?: [A-Z][a-z]+(?:-[a-z]+)?)+\b", t))
    counts = {name: sum(f" {norm(name)} " in f" {norm(t)} " for t in titles) for name in names}
    ranked = sorted((n for n in names if counts[n] > 1), key=lambda n: (-counts[n], len(n)))
    chosen: list[str] = []
    for name in ranked:
        if not any(norm(c) in norm(name) or norm(name) in norm(c) for c in chosen):
            chosen.append(name)
    templates = ["What did {} say?", "What do the articles say about {}?", "Who is {}?"]
    out = [templates[i % len(templates)].format(name) for i, name in enumerate(chosen)]
    if not out:  # no name recurs: ask about the shortest headlines (a long one reads badly as a question)
        out = [f"What do the articles say about “{t.rstrip('…. ')}”?" for t in sorted(titles, key=len)
               if t.strip() and len(t) <= 70]
    return out[:limit] or ["What are the articles about?"]
