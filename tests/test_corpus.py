"""Tests for rag.corpus: loading, offset maps, boilerplate removal on the seeds and hand-written cases."""

import dataclasses
import hashlib
import os
import re
from pathlib import Path

import pytest

from rag.corpus import Article, doc_id_for, extract_html_text, load_article, load_corpus
from rag.errors import CorpusError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CASES = Path(__file__).resolve().parent / "data" / "corpus_cases"

# Lines of each seed that are site chrome; every other line must survive as a paragraph.
SEED_BOILERPLATE = {
    "000_468aaedc6a09fc6c": ["Please enter your comment!", "Please enter your name here"],
    "001_32944c5d53887f74": [
        "READ ALSO:\u00a0Trump Calls For Death Penalty For Uzbek Man Charged In New York attack",
        "READ ALSO: NYC Attack; Trump Vows To Cancel US Green Card Lottery",
        "Click Here to download our mobile APP on your android phone", "Follow Us on Instagram",
        "• Plans starting at $75", "Follow me on Twitter",
        "We use cookies. By browsing our site you agree to our use of cookies. Read moreAccept"],
    "002_617917d42ee51cd6": [
        "Home > National > Politics", "print dictionary print", "BY SARAH KIM [kim.sarah@joongang.co.kr]",
        "Log in to Twitter or Facebook account to connect", "with the Korea JoongAng Daily",
        "help-image Social comment?", "s", "lock icon", "To write comments, please log in to one of the accounts.",
        "Standards Board Policy (0/250자)"],
    "003_443b657839c6b62c": ["Skip to main content", "Latest news", "Thumbnail", "Share this post",
                             "Comment this post"],
    "004_9569ee472e9e94bc": [
        "Featured Image: The State Council of the People’s Republic of China", "Edited by Oliver Hotham",
        "Join the influential community of members who rely on NK News original news and in-depth reporting.",
        "Subscribe to read the remaining 628 words of this article.", "EXISTING MEMBER?"],
}
SEED_META = {  # title, outlet, byline
    "000_468aaedc6a09fc6c": ("Chinese President Responds to Letter from Kim Jong Un", None, None),
    "001_32944c5d53887f74": ("Xi Jinping sends rare message to Kim Jong-un", "AFP", None),
    "002_617917d42ee51cd6": ("Kim Jong-un is cozying up to China’s Xi Jinping", "Korea JoongAng Daily", "Sarah Kim"),
    "003_443b657839c6b62c": ("Letter to North Korea by China's Xi Calls for Communication, Unity", "Reuters", None),
    "004_9569ee472e9e94bc": ("Chinese President Xi Jinping on Wednesday said he hopes Beijing and Pyongyang will "
                             "pursue “sustainable soundness and stable development” in relations.",
                             "NK News", "Oliver Hotham"),
}
CASE_BOILERPLATE = {
    "breadcrumbs_and_prompts": [
        "Skip to content", "Home › World › Asia", "Menu", "Search", "Photo: Reuters",
        "READ MORE: Japan lifts export curbs on chip materials", "Also read: What the thaw means for trade",
        "By Jane Doe", "Contact: jane.doe@example.com", "Share this article", "Leave a reply", "Log in to comment",
        "Follow us on Facebook", "Download our app on iOS", "We use cookies to improve your experience. Accept all"],
    "paywall": ["Image credit: Korean Central News Agency", "Subscribe now for $4.99/month",
                "Related: North Korea tests a new cruise missile", "Written by Min-ji Park", "Edited by Tom O'Neil",
                "Subscribe to read the remaining 1,204 words", "Already a subscriber? Sign in", "Thumbnail",
                "Latest news", "Comment on this story"],
    "repeated_body": ["Latest news", "(Photo: AFP)", "Featured Image: Flooded fields near Sinuiju",
                      "Please enter your comment!", "Please enter your name here", "Share this post",
                      "Comment this post", "Topics", "Weather"],
}
CASE_META = {
    "breadcrumbs_and_prompts": ("Seoul and Tokyo agree to resume shuttle diplomacy", "Yonhap", "Jane Doe"),
    "paywall": ("Pyongyang hosts trade fair amid sanctions", None, "Min-ji Park"),
    "repeated_body": ("Flooding hits northern provinces as rains continue", None, None),
    "page": ("Border crossing reopens for freight trains", "AFP", "Ji-ho Lee"),
}


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    articles, warnings = load_corpus(SEEDS)
    assert warnings == []
    return {a.doc_id: a for a in articles}


