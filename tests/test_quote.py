"""`archiver quote` and story mode's quote check, on a real site: a story that quotes its
sources (fixtures/quotes/), captured with `archiver story` from the test server on
127.0.0.1; the answers read back with `archiver quote`, and judged against the texts
themselves."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.package.text_index import package_resources, write_text_index
from archiver.quotes.lookup import QuoteFinder, find_quote
from archiver.story.quotations import story_quotations
from archiver.textsearch.fts import TextIndex
from tests.conftest import load_script, read_record
from tests.server import SiteServer

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "fixtures" / "quotes"
PDF_MAKER = load_script(REPO / "fixtures" / "documents" / "make_pdfs.py")
AUDIT_PAGES = [
    ["Office of the City Auditor, Harrow Point",
     "Audit of the SmartFlow meter programme",
     "",
     "Finding 1. The firmware of the SmartFlow SF-200 counted air in the",
     "pipe as water after every pres-"],
    ["sure drop, and the department knew it by March.",
     "Finding 2. Complaints were closed without a site visit."],
]
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def quote_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("quote-site") / "site"
    shutil.copytree(SITE, root)
    (root / "reports").mkdir()
    (root / "reports" / "audit.pdf").write_bytes(PDF_MAKER.build_pdf(AUDIT_PAGES))
    with SiteServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def story_package(quote_site: SiteServer, tmp_path_factory: pytest.TempPathFactory
                  ) -> tuple[Path, dict[str, Any]]:
    output = tmp_path_factory.mktemp("quote-story") / "meters"
    code, out = run("story", quote_site.url("/story/meters.html"), "-o", str(output),
                    "--allow-private", "--no-requisites", "--json")
    assert code == 0, out
    return output, json.loads(out)


def quotes_of(story: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The story's checked quotations by their first words."""
    return {" ".join(quote["text"].split()[:3]): quote for quote in story["story"]["quotes"]}


def quote_json(package: Path, passage: str) -> tuple[int, dict[str, Any]]:
    code, out = run("quote", str(package), passage, "--json")
    return code, json.loads(out)


def fragment_words(link: str) -> list[str]:
    """The words of a text-fragment link's directive, decoded (prefix, start, end, suffix
    each a part)."""
    directive = link.split(":~:text=", 1)[1]
    return [unquote(part) for part in directive.split(",")]


def tree_of(package: Path) -> dict[str, bytes]:
    return {str(path.relative_to(package)): path.read_bytes()
            for path in sorted(package.rglob("*")) if path.is_file()}


# -- story mode ----------------------------------------------------------------------------------


def test_story_checks_each_quotation_in_the_source_it_cites(
        story_package: tuple[Path, dict[str, Any]], quote_site: SiteServer) -> None:
    package, story = story_package
    quotes = quotes_of(story)
    assert set(quotes) == {"ACCURATE to within", "closed after a", "counted air in",
                           "We will refund", "meter readers visited"}
    statement = quote_site.url("/sources/statement.html")
    audit = quote_site.url("/reports/audit.pdf")
    # typographic quotes, an en dash for the source's em dash, capitals: found
    accurate = quotes["ACCURATE to within"]
    assert accurate["outcome"] == "found" and accurate["anchor"]["url"] == statement
    assert accurate["anchor"]["passage"] == ("accurate to within two per cent — in every home "
                                             "we tested")
    # a misquote: not found, with the source's closest passage
    misquote = quotes["closed after a"]
    assert misquote["outcome"] == "not found" and misquote["anchor"] is None
    assert misquote["closest"]["passage"] == "closed after a site visit"
    assert 0.5 < misquote["closest"]["similarity"] < 1
    # across a PDF's page break and a word hyphenated at the end of page 1
    pdf = quotes["counted air in"]["anchor"]
    assert (pdf["url"], pdf["page"], pdf["end_page"]) == (audit, 1, 2)
    # a blockquote attributed through its footer's link; a quote only in the sidebar
    assert quotes["We will refund"]["marked_by"] == "blockquote"
    assert quotes["We will refund"]["anchor"]["url"] == statement
    sidebar = quotes["meter readers visited"]["anchor"]
    assert sidebar["layer"] == "visible" and sidebar["text_file"].endswith(".json")
    # a scare quote of one word is no quotation
    assert not any(q["text"] == "smart" for q in story["story"]["quotes"])
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["story"]["quotes"] == story["story"]["quotes"]
    assert run("verify", str(package))[0] == 0  # the story's quotes are valid manifest.json


