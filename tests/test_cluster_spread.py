"""verify and extract on a Dask cluster (issue 16 §2), and extract --format parquet: a real
LocalCluster of two worker processes, real packages and WARCs, pyarrow reading the Parquet
back as a researcher's tools would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.extract.parquet_output import COLUMNS, ROWS_PER_GROUP, parquet_schema

pq = pytest.importorskip("pyarrow.parquet")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _damaged_copy(package: Path, where: Path) -> Path:
    copy = where / "damaged"
    shutil.copytree(package, copy)
    warc = next((copy / "data" / "warc").glob("*.warc.gz"))
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    return copy


def _verdicts(out: str) -> list[tuple[str, bool, str, list[Any]]]:
    return [(report["path"], report["valid"], report["verdict"], report["problems"])
            for report in json.loads(out)]


def test_verify_on_the_cluster_reports_as_a_local_run(cluster: Any, sample_package: Path,
                                                      tmp_path: Path) -> None:
    damaged = _damaged_copy(sample_package, tmp_path)
    warc = next((sample_package / "data" / "warc").glob("*.warc.gz"))
    paths = [str(sample_package), str(damaged), str(warc)]
    local = run("verify", *paths, "--json")
    spread = run("verify", *paths, "--json", "--cluster", cluster.scheduler.address)
    assert local[0] == spread[0] == 1
    assert _verdicts(spread[1]) == _verdicts(local[1])
    assert [valid for _, valid, _, _ in _verdicts(spread[1])] == [True, False, True]


def test_verify_on_the_cluster_names_a_path_that_is_not_evidence(cluster: Any,
                                                                sample_package: Path,
                                                                tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("not evidence\n", encoding="utf-8")
    code, out, err = run("verify", str(stray), str(sample_package), "--cluster",
                         cluster.scheduler.address)
    assert code == 2
    assert err.startswith(f"archiver: {stray}: ")
    assert "intact" in out


def test_extract_on_the_cluster_writes_what_a_local_run_writes(cluster: Any,
                                                               sample_package: Path,
                                                               tmp_path: Path) -> None:
    page = Path(__file__).parent.parent / "fixtures" / "site" / "index.html"
    paths = [str(sample_package), str(page)]
    local_out, spread_out = tmp_path / "local", tmp_path / "spread"
    local = run("extract", *paths, "-o", str(local_out))
    spread = run("extract", *paths, "-o", str(spread_out), "--cluster",
                 cluster.scheduler.address, "--json")
    assert spread[0] == local[0] == 0, spread[2]
    assert sorted(p.name for p in spread_out.iterdir()) == sorted(
        p.name for p in local_out.iterdir())
    for path in local_out.glob("*.txt"):
        assert (spread_out / path.name).read_bytes() == path.read_bytes()
    summaries = json.loads(spread[1])
    assert len(summaries) == len(list(local_out.glob("*.json")))


def _local_documents(package: Path) -> list[dict[str, Any]]:
    code, out, _ = run("extract", str(package), "--json")
    assert code == 0
    documents: list[dict[str, Any]] = json.loads(out)
    return documents


def test_parquet_has_the_documented_columns_and_one_row_per_document(
        sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, err = run("extract", str(sample_package), "-o", str(out), "--format", "parquet")
    assert code == 0, err
    [part] = out.iterdir()
    assert part.name == "part-00000.parquet"
    assert pq.read_schema(part).equals(parquet_schema())
    assert [field.name for field in pq.read_schema(part)] == [name for name, _, _ in COLUMNS]
    rows = pq.read_table(part).to_pylist()
    documents = _local_documents(sample_package)
    assert [(row["source_url"], row["record_id"], row["title"], row["text"], row["package"])
            for row in rows] == [
        (doc["source"]["url"], doc["source"]["record"]["record_id"], doc["title"], doc["text"],
         str(sample_package)) for doc in documents]
    html = next(row for row in rows if row["kind"] == "html")
    assert html["visible_text"] and len(html["visible_text"]) >= len(html["text"])


def test_parquet_is_written_in_row_groups(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    count = ROWS_PER_GROUP + 5
    out = tmp_path / "out"
    from archiver.extract.api import extract
    from archiver.extract.parquet_output import ParquetWriter

    (pages / "page.html").write_text("<title>T</title><p>words here</p>", encoding="utf-8")
    [extraction] = list(extract(pages / "page.html"))
    out.mkdir()
    writer = ParquetWriter(out / "part-00000.parquet")
    for _ in range(count):
        writer.write(extraction, "pages")
    writer.close()
    metadata = pq.ParquetFile(out / "part-00000.parquet").metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (count, 2)


def test_parquet_on_the_cluster_is_one_part_per_input(cluster: Any, sample_package: Path,
                                                      tmp_path: Path) -> None:
    page = Path(__file__).parent.parent / "fixtures" / "site" / "index.html"
    out = tmp_path / "out"
    code, _, err = run("extract", str(sample_package), str(page), "-o", str(out), "--format",
                       "parquet", "--cluster", cluster.scheduler.address)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet",
                                                     "part-00001.parquet"]
    table = pq.read_table(out)  # the folder, read as one table
    assert table.schema.equals(parquet_schema())
    assert table.num_rows == len(_local_documents(sample_package)) + 1


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "parquet"], "archiver: --format parquet writes its documents into a folder: "
                              "give -o OUT"),
    (["--format", "xml", "-o", "out"], "archiver: --format xml: give json or parquet"),
    (["--cluster", "local:1"], "archiver: --cluster writes its documents into a folder: give "
                               "-o OUT"),
])
def test_extract_output_usage_errors(sample_package: Path, args: list[str],
                                     message: str) -> None:
    code, _, err = run("extract", str(sample_package), *args)
    assert (code, err.strip()) == (2, message)


def test_paths_relative_to_the_drivers_folder_reach_the_workers(
        cluster: Any, sample_package: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's working directory is its own: `verify pkg` and `extract pkg -o out` typed
    in the driver's folder must reach the same files on the workers (shared storage is
    mounted at the same path), and the report names each input as it was typed."""
    shutil.copytree(sample_package, tmp_path / "pkg")
    warc = bytearray(next((sample_package / "data" / "warc").glob("*.warc.gz")).read_bytes())
    warc[len(warc) // 2] ^= 0xFF
    (tmp_path / "one.warc.gz").write_bytes(bytes(warc))
    monkeypatch.chdir(tmp_path)
    address = cluster.scheduler.address
    code, out, err = run("verify", "pkg", "one.warc.gz", "--json", "--cluster", address)
    assert code == 1, err
    assert _verdicts(out) == _verdicts(run("verify", "pkg", "one.warc.gz", "--json")[1])
    assert [path for path, *_ in _verdicts(out)] == ["pkg", "one.warc.gz"]
    assert {problem["path"] for problem in _verdicts(out)[1][3]} == {"one.warc.gz"}
    code, _, err = run("extract", "pkg", "-o", "out", "--cluster", address)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json"))