@pytest.fixture(scope="module")
def cases() -> dict[str, Article]:
    articles, warnings = load_corpus(CASES)
    assert warnings == []
    return {a.doc_id: a for a in articles}


def all_articles(seeds, cases):
    return list(seeds.values()) + list(cases.values())


def paragraphs(article: Article) -> list[str]:
    return article.text.split("\n\n")


def source_lines(article: Article) -> list[str]:
    return [line.strip() for line in article.original.splitlines() if line.strip()]


def test_seeds_all_load(seeds):
    assert sorted(seeds) == sorted(SEED_META)


def test_segments_are_verbatim_and_cover_everything_but_separators(seeds, cases):
    for article in all_articles(seeds, cases):
        covered = [False] * len(article.text)
        previous_end = 0
        for cs, os_, n in article.segments:
            assert n > 0 and cs >= previous_end
            assert article.text[cs:cs + n] == article.original[os_:os_ + n]
            covered[cs:cs + n] = [True] * n
            previous_end = cs + n
        gaps = re.sub(r"x+", "x", "".join("x" if c else article.text[i] for i, c in enumerate(covered)))
        assert set(gaps.split("x")) <= {"", "\n\n"}, article.doc_id


def test_to_original_round_trips_every_sentence(seeds, cases):
    for article in all_articles(seeds, cases):
        for para in re.finditer(r"[^\n]+", article.text):
            for sentence in re.finditer(r"\S.*?(?:[.!?][\"'”’]*(?=\s)|$)", para.group()):
                s, e = para.start() + sentence.start(), para.start() + sentence.end()
                os_, oe = article.to_original(s, e)
                if article.path.endswith(".html"):  # inline tags sit between the segments of a paragraph
                    assert article.original[os_] == article.text[s] and article.original[oe - 1] == article.text[e - 1]
                else:
                    assert article.original[os_:oe] == article.text[s:e]


def test_to_original_across_and_inside_separators(seeds):
    article = seeds["003_443b657839c6b62c"]
    sep = article.text.index("\n\n")
    os_, oe = article.to_original(sep - 5, sep + 6)  # "Unity\n\n(Reu"
    assert article.original[os_:os_ + 5] == "Unity" and article.original[oe - 4:oe] == "(Reu"
    os_, oe = article.to_original(sep, sep + 2)  # only the separator
    assert os_ == oe
    assert article.to_original(0, 0) == (article.to_original(0, 1)[0],) * 2
    with pytest.raises(ValueError):
        article.to_original(0, len(article.text) + 1)


@pytest.mark.parametrize("doc_id", sorted(SEED_BOILERPLATE))
def test_seed_boilerplate_removed_and_article_kept(seeds, doc_id):
    article = seeds[doc_id]
    kept = paragraphs(article)
    for line in SEED_BOILERPLATE[doc_id]:
        assert line in source_lines(article), f"test data drifted: {line!r}"
        assert line not in kept
    for line in source_lines(article):
        if line not in SEED_BOILERPLATE[doc_id]:
            assert line in kept or (doc_id == "003_443b657839c6b62c" and line in article.text), line
    assert len(kept) == len(set(kept))


def test_seed_specifics(seeds):
    assert "The last time KCNA reported a message from Mr Xi was in July 2016." in seeds["001_32944c5d53887f74"].text
    assert all("READ ALSO" not in a.text and "cookies" not in a.text for a in seeds.values())
    reuters = seeds["003_443b657839c6b62c"]
    assert reuters.text.count("(Reuters) - In a letter to North Korean leader") == 1
    assert reuters.text.count("Mao Ning called on all parties") == 1
    assert reuters.text.count("Letter to North Korea by China's Xi") == 1
    assert seeds["002_617917d42ee51cd6"].text.count("Kim Jong-un is cozying up") == 1
    assert seeds["000_468aaedc6a09fc6c"].text.endswith("The U.S. has repeatedly declined this deal./")


@pytest.mark.parametrize("doc_id", sorted(SEED_META))
def test_seed_metadata(seeds, doc_id):
    article = seeds[doc_id]
    assert (article.title, article.outlet, article.byline) == SEED_META[doc_id]
    assert paragraphs(article)[0].startswith(article.title.rstrip("…"))


