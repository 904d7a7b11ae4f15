"""Story mode's citations on pages shaped like real news pages (fixtures/stories/): the links an
editor marks are captured, including those the main-text extractor drops (an embedded post's
permalink, a figure caption's credit, a link-dense paragraph, the article's own "Sources" list);
the links inside the article that are not citations ("Related:", a "More stories" list, follow
and subscribe promos, topic labels above the headline) are left out, each with its reason; and
a saved page resolves its relative links against its <base>, canonical URL or og:url."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.story.build import StoryOptions, create_story_package, plan_story
from archiver.story.citation_region import select_in_page
from tests.conftest import fast_settings
from tests.server import REPORT_PATH, SiteServer
from tests.test_story import STORIES, chain, story_package

runner = CliRunner()
SOURCED = "/stories/sourced-article.html"
MINUTES = "/sources/council-minutes-2019.html"
MEMOS = "/sources/smartflow-field-memos.html"
POST = "/@smartflow/113900123456789012"
# What an editor marks on the sourced article, in reading order.
EDITOR_MARKS = [
    ("city auditor’s report", REPORT_PATH),
    ("single-session approval of 2019", MINUTES),
    ("SmartFlow’s field memos", MEMOS),  # a figure caption's credit
    ("17 April 2025", POST),  # an embedded post's permalink
    ("SmartFlow’s 2019 launch release", "/press/2019/smartflow-rollout"),  # "Other coverage:"
    ("the company’s statement", "/sources/smartflow-press-release.html"),
    ("the county’s summary", "/status/404"),
    ("Audit of the SmartFlow Water Meter Programme", REPORT_PATH),  # the Sources list
    ("Utility rate notice", "/sources/utility-rate-notice-2018.html"),
]
# The links inside the article that are not citations, and why.
LEFT_OUT = {
    "/topics/water-meters/": "above the headline (a section or topic label)",
    "/news/2025/03/meters-billed-air": "a \"related\" line inside the article",
    "/news/2025/04/bridge-closure": "a list of related stories inside the article",
    "/news/2024/11/new-meters-arrive": "a list of related stories inside the article",
    "https://social.example/@imbeki": "a newsletter, subscribe or follow promo",
    "/subscribe/": "a newsletter, subscribe or follow promo",
    "/about/": "outside the main text (the page footer)",
}


def dropped_reasons(dropped: list[dict[str, Any]]) -> dict[str, str]:
    return {d["href"]: d["reason"] for d in dropped}


def test_story_mode_captures_what_an_editor_marks(site: SiteServer, tmp_path: Path) -> None:
    site.reset_counts()
    manifest = story_package(site, tmp_path, site.url(SOURCED))
    assert [(text, path) for _, text, path, _ in chain(manifest, site)] == EDITOR_MARKS
    story = manifest["story"]
    reasons = dropped_reasons(story["dropped"])
    for href, reason in LEFT_OUT.items():
        assert reasons[href] == reason, href
    assert reasons[site.url("/tags/HarrowPoint")] == (
        "inside an embedded post (the post's permalink is the citation)")
    # The caption's credit and the Sources list keep the words around them.
    caption = story["citations"][2]
    assert caption["sentence"] == "Chart: Ledger analysis of SmartFlow’s field memos"
    listed = story["citations"][8]
    assert listed["sentence"].startswith("Harrow Point Water Department, Utility rate notice")
    # The audit, cited in the text and listed again under Sources, is one source.
    assert story["sources"][0]["cited"] == [1, 8]
    # Nothing left out was fetched.
    for path in ("/news/2025/04/bridge-closure", "/topics/water-meters/", "/subscribe/"):
        assert site.hits(path) == 0, path


def test_dry_run_gives_a_reason_for_every_link(site: SiteServer) -> None:
    result = runner.invoke(app, ["story", site.url(SOURCED), "--dry-run", "--json",
                                 "--allow-private"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [c["text"] for c in plan["citations"]] == [text for text, _ in EDITOR_MARKS]
    reasons = dropped_reasons(plan["dropped"])
    for href, reason in LEFT_OUT.items():
        assert reasons[href] == reason, href
    # Every link of the page is either cited or left out with a reason.
    page = (STORIES / "sourced-article.html").read_text("utf-8")
    page = page.replace("127.0.0.1:PORT", site.url("").split("//")[1].rstrip("/"))
    cited = {c["href"] for c in plan["citations"]}
    import lxml.html

    hrefs = {a.get("href") for a in lxml.html.fromstring(page).iter("a")}
    assert hrefs <= cited | set(reasons)
    assert all(reason for reason in reasons.values())
    text = runner.invoke(app, ["story", site.url(SOURCED), "--dry-run", "--allow-private"])
    assert text.exit_code == 0
    assert "Left out:" in text.stdout
    assert "/news/2025/04/bridge-closure: a list of related stories inside the article" in (
        text.stdout)
    assert site.hits(MEMOS) == 0  # a dry run fetches the story only


EMBEDS = """<!doctype html><html><head><title>Flood posts</title></head><body><article>
<h1>What residents posted as the river rose</h1>
<p>The river rose a metre overnight, residents said, and the first posts came before dawn, long
before the county's own warning went out at seven.</p>
<blockquote class="twitter-tweet"><p lang="en">Water over the bridge at Mill Road
<a href="https://t.co/AbCdEf123">pic.twitter.com/AbCdEf123</a></p>&mdash; Mill Road Watch
(@millroad) <a href="https://twitter.com/millroad/status/1790000000000000001?ref_src=twsrc%5Etfw">
May 13, 2024</a></blockquote>
<p>An hour later a neighbour filmed the lower car park under water and shared it widely.</p>
<blockquote class="instagram-media"
 data-instgrm-permalink="https://www.instagram.com/p/C7xYzAbCdEf/?utm_source=ig_embed"
 data-instgrm-version="14"></blockquote>
