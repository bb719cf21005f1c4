"""Pure render helpers of the web app: escaping, [n] links, highlighting, abstention and flags."""

from __future__ import annotations

import html as html_lib
import re

from ui import render

HOSTILE = '<script>window.__pwned=1;alert(1)</script> <img src=x onerror="window.__pwned=2"> *x* $y$'


def answer(**over) -> dict:
    base = {
        "question": "What was Mike Pompeo planning?", "abstained": False, "supported": True,
        "answer": "Pompeo planned a trip to Pyongyang. [1] A summit was planned too. [2]",
        "citations": [
            {"n": 1, "doc_id": "002_x", "title": "Kim courts Xi", "quote": "Pompeo planned a trip to Pyongyang.",
             "start": 10, "end": 45, "score": 1.0, "outlet": "JoongAng", "source": "/c/002_x.txt",
             "context": "Before. Pompeo planned a trip to Pyongyang. After.", "context_start": 8},
            {"n": 2, "doc_id": "003_y", "title": "Summit", "quote": "A summit was planned too.", "start": 0,
             "end": 25, "score": 1.0, "outlet": None, "source": "/c/003_y.txt", "context": "A summit was planned too.",
             "context_start": 0}],
        "verdicts": [
            {"sentence": "Pompeo planned a trip to Pyongyang.", "markers": [1], "score": 1.0, "supported": True,
             "reason": "ok"},
            {"sentence": "A summit was planned too.", "markers": [2], "score": 1.0, "supported": True, "reason": "ok"}],
        "mode": "extractive", "retrieved": ["002_x", "003_y"], "query": "", "notice": "", "timings_ms": {},
    }
    return {**base, **over}


def tags(html: str) -> set[str]:
    return set(re.findall(r"<\s*([a-zA-Z]+)", html))


def test_text_html_escapes_markup_and_markdown():
    out = render.text_html(HOSTILE)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img" in out
    assert "*" not in out and "$" not in out  # no Markdown emphasis or KaTeX
    assert "&#x" not in out  # the Chatbot shows hex entities verbatim
    assert render.text_html("a\nb") == "a<br>b"
    assert render.text_html("don't") == "don&#39;t"


def test_markers_become_links_to_their_source():
    html = render.inline_html("Yes [1]. No [7].", turn=3, cited={1})
    assert '<a class="rag-cite" href="#src-3-1"' in html
    assert "src-3-7" not in html and "&#91;7&#93;" in html  # an uncited number stays text
    both = render.inline_html("Yes [1, 2].", turn=0)  # the checker's marker forms, one link per number
    assert both.count('class="rag-cite"') == 2 and both.startswith("Yes <a")


def test_answer_escapes_article_text():
    a = answer(answer=f"{HOSTILE} [1]", verdicts=[{"sentence": HOSTILE, "markers": [1], "score": 1.0,
                                                    "supported": True, "reason": "ok"}])
    html = render.render_answer(a, 0)
    assert tags(html) <= {"div", "p", "span", "a", "button"}
    assert "&lt;script&gt;" in html and 'href="#src-0-1"' in html


def test_question_and_sources_are_escaped():
    assert tags(render.render_question(HOSTILE)) == {"div"}
    c = {**answer()["citations"][0], "title": HOSTILE, "quote": HOSTILE, "context": f"x {HOSTILE} y",
         "context_start": 2}
    turns = [{"question": HOSTILE, "answer": answer(citations=[c]), "error": None}]
    html = render.render_sources(turns, 0)
    assert "script" not in tags(html) and "img" not in tags(html)
    assert html.count("&lt;script&gt;") >= 3


def test_sources_list_only_cited_sources_numbered_with_highlight():
    turns = [{"question": "q", "answer": answer(), "error": None}]
    html = render.render_sources(turns, 0)
    assert html.count('class="rag-src"') == 2
    assert 'id="src-0-1"' in html and 'id="src-0-2"' in html
    assert "Before. <mark>Pompeo planned a trip to Pyongyang.</mark> After." in html
    assert "JoongAng" in html and "003_y.txt" in html_lib.unescape(html)  # the outlet; the file in the meta line
    assert "rag-src-outlet" in html.split('id="src-0-2"')[0] and "rag-src-outlet" not in html.split('id="src-0-2"')[1]
    # exact quotes in the extractive mode are always supported, so no badge; the LLM mode shows it
    assert "supported" not in html
    llm = render.render_sources([{"question": "q", "answer": answer(mode="llm"), "error": None}], 0)
    assert llm.count("✓ supported · 1.00") == 2


def test_highlight_finds_quote_when_offset_is_off():
    assert render.highlight_context("a b c", 2, "b") == "a <mark>b</mark> c"
    assert render.highlight_context("a b c", 0, "c") == "a b <mark>c</mark>"
    assert render.highlight_context("a b c", 0, "zz") == "<mark>zz</mark>"


