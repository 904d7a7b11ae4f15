"""Trimming rules for what the main-text extractor keeps around an article: the lines above
its headline, and paragraphs that only point elsewhere on the page's own site."""

from __future__ import annotations

from archiver.extract.html.blocks import Block, LinkSpan
from archiver.extract.html.extraction import extract_html
from archiver.extract.html.trim import drop_calls_to_action, drop_leading_title, drop_promos

PAGE_URL = "https://www.courier.example.com/news/2026/tide-mill-vote"
PROSE = ("The council voted on Tuesday to restore the tide mill, after a survey found the "
         "wheel pit sound and the sluice gates repairable. ")


def block(text: str, *links: tuple[int, int, str], kind: str = "p") -> Block:
    return Block(kind, text, [LinkSpan(start, end, href) for start, end, href in links])


def test_lines_above_the_headline_go_with_it() -> None:
    body = [block(PAGE_URL), block("Council votes to restore the tide mill", kind="head"),
            block(PROSE)]
    assert drop_leading_title(body, "Council votes to restore the tide mill") == body[2:]
    tags = [block("Local news"), block("Heritage"), *body[1:]]
    assert drop_leading_title(tags, "Council votes to restore the tide mill") == body[2:]


def test_a_sentence_above_the_headline_means_the_headline_is_not_at_the_top() -> None:
    body = [block(PROSE), block("Council votes to restore the tide mill", kind="head"),
            block(PROSE)]
    assert drop_leading_title(body, "Council votes to restore the tide mill") == body


def test_read_more_and_lone_linked_headlines_to_the_own_site_go() -> None:
    read_more = block("Read more: Harbour dredging to start in May", (11, 43, "/news/dredging"))
    label_bar = block("RELATED | Ferry fares to rise by a fifth",
                      (10, 40, "https://courier.example.com/news/ferries"))
    lone = block("Lifeboat crew honoured for winter rescue", (0, 40, "/news/lifeboat"))
    own_address = block(PAGE_URL)
    prose = block(PROSE)
    blocks = [prose, read_more, label_bar, lone, own_address, prose]
    assert drop_promos(blocks, PAGE_URL) == [prose, prose]


def test_links_to_other_sites_and_links_inside_sentences_stay() -> None:
    source = block("Read more: the survey report on the mill",
                   (11, 40, "https://heritage.example.org/survey"))
    inside = block("The survey report is online.", (4, 17, "/news/survey"))
    short = block("See: report", (5, 11, "/report"))  # too short to be a headline
    item = block("Lifeboat crew honoured for winter rescue", (0, 40, "/l"), kind="item")
    other_address = block("https://heritage.example.org/survey")
    blocks = [source, inside, short, item, other_address]
    assert drop_promos(blocks, PAGE_URL) == blocks


def test_extract_html_drops_promos_inside_the_article() -> None:
    html = (f"<html><head><title>Council votes to restore the tide mill | Courier</title></head>"
            f"<body><article><h1>Council votes to restore the tide mill</h1>"
            f"<p>{PROSE * 3}</p>"
            f"<p>Read more: <a href='/news/dredging'>Harbour dredging to start in May</a></p>"
            f"<p>{PROSE * 2}</p>"
            f"<p><a href='https://www.courier.example.com/news/lifeboat'>Lifeboat crew "
            f"honoured for winter rescue</a></p><p>{PROSE}</p></article></body></html>")
    text = extract_html(html, PAGE_URL).text
    assert "dredging" not in text and "Lifeboat" not in text
    assert text.startswith("The council voted") and text.count("The council voted") == 6


def test_an_embedded_post_in_a_social_embed_wrapper_stays_in_the_text() -> None:
    post = ("<div class='social-media-embed'><blockquote class='twitter-tweet'><p>The sluice "
            "gates are open again after forty years <a href='https://t.co/abc'>pic</a></p>"
            "&mdash; Mill Trust (@milltrust) <a href='https://twitter.com/milltrust/status/1'>"
            "May 2, 2026</a></blockquote></div>")
    html = (f"<html><body><article><p>{PROSE * 3}</p>{post}<p>{PROSE * 2}</p>"
            "<div class='social-share'><a href='/share'>Share on social media</a></div>"
            "</article></body></html>")
    page = extract_html(html, PAGE_URL)
    assert "The sluice gates are open again after forty years" in page.text
    assert "Mill Trust (@milltrust)" in page.text
    assert "https://twitter.com/milltrust/status/1" in [link.url for link in page.links]
    assert "Share on social media" not in page.text  # a real share bar still goes


def test_newsletter_pitches_and_closing_contact_lines_go() -> None:
    prose = block(PROSE)
    pitch_en = block("Get the day's top headlines delivered to your inbox: sign up for our "
                     "morning newsletter.")
    pitch_de = block("Jetzt den Newsletter abonnieren", kind="head")
    credit = block("— Mill Trust (@milltrust) May 2, 2026")  # an embedded post's credit line
    contact = block("Got a tip? Email Ann Byre at ann.byre@courier.example.com. Follow her "
                    "on social media @annbyre.")
    tail = block("Comments")
    blocks = [prose, pitch_de, prose, credit, pitch_en, prose, contact, tail]
    assert drop_calls_to_action(blocks) == [prose, prose, credit, prose]


def test_a_paragraph_about_newsletters_or_an_address_mid_article_stays() -> None:
    about = block("The newsletter, first printed in 1890, listed the tides for each week.")
    address = block("Residents can write to tidemill@council.example.gov with objections.")
    prose = block(PROSE)
    blocks = [prose, about, address, prose, prose, prose]
    assert drop_calls_to_action(blocks) == blocks


def test_a_labelled_list_of_own_site_headlines_goes_and_a_list_of_sources_stays() -> None:
    prose = block(PROSE)
    related = [block("Related", kind="p"),
               block("Harbour dredging to start in May", (0, 32, "/news/dredging"), kind="item"),
               block("Ferry fares to rise by a fifth", (0, 30, "/news/ferries"), kind="item")]
    sources = [block("Sources", kind="p"),
               block("Survey of the mill wheel pit", (0, 28, "https://heritage.example.org/s"),
                     kind="item"),
               block("Council minutes of 2 May", (0, 24, "https://council.example.gov/m"),
                     kind="item")]
    unlabelled = related[1:]
    blocks = [prose, *related, prose, *sources, prose, *unlabelled]
    assert drop_promos(blocks, PAGE_URL) == [prose, prose, *sources, prose, *unlabelled]


def test_a_closing_sentence_in_japanese_is_not_a_stray_end_line() -> None:
    prose = block("港町の集合住宅で、新しい水道メーターの請求額が二倍になった。")
    last = block("水道局は誤りを認め、返金を約束した")  # two \w+ runs, no full stop
    assert drop_calls_to_action([prose, last]) == [prose, last]
    assert drop_calls_to_action([prose, block("コメント")]) == [prose]