<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@riverwatch/video/7368000000000000000">
<section><a href="https://www.tiktok.com/@riverwatch">@riverwatch</a> The car park at 6am
<a href="https://www.tiktok.com/music/original-sound-7368">original sound</a></section></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/app.bsky.feed.post/3ks">
<p>Sandbags are at the fire station.</p>&mdash; County Fire (<a
href="https://bsky.app/profile/did:plc:abc?ref_src=embed">@countyfire.bsky.social</a>)
<a href="https://bsky.app/profile/did:plc:abc/post/3ksxyz?ref_src=embed">May 13, 2024</a>
</blockquote>
<p>The county's warning came after all of them.</p>
</article></body></html>"""


def test_embedded_posts_are_cited_by_their_permalinks() -> None:
    selection = select_in_page(EMBEDS, "https://news.example/2024/05/flood-posts")
    assert selection.sources == [
        "https://twitter.com/millroad/status/1790000000000000001?ref_src=twsrc%5Etfw",
        "https://www.instagram.com/p/C7xYzAbCdEf/?utm_source=ig_embed",
        "https://www.tiktok.com/@riverwatch/video/7368000000000000000",
        "https://bsky.app/profile/did:plc:abc/post/3ksxyz?ref_src=embed",
    ]
    reasons = {d.href: d.reason for d in selection.dropped}
    embedded = "inside an embedded post (the post's permalink is the citation)"
    assert reasons["https://t.co/AbCdEf123"] == embedded
    assert reasons["https://www.tiktok.com/music/original-sound-7368"] == embedded
    assert reasons["https://bsky.app/profile/did:plc:abc?ref_src=embed"] == embedded


@pytest.mark.parametrize("says_where", ["canonical", "og:url", "base"])
def test_a_saved_page_resolves_its_links_where_it_says_it_is(
        site: SiteServer, tmp_path: Path, says_where: str) -> None:
    here = site.url("").split("//")[1].rstrip("/")
    page = (STORIES / "saved-page.html").read_text("utf-8").replace("127.0.0.1:PORT", here)
    canonical = f'<link rel="canonical" href="http://{here}/stories/clean-article.html">'
    og_url = f'<meta property="og:url" content="http://{here}/stories/clean-article.html">'
    assert canonical in page and og_url in page
    if says_where != "canonical":
        page = page.replace(canonical, "")
    if says_where != "og:url":
        page = page.replace(og_url, "")
    if says_where == "base":
        page = page.replace("<head>", f'<head><base href="http://{here}/stories/">')
    saved = tmp_path / "saved.html"
    saved.write_text(page, "utf-8")
    plan = plan_story(str(saved), settings=fast_settings(), scratch=tmp_path / "scratch")
    assert plan.selection.sources == [site.url(MINUTES), site.url(REPORT_PATH)]
    reasons = {d.href: d.reason for d in plan.selection.dropped}
    assert reasons == {"#figures": "a link within the story itself"}
    output = tmp_path / "package"
    create_story_package(str(saved), output, settings=fast_settings(),
                         options=StoryOptions())
    manifest = json.loads((output / "manifest.json").read_bytes())
    assert [s["outcome"] for s in manifest["story"]["sources"]] == ["captured", "captured"]
    assert manifest["story"]["kind"] == "draft"


def test_a_saved_page_that_says_nothing_of_where_it_is(tmp_path: Path) -> None:
    """Without a URL of its own a relative link cannot be resolved: said so, plainly."""
    saved = tmp_path / "saved.html"
    saved.write_text('<html><body><article><h1>Notes</h1><p>See <a href="/reports/a.pdf">the '
                     'report</a> and <a href="https://example.org/b">the other one</a>, which '
                     'says the same thing in fewer words.</p></article></body></html>', "utf-8")
    plan = plan_story(str(saved), settings=fast_settings(), scratch=tmp_path / "scratch")
    assert plan.selection.sources == ["https://example.org/b"]
    assert {d.href: d.reason for d in plan.selection.dropped} == {
        "/reports/a.pdf": "a relative link, and the page names no address of its own (no "
                          "<base>, canonical URL or og:url) to resolve it against"}


PROSE = """<!doctype html><html><head><title>Council minutes</title></head><body><main>
<article><p><a href="/news/">News</a></p><h1>Minutes show the vote was rushed</h1>
<div class="article-body">
<p>More on that later, the clerk said, pointing to <a href="https://records.example/minutes">the
minutes of the 2019 session</a>, which run to four pages and record no debate at all.</p>
<p>The council's newsletter, which <a href="https://council.example/newsletter/2019-05">reported
the vote in May 2019</a>, called it routine; residents could subscribe to its alerts.</p>
<p>Watch the <a href="https://video.example/session-2019">recording of the session</a>: the vote
takes eleven seconds.</p>
<p>Other coverage: <a href="https://gazette.example/a">Gazette</a>,
<a href="https://radio.example/b">Valley Radio</a> and <a href="https://tv.example/c">TV9</a>.</p>
</div></article>
<footer><h1>The Ledger</h1><a href="/about/">About</a></footer></main></body></html>"""


def test_prose_that_uses_the_words_of_promos_and_related_lines_is_still_cited() -> None:
    """The rules read labels and calls to action, not words anywhere in a sentence; a
    heading after the text is not the headline."""
    selection = select_in_page(PROSE, "https://ledger.example/2025/minutes")
    assert selection.sources == [
        "https://records.example/minutes", "https://council.example/newsletter/2019-05",
        "https://video.example/session-2019", "https://gazette.example/a",
        "https://radio.example/b", "https://tv.example/c"]
    reasons = {d.href: d.reason for d in selection.dropped}
    assert reasons["/news/"] == "above the headline (a section or topic label)"
    assert reasons["/about/"] == "outside the main text (the page footer)"


def test_a_tweet_already_rendered_by_its_script_is_cited_by_its_id() -> None:
    """A page saved after its scripts ran holds the tweet as a frame with its id only."""
    page = ("<html><body><article><h1>Posts</h1><p>The mayor answered within the hour, in a "
            "post that has since been deleted from her account.</p>"
            '<iframe class="twitter-tweet twitter-tweet-rendered" data-tweet-id='
            '"1790000000000000002" src="https://platform.twitter.com/embed/Tweet.html?id=1">'
            "</iframe><p>Her office did not respond to questions about it.</p>"
            "</article></body></html>")
    selection = select_in_page(page, "https://news.example/2024/05/posts")
    assert selection.sources == ["https://twitter.com/i/status/1790000000000000002"]
    assert selection.citations[0].text == "embedded post"


RECIRCULATION = """<!doctype html><html><head><title>Crash</title></head><body><article>
<h1>Two killed in helicopter crash</h1>
<div class="body"><p>Two service members were killed, <a href="https://mil.example/statement">the
military said in a statement</a>; the cause is under investigation, officials added.</p>
<h4>More:</h4>
<ul><li><h4><a href="/news/2019/10/talks-hope">Politician sees talks as only hope</a></h4></li></ul>
<ul><li><h4><a href="/news/2019/10/youth-heard">Young people must be heard</a></h4></li></ul>
<p>The crash came a day after <a href="/news/2019/11/prisoner-swap">a prisoner swap</a> in Qatar,
which the group had demanded for two years.</p>
<p>Mehr: <a href="/news/2019/11/second-wave">Die zweite Welle</a></p>
<div><a href="/interactive/2016/streets.html?module=RelatedLinks">Why are the streets always
dug up?</a></div>
<h3>Related coverage from <a href="/category/money">Money</a>:</h3>
<ul><li><h3><a href="/when-can-i-retire">When can you retire</a></h3></li>
<li><h3><a href="/real-estate">How to invest in real estate</a></h3></li></ul>
<p>Save on the new model at <a rel="sponsored nofollow" href="https://shop.example/deal">the
reseller</a>, which is knocking $100 off with our code.</p>
<p>Our weekly show is on <a href="https://www.youtube.com/user/Example?sub_confirmation=1">
YouTube</a> now.</p>
<p>Ann Lee covers defence. She is on Twitter at <a href="https://twitter.com/annlee">annlee</a>.</p>
</div></article></body></html>"""


def test_recirculation_inside_the_article_is_left_out() -> None:
    selection = select_in_page(RECIRCULATION, "https://news.example/news/2019/11/crash")
    assert selection.sources == ["https://mil.example/statement",
                                 "https://news.example/news/2019/11/prisoner-swap"]
    reasons = {d.href: d.reason for d in selection.dropped}
    related_list = "a list of related stories inside the article"
    assert reasons["/news/2019/10/talks-hope"] == related_list
    assert reasons["/news/2019/10/youth-heard"] == related_list  # its own list, same label
    assert reasons["/when-can-i-retire"] == related_list  # a heading label with a link
    assert reasons["/real-estate"] == related_list
    assert reasons["/news/2019/11/second-wave"] == "a \"related\" line inside the article"
    assert reasons["/interactive/2016/streets.html?module=RelatedLinks"] == (
        "a related-stories link (its address says so)")
    assert reasons["https://shop.example/deal"] == "a sponsored link"
    assert reasons["https://www.youtube.com/user/Example?sub_confirmation=1"] == (
        "a subscribe link")
    assert reasons["https://twitter.com/annlee"] == (
        "a social profile linked after the story's text (the author's)")


def test_a_portal_page_cites_the_story_not_its_topics_cards_and_teasers() -> None:
    """A news portal's story (fixtures/stories/portal-story.html): names linked to the site's
    pages about them, cards of the site's latest stories and teaser grids set inside the
    story's text, an "Around the web" box, and the story's own address spelled with a doubled
    slash are left out, each with its reason; the statement, the earlier story and the
    ministry's guidance are cited."""
    page = (STORIES / "portal-story.html").read_text("utf-8")
    selection = select_in_page(page, "https://ledger.example//sport/2025/03/the-cup-is-off")
    assert selection.sources == [
        "https://confederation.example/press/2025/03/17/qualifiers-suspended",
        "https://ledger.example/sport/2025/03/12/federation-halts-domestic-league-after-first-cases",
        "https://ledger.example/documents/2025/health-ministry-guidance-on-gatherings.pdf"]
    reasons = {d.href: d.reason for d in selection.dropped}
    topic = "a topic page (the linked words name the page: the site's page about them)"
    for href in ("/all-about/arsenal-fc", "/world/newzealand", "/titan",
                 "/news/coronavirus/index.html"):
        assert reasons[href] == topic, href
    assert reasons["https://ledger.example/sport/2025/03/the-cup-is-off"] == (
        "a link within the story itself")
    own_stories = "a list of links to the site's own stories"
    for href in ("/finance/2025/03/new-head-of-the-development-bank",  # cards
                 "/politics/2025/03/a-disappointment-that-cannot-justify-everything",
                 # headlines parted by template comments, filed in a "Media" folder
                 "/Media/Banners/Do-not-miss-block/Europeans-barred-from-entry",
                 "/Media/Banners/Do-not-miss-block/A-new-online-market"):
        assert reasons[href] == own_stories, href
    for href in ("https://broadcaster.example/fr/a-52441490",
                 "https://radio.example/info/26424/pressure-in-the-north"):
        assert reasons[href] == "a list of related stories inside the article", href


