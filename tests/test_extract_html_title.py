"""The page title is the headline a reader sees: an <h1> that a stated title confirms.

Small pages of our own, each built the way real news and blog pages state their titles.
"""

from __future__ import annotations

import json

from archiver.extract.html.extraction import extract_html
from archiver.extract.html.title import confirms, strip_site, without_trailing_labels


def page(head: str, body: str) -> str:
    return (f"<html><head><meta charset='utf-8'>{head}</head><body>{body}"
            "<article><p>" + "The council met on Tuesday evening to vote. " * 12 +
            "</p></article></body></html>")


def json_ld(**fields: str) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


def test_the_visible_headline_wins_over_an_seo_headline_in_json_ld() -> None:
    head = (json_ld(headline="Ferry fares: council votes on 2027 prices for island routes")
            + "<meta property='og:title' content='Island ferry fares to rise by a fifth'>"
            + "<title>Island ferry fares to rise by a fifth - The Harbour Gazette</title>")
    result = extract_html(page(head, "<h1>Island ferry fares to rise by a fifth</h1>"),
                          "https://gazette.example/ferries")
    assert result.title == "Island ferry fares to rise by a fifth"


def test_an_author_or_section_joined_to_the_headline_is_not_part_of_it() -> None:
    head = ("<meta property='og:title' content='Why the tide mill matters | Ann Byre'>"
            "<meta property='og:site_name' content='The Harbour Gazette'>"
            "<title>Why the tide mill matters | Ann Byre | Opinion | The Harbour Gazette"
            "</title>")
    result = extract_html(page(head, "<h1>Why the tide mill matters</h1>"))
    assert result.title == "Why the tide mill matters"


def test_a_logo_h1_is_not_the_title_even_when_the_title_tag_names_it() -> None:
    head = "<title>Autumn markets in the old town | gazettely</title>"
    body = "<h1>gazettely</h1><h1>Autumn markets in the old town</h1>"
    assert extract_html(page(head, body)).title == "Autumn markets in the old town"


def test_a_json_ld_headline_that_describes_the_page_type_loses_to_the_h1() -> None:
    head = (json_ld(headline="Wikimedia list article")
            + "<title>List of lighthouses in Brittany - Wikipedia</title>")
    assert extract_html(page(head, "<h1>List of lighthouses in Brittany</h1>")).title == \
        "List of lighthouses in Brittany"


def test_a_cut_off_social_title_confirms_the_full_headline() -> None:
    head = ("<meta property='og:title' content='Minister racks up £11k roaming charges on "
            "his tablet during...'>")
    body = "<h1>Minister racks up £11k roaming charges on his tablet during a trade visit</h1>"
    assert extract_html(page(head, body)).title == \
        "Minister racks up £11k roaming charges on his tablet during a trade visit"


def test_entities_left_escaped_in_json_ld_are_decoded() -> None:
    head = json_ld(headline="Club pays &#163;71m for a keeper who doesn&#8217;t play")
    result = extract_html(page(head, "<h1>Scores and fixtures</h1>"))
    assert result.title == "Club pays £71m for a keeper who doesn’t play"


def test_a_site_name_that_is_the_host_name_is_cut_without_og_site_name() -> None:
    head = "<title>Why the night buses stopped - NightLines</title>"
    result = extract_html(page(head, "<h1>엔터 미디어</h1>"),
                          "http://www.nightlines.co.kr/news/view.html?idx=1")
    assert result.title == "Why the night buses stopped"


def test_no_h1_confirmed_keeps_the_most_explicit_stated_title() -> None:
    head = ("<meta property='og:title' content='Bridge to close for six weeks'>"
            "<title>Bridge to close for six weeks | Gazette</title>")
    result = extract_html(page(head, "<h1>Gazette</h1><h1>Most read</h1>"))
    assert result.title == "Bridge to close for six weeks"


