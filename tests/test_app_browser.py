"""End to end in a real browser: `rag serve` over the seeds plus a hostile article, driven by
Playwright through Debian's chromium. Screenshots land in test-artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.serving import RagServer

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
WIDTHS = {"phone": PHONE, "laptop": {"width": 1366, "height": 900}, "desktop": {"width": 1920, "height": 1080}}
HOSTILE_NAME = "900_hostile_markup.txt"
HOSTILE = """Garden society news <img src=x onerror="window.__pwned=2">

The Zanzibar Garden Society met on Tuesday to discuss the marigold festival <img src=x onerror="window.__pwned=2"> and its budget.

Chairwoman Ottoline Fairweather said the marigold festival budget <script>window.__pwned=1;alert(1)</script> would double next year.

The society also planned a new greenhouse for the orchids.
"""
HOSTILE_QUESTION = "What did Ottoline Fairweather say about the marigold festival budget?"
# Anything the page ran or built from the hostile text shows up here.
INJECTED = """() => ({
  pwned: typeof window.__pwned,
  images: document.querySelectorAll('img[src="x"], [onerror]').length,
  scripts: [...document.scripts].filter(s => s.textContent.includes("__pwned=")
                                        && !s.textContent.startsWith("window.gradio_config")).length,
})"""
CLEAN = {"pwned": "undefined", "images": 0, "scripts": 0}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tmp_path_factory.mktemp("ui-browser") / "corpus"


@pytest.fixture(scope="module")
def server(corpus):
    root = corpus.parent
    shutil.copytree(SEEDS, corpus)
    (corpus / HOSTILE_NAME).write_text(HOSTILE, encoding="utf-8")
    # Up to four quotes per answer (the default is two), so answers carry three or more citations.
    server = RagServer(root, corpus, env={"RAG_MAX_ANSWER_SENTENCES": "4"})
    try:
        yield server.wait_ready().url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(server, browser):
    """Open the app in a fresh browser session (its own conversation); records any dialog."""
    contexts = []

    def open_(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.dialogs, page.outside = [], []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: r.url.startswith((server, "data:", "blob:")) or page.outside.append(r.url))
        page.goto(server)
        page.wait_for_selector("#rag-question textarea", timeout=30_000)
        return page

    yield open_
    for context in contexts:
        context.close()


def ask(page, question: str):
    """Type a question, send it, wait until its answer (or error) has finished streaming, and return it."""
    done = "#rag-chat .rag-msg:not(.rag-pending)"
    before = page.locator(done).count()
    page.fill("#rag-question textarea", question)
    page.click("#rag-ask")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[done, before],
                           timeout=30_000)
    return page.locator("#rag-chat .rag-msg").nth(before)  # pinned: `.last` would follow later answers


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_answer_cites_and_the_citation_shows_the_highlighted_quote(open_page):
    from playwright.sync_api import expect

    page = open_page()
    expect(page.locator(".rag-header")).to_contain_text("6 news articles")
    expect(page.locator(".rag-header")).to_contain_text("AFP")  # the outlets, not the folder's name
    expect(page.locator(".rag-header")).not_to_contain_text("corpus")
    expect(page.locator("#rag-footer")).not_to_contain_text("gradio_client")
    shoot(page, "ui-desktop-empty.png")
    answer = ask(page, "What was Mike Pompeo planning?")
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text("Pompeo")
    page.locator("#rag-sources").evaluate("el => el.scrollTo(0, el.scrollHeight)")  # move it away first
    answer.locator("a.rag-cite").first.click()
    quote = page.locator("#src-0-1 mark")
    expect(quote).to_be_visible()
    expect(quote).to_be_in_viewport()
    expect(quote).to_contain_text("Mike Pompeo scheduling another trip to Pyongyang")
    expect(page.locator("#src-0-1 .rag-verdict")).to_have_count(0)  # an exact quote: no badge that is always ✓
    assert page.locator("#rag-sources details.rag-src").count() == page.locator("#rag-chat a.rag-cite").count()
    shoot(page, "ui-desktop-answer.png")
    assert page.outside == []  # no web fonts, analytics or CDN: the page works offline


def test_follow_up_is_answered_from_the_right_article(open_page):
    from playwright.sync_api import expect

    follow_up = "What did she say about it?"
    alone = ask(open_page(), follow_up)  # control: without history the follow-up cannot be answered
    expect(alone).to_have_class("rag-msg rag-abstain")

    page = open_page()
    first = ask(page, "Who is the Chinese foreign ministry spokeswoman who spoke about Xi's message?")
    expect(first).to_contain_text("Hua Chunying")
    expect(first.locator("strong.rag-lead")).to_have_text("Hua Chunying")  # the answer phrase leads, in bold
    assert first.inner_text().strip().startswith("Hua Chunying\n")  # the phrase on its own line, then the quote
    expect(first.locator("blockquote.rag-quote")).to_contain_text("spokeswoman Hua Chunying")
    # The seeds carry no date of their own, so the card gives the file's date and says so.
    expect(page.locator("#src-0-1 .rag-src-date")).to_contain_text("file dated")
    second = ask(page, follow_up)
    expect(second).to_have_class("rag-msg rag-answer")
    expect(second).to_contain_text("[1]")
    expect(page.locator("#src-1-1 .rag-src-meta")).to_contain_text("001_32944c5d53887f74")
    expect(page.locator("#rag-sources .rag-sources-head")).to_contain_text(follow_up)
    # Clicking a marker of the earlier answer brings its sources back.
    first.locator("a.rag-cite").first.click()
    expect(page.locator("#src-0-1 mark")).to_be_visible()


def test_an_abstention_names_what_is_missing_and_shows_the_closest_passage(open_page):
    from playwright.sync_api import expect

    page = open_page()
    answer = ask(page, "Exactly how many ballistic missiles did North Korea test?")
    expect(answer).to_have_class("rag-msg rag-abstain")
    expect(answer).to_contain_text("The articles don't say how many ballistic missiles")
    answer.locator("a.rag-cite").first.click()
    expect(page.locator("#rag-sources")).to_contain_text("closest passage")
    expect(page.locator("#src-0-1 mark")).to_contain_text("record number of ballistic missiles")
    expect(answer.locator(".rag-near-label")).to_contain_text("not an answer")
    expect(answer.locator(".rag-hint")).to_contain_text("Try rephrasing")
    expect(page.locator("#src-0-1 .rag-verdict")).to_have_text("nearest, not an answer")


def test_off_corpus_question_gets_the_abstention(open_page):
    from playwright.sync_api import expect

    page = open_page()
    answer = ask(page, "Who won the 2022 World Cup?")
    expect(answer).to_have_class("rag-msg rag-abstain")
    expect(answer).to_contain_text("The articles don't say")
    expect(answer.locator(".rag-badge")).to_contain_text("Not in the articles")
    assert answer.locator("a.rag-cite").count() == 0
    expect(page.locator("#rag-sources")).to_contain_text("No sources")


def test_hostile_article_and_question_never_execute(open_page):
    from playwright.sync_api import expect

    page = open_page()
    answer = ask(page, HOSTILE_QUESTION)
    expect(answer).to_contain_text("<script>window.__pwned=1;alert(1)</script>")  # shown as text
    sources = page.locator("#rag-sources")
    expect(sources).to_contain_text('<img src=x onerror="window.__pwned=2">')  # the title, as text
    expect(sources.locator("mark")).to_contain_text("<script>")
    expect(sources).to_contain_text(HOSTILE_NAME)
    question = ask(page, 'Is <img src=x onerror="window.__pwned=4"> <b>bold</b> **here**?')
    expect(page.locator("#rag-chat .rag-q").last).to_contain_text('<img src=x onerror="window.__pwned=4">')
    expect(question).to_be_visible()
    page.wait_for_timeout(500)  # give any injected handler the chance to run
    assert page.evaluate(INJECTED) == CLEAN
    assert page.dialogs == []
    shoot(page, "ui-desktop-hostile.png")


def test_bad_questions_show_errors_and_the_app_keeps_working(open_page):
    from playwright.sync_api import expect

    page = open_page()
    empty = ask(page, "")
    expect(empty).to_have_class("rag-msg rag-error")
    expect(empty).to_contain_text("The question is empty")
    long = ask(page, "why " * 600)
    expect(long).to_contain_text("the limit is 2,000")
    expect(page.locator("#rag-chat .rag-q").last).to_contain_text("2,400 characters")
    answer = ask(page, "What is THAAD?")
    expect(answer).to_contain_text("Terminal High Altitude Area Defense")


def test_retry_clear_and_examples(open_page):
    from playwright.sync_api import expect

    page = open_page()
    ask(page, "What is THAAD?")
    page.locator("#rag-chat .rag-msg").evaluate("el => el.classList.add('stale')")  # gone once re-rendered
    page.click("#rag-retry")
    page.wait_for_function("() => !document.querySelector('#rag-chat .stale, #rag-chat .rag-pending') "
                           "&& document.querySelectorAll('#rag-chat .rag-msg').length == 1")
    expect(page.locator("#rag-chat .rag-q")).to_have_count(1)
    expect(page.locator("#rag-chat .rag-msg").last).to_contain_text("Terminal High Altitude")
    page.click("#rag-clear")
    expect(page.locator("#rag-chat .rag-msg")).to_have_count(0)
    expect(page.locator("#rag-sources")).to_contain_text("Sources appear here")
    example = page.locator("#rag-chat button.example").first
    text = example.inner_text()
    example.click()
    expect(page.locator("#rag-chat .rag-answer, #rag-chat .rag-abstain")).to_have_count(1, timeout=30_000)
    expect(page.locator("#rag-chat .rag-q").first).to_contain_text(text.strip()[:20])


def test_phone_width_layout(open_page):
    from playwright.sync_api import expect

    page = open_page(PHONE)
    answer = ask(page, "What did Xi say it was more important than ever for Beijing and Pyongyang to enhance?")
    expect(answer).to_contain_text("[1]")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
    shoot(page, "ui-phone-answer.png")
    answer.locator("a.rag-cite").first.click()
    expect(page.locator("#src-0-1 mark")).to_be_in_viewport()
    page.wait_for_timeout(800)  # let the smooth scroll settle before the screenshot
    shoot(page, "ui-phone-source.png")


# -- Layout at three widths, with an answer of three or more citations ------------------------------

MANY_CITATIONS = "Why did China and North Korea exchange letters?"
BLOCKS = [".rag-header", "#rag-chat", "#rag-ask-row", "#rag-controls", "#rag-settings", ".rag-sources-title",
          ".rag-sources", "#rag-footer", "footer"]
BOXES = """(sels) => sels.map(s => { const r = document.querySelector(s).getBoundingClientRect();
                                     return [s, r.left, r.top, r.right, r.bottom]; })"""
# Any element between the page and the header that was scrolled: Gradio's containers hide their
# overflow, so one scrolled by scrollIntoView shifts the whole page with no way back.
SCROLLED = """() => { const out = []; let el = document.querySelector('.rag-header').parentElement;
  while (el && el !== document.documentElement) { if (el.scrollTop) out.push(el.className); el = el.parentElement; }
  return out; }"""


def overlaps(boxes: list) -> list[tuple[str, str]]:
    """Pairs of page blocks whose boxes overlap by more than a pixel each way."""
    return [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if min(a[3], b[3]) - max(a[1], b[1]) > 1 and min(a[4], b[4]) - max(a[2], b[2]) > 1]


@pytest.mark.parametrize("size", WIDTHS)
def test_every_citation_brings_its_card_into_view_and_the_page_holds(open_page, size):
    from playwright.sync_api import expect

    viewport = WIDTHS[size]
    page = open_page(viewport)
    ask(page, "What did Xi say about relations with North Korea?")
    answer = ask(page, MANY_CITATIONS)
    links = answer.locator("a.rag-cite")
    assert links.count() >= 3, answer.inner_text()
    cards = page.locator("#rag-sources details.rag-src")
    expect(cards).to_have_count(len(set(links.all_inner_texts())))
    wide = viewport["width"] >= 900
    if wide:  # the page fits the window; the chat and the sources scroll on their own
        assert page.evaluate("() => document.documentElement.scrollHeight - innerHeight") <= 20
    before = page.evaluate(BOXES, [".rag-header", "#rag-question"])
    for i in range(links.count()):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        n = link.inner_text().strip("[]")
        link.click()
        card = page.locator(f"#src-1-{n}")
        expect(card).to_have_class(re.compile(r"\brag-current\b"))
        page.wait_for_timeout(700)  # the smooth scroll
        expect(card.locator("mark")).to_be_in_viewport()
        assert page.evaluate(SCROLLED) == []
        if wide:  # only the sources panel moved
            assert page.evaluate(BOXES, [".rag-header", "#rag-question"]) == before
            expect(page.locator(".rag-header")).to_be_in_viewport()
            expect(page.locator("#rag-question")).to_be_in_viewport()
        else:  # stacked: the page scrolled to the card, and a button takes the reader back to the [n]
            card.locator("button.rag-back").click()
            page.wait_for_timeout(700)
            expect(link).to_be_in_viewport()
        shoot(page, f"ui-{size}-cite-{i + 1}.png")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the window"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    assert page.evaluate(BOXES, [".rag-header", "#rag-question"]) == before  # nothing shifted for good
    assert overlaps(page.evaluate(BOXES, BLOCKS)) == []
    card_boxes = page.evaluate("() => [...document.querySelectorAll('details.rag-src')].map((c, i) => {"
                               " const r = c.getBoundingClientRect(); return [i, r.left, r.top, r.right, r.bottom]; })")
    assert overlaps(card_boxes) == []
    shoot(page, f"ui-{size}-many-citations.png")


# -- Articles in, answers out (these run last on the shared server: the upload adds an article) ---------

NEW_ARTICLE = """Harbour town opens floating library