@pytest.mark.parametrize(("path", "text", "topic"), [
    ("/titan", "Titan", True),
    ("/sport/teampages/manchester-united.html", "Manchester United", True),
    ("/music/the-doobie-brothers", "The Doobie Brothers", True),
    ("/term/travis-county-judge", "Travis County Judge", True),
    ("/sport/premierleague/index.html", "Premier League", True),
    # a story's address says more than the words linked to it
    ("/news/2025/03/titan-mapped", "Titan", False),
    ("/news/titan-4412345", "Titan", False),
    ("/science/titan-has-weird-deep-methane-lakes", "Titan", False),
    ("/histalp/", "http://www.zamg.example/histalp/", False),  # an address, not a name
    ("/data/premarket/index.html", "trading slightly positive", False),
    ("/search", "Titan", False),
])
def test_a_name_linked_to_the_page_named_after_it_is_a_topic_page(
        path: str, text: str, topic: bool) -> None:
    from archiver.story.link_kinds import named_page

    assert named_page(path, "", text) is topic


def test_a_tabloid_story_leaves_out_its_teasers_promos_and_pager() -> None:
    """fixtures/stories/tabloid-story.html: a capitalised linked headline on a line of its
    own, a "DON'T MISS" run of headlines, app, donation and standards links, a "Tags:" line
    and the previous/next links are left out, each with its reason; the earlier story, the post and
    the statement are cited."""
    page = (STORIES / "tabloid-story.html").read_text("utf-8")
    selection = select_in_page(
        page, "https://chronicle.example/entertainment/star-eliminated-after-family-loss")
    assert selection.sources == [
        "https://chronicle.example/entertainment/actor-announces-on-the-show-that-his-wife-is-expecting",
        "https://social.example/@actor/1196909601389785089",
        "https://network.example/press/2019/11/18/statement"]
    reasons = {d.href: d.reason for d in selection.dropped}
    assert reasons["/entertainment/judge-opens-up-about-her-serious-health-condition"] == (
        "a linked headline on a line of its own (a teaser of the site's own story)")
    for href in ("/entertainment/2019/11/host-says-farewell-to-the-ballroom",
                 "/entertainment/2019/11/singer-channels-her-breakup-energy-into-the-tango"):
        assert reasons[href] == "a \"related\" line inside the article", href
    promo = "a newsletter, subscribe or follow promo"
    assert reasons["https://chronicle.onelink.example/app?pid=ArticleLink"] == promo
    assert reasons["https://donate.example/chronicle"] == promo
    assert reasons["https://group.example/about-us/trust-principles.html"] == (
        "the outlet's standards or policies")
    assert reasons["/post/tags/2019/page1"] == "a tag or topic list"
    for href in ("/entertainment/2019/11/previous-story-slug",
                 "/entertainment/2019/11/next-story-slug"):
        # its box is named "pager": told by that before its words are read
        assert reasons[href] == (
            "inside the article, the links to the previous and next stories"), href


def test_a_main_text_link_without_an_anchor_is_still_judged_by_its_address() -> None:
    """The extractor may report a link this reading of the page finds no anchor for (its
    text rendered differently): kept as a citation, unless its address is a share link or
    the page itself."""
    from archiver.story.citation_region import story_selection

    page = ("<html><body><article><h1>Vote</h1><p>The council voted on Tuesday to approve the "
            "budget after a long debate about the water meters and the cost of the audit.</p>"
            "</article></body></html>")
    share = "https://www.pinterest.com/pin/create/button/?url=https://news.example/vote"
    links = [{"href": "https://records.example/minutes", "text": "minutes", "sentence": ""},
             {"href": share, "text": "Pin it", "sentence": ""},
             {"href": "https://news.example/vote", "text": "this story", "sentence": ""}]
    selection = story_selection(page, "https://news.example/vote", "The council voted.", links)
    assert selection.sources == ["https://records.example/minutes"]
    reasons = {d.href: d.reason for d in selection.dropped}
    assert reasons[share] == "a share link"
    assert reasons["https://news.example/vote"] == "a link within the story itself"


def test_a_page_laid_out_in_one_table_cites_the_story_not_the_lists_beside_it() -> None:
    """fixtures/stories/table-layout-story.html: a page laid out in one table, where the
    extractor's main text took in the teaser table and article list beside the story (as
    extractors do on such pages). The story is found by its structure (the element holding
    its paragraphs): the teasers, section links and ad widget are left out as outside it;
    the "Related links" under the story, every one to another site's report, are its
    sources."""
    from lxml import html as lxml_html

    from archiver.story.citation_region import story_selection

    page = (STORIES / "table-layout-story.html").read_text("utf-8")
    main_text = "\n\n".join(" ".join(p.text_content().split())
                            for p in lxml_html.fromstring(page).iter("p"))
    selection = story_selection(page, "https://caucasus.example/eng/news/275221/", main_text, [])
    assert selection.sources == [
        "https://rights.example/en/latest/news/2019/11/more-than-100-protesters-killed/",
        "https://tv.example/news/rights-group-more-than-a-hundred-killed-in-fuel-protests/"]
    reasons = {d.href: d.reason for d in selection.dropped}
    for href in ("/eng/news/274560/", "/eng/news/272902/", "/eng/world/details/271500/",
                 "https://adnetwork.example/"):
        assert reasons[href].startswith("outside the main text"), href


def test_related_links_to_the_sites_own_stories_stay_left_out() -> None:
    """Only a "Related links" list whose every link goes to another site is read as the
    story's sources; one of the site's own stories stays a list of related stories."""
    page = ("<html><body><article><h1>Vote</h1><div class='body'><p>The council voted on "
            "Tuesday to approve the budget after a long debate about the water meters, the cost "
            "of the audit and the timetable for the works that the city has planned.</p>"
            "<p>The mayor said the vote ended two years of delays and that the first meters "
            "would be replaced in the spring, starting in the northern districts of the city."
            "</p></div><div><b>Related links:</b><div><a href='https://records.example/minutes'>"
            "Council minutes of the budget debate</a></div><div><a href='/news/2025/03/meters'>"
            "Meters billed for air, readers say</a></div></div></article></body></html>")
    selection = select_in_page(page, "https://news.example/news/2025/03/vote")
    assert "https://records.example/minutes" not in selection.sources
    assert "https://news.example/news/2025/03/meters" not in selection.sources


