"""The report of a story package (data/report.md and data/report.html), read as written: one
outcome word, a gone source named by the story's words, summaries that keep their lines, one
numbering, digests that do not wrap into tall blocks, what each source said in both formats,
an archived copy (a replay link and the record) beside every live link, and check commands
that run with what the install provides."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from markdown_it import MarkdownIt
from packaging.requirements import Requirement

from archiver.replay.engine import ReplayEngineMissing, find_pywb_python
from archiver.story.build import StoryResult, create_story_package
from archiver.story.report import REPLAY_PORT
from tests.conftest import fast_settings
from tests.server import STORY_PATH, SiteServer
from tests.story_samples import one_citation_story

REPO = Path(__file__).resolve().parent.parent
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
GONE = "/sources/utility-rate-notice-2018.html"
MINUTES = "/sources/council-minutes-2019.html"


@dataclass
class Report:
    package: Path
    story: dict[str, Any]
    markdown: str
    html: str
    result: StoryResult

    @property
    def page(self) -> Any:
        return lxml.html.fromstring(self.html)

    def source(self, site: SiteServer, path: str) -> dict[str, Any]:
        return next(s for s in self.story["sources"] if s["url"] == site.url(path))

    def md_section(self, heading: str) -> str:
        """The Markdown text under `## heading`, up to the next `## `."""
        start = self.markdown.index(f"\n## {heading}\n")
        end = self.markdown.find("\n## ", start + 1)
        return self.markdown[start:end if end != -1 else None]


@pytest.fixture(scope="module")
def report(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Report:
    package = tmp_path_factory.mktemp("report") / "package"
    result = create_story_package(site.url(STORY_PATH), package, settings=fast_settings())
    manifest = json.loads((package / "manifest.json").read_bytes())
    return Report(package, manifest["story"],
                  (package / "data" / "report.md").read_text("utf-8"),
                  (package / "data" / "report.html").read_text("utf-8"), result)


def label(source: dict[str, Any]) -> str:
    return ", ".join(map(str, source["cited"]))


def test_the_outcome_of_a_gone_source_is_said_once(report: Report) -> None:
    for text in (report.markdown, report.page.text_content()):
        assert "gone (404)" in text
        assert not re.search(r"\(404/410\) \(404\)|gone \(404\)\)", text)


def test_a_gone_source_is_named_by_the_story_s_words(report: Report, site: SiteServer) -> None:
    gone = report.source(site, GONE)
    anchor = next(c["text"] for c in report.story["citations"] if c["url"] == gone["url"])
    error_title = "We could not find that page"  # the error page's own headline
    assert gone["title"] == error_title  # the record's own title
    row = next(line for line in report.markdown.splitlines()
               if line.startswith(f"| {gone['cited'][0]} |"))
    assert row.split(" | ")[2].startswith(f"“{anchor}”, ")
    assert f"### {label(gone)}. “{anchor}”" in report.markdown
    section = report.page.get_element_by_id(f"source-{gone['cited'][0]}")
    assert section.find("h3").text_content() == f"{label(gone)}. “{anchor}”"
    # The error page's title is said to be the error page's, never given as the source's.
    assert f"titled “{error_title}”" in section.text_content()
    warning = report.page.find_class("warnings")[0].text_content()
    assert f"“{anchor}”" in warning and error_title not in warning


def test_summaries_keep_their_lines(report: Report, site: SiteServer) -> None:
    minutes = report.source(site, MINUTES)
    assert minutes["lead"].startswith("Minutes of the regular meeting of 19 November 2019\n"
                                      "The Director of the Water Department")
    rendered = MarkdownIt("commonmark").render(report.md_section("What each source said"))
    page_lines = [line.strip() for line in lxml.html.fromstring(rendered).itertext()]
    assert "Minutes of the regular meeting of 19 November 2019" in page_lines
    quote = report.page.get_element_by_id(f"source-{minutes['cited'][0]}").find(
        ".//blockquote")
    assert "Minutes of the regular meeting of 19 November 2019" in [
        text.strip() for text in quote.itertext()]
    for text in (report.markdown, report.page.text_content()):
        assert "2019 The Director" not in text
        assert "that page It may" not in text


def test_one_numbering_the_citations(report: Report) -> None:
    """Sources are named by the citations that point at them, in manifest.json's terms."""
    page = report.page
    assert not page.xpath("//ol")
    numbers = sorted(c["order"] for c in report.story["citations"])
    assert numbers == list(range(1, len(numbers) + 1))
    for source in report.story["sources"]:
        heading = page.get_element_by_id(f"source-{source['cited'][0]}").find("h3")
        assert heading.text_content().startswith(f"{label(source)}. ")
        assert re.search(rf"^### {re.escape(label(source))}\. ", report.markdown, re.M)
        assert re.search(rf"^- {re.escape(label(source))}\. ",
                         report.md_section("Citation lines"), re.M)
    cited_twice = next(s for s in report.story["sources"] if len(s["cited"]) > 1)
    assert f"### {label(cited_twice)}. {cited_twice['title']}" in report.markdown


