"""HTML extraction: main text without boilerplate, metadata, main-text links, bad input.

Fixtures are the project's own pages under fixtures/documents/html/ (original texts).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import lxml.html
import pytest

from archiver.extract.html.blocks import Block, LinkSpan, MainText
from archiver.extract.html.extraction import HtmlExtraction, extract_html
from archiver.extract.html.parse import MAX_ELEMENTS, MAX_MARKUP_CHARS
from archiver.extract.html.text import extract_main_text, with_second_opinion
from archiver.extract.html.trim import drop_link_lists, drop_trailing_teasers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents" / "html"
STORY_URL = "https://news.example.org/2024/05/14/tidal-mill-vote?ref=home"

STORY_PARAGRAPHS = [
    "Residents of Port Wenlow voted on Tuesday to restore the town's tidal mill",
    "61 per cent of voters backed a plan drawn up by the Friends of Wenlow Mill",
    '"The tide comes in twice a day whether we use it or not," said Ada Brennick',
    "Officers expect a decision by the autumn",
    "Not everyone is convinced. Tomas Veal, who runs the chandlery next door",
]
BOILERPLATE = [
    "We use cookies", "Puzzles", "Share on Chirper", "Email this story", "Related stories",
    "Quay wall repairs", "Ferry timetable", "harbourwatcher", "About time somebody",
    "upkeep once the grant", "All rights reserved", "Privacy policy", "Contact us",
]


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def story() -> HtmlExtraction:
    return extract_html(load("news_story.html"), STORY_URL)


def test_story_text_is_the_article_only(story: HtmlExtraction) -> None:
    for paragraph in STORY_PARAGRAPHS:
        assert paragraph in story.text
    for junk in BOILERPLATE:
        assert junk not in story.text, junk
    # paragraphs are separated by blank lines; list items and the subheading have own lines
    assert "ever since.\n\nThe parish council" in story.text
    assert "\nWhat happens next\n" in story.text
    assert "wheel pit.\nInstall the turbine" in story.text
    assert not story.text.startswith("Harbour town votes")  # the headline is the title field


def test_story_metadata(story: HtmlExtraction) -> None:
    assert story.title == "Harbour town votes to rebuild its tidal mill"
    assert story.authors == ["Morwenna Pike", "Idris Calloway"]
    assert story.published == "2024-05-14T08:30:00+01:00"
    assert story.modified == "2024-05-15T10:02:00+01:00"
    assert story.canonical_url == "https://news.example.org/2024/05/14/tidal-mill-vote"
    assert story.language == "en-GB"
    assert story.description is not None and story.description.startswith("Residents of Port")
    assert story.site_name == "The Lantern Gazette"
    assert story.opengraph["og:type"] == "article"
    assert story.opengraph["og:image"] == ["https://news.example.org/img/mill-1.jpg",
                                           "https://news.example.org/img/mill-2.jpg"]
    assert story.opengraph["article:tag"] == ["heritage", "energy"]
    assert story.twitter == {"twitter:card": "summary_large_image",
                             "twitter:site": "@lanterngazette",
                             "twitter:title": "Harbour town votes to rebuild its tidal mill"}
    types = [obj.get("@type") for obj in story.json_ld]
    assert types == ["WebSite", "NewsArticle"]  # the @graph is flattened
    assert story.problems == []


def test_story_links_are_the_in_text_links(story: HtmlExtraction) -> None:
    links = [(link.url, link.href, link.text, link.position) for link in story.links]
    assert links == [
        ("https://millfriends.example.net/plan", "https://millfriends.example.net/plan",
         "Friends of Wenlow Mill", 0),
        # relative to <base href>, not to the page URL
        ("https://news.example.org/2024/reports/tidal-survey.pdf", "reports/tidal-survey.pdf",
         "survey published last year", 1),
        ("https://council.example.gov/minutes/2024-05",
         "https://council.example.gov/minutes/2024-05", "minutes of the May meeting", 2),
    ]  # "#notes" (same page) and mailto: are left out, as are nav/related/footer links
    assert story.links[0].sentence == (
        "Instead, 61 per cent of voters backed a plan drawn up by the Friends of Wenlow Mill,"
        " which wants to fit a small turbine to the old wheel pit and sell the electricity to"
        " the harbour.")
    assert story.links[1].sentence == ("She pointed to a survey published last year estimating"
                                       " that the pit could power about forty homes.")
    for link in story.links:
        assert link.text in link.sentence and link.sentence in story.text


def test_to_dict_is_json_ready(story: HtmlExtraction) -> None:
    data = json.loads(json.dumps(story.to_dict()))
    assert data["links"][2]["text"] == "minutes of the May meeting"
    assert set(data) >= {"text", "title", "authors", "published", "modified", "canonical_url",
                         "language", "description", "site_name", "opengraph", "twitter",
                         "json_ld", "links", "problems"}


def test_split_body_is_joined_and_link_boxes_and_teasers_are_cut() -> None:
    page = extract_html(load("split_article.html"), "https://courier.example.com/news/logbooks")
    # the body comes in two chunks of the same class with an advert between them
    assert "photographing the 74 volumes" in page.text
    assert "The earliest volume dates from 1871" in page.text
    assert "typed transcriptions" in page.text
    assert "Advertisement" not in page.text
    # the article's own short list stays; the box of links and its label go
    assert "every day:\n\nWind direction\nBarometer reading\nVessels sighted" in page.text
    for junk in ("Don't miss", "Harbour dredging", "Ferry fares", "seal pups"):
        assert junk not in page.text, junk
    # the trailing teasers (linked headlines with one-line summaries) go, label and all
    for junk in ("More from the coast", "Pier repairs", "Contractors handed", "Beach clean"):
        assert junk not in page.text, junk
    assert [link.text for link in page.links] == ["Nell Arkwright"]
    assert page.problems == []


def _block(text: str, *links: tuple[int, int, str], kind: str = "p") -> Block:
    return Block(kind, text, [LinkSpan(start, end, href) for start, end, href in links])


def test_link_boxes_are_judged_by_link_text_that_goes_somewhere() -> None:
    prose = _block("See the report and the minutes of the meeting.",
                   (8, 18, "/report"), (27, 38, "/minutes"))
    # an <a> without href (an index term wrapping a sentence) is not a link
    anchored = _block("A notification meant for a human, pushed to a queue or a pager.",
                      (0, 60, ""), (60, 62, "#note-1"))
    items = [_block("First tool", (0, 10, "/a"), kind="item"),
             _block("Second tool", (0, 11, "/b"), kind="item")]
    box = _block("Ferries late again\nPier reopens", (0, 18, "/f"),
                 (19, 31, "https://www.courier.example.com/p"))
    # links to other sites: more likely the story's sources, which must stay
    sources = _block("Audit report\nCouncil minutes", (0, 12, "https://audit.example.gov/r"),
                     (13, 28, "https://council.example.gov/m"))
    blocks = [prose, anchored, *items, _block("Read more"), box, _block("Sources"), sources]
    kept = drop_link_lists(blocks, "https://courier.example.com/news/logbooks")
    assert kept == [prose, anchored, *items, blocks[-2], sources]


def test_trailing_teasers_stop_at_the_articles_own_list() -> None:
    article = [_block("The article ends with a list of what was found."),
               _block("Wind direction", kind="item"), _block("Vessels sighted", kind="item")]
    teasers = [_block("Pier repairs finish early", (0, 25, "/pier"), kind="head"),
               _block("Contractors handed the pier back early."),
               _block("Lifeboat crew honoured", (0, 22, "/lifeboat"), kind="head")]
    assert drop_trailing_teasers(article + teasers) == article
    # one linked headline alone is not a teaser list
    assert drop_trailing_teasers(article + teasers[:2]) == article + teasers[:2]


def _notices(template: str, hours: str = "opening hours") -> str:
    return "".join(template.format(i=i, text=f"the parish notice board lists the {hours} of "
                                   "the library, the surgery and the recycling centre.")
                   for i in range(40))


def test_a_page_whose_text_the_fast_extractor_misses_gets_the_full_extraction() -> None:
    """The fast extractor kept a sidebar teaser (a real news page did this: its article's
    text runs in <br> lines): the full extraction, with its readability and justext opinions,
    finds the text and keeps its links, which the baseline would lose."""
    paragraphs = _notices("<div><p>Item {i}: {text}</p></div>",
                          "<a href='https://council.example/hours'>opening hours</a>")
    tree = lxml.html.document_fromstring(f"<html><body>{paragraphs}</body></html>")
    problems: list[str] = []
    main = with_second_opinion(tree, MainText("Item 0."), None, None, problems)
    assert "Item 39: the parish notice board" in main.text
    assert len(main.spans) == 40 and problems == []


def test_a_page_the_fast_extractor_takes_whole_gets_the_full_extraction() -> None:
    """A city's news page laid out without the markup the fast extractor reads: it kept
    every menu with the story (a real page: 9,250 characters for a 500-character story).
    When a result holds nearly all of a page's text, the full extraction's clearly smaller
    one is taken."""
    menu = "".join(f"<div><a href='/secao/{i}'>Secretaria municipal {i}</a></div>"
                   for i in range(150))
    story = "".join(f"<p>{_notices('Item {i}: {text} ')[:300]} Paragraph {n}.</p>"
                    for n in range(5))
    tree = lxml.html.document_fromstring(
        f"<html><body><div>{menu}</div><div class='noticia'><h2>Atendimento</h2>{story}"
        f"</div><div>{menu}</div></body></html>")
    whole = MainText(" ".join(tree.text_content().split()))
    problems: list[str] = []
    main = with_second_opinion(tree, whole, None, None, problems)
    assert "Paragraph 4." in main.text and "Secretaria municipal 149" not in main.text


def test_a_page_whose_text_the_extractors_miss_gets_the_baseline() -> None:
    spans = _notices("<span>Item {i}: {text}</span>")
    tree = lxml.html.document_fromstring(f"<html><body>{spans}</body></html>")
    problems: list[str] = []
    main = with_second_opinion(tree, MainText("Item 0."), None, None, problems)
    assert "Item 39: the parish notice board" in main.text
    assert any("kept little of the page" in problem for problem in problems)
    # an article that covers its page keeps the extractor's result
    paragraphs = _notices("<div><p>Item {i}: {text}</p></div>")
    assert extract_main_text(lxml.html.document_fromstring(
        f"<html><body><article>{paragraphs}</article></body></html>"), None).problems == []


def test_meta_tags_byline_and_time_without_json_ld() -> None:
    page = extract_html(load("meta_only.html"), "https://quartier.example.fr/abeilles")
    assert page.title == "Les abeilles du toit de la médiathèque"
    assert page.authors == ["Camille Ferrand"]
    assert page.published == "2023-09-07"
    assert page.language == "fr"
    assert page.description is not None and page.description.startswith("Trois ruches")
    assert page.json_ld == [] and page.site_name is None
    assert "douze kilos de miel clair" in page.text
    assert "Accueil" not in page.text and "association loi 1901" not in page.text


def test_byline_in_markup_when_no_meta() -> None:
    html = ("<html><body><article><h1>Night trains return</h1>"
            '<div class="byline">By <a href="/p/ines">Inès Varga</a> · 3 June 2024</div>'
            + "<p>The sleeper service between the two capitals resumes this summer. " * 8
            + "</p></article></body></html>")
    assert extract_html(html).authors == ["Inès Varga"]


def test_malformed_html_is_read_and_bad_json_ld_noted() -> None:
    page = extract_html(load("malformed.html"))
    assert "Second paragraph starts here" in page.text
    assert "Third paragraph after stray closing tags" in page.text
    assert page.json_ld == []
    assert any("JSON-LD block 1 is not valid JSON" in p for p in page.problems)


@pytest.mark.parametrize("html", ["", "   \n", "\x00\x01\x02", "<html></html>",
                                  "<?xml version='1.0'?><a/>", "<html><body><div></div>"])
def test_empty_input_says_no_main_text(html: str) -> None:
    page = extract_html(html)
    assert page.text == ""
    assert "no main text found" in page.problems


@pytest.mark.parametrize("html", ["<<<>>><p", "\ufffd" * 500, "<a href='http://[::1'>x</a>",
                                  "<p>" * 5000, "<script>" * 1000 + "x", "\x00<p>\x00a</p>"])
def test_junk_input_never_raises(html: str) -> None:
    assert isinstance(extract_html(html, "not a url"), HtmlExtraction)


def test_big_page_is_capped_and_fast(tmp_path: Path) -> None:
    article = "".join(f"<p>Paragraph {i} of the opening story about the river ferries and the "
                      "bridges that replaced them, told at length.</p>" for i in range(30))
    filler = '<div class="listing"><a href="/item">Item</a> <span>filler words</span></div>\n'
    path = tmp_path / "big.html"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"<html><head><title>Ferries</title></head><body><article>{article}</article>")
        out.write("<script>" + "var pad = 0;" * 200_000 + "</script>")
        out.write(filler * (50_000_000 // len(filler)))
        out.write("</body></html>")
    html = path.read_text(encoding="utf-8")
    assert len(html) > 50_000_000
    start = time.perf_counter()
    page = extract_html(html, "https://ferries.example.org/")
    elapsed = time.perf_counter() - start
    assert elapsed < 30  # about 3 s on the 2-core development machine
    assert "Paragraph 29 of the opening story" in page.text
    assert any(f"first {MAX_MARKUP_CHARS / 1_000_000:.1f} MB" in p for p in page.problems)
    assert any(f"first {MAX_ELEMENTS:,}" in p for p in page.problems)


def test_non_text_input_is_refused_politely() -> None:
    page = extract_html(b"<p>bytes</p>")  # type: ignore[arg-type]
    assert page.problems == ["input is not text (decode it first)"]


# -- hostile pages (fixtures/documents/make_hostile_html.py) -------------------------------------


def extract_fixture(name: str) -> tuple[int, dict[str, object]]:
    from typer.testing import CliRunner

    from archiver.cli import app

    result = CliRunner().invoke(app, ["extract", "--json", str(FIXTURES / name)])
    assert "Traceback" not in result.output and "internal error" not in result.output
    (document,) = json.loads(result.stdout)
    return result.exit_code, document


def test_json_ld_nested_a_thousand_deep_is_skipped_and_the_page_read() -> None:
    code, document = extract_fixture("jsonld-nested-1000.html")
    assert code == 0
    assert document["title"] == "Ferry fares to rise in spring"
    assert "two pounds more for a car" in str(document["text"])
    assert document["problems"] == [
        "JSON-LD block 1 was not read (nested deeper than 32 levels, the most archiver reads);"
        " skipped"]


def test_nesting_past_the_parsers_depth_is_named() -> None:
    code, document = extract_fixture("nested-1000-deep.html")
    assert code == 0
    assert "two pounds more for a car" in str(document["text"])
    assert document["problems"] == [
        "the page nests its elements more than 255 deep; the parser stops there, so the text "
        "after that point was not read"]


def test_an_unknown_charset_label_is_quoted_short() -> None:
    code, document = extract_fixture("charset-label-10kb.html")
    assert code == 0
    assert document["problems"] == [
        f"the declared charset 'x-{'w' * 38}…' is unknown; the text was read as utf-8"]


def test_a_base_href_that_is_no_url_is_ignored_as_browsers_do() -> None:
    code, document = extract_fixture("base-href-unbalanced-bracket.html")
    assert code == 0
    assert "two pounds more for a car" in str(document["text"])
    assert document["problems"] == []
    captured = extract_html(load("base-href-unbalanced-bracket.html"),
                            "https://news.example.org/2024/ferry.html")
    assert captured.problems == []
    assert captured.canonical_url == "https://news.example.org/2024/ferry-fares"
    assert [link.url for link in captured.links] == ["https://news.example.org/2024/fares.html"]


def test_a_links_sentence_is_cut_to_a_window_only_when_its_words_run_long() -> None:
    """A sentence is the link's whole sentence, whitespace collapsed; only an endless one (a
    cloud of links with no full stop) is cut to a window around the link. Spacing alone
    does not make a sentence long."""
    from archiver.extract.html import links

    sentence_around, sentence_boundaries = links.sentence_around, links.sentence_boundaries
    MAX_SENTENCE_CHARS = links.MAX_SENTENCE_CHARS

    spaced = "The council " + " " * 2 * MAX_SENTENCE_CHARS + "published its audit. Next one."
    start = spaced.index("audit")
    assert sentence_around(spaced, start, start + 5, sentence_boundaries(spaced)) == \
        "The council published its audit."
    cloud = " ".join(f"t{i}" for i in range(20_000))
    start = cloud.index("t15000")
    window = sentence_around(cloud, start, start + 6, sentence_boundaries(cloud))
    assert "t15000" in window and len(window) <= MAX_SENTENCE_CHARS
    exact = "w" * (MAX_SENTENCE_CHARS - 2) + " x"  # as long as a sentence may be
    assert sentence_around(exact, 0, 1, sentence_boundaries(exact)) == exact
    assert sentence_around(exact + "y", 0, 1, sentence_boundaries(exact + "y")) != exact + "y"