def test_a_wire_story_leaves_out_its_video_box_teaser_and_contact_lines() -> None:
    """fixtures/stories/wire-story.html: the outlet's own video player set in the story's text
    (its caption included), an "Also on <site>" teaser styled as a read-more box, a magazine
    subscription line, the story's own page links, a contact line whose link text is an
    e-mail address and an "about:blank" placeholder the site wrote as a relative link are left
    out, each with its reason; the statement and the report are cited."""
    page = (STORIES / "wire-story.html").read_text("utf-8")
    selection = select_in_page(page, "https://wire.example/news/2019/11/three-dead-as-protests-spread")
    assert selection.sources == [
        "https://ombudsman.example/statements/2019/11/withdraw-the-military",
        "https://interior.example/press/2019/11/12/operations-report.pdf"]
    reasons = {d.href: d.reason for d in selection.dropped}
    assert reasons["https://video.wire.example/v/6054388105001"] == (
        "inside a video player (the outlet's own video)")
    assert reasons["/news/2019/11/journalists-threatened-with-sedition-arrests"] == (
        "a link styled as a box of related stories (a teaser)")
    assert reasons["https://wire.example/business-desk"] == (
        "an e-mail address (a contact, not a source)")
    assert reasons["/news/2019/11/about:blank"] == (
        "an about: placeholder read as a relative link, not a web page")
    assert reasons["https://shop.wire.example/weekly"] == (
        "a newsletter, subscribe or follow promo")
    for page_number in (1, 2):
        assert reasons[f"/news/2019/11/three-dead-as-protests-spread?page={page_number}"] == (
            "another page or view of this story (a pager, print or comments link)")


def test_a_story_on_a_site_that_files_every_story_under_one_path_is_cited() -> None:
    """"news.php?id=…" is another story, not another view of this one: only a query that
    asks for a page or a view of the story itself is read as the story."""
    page = ("<html><body><article><h1>Vote</h1><p>The council voted on Tuesday to approve "
            "the budget, a year after <a href='/news.php?id=4411'>the audit</a> found the "
            "water meters overbilled (<a href='/news.php?id=4412&amp;print=1'>print this "
            "story</a>).</p></article></body></html>")
    selection = select_in_page(page, "https://news.example/news.php?id=4412")
    assert selection.sources == ["https://news.example/news.php?id=4411"]
    reasons = {d.href: d.reason for d in selection.dropped}
    assert reasons["/news.php?id=4412&print=1"] == (
        "another page or view of this story (a pager, print or comments link)")


def test_an_app_download_line_is_a_promo_in_languages_without_spaces() -> None:
    """fixtures/stories/lottery-story-zh.html: a Chinese story's "download our app" line (its
    two links) is a promo; the tax office's page the story sends readers to is cited."""
    page = (STORIES / "lottery-story-zh.html").read_text("utf-8")
    selection = select_in_page(page, "https://news.example/business/3110000")
    assert selection.sources == ["https://invoice.mof.example/lottery/2020-0102"]
    reasons = {d.href: d.reason for d in selection.dropped}
    for href in ("https://iservice.news.example/app/app.html",
                 "https://drawpage.news.example/slot_v9/"):
        assert reasons[href] == "a newsletter, subscribe or follow promo", href


@pytest.mark.parametrize(("href", "web_page"), [
    ("/business/about:blank", False), ("/x/javascript:void(0)", False),
    ("/news/2019/about-blank-pages", True), ("/news/tel-aviv:-the-day", True)])
def test_a_placeholder_written_as_a_relative_link_is_not_a_web_page(
        href: str, web_page: bool) -> None:
    from archiver.capture.urls import try_normalize
    from archiver.story.citations import link_target

    resolved = try_normalize(href, "https://news.example/business/story")
    assert resolved is not None
    target, _reason = link_target(href, resolved, "https://news.example/business/story")
    assert (target is not None) is web_page


def test_two_sites_under_one_public_suffix_are_two_sites() -> None:
    from archiver.story.link_kinds import page_kind, same_site

    assert same_site("news.bbc.co.uk", "www.bbc.co.uk")
    assert same_site("edition.cnn.com", "cnn.com")
    assert not same_site("www.theguardian.co.uk", "bbc.co.uk")  # not one site: both .co.uk
    assert not same_site("abc.net.au", "smh.com.au")
    assert not same_site("127.0.0.2", "127.0.0.1")
    # Another .co.uk site's front page cited in the text is that site's, not ours.
    assert page_kind("https://www.theguardian.co.uk/", "The Guardian", "bbc.co.uk") is None
    assert page_kind("https://www.bbc.co.uk/", "BBC", "bbc.co.uk") == "the site's home page"


def test_a_story_filed_under_index_php_is_no_home_page() -> None:
    from archiver.story.link_kinds import page_kind

    site = "gazette.example"
    assert page_kind("https://gazette.example/index.php?id=4211", "the council's vote",
                     site) is None
    assert page_kind("https://gazette.example/index.php?utm_source=nav", "Home",
                     site) == "the site's home page"


@pytest.mark.parametrize("url", [
    "https://twitter.com/hashtag/Hamilton?src=hash",
    "https://x.com/search?q=%23floods",
    "https://www.instagram.com/explore/tags/floods/",
    "https://www.facebook.com/hashtag/floods",
])
def test_a_hashtag_page_is_no_source(url: str) -> None:
    from archiver.story.link_kinds import page_kind

    assert page_kind(url, "#floods", "news.example") == (
        "a social network's hashtag or search page (a topic, not a post)")
    # The post itself is a source.
    assert page_kind("https://twitter.com/i/status/769239021021036544", "a post",
                     "news.example") is None


def test_links_placed_off_the_screen_are_no_citations() -> None:
    # Hidden links planted in an article (left: -9999px): search engines read them, readers
    # never see them. The article's own link stays a citation.
    from archiver.story.citation_region import select_in_page

    prose = "The ministry's figures show the number of returns doubled in a year. " * 6
    page = ("<html><head><title>Deportees return home</title></head><body><article>"
            "<h1>Deportees return home with shattered dreams</h1>"
            f"<p>{prose}According to <a href='https://stats.example.gov/returns-2019'>the "
            "ministry's report</a>, most had paid agents.</p>"
            f"<p>{prose}</p>"
            "<div style='position:absolute; top:0; left:-9999px;'>"
            "<a href='https://themes.example/'>Download Premium Themes Free</a></div>"
            f"<p>{prose}</p></article></body></html>")
    selection = select_in_page(page, "https://news.example/2019/deportees")
    assert [c.url for c in selection.citations] == ["https://stats.example.gov/returns-2019"]
    [hidden] = [d for d in selection.dropped if d.url == "https://themes.example/"]
    assert hidden.reason.startswith("placed off the screen")


# -- fourth round: what the false positives of pages first seen were made of -----------------

_PROSE = ("The council voted on Tuesday to approve the budget after a long debate about the "
          "water meters, the cost of the audit and the timetable for the works. ")


def _article(body: str, after: str = "", before: str = "") -> str:
    """A story page: a headline, three paragraphs of text with `body` among them."""
    return ("<html><head><title>Vote</title></head><body>" + before + "<article><h1>The vote"
            f"</h1><div class='body'><p>{_PROSE * 3}</p>{body}<p>{_PROSE * 3}</p>"
            f"<p>{_PROSE * 2}</p></div>{after}</article></body></html>")