@pytest.mark.parametrize("doc_id", sorted(CASE_BOILERPLATE))
def test_case_boilerplate_removed_and_article_kept(cases, doc_id):
    article = cases[doc_id]
    kept = paragraphs(article)
    for line in CASE_BOILERPLATE[doc_id]:
        assert line in source_lines(article), f"test data drifted: {line!r}"
        assert line not in kept
    for line in source_lines(article):
        if line not in CASE_BOILERPLATE[doc_id]:
            assert line.lstrip("# ") in kept, line
    assert len(kept) == len(set(kept))


@pytest.mark.parametrize("doc_id", sorted(CASE_META))
def test_case_metadata(cases, doc_id):
    article = cases[doc_id]
    assert (article.title, article.outlet, article.byline) == CASE_META[doc_id]


def test_html_case_visible_text_only(cases):
    article = cases["page"]
    assert paragraphs(article) == [
        "Border crossing reopens for freight trains",
        "BEIJING (AFP) - Freight trains crossed the Dandong bridge on Thursday for the first time in two years, "
        "customs officials said.",
        "Traders said prices of rice &amp; fuel could fall in the coming weeks.",  # entities stay verbatim
    ]
    for hidden in ("alert", "tracker", "color", "Site title", "Hidden paragraph", "comment", "Footer", "Home"):
        assert hidden not in article.text


def test_extract_html_text_spans():
    html = "<html><head><title>T</title></head><body><p>Hi <b>you</b></p><script>x('<p>')</script>" \
           "<style>p{}</style><noscript>no</noscript><!-- c --><p>A &amp; B\n  next line</p></body></html>"
    assert [html[a:b] for a, b in extract_html_text(html)] == ["Hi", "you", "A &amp; B", "next line"]
    assert extract_html_text("<p title='a > b'>ok</p>") == [(17, 19)]
    assert extract_html_text("plain <not a tag") == [(0, 16)]
    html = '<input type="hidden" name="t"><div style="overflow: hidden">shown</div><div hidden><div>x</div>gone</div>end'
    assert [html[a:b] for a, b in extract_html_text(html)] == ["shown", "end"]


def make_bad_corpus(root: Path, outside: Path) -> None:
    (root / "sub").mkdir()
    (root / "good.txt").write_text("A good headline for tests\n\nIt has one real sentence in it.\n")
    (root / "sub" / "nested.md").write_text("# Nested story title here\n\nThe nested body is fine.\n")
    (root / "page.html").write_text("<html><body><h1>Html headline for tests</h1><p>Body text here.</p>"
                                    "<script>alert(1)</script><img src=x onerror=\"alert('xss')\"></body></html>")
    (root / "binary.txt").write_bytes(b"Headline\x00\x01\x02 binary")
    (root / "latin.txt").write_bytes("Caf\u00e9 headline in latin-1\n\nBody.\n".encode("latin-1"))
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\n\t\n")
    (root / "chrome.txt").write_text("Skip to content\nShare this post\nFollow us on Facebook\n")
    (root / "huge.txt").write_text("A huge headline for tests\n\n" + "Many words here. " * 100)
    (root / "dir.txt").mkdir()
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    (outside / "secret.txt").write_text("Secret headline outside corpus\n\nSecret body.\n")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "inside_link.txt").symlink_to(root / "good.txt")
    (root / ".hidden.txt").write_text("Hidden headline for tests\n\nHidden body.\n")
    (root / "notes.csv").write_text("a,b\n")
    (root / "eval_questions.txt").write_text("Excluded headline here\n\nExcluded body.\n")