The harbour town of Quillport opened a floating library on Saturday, moored beside the old ferry pier.

Mayor Tobias Wren said the library barge holds 4,000 books and will visit three villages each month.
"""


def test_export_downloads_json_that_rag_verify_checks(open_page, corpus, tmp_path):
    import subprocess

    from playwright.sync_api import expect

    from tests.conftest import RAG, rag_env

    page = open_page()
    ask(page, "Who is the Chinese foreign ministry spokeswoman who spoke about Xi's message?")
    ask(page, MANY_CITATIONS)
    page.click("#rag-export")
    links = page.locator("#rag-exported a")
    expect(links).to_have_count(2, timeout=10_000)
    hrefs = {Path(a.get_attribute("href")).suffix: a.get_attribute("href") for a in links.all()}
    markdown = page.request.get(hrefs[".md"]).text()
    assert "Hua Chunying" in markdown and "> " in markdown
    export = tmp_path / "export.json"
    export.write_bytes(page.request.get(hrefs[".json"]).body())
    data = json.loads(export.read_text(encoding="utf-8"))
    cited = [c for turn in data["turns"] for c in turn["citations"]]
    assert len(data["turns"]) == 2 and len(cited) >= 4 and all(len(c["sha256"]) == 64 for c in cited)

    def verify(folder):
        return subprocess.run([*RAG, "verify", str(export), "--corpus", str(folder)], env=rag_env(),
                              capture_output=True, text=True, timeout=120)

    good = verify(corpus)
    assert good.returncode == 0, good.stdout + good.stderr
    changed = tmp_path / "changed"
    shutil.copytree(corpus, changed)
    first = cited[0]
    path = changed / first["source"]
    text = path.read_text(encoding="utf-8")
    i = first["start"] + 3
    path.write_text(text[:i] + ("X" if text[i] != "X" else "Y") + text[i + 1:], encoding="utf-8")
    bad = verify(changed)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"turn 1 [{first['n']}] {first['source']}" in bad.stdout


def test_an_uploaded_article_is_answered_and_bad_files_change_nothing(open_page, corpus, tmp_path):
    import time

    from playwright.sync_api import expect

    before = sorted(p.name for p in corpus.iterdir())
    new = tmp_path / "quillport_library.txt"
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 society news in Quillport".encode("latin-1"))
    taken = tmp_path / before[0]
    taken.write_text("A different text under a name the archive already has.\n\nIt says more here.", encoding="utf-8")

    page = open_page()
    page.click("#rag-upload .label-wrap")
    expect(page.locator("#rag-ingest")).to_contain_text("checked")
    started = time.monotonic()
    page.set_input_files("#rag-upload-files input[type=file]", [str(binary), str(latin)])
    ingest = page.locator("#rag-ingest")
    expect(ingest).to_contain_text("Not added photo.txt: binary file")
    expect(ingest).to_contain_text("Not added latin.txt: not valid UTF-8")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"word " * 1_100_000)  # 5.5 MB, over max_upload_bytes: refused before it is sent
    page.set_input_files("#rag-upload-files input[type=file]", [str(huge)])
    expect(page.locator(".toast-body").first).to_contain_text("exceed the maximum allowed size")
    assert sorted(p.name for p in corpus.iterdir()) == before  # nothing written, nothing replaced

    page.set_input_files("#rag-upload-files input[type=file]", [str(new), str(taken)])
    expect(ingest).to_contain_text("Added quillport_library.txt")
    expect(ingest).to_contain_text(f"as {Path(before[0]).stem}-2.txt")  # never overwritten silently
    # The old index keeps answering while the new articles are indexed.
    expect(ask(page, "What is THAAD?")).to_contain_text("Terminal High Altitude")
    expect(ingest.locator(".rag-ingest-state.ok")).to_be_visible(timeout=30_000)
    answer = ask(page, "How many books does the Quillport library barge hold?")
    elapsed = time.monotonic() - started
    expect(answer.locator("strong.rag-lead")).to_have_text("4,000")
    expect(page.locator("#src-1-1 .rag-src-meta")).to_contain_text("quillport_library.txt")
    assert elapsed < 30, f"answered from the new article after {elapsed:.1f} s"
    expect(page.locator(".rag-header")).to_contain_text("8 news articles")
    assert (corpus / before[0]).read_bytes() != taken.read_bytes()  # the original is untouched
    shoot(page, "ui-desktop-upload.png")


# -- LLM mode against a scripted chat server: streaming, and a sentence the check rejects ----------

LLM_REPLY = ("Mike Pompeo was scheduling another trip to Pyongyang this month [1]. "
             "He also planned a visit to the Moon in 2031 [1].")


# Records the text of every in-progress answer the page shows while it streams.
WATCH_PARTIALS = """() => {
  window.__partials = [];
  new MutationObserver(() => {
    const pending = document.querySelector("#rag-chat .rag-pending .rag-text");
    const text = pending && pending.textContent;
    if (text && window.__partials[window.__partials.length - 1] !== text) window.__partials.push(text);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    from tests.fake_llm import FakeLLM, Reply

    def model(request):
        return Reply(LLM_REPLY) if "Pompeo" in request.last_user else Reply("The articles don't say.")

    root = tmp_path_factory.mktemp("ui-llm")
    shutil.copytree(SEEDS, root / "corpus")
    with FakeLLM(model) as llm:
        server = RagServer(root, root / "corpus", "--mode", "llm",
                           env={"RAG_LLM_BASE_URL": llm.url, "RAG_LLM_MODEL": "fake"})
        try:
            yield server.wait_ready().url
        finally:
            server.stop()


def test_llm_answer_streams_and_flags_the_unsupported_sentence(llm_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    try:
        page.goto(llm_server)
        page.wait_for_selector("#rag-question textarea", timeout=30_000)
        page.click("#rag-settings .label-wrap")
        expect(page.locator("#rag-settings input[value=llm]")).to_be_checked()
        page.evaluate(WATCH_PARTIALS)
        answer = ask(page, "What was Mike Pompeo planning?")
        streamed = [text.rstrip("▍") for text in page.evaluate("() => window.__partials") if "Pompeo" in text]
        assert streamed and all(LLM_REPLY.startswith(text) for text in streamed), streamed  # shown as it grew
        expect(answer.locator(".rag-warn")).to_contain_text("Citation check failed")
        expect(answer.locator(".rag-unsupported")).to_contain_text("Moon in 2031")
        expect(answer.locator(".rag-s:not(.rag-unsupported)")).to_contain_text("another trip to Pyongyang")
        expect(page.locator("#src-0-1 .rag-src-flag")).to_contain_text("Moon in 2031")
        page.click("#rag-settings input[type=checkbox]")  # hide unsupported sentences
        expect(answer.locator(".rag-unsupported")).to_have_count(0)
        expect(answer.locator(".rag-hidden-note")).to_contain_text("1 unsupported sentence hidden")
        page.click("#rag-settings input[type=checkbox]")
        expect(answer.locator(".rag-unsupported")).to_have_count(1)
        page.evaluate("() => window.scrollTo(0, 0)")
        shoot(page, "ui-desktop-llm-flagged.png")
    finally:
        page.close()


def test_login_form_works_under_auth_at_phone_and_desktop_widths(tmp_path, browser):
    """The HTTP guard lets the login form and its assets through and nothing else; after logging in,
    the app (its queue, heartbeat and config) works as without --auth."""
    from playwright.sync_api import expect

    shutil.copytree(SEEDS, tmp_path / "corpus")
    server = RagServer(tmp_path, tmp_path / "corpus", "--auth", "reader:s3cret-pass").wait_ready()
    try:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            failed = []
            page.on("response", lambda r: r.status >= 400 and failed.append((r.status, r.url)))
            page.goto(server.url)
            page.wait_for_selector("input[type=password]", timeout=30_000)
            assert page.locator("#rag-question").count() == 0  # nothing of the app before logging in
            shoot(page, f"ui-{name}-login.png")
            page.fill("input[type=text]", "reader")
            page.fill("input[type=password]", "s3cret-pass")
            page.keyboard.press("Enter")
            page.wait_for_selector("#rag-question textarea", timeout=30_000)
            expect(ask(page, "Who is Mao Ning?")).to_contain_text("spokesperson Mao Ning")
            shoot(page, f"ui-{name}-after-login.png")
            assert not failed, failed
            context.close()
    finally:
        server.stop()
