"""`archiver recheck` (issue 15 §1) against a real site on 127.0.0.1 whose sources change
between the capture and the recheck (tests/changing_site.py): every verdict, the new package
judged by verify, bagit and the schemas, the report, the flags and the exit codes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.package.build import create_package
from archiver.recheck.facts import PackageFacts, SourceFacts
from archiver.recheck.text_diff import MAX_PASSAGES, MAX_ROWS, compare_texts
from archiver.recheck.verdicts import compare_source
from archiver.schema_files import load_schema
from tests.changing_site import ChangingSite
from tests.conftest import assert_standard_tools_accept, fast_settings

CHANGING = ["/same.html", "/markup.html", "/edited.html", "/report.pdf", "/moved.html",
            "/deleted-404.html", "/deleted-410.html", "/paywalled.html", "/login-walled.html",
            "/forbidden.html"]


@dataclass
class Rechecked:
    original: Path
    output: Path
    code: int
    report: dict[str, Any]
    stderr: str
    urls: dict[str, str]
    """Each path of the site (and "refused") by its URL."""

    def verdict(self, path: str) -> dict[str, Any]:
        [found] = [s for s in self.report["sources"] if self.urls[s["url"]] == path]
        return found


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def rechecked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rechecked]:
    """One capture of every changing source (and one on a server that then goes away),
    the site changed, one recheck with --json."""
    root = tmp_path_factory.mktemp("recheck")
    with pytest.MonkeyPatch.context() as patch, ChangingSite() as site, \
            ChangingSite() as doomed:
        patch.setenv("XDG_CONFIG_HOME", str(root / "config"))
        urls = {site.url(path): path for path in CHANGING}
        urls[doomed.url("/same.html")] = "refused"
        original = root / "original"
        create_package(list(urls), original, settings=fast_settings(retries=0))
        site.change()
        doomed.stop()
        code, out, err = run("recheck", str(original), "-o", str(root / "new"), "--json")
    yield Rechecked(original, root / "new", code, json.loads(out), err, urls)


@pytest.mark.parametrize(("path", "verdict", "basis"), [
    ("/same.html", "unchanged", "payload"),
    ("/markup.html", "unchanged", "text"),
    ("/edited.html", "changed", None),
    ("/report.pdf", "changed", None),
    ("/moved.html", "moved", None),
    ("/deleted-404.html", "gone", None),
    ("/deleted-410.html", "gone", None),
    ("refused", "gone", None),
    ("/paywalled.html", "walled", None),
    ("/login-walled.html", "walled", None),
    ("/forbidden.html", "walled", None),
])
def test_each_source_gets_its_verdict(rechecked: Rechecked, path: str, verdict: str,
                                      basis: str | None) -> None:
    found = rechecked.verdict(path)
    assert (found["verdict"], found["basis"]) == (verdict, basis), found["reason"]
    assert found["counted"] == (verdict != "unchanged")


def test_a_recheck_with_changes_exits_1_and_counts_them(rechecked: Rechecked) -> None:
    assert rechecked.code == 1, rechecked.stderr
    assert rechecked.report["summary"] == {"sources": 11, "unchanged": 2, "changed": 2,
                                           "moved": 1, "gone": 3, "walled": 3, "error": 0,
                                           "problems": 9}


def test_an_edited_text_names_the_passages_removed_and_added(rechecked: Rechecked) -> None:
    found = rechecked.verdict("/edited.html")
    text = found["text"]
    assert 0 < text["share_changed"] < 0.5
    assert any("11,240" in passage for passage in text["removed"])
    assert any("9,800" in passage for passage in text["added"])
    assert any(passage.startswith("An audit published in February") for passage in
               text["removed"])
    assert any("refunds would begin next month" in passage for passage in text["added"])
    assert {"field": "title", "before": "Meters under review",
            "after": "Meters under review: refunds promised"} in found["metadata_changes"]


def test_a_pdf_replaced_behind_the_same_url_names_the_page_that_changed(
        rechecked: Rechecked) -> None:
    found = rechecked.verdict("/report.pdf")
    assert found["new_file"]
    assert found["pdf"] == {"pages_before": 3, "pages_after": 3, "pages_changed": [2],
                            "pages_removed": [], "pages_added": []}
    assert "pages changed: 2" in found["reason"]
    assert any("none confirmed" in passage for passage in found["text"]["added"])


def test_moved_and_walled_say_where_and_why(rechecked: Rechecked) -> None:
    moved = rechecked.verdict("/moved.html")
    assert moved["moved_to"].endswith("/new-home/moved.html")
    paywall = rechecked.verdict("/paywalled.html")
    assert any("Subscribe to continue reading" in signal for signal in paywall["wall"])
    assert any("paywall element" in signal for signal in paywall["wall"])
    login = rechecked.verdict("/login-walled.html")
    assert any("/account/login" in signal for signal in login["wall"])
    assert "403" in rechecked.verdict("/forbidden.html")["reason"]
    assert "refused" in rechecked.verdict("refused")["reason"]


def test_the_new_package_is_evidence_that_names_the_original(rechecked: Rechecked) -> None:
    assert_standard_tools_accept(rechecked.output)
    code, out, err = run("verify", str(rechecked.output))
    assert code == 0, out + err
    manifest = json.loads((rechecked.output / "manifest.json").read_text("utf-8"))
    original = json.loads((rechecked.original / "manifest.json").read_text("utf-8"))
    tags = (rechecked.original / "tagmanifest-sha256.txt").read_bytes()
    assert manifest["recheck_of"] == {
        "package_id": original["package_id"], "created": original["created"],
        "tag_manifest_sha256": hashlib.sha256(tags).hexdigest(), "name": "original",
        "story": False, "report": "data/recheck.json"}
    assert manifest["settings"] == original["settings"]  # fetched again the same way
    stored = json.loads((rechecked.output / "data" / "recheck.json").read_text("utf-8"))
    jsonschema.validate(stored, load_schema("recheck"))
    jsonschema.validate(rechecked.report, load_schema("recheck"))
    assert stored["sources"] == rechecked.report["sources"]
    assert stored["package_id"] == manifest["package_id"]
    paths = {entry["path"] for entry in manifest["files"]}
    assert {"data/recheck.json", "data/recheck.html", "data/recheck.md"} <= paths


def test_each_verdict_rests_on_records_of_both_packages(rechecked: Rechecked) -> None:
    found = rechecked.verdict("/edited.html")
    original = json.loads((rechecked.original / "manifest.json").read_text("utf-8"))
    new = json.loads((rechecked.output / "manifest.json").read_text("utf-8"))
    assert found["before"]["record"] in [s["record"] for s in original["sources"]]
    assert found["after"]["record"] in [s["record"] for s in new["sources"]]
    assert found["before"]["payload_sha256"] != found["after"]["payload_sha256"]


def test_the_side_by_side_view_highlights_and_escapes(rechecked: Rechecked) -> None:
    html = (rechecked.output / "data" / "recheck.html").read_text("utf-8")
    assert "<del>11,240</del>" in html and "<ins>9,800</ins>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html and "<script" not in html
    assert "default-src 'none'" in html
    links = set(re.findall(r'href="#(source-\d+)"', html))
    assert len(links) == 2 and links == set(re.findall(r'id="(source-\d+)"', html))
    markdown = (rechecked.output / "data" / "recheck.md").read_text("utf-8")
    assert "~~11,240~~" in markdown and "**9,800**" in markdown
    assert "\\<img" in markdown and not re.search(r"(?<!\\)<img", markdown)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ChangingSite]]:
    """A package of an unchanged page, a restyled one and a moved one, the site changed."""
    root = tmp_path_factory.mktemp("small")
    with pytest.MonkeyPatch.context() as patch, ChangingSite() as site:
        patch.setenv("XDG_CONFIG_HOME", str(root / "config"))
        create_package([site.url(p) for p in ("/same.html", "/markup.html", "/moved.html")],
                       root / "pkg", settings=fast_settings())
        site.change()
        yield root, site


@pytest.mark.parametrize(("flags", "code"), [
    ([], 1), (["--ignore-moved"], 0), (["--ignore-moved", "--exact"], 1)])
def test_flags_say_what_counts(small: tuple[Path, ChangingSite], tmp_path: Path,
                               flags: list[str], code: int) -> None:
    root, _ = small
    found, out, err = run("recheck", str(root / "pkg"), "-o", str(tmp_path / "new"), *flags)
    assert found == code, out + err
    assert "3 sources: 2 unchanged, 1 moved" in out


def test_a_directory_of_packages_ends_with_one_table(small: tuple[Path, ChangingSite],
                                                     tmp_path: Path) -> None:
    root, site = small
    folder = tmp_path / "packages"
    folder.mkdir()
    shutil.copytree(root / "pkg", folder / "a")
    create_package([site.url("/same.html")], folder / "b", settings=fast_settings())
    code, out, err = run("recheck", str(folder), "-o", str(tmp_path / "rechecks"))
    assert code == 1, out + err
    lines = out.splitlines()
    assert lines[0].split() == ["package", "sources", "unchanged", "changed", "moved", "gone",
                                "walled", "error", "result"]
    assert lines[2].split() == ["a", "3", "2", "0", "1", "0", "0", "0", "problems", "found"]
    assert lines[3].split() == ["b", "1", "1", "0", "0", "0", "0", "0", "ok"]
    code, out, _ = run("verify", str(tmp_path / "rechecks" / "a"),
                       str(tmp_path / "rechecks" / "b"))
    assert code == 0, out
    code, out, _ = run("recheck", str(folder), "-o", str(tmp_path / "again"), "--json",
                       "--ignore-moved")
    assert code == 0
    report = json.loads(out)
    assert [entry["summary"]["problems"] for entry in report["packages"]] == [0, 0]
    for entry in report["packages"]:
        jsonschema.validate(entry["recheck"], load_schema("recheck"))


def test_a_damaged_original_is_refused_and_nothing_is_written(
        small: tuple[Path, ChangingSite], tmp_path: Path) -> None:
    root, _ = small
    damaged = tmp_path / "damaged"
    shutil.copytree(root / "pkg", damaged)
    warc = next((damaged / "data" / "warc").glob("*.warc.gz"))
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    code, _, err = run("recheck", str(damaged), "-o", str(tmp_path / "new"))
    assert code == 1, err
    assert "[file-digest-mismatch]" in err and "not rechecked" in err
    assert not (tmp_path / "new").exists()
    assert list(tmp_path.iterdir()) == [damaged]


def test_usage_errors_exit_2(small: tuple[Path, ChangingSite], tmp_path: Path) -> None:
    root, _ = small
    code, _, err = run("recheck", str(root / "pkg"))
    assert code == 2 and "-o NEW" in err
    code, _, err = run("recheck", str(root / "pkg"), "-o", str(tmp_path))
    assert code == 2 and "already exists" in err
    code, _, err = run("recheck", str(root / "pkg"), "-o", str(root / "pkg" / "data" / "x"))
    assert code == 2 and "inside the package rechecked" in err
    assert not (root / "pkg" / "data" / "x").exists()
    code, _, err = run("recheck", str(tmp_path), "-o", str(tmp_path / "out"))
    assert code == 2 and "no evidence packages" in err
    code, _, err = run("recheck", str(tmp_path / "nothing"), "-o", str(tmp_path / "out"))
    assert code == 2 and "no such" in err


# -- the text comparison, on its own -----------------------------------------------------------


def test_a_huge_text_is_compared_within_its_caps() -> None:
    before = "\n".join(f"Paragraph {n} says the figure is {n}." for n in range(30_000))
    after = "\n".join(f"Paragraph {n} says the figure is {n + 1}." for n in range(30_000))
    change = compare_texts(before, after)
    assert change.capped
    assert len(change.rows) <= MAX_ROWS
    assert len(change.removed) <= MAX_PASSAGES and change.omitted_passages > 0
    assert change.share_changed > 0


def test_typographic_variants_and_line_breaks_are_no_change() -> None:
    change = compare_texts("It\u2019s \u201cfine\u201d \u2014 really.\n\nNext.",
                           "It's \"fine\" - really.\nNext.")
    assert change.is_same and change.share_changed == 0


# -- verdicts on failures that cannot be staged on 127.0.0.1 alone ------------------------------


def facts(**values: Any) -> SourceFacts:
    return SourceFacts(**{"requested_url": "https://example.org/a", "outcome": "captured",
                          "status": 200, "final_url": "https://example.org/a",
                          "payload_sha256": "1" * 64, **values})


@pytest.mark.parametrize(("after", "verdict"), [
    (facts(outcome="failed", status=None, reason="host name could not be resolved"), "gone"),
    (facts(outcome="failed", status=None, reason="connection refused"), "gone"),
    (facts(outcome="failed", status=None, reason="timed out while waiting for the response"),
     "error"),
    (facts(status=500, payload_sha256="2" * 64), "error"),
    (facts(status=451, payload_sha256="2" * 64), "error"),
    (facts(status=402, payload_sha256="2" * 64), "walled"),
    (facts(status=200, redirects=["https://example.org/a", "https://consent.example.net/"],
           final_url="https://consent.example.net/"), "walled"),
    (facts(status=200, redirects=["https://example.org/a", "https://example.org/b"],
           final_url="https://example.org/b"), "moved"),
])
def test_what_a_source_answers_now_gives_its_verdict(after: SourceFacts, verdict: str,
                                                     tmp_path: Path) -> None:
    package = PackageFacts(tmp_path, {"sources": [], "resources": []})
    assert compare_source(facts(), after, package, package).verdict == verdict