def _reasons(selection: Any) -> dict[str, str]:
    return {d.url: d.reason for d in selection.dropped}


@pytest.mark.parametrize(("path", "reference"), [
    ("/wiki/Star_Wars:_Episode_IV_A_New_Hope", True),
    ("/a-to-z-guides/bacterial-and-viral-infections", True),
    ("/baby/guide/delivery-methods", True),
    ("/glossary/quantitative-easing", True),
    ("/lexikon/banane", True),
    ("/news/2019/11/guide-dogs-banned-from-buses", False),  # a story about guides
    ("/guidelines-for-contributors-story", False),
])
def test_the_sites_own_reference_entries_are_topic_pages(path: str, reference: bool) -> None:
    """A word of the story linked to the site's wiki, glossary or guides entry about it is a
    topic page; another site's wiki page cited in the text is that site's, judged by where it
    sits."""
    from archiver.story.link_kinds import page_kind

    kind = page_kind(f"https://news.example{path}", "A New Hope", "news.example")
    assert (kind == "a reference entry of the site's own (its wiki, glossary or guides: a "
            "topic page)") is reference
    assert page_kind(f"https://en.wikipedia.example{path}", "A New Hope",
                     "news.example") is None


def test_film_titles_linked_to_the_sites_wiki_are_left_out_and_an_interview_is_cited() -> None:
    page = _article("<p>In 1997 Lucasfilm remastered <a href='/wiki/Star_Wars:_Episode_IV_A_New_"
                    "Hope'>A New Hope</a> and <a href='/wiki/Star_Wars:_Episode_V_The_Empire_"
                    "Strikes_Back'>The Empire Strikes Back</a>, a supervisor said in <a href='"
                    "https://film.example/2016/interview-knoll'>an interview</a>; the <a href="
                    "'https://en.wikipedia.example/wiki/Special_Edition'>Special Edition</a> "
                    "followed.</p>")
    selection = select_in_page(page, "https://starwars.example/news/2017/04/4k")
    assert selection.sources == ["https://film.example/2016/interview-knoll",
                                 "https://en.wikipedia.example/wiki/Special_Edition"]
    assert _reasons(selection)[
        "https://starwars.example/wiki/Star_Wars:_Episode_IV_A_New_Hope"].startswith(
        "a reference entry of the site's own")


def test_a_sidebar_inside_the_region_of_the_text_is_a_side_box() -> None:
    """A blog's description column (the maker's site, support, merchandise) set among the
    post's paragraphs, inside the element the main text spans."""
    page = _article("<div class='sidebar'><a href='https://game.example/'>Game site</a><br>"
                    "<a href='https://shop.example/merch'>Merchandise</a><br><a href='https://"
                    "help.game.example/'>Account Support</a></div>")
    selection = select_in_page(page, "https://news.blog.example/post/96439224994/update")
    assert selection.sources == []
    assert _reasons(selection)["https://shop.example/merch"] == "inside the article, a side box"


def test_the_cards_of_the_previous_and_next_stories_are_left_out() -> None:
    """A "next/previous story" pair laid out as cards (label, picture, headline, summary,
    byline) inside the article's container: not a sentence that cites them."""
    cards = "".join(
        f"<div class='grid next-prev-{side}'><p class='btn'><a href='/news/{slug}.html'>"
        f"{label} Auto News</a></p><div class='row-desc'><a href='/news/{slug}.html'><h5>"
        f"{title}</h5></a><p>{summary}</p><label>Jose Altoveros 2019-11-20</label></div></div>"
        for side, slug, label, title, summary in (
            ("next", "audi-sportback", "Next", "Audi Sportback makes crossovers look good",
             "The second electric vehicle debuts"),
            ("prev", "mini-gp", "Previous", "Mini GP is a 300HP monster hatch",
             "The most powerful hatch has a huge rear wing")))
    page = _article("<p>The review follows <a href='/news/mini-first-drive.html'>our first "
                    f"drive</a> of the car.</p><div class='next-prev'>{cards}</div>")
    selection = select_in_page(page, "https://autos.example/news/mini-review.html")
    assert selection.sources == ["https://autos.example/news/mini-first-drive.html"]
    assert _reasons(selection)["https://autos.example/news/mini-gp.html"] == (
        "inside the article, the links to the previous and next stories")


def test_a_disclosure_note_with_a_follow_link_is_left_out() -> None:
    page = _article("<section class='article-disclaimer'><em>Welcome to Daily Deals. Follow "
                    "us at Twitter <a href='https://twitter.com/dealsdesk'>@dealsdesk</a>.</em>"
                    "</section><p>The deals are listed by <a href='https://shop.example/ps4'>"
                    "price</a>.</p>")
    selection = select_in_page(page, "https://games.example/articles/2019/11/18/daily-deals")
    assert selection.sources == ["https://shop.example/ps4"]
    assert _reasons(selection)["https://twitter.com/dealsdesk"] == (
        "inside the article, a disclosure note")


def test_one_sites_read_also_teasers_are_not_read_as_the_storys_sources() -> None:
    """A "Read also" list whose links all go to one other site (a syndication partner's or a
    sister site's teasers), or that sits in a side box, is recirculation; a "Related links"
    list to two sites' documents is still the story's list of sources."""
    partner = ("<aside class='leiaTambem'><b>Leia também</b><ul>" + "".join(
        f"<li><a href='https://partner.example/casa/2019-12-0{n}/{slug}.html'>{title}</a></li>"
        for n, slug, title in ((1, "dez-ideias", "Dez ideias para não copiar"),
                               (2, "cinco-dicas", "Cinco dicas para a decoração vintage"),
                               (3, "nove-dicas", "Nove dicas para quem mora de aluguel")))
        + "</ul></aside>")
    sister = ("<p><b>Also:</b> <span><a href='https://sister.example/news/black-friday-deals'>"
              "See Black Friday coverage at Sister</a></span></p>")
    sources = ("<div><b>Related links:</b><div><a href='https://rights.example/2019/11/"
               "statement'>Rights group: more than 100 killed</a></div><div><a href='https://"
               "tv.example/news/2019/11/report'>TV report on the protests</a></div></div>")
    page = _article(partner + sister, after=sources)
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://rights.example/2019/11/statement",
                                 "https://tv.example/news/2019/11/report"]
    reasons = _reasons(selection)
    assert reasons["https://partner.example/casa/2019-12-01/dez-ideias.html"] == (
        "inside the article, a side box")
    assert reasons["https://sister.example/news/black-friday-deals"] == (
        "a \"related\" line inside the article")


def test_a_syndicated_storys_credit_line_under_the_text_is_cited() -> None:
    """"Fonte: <the original article>" under a syndicated story's text, past the main text,
    names where the story comes from."""
    page = ("<html><body><article><h1>Quintal dentro do apê</h1><div class='syndicated'>"
            f"<div class='corpo'><p>{_PROSE * 4}</p><p>{_PROSE * 4}</p></div>"
            "<div class='rodape'>Fonte: <a href='https://partner.example/casa/2020-11-01/"
            "varanda.html'>IG Mulher</a></div></div></article></body></html>")
    selection = select_in_page(page, "https://papel.example/2020/11/quintal")
    assert selection.sources == ["https://partner.example/casa/2020-11-01/varanda.html"]