def test_the_report_is_a_fact_checkers_list(story_package: tuple[Path, dict[str, Any]]) -> None:
    package, story = story_package
    markdown = (package / "data" / "report.md").read_text()
    section = markdown[markdown.index("\n## Quotes\n"):markdown.index("\n## What each")]
    assert section.count("| found") == 4 and "**not found**" in section
    assert "the closest passage (70% similar): “closed after a site visit”" in section
    assert "page 1, characters" in section
    html = (package / "data" / "report.html").read_text()
    for quote in story["story"]["quotes"]:
        at = quote["anchor"] or quote["closest"]
        assert at["fragment_url"].replace("&", "&amp;") in html
    assert 'class="quote-not-found"' in html


def test_a_text_fragment_link_opens_the_passage_in_replay(
        story_package: tuple[Path, dict[str, Any]], quote_site: SiteServer) -> None:
    _, story = story_package
    anchor = quotes_of(story)["We will refund"]["anchor"]
    replay = anchor["replay_url"]
    assert replay.startswith("http://127.0.0.1:8080/evidence/")
    assert replay.endswith("/" + quote_site.url("/sources/statement.html"))
    link = anchor["fragment_url"]
    assert link.startswith(replay + "#:~:text=")
    # the passage whole; its first word is in the text more than once ("we have reviewed"),
    # so the words just before and after it pick the place
    assert fragment_words(link) == [
        "with every household.-",
        "We will refund every affected household before the summer, with interest",
        "-where an inspection"]
    directive = link.split(":~:text=", 1)[1]
    assert " " not in directive and "%2C" in directive  # percent-encoded, commas too
    pdf = quotes_of(story)["counted air in"]["anchor"]["fragment_url"]
    assert "#page=1:~:text=" in pdf
    assert fragment_words(pdf) == ["counted air in the", "knew it by March"]


# -- archiver quote ------------------------------------------------------------------------------