def test_abstention_looks_different_and_has_no_sources():
    a = answer(abstained=True, answer="The articles don't say. Nothing matches.", citations=[], verdicts=[])
    html = render.render_answer(a, 0)
    assert "rag-abstain" in html and "Not in the articles" in html and "rag-cite" not in html
    assert "No sources" in render.render_sources([{"question": "q", "answer": a, "error": None}], 0)


def test_unsupported_sentence_is_flagged_or_counted_when_hidden():
    verdicts = [answer()["verdicts"][0],
                {"sentence": "A summit was planned too.", "markers": [2], "score": 0.2, "supported": False,
                 "reason": "unsupported"}]
    a = answer(supported=False, verdicts=verdicts)
    shown = render.render_answer(a, 0, show_unsupported=True)
    assert "Citation check failed" in shown and 'class="rag-s rag-unsupported"' in shown
    hidden = render.render_answer(a, 0, show_unsupported=False)
    assert "A summit was planned" not in hidden.split("rag-copy-text")[0]
    assert "1 unsupported sentence hidden" in hidden
    sources = render.render_sources([{"question": "q", "answer": a, "error": None}], 0)
    assert "⚠ unsupported · 0.20" in sources


def test_a_source_cited_by_good_and_bad_sentences_shows_both():
    verdicts = [answer()["verdicts"][0],
                {"sentence": "Pompeo flew to the Moon in 2031.", "markers": [1], "score": 0.0, "supported": False,
                 "reason": "unsupported"}]
    a = answer(answer="Pompeo planned a trip to Pyongyang. [1] Pompeo flew to the Moon in 2031. [1]",
               supported=False, verdicts=verdicts, citations=answer()["citations"][:1])
    sources = render.render_sources([{"question": "q", "answer": a, "error": None}], 0)
    assert "✓ supported · 1.00" in sources
    assert "Does not support: “Pompeo flew to the Moon in 2031.” (score 0.00)" in sources


def test_sentences_dropped_by_the_library_can_still_be_shown():
    dropped = {"sentence": "Made up claim.", "markers": [], "score": 0.0, "supported": False,
               "reason": "no citation"}
    a = answer(verdicts=[*answer()["verdicts"], dropped])
    assert render.answer_sentences(a)[-1] == ("Made up claim.", dropped)
    assert "Made up claim." in render.render_answer(a, 0, show_unsupported=True)


def test_sentences_come_from_the_verdicts_not_from_matching_the_text():
    v = {"sentence": "Xi wrote.", "markers": [1], "score": 1.0, "supported": True, "reason": "ok",
         "text": "Xi wrote. [1]", "shown": True}
    assert render.answer_sentences(answer(answer="Xi wrote. [1]", verdicts=[v])) == [("Xi wrote. [1]", v)]
    assert render.answer_sentences(answer(answer="No verdicts here.", verdicts=[])) == [("No verdicts here.", None)]


def test_copy_text_is_plain_and_has_sources():
    text = render.plain_answer(answer())
    assert text.splitlines()[0] == answer()["answer"]
    assert "[2] Summit (003_y.txt): “A summit was planned too.”" in text
    assert "\n" not in render.copy_button("a\n\nb")  # a raw blank line would end the Chatbot's HTML block


def test_chat_messages_cover_errors_partials_and_long_questions():
    turns = [{"question": "", "answer": None, "error": "The question is empty"},
             {"question": "x" * 5000, "answer": None, "error": None, "partial": "So far <b>"}]
    messages = render.chat_messages(turns)
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2
    assert "(empty question)" in messages[0]["content"] and "rag-error" in messages[1]["content"]
    assert "5,000 characters" in messages[2]["content"] and len(messages[2]["content"]) < 1000
    assert "So far &lt;b&gt;" in messages[3]["content"]
    assert all("\n" not in m["content"] for m in messages)


def test_header_and_examples_come_from_the_corpus():
    header = render.render_header({"documents": 5, "corpus_dir": "/x/seeds", "outlets": ["AFP", "NK News", "Reuters"],
                                   "date_range": ["2017-11-03", "2022-10-10"], "dated": 4})
    assert "5 news articles</b> from AFP, NK News and Reuters, published Nov 2017 – Oct 2022 (1 undated)" in header
    assert "seeds" not in header  # no folder names on a reader's page
    assert "published" not in render.render_header({"documents": 1, "date_range": None})
    assert render.listing(list("ABCDEF")) == "A, B, C, D and 2 more" and render.listing(["A"]) == "A"
    titles = ["Xi Jinping sends rare message to Kim Jong-un", "Kim Jong-un is cozying up to China’s Xi Jinping",
              "Chinese President Responds to Letter from Kim Jong Un"]
    examples = render.example_questions(titles)
    assert examples[:2] == ["What did Kim Jong-un say?", "What do the articles say about Xi Jinping?"]
    assert render.example_questions([]) == ["What are the articles about?"]
    many = [f"Mayor Person{i} Visits Town{i}" for i in range(30_000)] + titles * 2000  # 36,000 headlines
    sampled = render.example_questions(many)  # read from a sample, not 36,000 x 36,000
    assert len(sampled) == 2 and all("Xi Jinping" in q or "Kim Jong-un" in q for q in sampled)