def test_confirmation_needs_a_separator_and_the_larger_part() -> None:
    assert confirms("Tide mill vote | Gazette", "Tide mill vote")
    assert confirms("Gazette: Tide mill vote", "Tide mill vote")
    assert confirms("Tide mill vote passes _Local _Gazette", "Tide mill vote passes")
    assert not confirms("Tide mill vote | Gazette", "Gazette")  # the smaller part: a site name
    assert not confirms("Tide millstones found", "Tide mill")  # not at a word boundary
    assert not confirms("Cagliari-Juve preview", "Cagliari")  # a hyphen is not a separator
    assert confirms("“Tide mill” vote — Gazette", '"Tide Mill" vote')  # quotes and case
    assert not confirms("Tide...", "Tide mill vote at the harbour")  # too little left


def test_strip_site_by_stated_name_or_host() -> None:
    assert strip_site("Tide mill vote - Harbour Gazette", "Harbour Gazette") == "Tide mill vote"
    assert strip_site("Harbour Gazette: Tide mill vote", "Harbour Gazette") == "Tide mill vote"
    assert strip_site("Tide mill vote | KUT", None, "https://www.kut.org/post/1") == \
        "Tide mill vote"
    assert strip_site("Tide mill vote | Opinion", None, "https://www.kut.org/post/1") == \
        "Tide mill vote | Opinion"


def test_the_only_headline_h1_wins_when_no_stated_title_confirms_it() -> None:
    head = ("<meta property='og:title' content='Prison guards charged over inmate death'>"
            "<title>Prison guards charged over inmate death</title>"
            "<meta property='og:site_name' content='Daily Courier'>")
    body = ("<h1>Daily Courier</h1><h1>Two officers charged with falsifying records after "
            "an inmate's death</h1>")
    assert extract_html(page(head, body)).title == \
        "Two officers charged with falsifying records after an inmate's death"


def test_several_headline_h1s_or_a_kicker_in_the_h1_keep_the_stated_title() -> None:
    head = "<meta property='og:title' content='Retention of title: what buyers should know'>"
    listing = "<h1>Monitoring distributed systems today</h1><h1>Setting reasonable goals now</h1>"
    assert extract_html(page(head, listing)).title == \
        "Retention of title: what buyers should know"
    kicker = "<h1>Avoiding bad debts Retention of title: what buyers should know</h1>"
    assert extract_html(page(head, kicker)).title == \
        "Retention of title: what buyers should know"
    short = "<h1>Minecraft News</h1>"  # a blog's name, not a headline
    assert extract_html(page(head, short)).title == "Retention of title: what buyers should know"


def test_a_huge_stated_title_is_cut_and_quick() -> None:
    head = "<title>" + "Tide mill " * 200_000 + "</title>"
    title = extract_html(page(head, "<h1>Gazette</h1>")).title
    assert title is not None and len(title) <= 2000


def test_a_mastheads_h1_is_the_sites_name_not_the_headline() -> None:
    # A council's minutes: its name in the page header's <h1>, the document's in <title>.
    head = "<title>Minutes of the Harbour Town Council, 19 November 2019</title>"
    masthead = ("<header><img src='seal.png' alt='Seal'><h1>Council of Harbour Town</h1>"
                "<p>Minutes of the regular meeting</p></header>")
    result = extract_html(page(head, masthead), "https://council.example/minutes")
    assert result.title == "Minutes of the Harbour Town Council, 19 November 2019"


def test_a_banner_h1_is_the_sites_name_wherever_it_stands() -> None:
    """A fan-fiction archive's <h1> is its logo, a link to its home page, outside any
    <header>: the work's title is in <title>. So is an <h1> classed as a logo. A story's
    headline linked to itself stays the headline."""
    head = ("<title>Conversations with a Cryptid - Chapter 1 - Howl - Teen Wolf (TV) "
            "[Fan Archive]</title>")
    banners = ["<h1 class='heading'><a href='/'><span>Fan Archive of Our Own</span> "
               "<sup>beta</sup></a></h1>",
               "<h1 class='topbar__logo__title'>Fan Archive of Our Own Works</h1>"]
    for banner in banners:
        title = extract_html(page(head, banner + "<p>Chapter text.</p>"),
                             "https://fans.example/works/4/chapters/9").title
        assert title is not None and title.startswith("Conversations with a Cryptid"), title
    linked = "<h1><a href='/2019/11/mill'>Tide mill reopens after a decade of repairs</a></h1>"
    assert extract_html(page("<title>Gazette</title>", linked),
                        "https://gazette.example/2019/11/mill").title == \
        "Tide mill reopens after a decade of repairs"


