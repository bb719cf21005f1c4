"""Unit tests for the pure cleaning rules in rag.clean."""

import pytest

from rag.clean import (clean_text, drop_repeats, drop_trailing_widgets, find_byline, find_outlet, find_published,
                       find_title, is_boilerplate, is_headline, join_paragraphs, line_spans, trim_span)

BOILERPLATE = [
    # navigation and breadcrumbs
    "Skip to content", "Skip to main navigation", "Home › World › Asia", "Home > National > Politics",
    "News | Asia Pacific", "Home &gt; World &gt; Asia", "print dictionary print", "Latest news", "Thumbnail",
    "Top stories", "Menu", "Tags: North Korea, China", "© 2024 Example Media. All rights reserved.",
    "Copyright 2024 Example News", "Copyright (c) Example Media",
    "Advertisement",
    # comment boxes
    "Please enter your comment!", "Please type your email address", "Leave a reply", "Log in to comment",
    "Sign in to Kakao or Google account to connect", "To post comments, please sign in first.",
    "Be the first to comment", "12 comments", "s", "—", "lock icon", "help-image Social comment?",
    "Reader Policy (0/300자)",
    # app, social and subscription prompts
    "Download our app on iOS", "Get it on Google Play", "Follow us on Facebook", "Like us on Facebook",
    "Click here to read our newsletter", "• Plans starting at $75", "Subscribe now for $4.99/month",
    "Subscribe to read the remaining 1,204 words", "Unlock the remaining 98 words of this story.",
    "EXISTING MEMBER?", "Already a subscriber? Sign in", "Become a member of our growing community",
    "Sign up for our daily newsletter", "$9.99 per month",
    # cookie banners
    "We use cookies to improve your experience. Accept all",
    "This website uses cookies. By continuing browsing you agree.",
    # links to other stories
    "READ MORE: Japan lifts export curbs", "Read more", "Also read: What the thaw means",
    "See also – Markets rally", "Related: North Korea tests missile", "Related stories", "You may also like",
    # bylines, credits, contacts
    "By Jane Doe", "BY SARAH KIM [kim.sarah@joongang.co.kr]", "Edited by Tom O'Neil", "Written by Min-ji Park",
    "Reporting by Hyonhee Shin; Editing by Ed Davies", "Photo: Reuters", "(Photo: AFP)",
    "Image credit: Korean Central News Agency", "Featured Image: Flooded fields near Sinuiju",
    "Photograph by Lee Jin-man", "Credit: AP", "Contact: name@example.com", "jane@example.org",
    # share and comment widgets
    "Share this article", "Share this post", "Comment this post", "Comment on this story", "Email this page",
]

REAL = [
    "Like me, he was born in Seoul.",
    "Hackers used stolen passwords to log in to user accounts.",
    "More than 100 people died in the floods.",
    "Sponsored by the UN, the program feeds two million children.",
    "By Monday, the talks had collapsed.",
    "The ministry urged citizens to download the app before the deadline.",
    "Subscribers to the service rose 10 percent last year.",
    "Read the full statement below.",
    "The last time KCNA reported a message from Mr Xi was in July 2016.",
    "Photographers gathered outside the embassy.",
    "Xi Jinping",
    "Nobody was hurt.",
    "Home prices in Seoul rose for a third month.",
    "Copyright law in Korea was amended on Monday.",
]