def test_the_answer_phrase_leads_in_bold():
    text = "Pompeo — “Pompeo planned a trip to Pyongyang.” [1]"
    verdict = {"sentence": "Pompeo — “Pompeo planned a trip to Pyongyang.”", "markers": [1], "score": 1.0,
               "supported": True, "reason": "ok"}
    a = answer(answer=text, citations=answer()["citations"][:1], verdicts=[verdict],
               lead={"text": "Pompeo", "kind": "person", "n": 1, "start": 10, "end": 16})
    html = render.render_answer(a, 0)
    assert ('<p class="rag-lead-line"><strong class="rag-lead">Pompeo</strong></p>'
            '<blockquote class="rag-quote">Pompeo planned') in html
    # a lead that is not where the answer starts is not bolded somewhere else
    assert "rag-lead\"" not in render.render_answer({**a, "lead": {"text": "Pyongyang"}}, 0)


def test_an_abstention_with_the_closest_passage_links_it_and_shows_it():
    a = answer(abstained=True, verdicts=[], citations=answer()["citations"][:1],
               answer="The articles don't say who. The closest passage I found: “Pompeo planned a trip to Pyongyang.” [1]")
    html = render.render_answer(a, 0)
    assert "Not in the articles" in html and "rag-cite" in html
    panel = render.render_sources([{"question": "q", "answer": a, "error": None}], 0)
    assert "closest passage" in panel and "Pompeo planned a trip" in panel


def test_source_cards_show_the_articles_date_and_say_when_it_is_only_the_files():
    c = answer()["citations"][0]
    assert "10 Oct 2022" in render.render_source({**c, "published": "2022-10-10", "published_from": "page"}, 0, [])
    card = render.render_source({**c, "published": "2026-11-24", "published_from": "file"}, 0, [])
    assert "file dated 24 Nov 2026" in card
    assert "rag-src-date" not in render.render_source(c, 0, [])


def test_quotes_are_blocks_of_their_own_and_long_ones_fold():
    assert render.quote_parts("Kim — “He wrote.” [1]") == ("Kim — ", "He wrote.", " [1]")
    assert render.quote_parts("“A “b” c.” [1] [2]") == ("", "A “b” c.", " [1] [2]")
    assert render.quote_parts("He said “yes” today. [1]") is None  # the assistant's own words
    a = answer()  # two quotes, no lead: each its own block; plain sentences stay paragraphs
    a["answer"] = "“Pompeo planned a trip to Pyongyang.” [1] “A summit was planned too.” [2]"
    for v in a["verdicts"]:
        v["sentence"] = f"“{v['sentence']}”"
    html = render.render_answer(a, 0)
    assert html.count('<blockquote class="rag-quote">') == 2 and html.count('<div class="rag-s">') == 2
    assert '<p class="rag-own">Pompeo planned' in render.render_answer(answer(), 0)
    long = "word " * 120
    folded = render.fold_html(long.strip())
    assert folded.startswith('<details class="rag-fold">') and "… more" in folded
    assert len(folded.split("</summary>")[0]) < 420 and long.strip() in folded  # opening words, then the whole
    assert render.fold_html("short") == "short"


def test_an_abstention_labels_the_nearest_passage_and_suggests_rephrasing():
    a = answer(abstained=True, verdicts=[], citations=answer()["citations"][:1],
               answer="The articles don't say how many. The closest passage I found: “Pompeo planned.” [1]")
    html = render.render_answer(a, 0)
    assert '<p class="rag-own">The articles don&#39;t say how many.</p>' in html
    assert "Nearest passage — not an answer" in html and "rag-near" in html and "Try rephrasing" in html
    card = render.render_sources([{"question": "q", "answer": a, "error": None}], 0)
    assert "nearest, not an answer" in card


def test_html_articles_show_decoded_text_with_offsets_of_the_file():
    c = {**answer()["citations"][0], "source": "page.html", "quote": "Tom &amp; Jerry", "title": "A <b> day",
         "context": "Hi. Tom &amp; Jerry met.", "context_start": 4}
    card = render.render_source(c, 0, [])
    assert "<mark>Tom &amp; Jerry</mark>" in card and "&amp;amp;" not in card
    assert "A &lt;b&gt; day" in card  # titles arrive decoded from the index, and are escaped once
    assert "characters 10–45" in card
    a = answer(answer="“Tom &amp; Jerry” [1]", citations=[c], verdicts=[
        {"sentence": "“Tom &amp; Jerry”", "markers": [1], "score": 1.0, "supported": True, "reason": "ok"}])
    shown = render.render_answer(a, 0).split("rag-copy-text")[0]
    assert "Tom &amp; Jerry" in shown and "&amp;amp;" not in shown
    assert "(JoongAng): “Tom & Jerry”" in render.plain_answer(a)
