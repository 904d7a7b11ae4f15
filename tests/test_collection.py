"""`archiver index` and `archiver search`: packages captured from the test site on 127.0.0.1
put into one collection, searched, rebuilt, added to, interrupted; the packages themselves
compared byte for byte before and after."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.collection.build import index_packages
from archiver.errors import CollectionUnreadable
from archiver.schema_files import load_schema
from archiver.textsearch.collection import Collection
from tests.server import SiteServer

runner = CliRunner()
PAGES_A = ["/story/water-meters.html", "/sources/council-minutes-2019.html"]
PAGES_B = ["/sources/smartflow-field-memos.html", "/sources/smartflow-press-release.html"]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="module")
def packages(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding two packages (a, b)."""
    root = tmp_path_factory.mktemp("collection") / "evidence"
    for name, pages in (("a", PAGES_A), ("b", PAGES_B)):
        code, out = run("capture", *[site.url(page) for page in pages], "-o",
                        str(root / name), "--allow-private", "--no-requisites")
        assert code == 0, out
    return root


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under `root`: its SHA-256 and modification time."""
    return {str(path.relative_to(root)): (hashlib.sha256(path.read_bytes()).hexdigest(),
                                          path.stat().st_mtime_ns)
            for path in sorted(root.rglob("*")) if path.is_file()}


def search(collection: Path, query: str, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out = run("search", str(collection), query, "--json", *extra)
    return code, json.loads(out) if out.strip() else {}


def test_index_and_search_across_packages(packages: Path, tmp_path: Path) -> None:
    before = snapshot(packages)
    collection = tmp_path / "collection.db"
    code, out = run("index", str(packages), "-o", str(collection), "--json")
    assert code == 0, out
    summary = json.loads(out)
    jsonschema.validate(summary, load_schema("collection-index"))
    assert len(summary["added"]) == 2 and summary["problems"] == []
    assert snapshot(packages) == before  # only read

    # a phrase of one package's page, words of the other's
    code, answer = search(collection, '"supply valve"')
    assert code == 0 and answer["found"]
    jsonschema.validate(answer, load_schema("search"))
    urls = {match["url"] for match in answer["matches"]}
    assert any(url.endswith("/story/water-meters.html") for url in urls)
    manifest_a = json.loads((packages / "a" / "manifest.json").read_text())
    first = next(m for m in answer["matches"] if m["url"].endswith("water-meters.html"))
    resource = next(r for r in manifest_a["resources"] if r["url"] == first["url"])
    assert first["package"] == manifest_a["package_id"]
    assert first["record_id"] == resource["record"]["record_id"]
    assert first["captured_at"] == resource["captured_at"]
    assert first["payload_sha256"] == resource["payload_sha256"]
    assert first["package_path"] == str((packages / "a").resolve())
    assert "supply valve" in first["snippet"].lower()
    text = (packages / "a" / first["text_file"]).read_text(encoding="utf-8")
    if first["layer"] == "text":
        assert text[first["start"]:first["end"]].lower().split() == ["supply", "valve"]

    code, answer = search(collection, "smartflow memo")
    assert code == 0
    assert any(m["url"].endswith("smartflow-field-memos.html") for m in answer["matches"])
    # every plain word must match: a word no text has finds nothing
    code, answer = search(collection, "smartflow zzyzxquux")
    assert code == 1 and answer["matches"] == []
    # one document per source, however many of its texts match
    code, answer = search(collection, "water", "--limit", "50")
    keys = [(m["package"], m["url"]) for m in answer["matches"]]
    assert len(keys) == len(set(keys)) >= 3
    code, answer = search(collection, "water", "--limit", "1")
    assert len(answer["matches"]) == 1


def test_phrase_order_matters_and_query_syntax_is_not_fts(packages: Path,
                                                           tmp_path: Path) -> None:
    collection = tmp_path / "c.db"
    assert index_packages([packages], collection).problems == []
    assert search(collection, '"supply valve"')[0] == 0
    assert search(collection, '"valve supply"')[0] == 1
    # FTS5's own operators and specials are words like any other, never syntax
    for query in ('water OR', 'NEAR(water meter)', 'wat*', 'x -water', 'words: water',
                  "water ^meter", "AND", "a'b"):
        code, out = run("search", str(collection), query)
        assert code in (0, 1), (query, out)
    assert run("search", str(collection), '"')[0] == 2


def test_rebuilding_gives_the_same_answers(packages: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    index_packages([packages], one)
    index_packages([packages / "a", packages / "b"], two)
    for query in ("water", '"supply valve"', "council meter", "smartflow"):
        assert search(one, query, "--limit", "100") == search(two, query, "--limit", "100")


def test_indexing_again_adds_only_what_is_new(packages: Path, tmp_path: Path) -> None:
    collection = tmp_path / "c.db"
    first = index_packages([packages / "a"], collection)
    assert len(first.added) == 1
    count_a = first.documents
    before = (collection.read_bytes(), collection.stat().st_mtime_ns)
    again = index_packages([packages / "a"], collection)
    assert again.added == [] and len(again.unchanged) == 1 and again.documents == count_a
    assert (collection.read_bytes(), collection.stat().st_mtime_ns) == before  # untouched
    both = index_packages([packages], collection)
    assert len(both.added) == 1 and len(both.unchanged) == 1
    fresh = index_packages([packages], tmp_path / "fresh.db")
    assert both.documents == fresh.documents > count_a
    for query in ("water", "smartflow"):
        assert search(collection, query)[1] == search(tmp_path / "fresh.db", query)[1]


def test_a_package_resealed_replaces_its_old_rows(packages: Path, tmp_path: Path) -> None:
    """Same package id, another seal: its rows are replaced, not doubled."""
    copy = tmp_path / "a"
    shutil.copytree(packages / "a", copy)
    collection = tmp_path / "c.db"
    index_packages([copy], collection)
    words_before = search(collection, "water", "--limit", "100")[1]
    with (copy / "tagmanifest-sha256.txt").open("a") as handle:
        handle.write("\n")  # another seal (the texts are unchanged)
    summary = index_packages([copy], collection)
    assert len(summary.added) == 1
    assert search(collection, "water", "--limit", "100")[1] == words_before
    with Collection(collection) as reader:
        assert len(reader.packages()) == 1


def test_an_interrupted_run_leaves_the_collection_as_it_was(packages: Path,
                                                            tmp_path: Path) -> None:
    collection = tmp_path / "c.db"
    index_packages([packages / "a"], collection)
    before = collection.read_bytes()

    def interrupt(number: int, total: int, path: str) -> None:
        if number == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_packages([packages], collection, progress=interrupt)
    assert collection.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.db"]
    # nothing half written, and a new collection interrupted is no collection at all
    with pytest.raises(KeyboardInterrupt):
        index_packages([packages], tmp_path / "new.db", progress=interrupt)
    assert not (tmp_path / "new.db").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.db"]


def test_a_damaged_package_is_named_and_the_others_are_indexed(packages: Path,
                                                                tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(packages, evidence)
    text = next((evidence / "b" / "data" / "extract").glob("*.txt"))
    text.write_bytes(b"\xff\xfe not UTF-8")
    collection = tmp_path / "c.db"
    code, out = run("index", str(evidence), "-o", str(collection), "--json")
    assert code == 1
    summary = json.loads(out)
    assert len(summary["added"]) == 1
    [problem] = summary["problems"]
    assert problem["path"].endswith("b") and "not UTF-8" in problem["reason"]
    assert search(collection, '"supply valve"')[0] == 0
    assert search(collection, "memo smartflow")[0] == 1  # none of b's rows were kept


def test_usage_and_unreadable_collections(packages: Path, tmp_path: Path) -> None:
    collection = tmp_path / "c.db"
    index_packages([packages / "a"], collection)
    assert run("search", str(collection), "  ...  ")[0] == 2
    assert run("search", str(collection), "water", "--limit", "0")[0] == 2
    assert run("search", str(tmp_path / "missing.db"), "water")[0] == 2
    given_a_package = runner.invoke(app, ["search", str(packages / "a"), "water"])
    assert given_a_package.exit_code == 2
    assert "not a collection" in given_a_package.stderr
    assert "archiver quote" in given_a_package.stderr
    assert run("index", str(tmp_path / "missing"), "-o", str(tmp_path / "x.db"))[0] == 2
    (tmp_path / "empty").mkdir()
    assert run("index", str(tmp_path / "empty"), "-o", str(tmp_path / "x.db"))[0] == 2
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("hello")
    result = runner.invoke(app, ["search", str(not_a_db), "water"])
    assert result.exit_code == 3 and "archiver index" in result.stderr
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('format', 'archiver-text-index/1')")
    assert run("search", str(other), "water")[0] == 3
    # a collection from elsewhere with a trigger (SQL that would run as rows are added) or
    # a view standing in for a table is refused, never written to
    for extra in ("CREATE TRIGGER t AFTER INSERT ON documents BEGIN DELETE FROM meta; END",
                  "CREATE VIEW v AS SELECT 1"):
        hostile = tmp_path / f"hostile-{extra.split()[1].lower()}.db"
        shutil.copyfile(collection, hostile)
        with contextlib.closing(sqlite3.connect(hostile)) as db:
            db.execute(extra)
            db.commit()
        before = hostile.read_bytes()
        result = runner.invoke(app, ["search", str(hostile), "water"])
        assert result.exit_code == 3 and "triggers or views" in result.stderr
        assert run("index", str(packages / "b"), "-o", str(hostile))[0] == 3
        assert hostile.read_bytes() == before
    # indexing into a file that is not a collection never overwrites it
    assert run("index", str(packages / "a"), "-o", str(not_a_db))[0] == 3
    assert not_a_db.read_text() == "hello"


def test_snippet_escapes_control_characters(packages: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(packages / "a", evidence / "a")
    text = next((evidence / "a" / "data" / "extract").glob("*.txt"))
    text.write_text("Hostile \x1b[31mred\x1b[0m water text\x07 here", encoding="utf-8")
    collection = tmp_path / "c.db"
    index_packages([evidence], collection)
    code, out = run("search", str(collection), "hostile")
    assert code == 0 and "\x1b" not in out and "\x07" not in out


def test_two_runs_on_one_collection_never_lose_a_package(packages: Path,
                                                         tmp_path: Path) -> None:
    """A run that finds the collection replaced by another run's work (renamed into place
    while it worked) keeps nothing and says so, rather than putting back what it copied."""
    collection = tmp_path / "c.db"
    index_packages([packages / "a"], collection)

    def another_run(number: int, total: int, path: str) -> None:
        if number == 1:
            assert index_packages([packages / "b"], collection).problems == []

    code = None
    try:
        index_packages([packages / "a", packages / "b"], collection, progress=another_run)
    except CollectionUnreadable as error:
        code = str(error)
    assert code is not None and "another run" in code
    assert search(collection, "memo smartflow")[0] == 0  # b, from the run that finished
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.db"]