def test_load_corpus_skips_bad_files_with_warnings(tmp_path):
    root, outside = tmp_path / "corpus", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    make_bad_corpus(root, outside)
    articles, warnings = load_corpus(root, exclude=["eval_*"], max_bytes=1000)
    ids = [a.doc_id for a in articles]
    assert ids == ["good", "inside_link", "page", "nested"]
    by_file = {w.split(":")[0]: w for w in warnings}
    assert sorted(by_file) == ["binary.txt", "blank.md", "chrome.txt", "dangling.txt", "empty.txt", "huge.txt",
                               "latin.txt", "leak.txt"]
    assert "binary" in by_file["binary.txt"] and "UTF-8" in by_file["latin.txt"]
    assert "outside" in by_file["leak.txt"] and "too large" in by_file["huge.txt"]
    assert "empty after cleaning" in by_file["chrome.txt"] and "empty" in by_file["empty.txt"]
    page = articles[2]
    assert "alert" not in page.text and "xss" not in page.text and page.title == "Html headline for tests"
    good = articles[0]
    assert good.sha256 == hashlib.sha256((root / "good.txt").read_bytes()).hexdigest()
    assert good.path == str(root / "good.txt") and Path(good.path).is_absolute()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_load_corpus_warns_on_unreadable_file(tmp_path):
    (tmp_path / "ok.txt").write_text("A readable headline here\n\nBody text.\n")
    locked = tmp_path / "locked.txt"
    locked.write_text("A locked headline here\n\nBody text.\n")
    locked.chmod(0)
    try:
        articles, warnings = load_corpus(tmp_path)
    finally:
        locked.chmod(0o644)
    assert [a.doc_id for a in articles] == ["ok"]
    assert warnings and warnings[0].startswith("locked.txt")


def test_load_corpus_warns_when_read_fails(tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text("A readable headline here\n\nBody text.\n")
    (tmp_path / "locked.txt").write_text("A locked headline here\n\nBody text.\n")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    articles, warnings = load_corpus(tmp_path)
    assert [a.doc_id for a in articles] == ["ok"]
    assert warnings == ["locked.txt: skipped, cannot be read (Permission denied)"]


def test_load_corpus_rejects_missing_or_file_dir(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(CorpusError, match="not a directory"):
        load_corpus(tmp_path / "f.txt")


def test_load_article_errors_and_duplicate_stems(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x00")
    with pytest.raises(CorpusError, match="binary"):
        load_article(tmp_path / "bin.txt")
    with pytest.raises(CorpusError, match="cannot be read"):
        load_article(tmp_path / "missing.txt")
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "story.txt").write_text(f"Story headline from folder {sub}\n\nBody.\n")
    articles, _ = load_corpus(tmp_path)
    assert [a.doc_id for a in articles] == ["story", "b/story.txt"]


def test_loading_is_deterministic_and_articles_are_frozen(seeds):
    again, _ = load_corpus(SEEDS)
    assert {a.doc_id: a for a in again} == seeds
    with pytest.raises(dataclasses.FrozenInstanceError):
        seeds["000_468aaedc6a09fc6c"].text = "x"


def test_doc_id_for_uses_the_stem_until_it_repeats():
    used = set()
    assert doc_id_for("a.txt", used) == "a"
    used.add("a")
    assert doc_id_for("x/a.md", used) == "x/a.md" and doc_id_for("x/b.html", used) == "b"


def test_publication_dates_come_from_the_page_then_the_text_then_the_file(tmp_path):
    page = ('<html><head><meta property="article:published_time" content="2022-10-10T08:00:00Z">'
            "<title>Xi writes</title></head><body><h1>Xi writes</h1><p>Chinese President Xi Jinping wrote "
            "to Kim Jong Un on Monday about relations.</p></body></html>")
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Xi writes\n\nPublished: 4 March 2019\n\nXi wrote to Kim on Monday.\n",
                                    encoding="utf-8")
    (tmp_path / "c.txt").write_text("Xi writes\n\nXi wrote to Kim on Monday, in July 2016.\n", encoding="utf-8")
    os.utime(tmp_path / "c.txt", (1600000000, 1600000000))  # 2020-09-13
    articles = {a.doc_id: a for a in load_corpus(tmp_path)[0]}
    assert (articles["a"].published, articles["a"].published_from) == ("2022-10-10", "page")
    assert (articles["b"].published, articles["b"].published_from) == ("2019-03-04", "text")
    assert (articles["c"].published, articles["c"].published_from) == ("2020-09-13", "file")


def test_corpus_file_stays_inside_the_corpus_and_is_html_by_suffix(tmp_path):
    from rag.corpus import SUFFIXES, corpus_file, is_html

    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("A.", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert corpus_file(root, "a.txt") == (root / "a.txt").resolve()
    assert corpus_file(root, "a", SUFFIXES) == (root / "a.txt").resolve()  # a doc_id finds its file
    assert corpus_file(root, "../secret.txt") is None and corpus_file(root, "link.txt") is None
    assert corpus_file(root, "missing.txt") is None
    assert is_html("x/Page.HTM") and is_html("p.html") and not is_html("p.txt")