def test_a_gallery_box_in_the_text_is_left_out() -> None:
    """A gallery widget set in a list story: its title cut short to fit ("… on A...") and its
    "SEE FULL GALLERY" button go to the site's slideshow; the shop link is cited."""
    page = _article("<div class='galleryWrapper'><div class='details'><a href='/pictures/best-"
                    "gifts/'>Best gifts for co-workers under $50 on A...</a> <a href='/pictures/"
                    "best-gifts/1/'>SEE FULL GALLERY</a></div></div><p>The first pick is <a href='"
                    "https://shop.example/mug'>a mug</a> that keeps coffee warm.</p>")
    selection = select_in_page(page, "https://tech.example/article/gifts-under-50")
    assert selection.sources == ["https://shop.example/mug"]
    assert set(_reasons(selection).values()) >= {
        "a headline cut short to fit a card (a teaser)", "a link to a gallery of pictures"}


def test_a_source_credit_after_the_date_line_is_cited() -> None:
    """A Chinese portal credits the outlet a story comes from on the date line above the text
    ("2017-03-10 09:58 来源：<outlet>"), outside the main text: the outlet's story is cited;
    the channel link on the same line is not."""
    prose = "宇航员在太空中喝酒会怎么样？后果很严重。这让人感到巨大压力和极度恐慌。" * 8
    page = ("<html><body><div class='content'><h1>宇航员在太空中喝酒会怎么样</h1><div class="
            "'msg'>2017-03-10 09:58 <span>来源：<a href='https://tech.portal.example/17/0228/"
            "CEAPST9C.html'>科学人</a></span></div><div class='msg2'>2017-03-10 <a href='/tech/"
            f"'>科技频道</a></div><div class='text'><p>{prose}</p><p>{prose}</p></div></div>"
            "</body></html>")
    selection = select_in_page(page, "https://news.example/tech/2017-03/10/content_1.htm")
    assert selection.sources == ["https://tech.portal.example/17/0228/CEAPST9C.html"]


def test_a_one_link_related_list_under_the_story_is_still_its_source() -> None:
    """One report under "Related links:" after the story's text is what the story is built on;
    the same shape set between its paragraphs ("Also: …") is a teaser line."""
    page = _article("", after="<div><b>Related links:</b><div><a href='https://rights.example/"
                    "2019/11/statement'>Rights group: more than 100 killed</a></div></div>")
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://rights.example/2019/11/statement"]


def test_the_outlets_own_services_and_footers_in_the_text_are_left_out() -> None:
    """Shapes met on real pages no rule was tuned on (bench/citations, heldout6 to 8): a
    column's contact sentence, a "Reuse this content" link, a reprint note, "Explore further",
    a broadcaster's "listen live" line, "Click here to subscribe", a subscription offer by its
    address, the outlet's own credit line, a podcast's "Listen:" line, a picture's credit to its
    maker's Instagram, names the site's software linked to a database, players' pages, a tag
    cloud filed by query, and a gallery by its address. The one report in the text is cited."""
    page = _article(
        "<p>The board published <a href='https://board.example/report.pdf'>its report</a>.</p>"
        "<figure><img src='/a.jpg'><figcaption>RenderBurger for The Daily: <a href='https://www"
        ".instagram.com/renderburger/'>RenderBurger</a></figcaption></figure>"
        "<p>Shares of <a class='crunchbase-link' data-entity='acme' href='https://crunchbase.com"
        "/organization/acme'>Acme</a> fell, as <a href='https://www.sports.example/nfl/players/"
        "286147/myles-garrett'>Myles Garrett</a> watched.</p>",
        after="<p><i>Dear Abby is written by Jeanne Phillips. Contact Dear Abby at </i><a href="
        "'http://www.dearabby.example/'>www.DearAbby.example</a> or P.O. Box 1.</p>"
        "<p><a href='https://syndication.news.example/automation/?url=x'>Reuse this content</a>"
        "</p><p>This article was reprinted on <a href='https://wired.example/story/x/'>Wired</a>"
        ".</p><p>Explore further <a href='https://medical.example/news/torpor.html'>Unravelling "
        "the neural network of torpor</a></p><p>Listen to Newsbeat <a href='https://radio.example"
        "/play/live'>live</a> at 12:45 weekdays - or listen back <a href='https://radio.example/"
        "programmes/player'>here</a>.</p><p><a href='https://eepurl.example/buWLN9'>Click here to "
        "subscribe to The Paradigm Newsletter</a></p><p><a href='https://shop.example/knowledge/"
        "space-magazine-subscription/'>Need more space?</a></p><p>Originally published on <a href="
        "'https://news.example/2019/11/other-story'>The Daily</a>.</p><p>Listen: <a href='https://"
        "po.example/TP_615'>https://po.example/TP_615</a></p><p>Tags <a href='/noticias.php?tag="
        "agua'>agua</a> <a href='/noticias.php?cat=19'>Saúde</a></p><p><a href='/berkshire/"
        "gallery/6486944b/unpredictable'>View all (23)</a></p>")
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://board.example/report.pdf"]
    reasons = set(_reasons(selection).values())
    assert reasons >= {
        "a contact line (where to write, not a source)",
        "the outlet's reprints and licensing (its service, not a source)",
        "a note of where the story was reprinted (a copy, not its source)",
        "a \"related\" line inside the article",
        "a newsletter, subscribe or follow promo",
        "an offer to subscribe (its address says so)",
        "the outlet's own credit line (a link to itself, not a source)",
        "a link to hear or download the outlet's own programme",
        "a picture's credit linked to its maker's profile (a person's page)",
        "a name linked by the site's software to a database entry (like a tag)",
        "a player's or team's page, linked on the name (a reference entry)",
        "a tag or topic page", "a link to a gallery of pictures"}, reasons


def test_a_newsletter_host_a_disclaimer_and_a_credit_to_a_home_page_are_left_out() -> None:
    """From heldout9's pages: "subscribe to this newsletter here" on a newsletter host, a
    "Disclaimer" link under a market story, and a reprint's "originally published by
    <Futurism>" linking the outlet's home page, not the story (a credit to a story stays a
    citation: test_a_syndicated_storys_credit_line_under_the_text_is_cited)."""
    page = _article(
        "<p>The fund raised <a href='https://fund.example/2019/report.pdf'>$4 million</a>.</p>"
        "<p>You can also subscribe to this newsletter <a href='https://newsletter.news.example"
        "/join/free'>here</a>.</p><p><a href='/id/23596635'>Disclaimer</a></p>",
        after="<p>This article was originally published by <a href='https://futurism.example/'>"
        "Futurism</a>.</p>")
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://fund.example/2019/report.pdf"]
    assert set(_reasons(selection).values()) >= {
        "an offer to subscribe (its address says so)",
        "one of the site's own service pages",
        "a credit line's link to an outlet's home page (not the story)"}


def test_an_outlet_credited_in_brackets_under_a_quote_is_cited() -> None:
    """A round-up quotes each review and credits it in brackets under the quote ("[Engadget]"):
    a source, unlike "[Related: <a headline of the site's own>]"."""
    page = _article("<blockquote>Stadia isn't a console.</blockquote><p>[<a href='https://www."
                    "engadget.example/2019/11/18/stadia-review/'>Engadget</a>]</p><p>[<a href='/"
                    "2019/11/17/other'>Related: Salesforce keynote shows off its new tools</a>]"
                    "</p>")
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://www.engadget.example/2019/11/18/stadia-review/"]


@pytest.mark.parametrize(("url", "tag"), [
    ("https://news.example/en-tag/software", True),
    ("https://news.example/noticias.php?tag=agua", True),
    ("https://news.example/index.php?cat=19", True),
    ("https://news.example/noticias.php?id=4412", False),
    ("https://news.example/2019/11/catalog-of-tags", False)])
def test_tag_pages_by_folder_and_by_query(url: str, tag: bool) -> None:
    from archiver.story.link_kinds import page_kind

    assert (page_kind(url, "software", "news.example") == "a tag or topic page") is tag