def in_sources(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The matches outside the story itself (which quotes the same words)."""
    return [match for match in answer["matches"] if "/story/" not in match["url"]]


def test_quote_gives_source_record_offset_and_the_records_digest(
        story_package: tuple[Path, dict[str, Any]], quote_site: SiteServer) -> None:
    package, _ = story_package
    code, answer = quote_json(package, "“Accurate TO within two per cent - in every home we "
                                       "tested”")
    assert code == 0 and answer["found"] and answer["index"] == "package"
    story, match = answer["matches"]  # the story quotes it too
    assert story["url"] == quote_site.url("/story/meters.html")
    assert match["url"] == quote_site.url("/sources/statement.html")
    text = (package / match["text_file"]).read_text()
    assert text[match["start"]:match["end"]] == ("accurate to within two per cent — in every "
                                                 "home we tested")
    # the record named is the source's response, and the SHA-256 is its payload's
    record = read_record(package / match["warc_file"], match["record_offset"])
    assert record.headers["WARC-Record-ID"] == match["record_id"]
    assert record.headers["WARC-Type"] == "response"
    assert record.headers["WARC-Payload-Digest"] == f"sha256:{match['payload_sha256']}"
    code, out = run("quote", str(package), "accurate to within two per cent")
    assert code == 0 and match["record_id"] in out and match["payload_sha256"] in out
    assert "characters 159-" in out or f"characters {match['start']}-" in out


def test_quote_across_a_pdf_page_break(story_package: tuple[Path, dict[str, Any]]) -> None:
    package, _ = story_package
    code, answer = quote_json(package, "every pressure drop, and the department")
    assert code == 0
    (match,) = in_sources(answer)
    assert (match["page"], match["end_page"], match["kind"]) == (1, 2, "pdf")
    text = (package / match["text_file"]).read_text()
    assert "\f" in text[match["start"]:match["end"]]


def test_quote_finds_what_is_only_in_the_full_visible_text(
        story_package: tuple[Path, dict[str, Any]]) -> None:
    package, _ = story_package
    code, answer = quote_json(package, "Meter readers visited 4,100 homes")
    assert code == 0
    (match,) = in_sources(answer)
    assert match["layer"] == "visible"
    extraction = json.loads((package / match["text_file"]).read_text())
    assert "4,100" not in (package / match["text_file"].replace(".json", ".txt")).read_text()
    assert extraction["html"]["visible_text"][match["start"]:match["end"]] == (
        "Meter readers visited 4,100 homes")


def test_not_found_exits_1_with_the_closest_passage(
        story_package: tuple[Path, dict[str, Any]]) -> None:
    package, _ = story_package
    code, answer = quote_json(package, "all complaints were closed after one site visit")
    assert code == 1 and not answer["found"] and answer["matches"] == []
    assert answer["closest"]["passage"] == "Complaints were closed after a site visit"
    assert 0.7 < answer["closest"]["similarity"] < 1
    code, out = run("quote", str(package), "all complaints were closed after one site visit")
    assert code == 1 and "Not found in" in out and "similar" in out
    code, answer = quote_json(package, "zebra quokka xylophone")
    assert code == 1 and answer["closest"] is None


def test_quote_tolerates_soft_hyphens_line_breaks_and_hyphenation(
        quote_site: SiteServer, tmp_path: Path) -> None:
    package = tmp_path / "notes"
    code, out = run("capture", quote_site.url("/sources/notes.txt"), "-o", str(package),
                    "--allow-private")
    assert code == 0, out
    text = next((package / "data" / "extract").glob("*.txt")).read_text()
    assert "turn\u00ading" in text and "count-\ned" in text  # kept as written
    for passage in ['"the dial kept turning with every valve shut -- air, not water, was '
                    'being counted."', "THE RESIDENTS HAD BEEN TOLD NOTHING",
                    "kept turn-ing with every valve"]:
        code, answer = quote_json(package, passage)
        assert code == 0, passage
    code, answer = quote_json(package, "The dial kept turning with every valve shut")
    (match,) = answer["matches"]
    assert text[match["start"]:match["end"]] == "The dial kept turn\u00ading with every\nvalve shut"
    assert match["passage"] == "The dial kept turning with every valve shut"
    assert match["verbatim"]


def test_a_package_without_an_index_is_indexed_elsewhere_and_never_changed(
        story_package: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    package, _ = story_package
    older = tmp_path / "older"
    shutil.copytree(package, older)
    manifest = json.loads((older / "manifest.json").read_text())
    del manifest["text_index"]  # as a package sealed before indexes were
    (older / "manifest.json").write_text(json.dumps(manifest))
    (older / "data" / "index" / "text.sqlite3").unlink()
    (older / "data" / "index").rmdir()
    before = tree_of(older)
    for passage in ("accurate to within two per cent", "every pressure drop, and the",
                    "closed after a careful review"):
        with_index = find_quote(package, passage).to_dict()
        without = find_quote(older, passage).to_dict()
        assert (with_index["index"], without["index"]) == ("package", "temporary")
        assert {**with_index, "index": None} == {**without, "index": None}
    assert tree_of(older) == before


def test_the_index_is_derived_data_made_again_it_answers_the_same(
        story_package: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    package, _ = story_package
    resources, package_id, sealed = package_resources(package)
    again = tmp_path / "again.sqlite3"
    write_text_index(package, resources, package_id, again)
    rows = "SELECT * FROM documents ORDER BY id"
    with sqlite3.connect(package / str(sealed)) as first, sqlite3.connect(again) as second:
        assert first.execute(rows).fetchall() == second.execute(rows).fetchall()
    with TextIndex(again) as index:
        finder = QuoteFinder(package, index, "temporary")
        for passage in ("We will refund every affected", "4,100 homes in October"):
            assert finder.find(passage).matches == find_quote(package, passage).matches


def test_a_damaged_index_is_named_and_nothing_is_written(
        story_package: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    package, _ = story_package
    damaged = tmp_path / "damaged"
    shutil.copytree(package, damaged)
    (damaged / "data" / "index" / "text.sqlite3").write_bytes(b"not a database" * 100)
    before = tree_of(damaged)
    result = runner.invoke(app, ["quote", str(damaged), "accurate to within"])
    assert result.exit_code == 1
    assert "data/index/text.sqlite3: not a text index archiver can read" in result.stderr
    assert "Traceback" not in result.output
    assert tree_of(damaged) == before
    code, out = run("verify", str(damaged))
    assert code == 1 and "data/index/text.sqlite3" in out


def test_verify_names_an_index_the_files_do_not_list(
        story_package: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    package, _ = story_package
    edited = tmp_path / "edited"
    shutil.copytree(package, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    index = manifest["text_index"]["path"]
    manifest["files"] = [entry for entry in manifest["files"] if entry["path"] != index]
    (edited / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["verify", str(edited), "--json"])
    assert result.exit_code == 1
    assert "text_index names the derived file data/index/text.sqlite3" in result.stdout


def test_quote_usage_errors_exit_2(story_package: tuple[Path, dict[str, Any]],
                                   tmp_path: Path) -> None:
    package, _ = story_package
    result = runner.invoke(app, ["quote", str(tmp_path), "some words"])
    assert result.exit_code == 2 and "not an evidence package" in result.stderr
    result = runner.invoke(app, ["quote", str(package), "“ — ”"])
    assert result.exit_code == 2 and "no letter or digit" in result.stderr


def test_quotations_are_attributed_only_to_a_citation_near_them() -> None:
    cited = {"https://example.org/report", "https://example.org/memo"}
    html = """<article>
      <p>The memo <a href="https://example.org/memo">says</a> crews saw “flow in drained
         pipes as early as July” and that it was “fine”.</p>
      <blockquote class="pullquote"><p>“We were told to trust the new meters.”</p>
        <footer>a billing clerk</footer></blockquote>
      <blockquote><p>The meters count air as water after a drop in pressure.</p></blockquote>
      <figcaption>From <a href="https://example.org/report">the audit</a></figcaption>
      <p>Nobody said “three words here” beside a link.</p>
    </article>"""
    found = story_quotations(html, "https://example.org/story", cited)
    assert [(q.text, q.url, q.marked_by) for q in found] == [
        ("flow in drained pipes as early as July", "https://example.org/memo",
         "quotation marks"),
        ("The meters count air as water after a drop in pressure.",
         "https://example.org/report", "blockquote")]


def test_an_answer_says_when_it_read_only_the_first_texts(tmp_path: Path) -> None:
    """A passage every text holds whole: quote reads at most MAX_CANDIDATES texts, and says
    so rather than answer as if it had read them all."""
    from archiver.quotes.lookup import MAX_CANDIDATES

    root = tmp_path / "many"
    (root / "data" / "extract").mkdir(parents=True)
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    resources = []
    for number in range(MAX_CANDIDATES + 20):
        stem = f"data/extract/{number:05d}-page"
        (root / f"{stem}.txt").write_text(f"Page {number}. It was said and done.\n")
        (root / f"{stem}.json").write_text(json.dumps({"kind": "text"}))
        resources.append({"url": f"https://example.org/{number}", "record": None,
                          "derived": [{"kind": "extraction", "path": f"{stem}.json"},
                                      {"kind": "text", "path": f"{stem}.txt"}]})
    write_text_index(root, resources, None, root / "data" / "index" / "text.sqlite3")
    common = find_quote(root, "it was said and done")
    assert common.found and common.cut and common.documents == MAX_CANDIDATES + 20
    rare = find_quote(root, "Page 510. It was said")
    assert rare.found and not rare.cut and rare.matches[0].url == "https://example.org/510"
    code, out = run("quote", str(root), "it was said and done")
    assert code == 0 and "only the first were searched" in out