def test_an_articles_own_header_holds_its_headline() -> None:
    head = "<title>Harbour Gazette: news of the coast</title>"
    body = ("<header><a href='/'>Harbour Gazette</a></header><article><header>"
            "<h1>Tide mill reopens after a decade of repairs</h1></header></article>")
    result = extract_html(page(head, body), "https://gazette.example/mill")
    assert result.title == "Tide mill reopens after a decade of repairs"


def test_an_h2_a_stated_title_confirms_beats_a_promotion_in_the_h1() -> None:
    """A link aggregator's only <h1> promotes another story; the headline is an <h2> in a
    header of its own, which <title> confirms."""
    head = ("<title>Early reviews of the island ferry are here — and they're not great - "
            "Gazette</title>")
    body = ("<h1>'Why don't you go fight for the reindeer?'</h1><header><h2>Early reviews "
            "of the island ferry are here — and they're not great</h2></header>"
            "<h2>Five more stories we liked this week</h2>")
    assert extract_html(page(head, body), "https://gazette.example/ferry").title == \
        "Early reviews of the island ferry are here — and they're not great"


def test_a_documentation_pages_permalink_mark_is_not_part_of_its_heading() -> None:
    head = "<title>Sharing a mutable history with a team — evolve extension</title>"
    body = ("<h1>evolve extension</h1><h1>Sharing a mutable history with a team"
            "<a class='headerlink' href='#sharing'>¶</a></h1>")
    assert extract_html(page(head, body)).title == "Sharing a mutable history with a team"


def test_a_one_word_site_name_after_the_headline_is_cut_however_long() -> None:
    assert confirms("Mozilla - Wikipedia", "Mozilla")
    assert extract_html(page("<title>Mozilla - Wikipedia</title>", "<h1>Mozilla</h1>")
                        ).title == "Mozilla"
    assert not confirms("Gazette | Tide mill vote", "Gazette")  # a headline, not a name


def test_a_site_name_whose_first_words_spell_the_host_is_cut() -> None:
    assert strip_site("About bugs – Vortex Cannon Entertainment", None,
                      "https://vortexcannon.example/about-bugs/") == "About bugs"
    assert strip_site("About bugs – Vortex Cannon Entertainment", None,
                      "https://cannon.example/about-bugs/") == \
        "About bugs – Vortex Cannon Entertainment"


def test_short_labels_after_a_headline_are_cut_when_nothing_names_the_site() -> None:
    cases = {
        "Lorem ipsum dolor sit amet – My website": "Lorem ipsum dolor sit amet",
        "海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网":
            "海外留学生看两会：出国前后关注点大不同",
        "新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::":
            "新竹尖石_美樹營地賞楓 (2)",
        "Why the tide mill matters | Ann Byre | Opinion": "Why the tide mill matters",
        # not a headline before the separator: a product and its release's name
        "Minecraft 1.8 - The Bountiful Update": "Minecraft 1.8 - The Bountiful Update",
        # a long part after it is not a label
        "Tide mill vote - what the council decided and what it means for the harbour":
            "Tide mill vote - what the council decided and what it means for the harbour",
        "snake_case_names_in_python": "snake_case_names_in_python",
    }
    for title, expected in cases.items():
        assert without_trailing_labels(title) == expected, title
    head = "<title>Lorem ipsum dolor sit amet – My website</title>"
    assert extract_html(page(head, "<h1>My website</h1>")).title == "Lorem ipsum dolor sit amet"


def test_with_nothing_stated_a_banner_h1_is_not_taken_for_the_title() -> None:
    banner = "<h1 class='site-logo'><a href='/'>Harbour Gazette</a></h1><h1>Minutes</h1>"
    assert extract_html(page("", banner)).title == "Minutes"
    assert extract_html(page("", "<h1 class='site-logo'>Harbour Gazette</h1>")).title is None