@pytest.mark.parametrize("line", BOILERPLATE)
def test_boilerplate_lines_are_detected(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", REAL)
def test_article_lines_are_kept(line):
    assert not is_boilerplate(line)


def test_line_spans_trim_whitespace_and_markdown_heading():
    text = "## Head line \r\n\n  \u00a0body text\u200b\n"
    assert [text[a:b] for a, b in line_spans(text)] == ["Head line", "body text"]
    assert trim_span("  x  ", 0, 5) == (2, 3)


def test_clean_text_is_pure_and_verbatim():
    original = "Skip to content\nA headline for the test\n\n  First\u00a0para with  odd   spacing.\nShare this post\n"
    text, segments = clean_text(original)
    assert text == "A headline for the test\n\nFirst\u00a0para with  odd   spacing."
    assert clean_text(original) == (text, segments)
    for cs, os_, n in segments:
        assert text[cs:cs + n] == original[os_:os_ + n]


def test_drop_repeats_keeps_first_and_drops_teasers():
    texts = ["Title of the story here", "One two three four five. Six seven eight nine ten eleven.",
             "Title of the story here", "One two three four five.", "Six seven eight nine ten eleven twelve.",
             "ONE two three four five! six seven eight nine ten eleven",
             "Six seven eight nine ten eleven twelve. One two three four five."]
    # 3 repeats a sentence but is too short to call a teaser; 6 is made only of earlier sentences
    assert drop_repeats(list(range(7)), texts) == [0, 1, 3, 4]


def test_drop_trailing_widgets_stops_at_real_text():
    texts = ["Headline words here", "A real sentence that ends well.", "with the Daily", "Weather"]
    assert drop_trailing_widgets([0, 1, 2, 3], texts) == [0, 1]
    assert drop_trailing_widgets([0], texts) == [0]


def test_join_paragraphs_merges_contiguous_pieces():
    original = "abc def\nxyz"
    text, segments = join_paragraphs(original, [((0, 3), (3, 4), (4, 7)), ((8, 11),)])
    assert text == "abc def\n\nxyz"
    assert segments == ((0, 0, 7), (9, 8, 3))


def test_is_headline():
    assert is_headline("Xi Jinping sends rare message to Kim Jong-un")
    assert not is_headline("Xi Jinping")
    assert not is_headline("October 2, 2018")
    assert not is_headline("The talks ended without a deal.")


def test_find_title_prefers_headline_then_first_sentence():
    assert find_title("Talks resume in Geneva today\n\nBody text here.") == "Talks resume in Geneva today"
    long = "Officials from both countries met on Monday in the border town to discuss the reopening of trade. More."
    assert find_title(long) == " ".join(long.split(".")[0].split()) + "."  # the whole sentence, never cut
    assert find_title("word " * 100).endswith("…") and len(find_title("word " * 100)) <= 251
    assert find_title("The U.S. envoy left early. Then rain.") == "The U.S. envoy left early."
    assert find_title("") == ""


def test_an_html_page_gives_its_own_headline_decoded():
    from rag.clean import find_html_title

    og = '<head><meta property="og:title" content="Xi &amp; Kim swap letters"><title>X - Site</title></head>'
    assert find_html_title(og) == "Xi & Kim swap letters"
    assert find_html_title("<title>Talks &amp; trade - BBC News</title><h1>Talks <b>and</b> trade</h1>") == \
        "Talks and trade"
    assert find_html_title("<title>Talks &amp; trade | BBC News</title>") == "Talks & trade"
    assert find_html_title("<p>No title here</p>") is None


def test_find_byline():
    assert find_byline(["Body.", "BY SARAH KIM [kim.sarah@joongang.co.kr]"]) == "Sarah Kim"
    assert find_byline(["Edited by Oliver Hotham", "Written by Min-ji Park"]) == "Min-ji Park"
    assert find_byline(["Edited by Oliver Hotham"]) == "Oliver Hotham"
    assert find_byline(["By Monday, the talks had collapsed."]) is None


def test_find_outlet():
    assert find_outlet([], "Headline\n\n(Reuters) - Something happened.") == "Reuters"
    assert find_outlet([], "SEOUL (Yonhap) -- Something happened.") == "Yonhap"
    assert find_outlet(["Body.", "Join members who rely on NK News."], "Body.") == "NK News"
    assert find_outlet(["Body.", "Photo: AFP"], "Body.") is None  # a photo agency is not the outlet
    assert find_outlet([], "“It matters,” Yang told AFP.") == "AFP"
    assert find_outlet([], "Nothing to see here.") is None


@pytest.mark.parametrize("lines,expected", [
    (["Xi writes to Kim", "Published: 10 October 2022, 08:00"], "2022-10-10"),
    (["Xi writes to Kim", "Oct. 10, 2022"], "2022-10-10"),  # a dateline alone on its line
    (["Xi writes to Kim", "date: 2021-03-04"], "2021-03-04"),  # front matter
    (["Updated Tue, March 5, 2019 10:00 GMT"], "2019-03-05"),
    (["Xi writes to Kim", "The last time KCNA reported a message was in July 2016, it said."], None),  # body text
    (["Xi writes to Kim"] + ["Body paragraph."] * 12 + ["Published: 1 May 2020"], None),  # too far down
])
def test_find_published(lines, expected):
    assert find_published(lines) == expected