def test_digests_do_not_wrap_into_tall_blocks(report: Report) -> None:
    table_rows = [line for line in report.md_section("Citations").splitlines()
                  if re.match(r"\| \d+ \|", line)]
    assert len(table_rows) == len(report.story["citations"])
    assert not any(HEX64.search(row) for row in table_rows)
    page = report.page
    cells = page.xpath("//tr[starts-with(@id, 'citation-')]/td")
    assert cells and not any(HEX64.search(cell.text_content()) for cell in cells)
    assert "break-all" not in report.html
    for source in report.story["sources"]:
        digest = source["payload_sha256"]
        # In full beside the short form (a title) and in the source's details, in both.
        assert page.xpath(f"//tr/td/code[@title='SHA-256 {digest}']")
        details = page.get_element_by_id(f"source-{source['cited'][0]}")
        assert digest in [code.text for code in details.iter("code")]
        assert f"- Payload SHA-256: `{digest}`" in report.markdown


def test_report_md_says_what_each_source_said(report: Report) -> None:
    said = report.md_section("What each source said")
    for source in report.story["sources"]:
        first_line = source["lead"].splitlines()[0].rstrip("…")
        assert f"> {first_line}" in said
        assert source["extraction"] in said


def replay_address(source: dict[str, Any]) -> str:
    stamp = "".join(c for c in source["captured_at"] if c.isdigit())[:14]
    return f"http://127.0.0.1:{REPLAY_PORT}/evidence/{stamp}/{source['final_url']}"


def test_every_live_link_has_its_archived_copy_beside_it(report: Report) -> None:
    page = report.page
    for source in report.story["sources"]:
        address = replay_address(source)
        record = source["record"]
        details = page.get_element_by_id(f"source-{source['cited'][0]}")
        assert address in details.xpath(".//a/@href")
        text = " ".join(details.text_content().split())
        assert f"{record['warc_file']}, offset {record['offset']}, {record['record_id']}" in text
        assert (f"- Record: `{record['warc_file']}`, offset {record['offset']}, "
                f"`{record['record_id']}`") in report.markdown
        assert f"- Archived copy: <{address}>" in report.markdown
        for order in source["cited"]:
            row = page.get_element_by_id(f"citation-{order}")
            assert address in row.xpath(".//a/@href")
            md_row = next(line for line in report.markdown.splitlines()
                          if line.startswith(f"| {order} |"))
            assert f"[replay](<{address}>)" in md_row
    start = f"archiver replay {report.package.name} --port {REPLAY_PORT}"
    assert f"    {start}\n" in report.markdown and start in page.text_content()


def _has_pywb() -> bool:
    try:
        find_pywb_python()
    except ReplayEngineMissing:
        return False
    return True