def test_a_labs_team_page_stays_a_source() -> None:
    """"/team/" is a lab's or a company's people (a source); "/teams/" and "/players/" on a
    sports site are its reference entries."""
    page = _article("<p>The study was led by <a href='https://lab.example/team/jane-doe-phd'>"
                    "Jane Doe</a>, who found the cells.</p>")
    selection = select_in_page(page, "https://news.example/2019/11/21/story")
    assert selection.sources == ["https://lab.example/team/jane-doe-phd"]


def test_a_cloud_of_the_sites_own_short_links_is_left_out_wherever_it_sits() -> None:
    """A city's news page sets its tag cloud (each tag a word or two, filed under addresses
    no rule knows) inside the text's container; ten outlets credited in one line of the text
    stay cited, for they are other sites."""
    words = ("agua", "alerta", "ambiente", "amizade", "atendimento", "biblioteca", "caminhada",
             "campanha", "carnaval", "civil", "cultura", "defesa civil")
    cloud = " ".join(f"<a href='/noticias/{word.replace(' ', '-')}.html'>{word}</a>"
                     for word in words)
    outlets = ", ".join(f"<a href='https://outlet{i}.example/2019/story'>Outlet {i}</a>"
                        for i in range(10))
    page = _article(f"<p>Other coverage: {outlets}.</p><div>Tags {cloud}</div>")
    selection = select_in_page(page, "https://city.example/news/2019/10/story")
    assert selection.sources == [f"https://outlet{i}.example/2019/story" for i in range(10)]
    assert set(_reasons(selection).values()) == {
        "one of a cloud of short links to the site's own pages (tags or a menu)"}


# Word patterns of story/citation_words.py: what each says of a line, a link text or an
# address; prose that uses the same words is no match.
WORD_CASES = [
    ("PAGER_TEXT", "search", "Next story", True),
    ("PAGER_TEXT", "search", "- Next Auto News", True),
    ("PAGER_TEXT", "search", "Previous article", True),
    ("PAGER_TEXT", "search", "Nächster Artikel", True),
    ("PAGER_TEXT", "search", "« Précédent", True),
    ("PAGER_TEXT", "search", "next year's budget", False),
    ("PAGER_TEXT", "search", "the previous council", False),
    ("PAGER_TEXT", "search", "Next story: the vote", False),
    ("PROMO", "search", "點我下載APP", True),
    ("PROMO", "search", "立即下载App", True),
    ("PROMO", "search", "앱 다운로드", True),
    ("PROMO", "search", "アプリをダウンロード", True),
    ("PROMO", "search", "Download our app", True),
    ("PROMO", "search", "該公司推出的APP下架", False),
    ("PROMO", "search", "the app was downloaded a million times", False),
    ("CREDIT_LINE", "match", "Fonte: IG Mulher", True),
    ("CREDIT_LINE", "match", "Source: Reuters", True),
    ("CREDIT_LINE", "match", "Quelle: dpa", True),
    ("CREDIT_LINE", "match", "Originally published at The Conversation: Why meters fail", True),
    ("CREDIT_LINE", "match", "This article was originally published by Futurism.", True),
    ("CREDIT_LINE", "match", "This story first appeared in The Conversation.", True),
    ("CREDIT_LINE", "match", "Source code for the meters is on GitHub", False),
    ("CREDIT_LINE", "match", "Sources say the vote", False),
    ("PROMO", "search", "Receba em seu email nosso ebook “As 5 Etapas”, um"
     " guia completo. Clique aqui: x.", True),
    ("PROMO", "search", "Get the best stories in your inbox every morning.", True),
    ("PROMO", "search", "Recevez notre lettre dans votre boîte mail.", True),
    ("PROMO", "search", "He said he would receive the report in his email.", False),
    ("PROMO", "search", "The ministry will get your e-mail address from the form.", False),
    ("GALLERY_TEXT", "match", "See full gallery", True),
    ("GALLERY_TEXT", "match", "Zur Bildergalerie", True),
    ("GALLERY_TEXT", "match", "Voir la galerie", True),
    ("GALLERY_TEXT", "match", "the gallery's new director", False),
    ("CONTACT_LINE", "search", "Dear Abby is written by Jeanne Phillips. Contact Dear"
     " Abby at www.DearAbby.com or P.O. Box 69440.", True),
    ("CONTACT_LINE", "search", "Write to Jane Doe at jane.doe@news.example.", True),
    ("CONTACT_LINE", "search", "Contact tracing is now a priority, the"
     " ministry said on Monday.", False),
    ("CONTACT_LINE", "search", "Email a friend about the fair at the town hall.", False),
    ("SUBSCRIPTION_PATH", "search", "/knowledge/all-about-space-magazine-subscription/", True),
    ("SUBSCRIPTION_PATH", "search", "/subscribe", True),
    ("SUBSCRIPTION_PATH", "search", "/abo/digital.html", True),
    ("SUBSCRIPTION_PATH", "search", "/2019/11/subscription-economy-booms", False),
    ("SUBSCRIPTION_PATH", "search", "/news/subscribers-stay-loyal", False),
    ("HANDLE_TEXT", "match", "@marcoarment", True),
    ("HANDLE_TEXT", "match", ".@Angry_Drunk", True),
    ("HANDLE_TEXT", "match", "\u200f@viticci", True),
    ("HANDLE_TEXT", "match", "@timkeller:", True),
    ("HANDLE_TEXT", "match", "the council's account", False),
    ("QUOTED_POST", "search", "@s_bielefeld: @timkeller I plainly stated that", True),
    ("QUOTED_POST", "search", "Its Sydney account, @Uber_Sydney, tweeted", False),
    ("DOCUMENT_PATH", "search", "/show_bug.cgi", True),
    ("DOCUMENT_PATH", "search", "/owner/project/issues/1234", True),
    ("DOCUMENT_PATH", "search", "/owner/project/pull/45/", True),
    ("DOCUMENT_PATH", "search", "/news/2019/11/issues-facing-the-council", False),
    ("RELATED_START", "match", "Learn More: Seven Tips for Repurposing Video Content", True),
    ("RELATED_START", "match", "Learn more about the audit in the council’s report.", False),
    ("SHARE_URL", "search", "https://www.xing.com/spi/shares/new?url=https%3A%2F%2Fa.example",
     True),
    ("ACCOUNT_PATH", "search", "/datenschutzerklaerung/", True),
    ("ACCOUNT_PATH", "search", "/paiment/inscription?level_id=3", True),
    ("ACCOUNT_PATH", "search", "/unterstuetzen", True),
    ("ACCOUNT_PATH", "search", "/2023/11/privacy-rules-for-schools-tighten", False),
    ("FEED_PATH", "search", "/feed/rss", True),
    ("FEED_PATH", "search", "/news/feeding-the-city", False),
    ("PRINT_PATH", "search", "/de/wprm_print/76061", True),
    ("LICENCE_URL", "search", "https://creativecommons.org/licenses/by/2.0/", True),
    ("SHARE_URL", "search", "https://telegram.me/share/url?url=https%3A%2F%2Fa.example", True),
    ("SEARCH_URL", "search", "http://scholar.google.com/scholar_lookup?title=Paxlovid", True),
    ("SEARCH_URL", "search", "https://chemport.cas.org/cgi-bin/sdcgi?APP=ftslink", True),
    ("SEARCH_URL", "search", "https://www.google.com/search?q=Led+Zeppelin+IV", False),
    ("EMAIL_PROTECTION_PATH", "match", "/cdn-cgi/l/email-protection", True),
]


@pytest.mark.parametrize(("pattern", "how", "text", "expected"), WORD_CASES)
def test_word_patterns(pattern: str, how: str, text: str, expected: bool) -> None:
    from archiver.story import citation_words

    compiled = getattr(citation_words, pattern)
    found = compiled.match(text) if how == "match" else compiled.search(text)
    assert bool(found) is expected


def test_a_sources_named_column_of_the_sites_footer_or_sidebar_is_not_the_storys() -> None:
    """A layout's "js-page-left-reference" footer column and a blog's sidebar "Links" list
    hold the site's own menu and friends, not the story's sources; a "Sources" list inside
    the article still does."""
    footer = ("<footer><div class='container js-page-left-reference'><ul><li><a href='"
              "https://atlas.example/jobs'>Work With Us</a></li><li><a href='https://atlas."
              "example/places?sort=likes_count'>Most Popular</a></li></ul></div></footer>")
    sidebar = ("<div class='sidebar section'><h2>Links</h2><ul><li><a href='https://"
               "friend.example/'>CMOSfold</a></li></ul></div>")
    sources = ("<h2>Sources</h2><ul><li><a href='https://council.example/audit.pdf'>Audit of "
               "the water meters</a></li></ul>")
    page = _article(sources).replace("</body>", footer + sidebar + "</body>")
    selection = select_in_page(page, "https://atlas.example/articles/tide-mill")
    assert selection.sources == ["https://council.example/audit.pdf"]


def test_links_back_to_the_story_with_a_tracking_query_are_the_story() -> None:
    byline = ("<p><a href='https://medium.example/@welch?source=post_page-----d146'>John "
              "Welch</a> <a href='https://medium.example/@welch/the-big-lie-d146?source="
              "post_page-----d146'>Oct 15, 2015</a></p>")
    page = _article(byline).replace(
        "<head>", "<head><link rel='canonical' href='https://medium.example/@welch/the-big-lie"
        "-d146'>")
    selection = select_in_page(page, "https://medium.example/@welch/the-big-lie-d146")
    assert selection.sources == []
    reasons = _reasons(selection)
    assert reasons["https://medium.example/@welch?source=post_page-----d146"] == "an author page"


def test_accounts_mentioned_in_a_quoted_post_are_no_citations() -> None:
    """"@name" links inside a post quoted as text or in a quotation are the post's mentions;
    the story's own words naming an account, and a line naming it, cite it."""
    quoted = ("<blockquote><p><a href='https://twitter.com/KevinColeman'>@KevinColeman</a> "
              "<a href='https://twitter.com/s_bielefeld'>@s_bielefeld</a> Wow, you guys are "
              "veering into some strange territory here with the pricing talk.</p></blockquote>"
              "<p>She replied: <a href='https://twitter.com/viticci'>\u200f@viticci</a>: "
              "That is what I am responding to, the whole idea of it.</p>")
    named = ("<p>Uber's Sydney account, <a href='https://twitter.com/Uber_Sydney'>@Uber_Sydney"
             "</a>, tweeted that prices would rise during the siege in the city.</p>"
             "<p>Account: <a href='https://instagram.com/baking_maniac'>@baking_maniac</a></p>")
    selection = select_in_page(_article(quoted + named), "https://news.example/story")
    assert selection.sources == ["https://twitter.com/Uber_Sydney",
                                 "https://instagram.com/baking_maniac"]
    assert _reasons(selection)["https://twitter.com/viticci"].startswith("a mention of an")


def test_a_list_of_bug_reports_on_the_sites_own_tracker_is_cited() -> None:
    bugs = "".join(f"<li><a href='https://bugzilla.mozilla.example/show_bug.cgi?id={n}'>Bug "
                   f"{n} – Fullscreen window is affected by switching video source</a></li>"
                   for n in (1677080, 1677107, 1681796))
    selection = select_in_page(_article(f"<ul>{bugs}</ul>"),
                               "https://blog.nightly.mozilla.example/2020/12/these-weeks")
    assert len(selection.sources) == 3


def test_the_sites_own_accounts_views_and_languages_are_no_sources() -> None:
    """A recipe blog's invitations to its own Instagram and Pinterest, its printable recipe,
    the recipe in English (a language version the page names), its second page, its feed and
    a photo's licence: none is a source; another cook's blog is."""
    body = ("<p>Post your photo on <a href='https://www.instagram.com/biancazapatka/'>"
            "Instagram</a> or find me on <a href='https://www.pinterest.de/biancazapatka/'>"
            "Pinterest</a>. <a href='https://biancazapatka.example/de/wprm_print/76061'>Rezept "
            "drucken</a> <a href='https://biancazapatka.example/en/vegan-banana-cake/'>English"
            "</a> <a href='https://biancazapatka.example/de/bananenkuchen/2'>Seite 2</a> "
            "<a href='https://biancazapatka.example/feed/rss'>RSS</a> Photo: <a href='https://"
            "creativecommons.org/licenses/by/2.0/'>CC BY 2.0</a>. The idea came from <a href='"
            "https://www.instagram.com/another_cook/'>another cook's account</a> and her "
            "<a href='https://cook.example/walnut-cake'>walnut cake</a>.</p>")
    page = _article(body).replace("<head>", "<head><link rel='alternate' hreflang='en' href='"
                                  "https://biancazapatka.example/en/vegan-banana-cake/'>")
    selection = select_in_page(page, "https://biancazapatka.example/de/bananenkuchen/")
    assert selection.sources == ["https://www.instagram.com/another_cook/",
                                 "https://cook.example/walnut-cake"]
    reasons = _reasons(selection)
    assert reasons["https://www.pinterest.de/biancazapatka/"] == \
        "the site's own account on a social network (a follow link)"
    assert reasons["https://biancazapatka.example/en/vegan-banana-cake/"] == \
        "a link within the story itself"


def test_a_reference_lists_index_lookups_are_searches_not_the_works() -> None:
    """A paper's reference list links each work (its DOI, its PubMed record) and looks it up
    in Google Scholar and CAS: the lookups are searches. An e-mail address a host hides
    behind /cdn-cgi/l/email-protection is a contact."""
    refs = ("<h2>References</h2><ol><li>Hammond J. Oral nirmatrelvir. <a href='https://doi.org/"
            "10.1056/NEJMoa2118542'>Article</a> <a href='http://www.ncbi.nlm.nih.gov/entrez/"
            "query.fcgi?cmd=Retrieve&db=PubMed&dopt=Abstract&list_uids=35172054'>PubMed</a> "
            "<a href='https://chemport.cas.org/cgi-bin/sdcgi?APP=ftslink&key=1'>CAS</a> <a "
            "href='http://scholar.google.com/scholar_lookup?title=Oral%20nirmatrelvir'>Google "
            "Scholar</a></li></ol>")
    contact = ("<p>Write to <a href='/cdn-cgi/l/email-protection#a1b2'>[email&#160;protected]"
               "</a></p>")
    selection = select_in_page(_article(contact, after=refs), "https://journal.example/a/1")
    assert selection.sources == [
        "https://doi.org/10.1056/NEJMoa2118542",
        "http://www.ncbi.nlm.nih.gov/entrez/query.fcgi?cmd=Retrieve&db=PubMed&dopt=Abstract"
        "&list_uids=35172054"]


@pytest.mark.parametrize(("path", "listing"), [
    ("/tag/water", True),
    ("/themen/eu-4540782.html", True),
    ("/tag/stock-car-santa-cruz-do-sul", True),  # a long tag is still a tag
    ("/topics/water/2025/03/meters-billed-air", False),  # filed by date
    ("/thema/tesla-model-3-erstmals-meistverkauftes-auto-in-europa/497039969", False),
])
def test_a_story_filed_under_a_topic_folder_is_no_listing(path: str, listing: bool) -> None:
    from archiver.story.citation_words import TAG_PATH
    from archiver.story.link_kinds import listing_page

    assert listing_page(path, TAG_PATH) is listing