@pytest.mark.skipif(not _has_pywb(), reason="pywb is not installed (see tests/test_replay.py)")
def test_the_replay_links_open_the_archived_copies(report: Report) -> None:
    from archiver.replay import start_replay

    links = re.findall(r"^- Archived copy: <(.+)>$", report.markdown, re.M)
    assert len(links) == len(report.story["sources"])
    with start_replay(report.package) as server:
        for link, source in zip(links, report.story["sources"], strict=True):
            here = link.replace(f"127.0.0.1:{REPLAY_PORT}/", f"127.0.0.1:{server.port}/", 1)
            # The link is the framed view; its page alone (mp_) is the archived page.
            framed = _get(here)
            assert framed[0] == 200, here
            stamp, url = here.split("/evidence/", 1)[1].split("/", 1)
            status, body = _get(server.replay_url(url, stamp, "id_"))
            assert status == source["status"], here
            record = source["record"]
            extracted = subprocess.run(
                ["warcio", "extract", "--payload", str(report.package / record["warc_file"]),
                 str(record["offset"])], env=_install_env(report.package.parent),
                capture_output=True, check=True).stdout
            assert body == extracted


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _console_scripts(distribution: str, seen: set[str]) -> set[str]:
    """The commands that installing `distribution` puts on the PATH, its dependencies' too."""
    if distribution.lower() in seen:
        return set()
    seen.add(distribution.lower())
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return set()
    scripts = {entry.name for entry in found.entry_points if entry.group == "console_scripts"}
    for line in found.requires or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            scripts |= _console_scripts(requirement.name, seen)
    return scripts


def _install_env(where: Path) -> dict[str, str]:
    """An environment whose PATH holds what `pip install archiver` provides (archiver's and
    its dependencies' commands, from this environment) and the system's standard tools."""
    bin_dir = where / "install-bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        for name in _console_scripts("archiver", set()):
            script = Path(sys.executable).parent / name
            if script.exists():
                (bin_dir / name).symlink_to(script)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "PYTHONPATH": str(REPO)}


def test_how_to_check_it_runs_with_what_the_install_provides(report: Report) -> None:
    block = report.md_section("How to check it")
    commands = [line[4:] for line in block.splitlines() if line.startswith("    ")]
    assert commands and commands[0] == f"archiver verify {report.package.name}"
    pre = report.page.xpath("//h2[. = 'How to check it']/following-sibling::pre[1]")[0]
    assert pre.text_content().splitlines() == commands
    env = _install_env(report.package.parent)
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=report.package.parent, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    example = re.search(r"^    (warcio extract .+)$", report.markdown, re.M)
    assert example is not None
    done = subprocess.run(["bash", "-c", example.group(1)], cwd=report.package.parent, env=env,
                          capture_output=True)
    assert done.returncode == 0 and done.stdout, example.group(1)
    assert shlex.split(example.group(1))[3].startswith(report.package.name + "/data/warc/")


def test_the_terminal_summary_names_a_gone_source_as_the_report_does(report: Report,
                                                                     site: SiteServer) -> None:
    from archiver.rendering import render_story

    gone = report.source(site, GONE)
    anchor = next(c["text"] for c in report.story["citations"] if c["url"] == gone["url"])
    row = next(line for line in render_story(report.result).splitlines()
               if gone["url"] in line)
    assert f"“{anchor}”"[:50] in row and "Page not found" not in row


def test_what_pages_say_stays_text_in_report_md(tmp_path: Path) -> None:
    """A title, lead or sentence from a page cannot add markup, a heading or a table cell to
    report.md: rendered, it is the text as written."""
    from archiver.story.report import render_report

    hostile = "x | <script>alert(1)</script>\n# Heading *bold* [link](http://evil.example/)"
    story = one_citation_story(hostile, final_url="https://example.org/a",
                               captured_at="2026-01-02T03:04:05Z")
    _, markdown = render_report(story, package_id="urn:uuid:x", warcs=[], output=tmp_path / "p")
    rendered = MarkdownIt("commonmark").enable("table").render(markdown.decode("utf-8"))
    page = lxml.html.fromstring(rendered)
    assert not page.xpath("//script") and "evil.example" not in "".join(page.xpath("//a/@href"))
    assert not [h for h in page.xpath("//h1|//h2|//h3") if h.text_content().startswith("Heading")]
    row = page.xpath("//table[1]/tbody/tr")[0]
    assert len(row.findall("td")) == 7
    assert "x | <script>alert(1)</script> # Heading *bold*" in row.text_content()
    quote = page.xpath("//blockquote")[0].text_content()
    assert "<script>alert(1)</script>" in quote and "# Heading *bold*" in quote
