"""A URL list read as it goes, never held whole, cut into batches for the workers."""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from archiver.errors import ArchiverUsageError, InputNotFoundError
from archiver.storage.locations import is_storage_url, local_path

BATCH_SIZE = 40
"""URLs a worker takes at a time: enough that a batch's fetches keep the host's leases busy
and that a requisite shared by many pages (fetched once per batch) is not fetched too often,
few enough that a lost worker costs little to redo and that the last batches spread over the
workers (on the bench site, 40 took 6.1 s where 15 took 7.0 and 60 took 6.4:
bench/RESULTS.md)."""


def url_lines(lines: Iterable[str]) -> Iterator[str]:
    """The URLs among `lines`: one a line; blank lines and # comments are skipped.

    >>> list(url_lines(["# sources", "https://a.example/ # the report", "", "b.example"]))
    ['https://a.example/', 'b.example']
    """
    for line in lines:
        url = line.split(" #", 1)[0].strip()
        if url and not url.startswith("#"):
            yield url


def stream_url_list(given: Path | str) -> Iterator[str]:
    """The URLs of a list file (a path, or a storage URL such as s3://bucket/urls.txt), read
    a line at a time. The file is opened at once (a missing file is an error before anything
    starts); a line that is not UTF-8 stops the stream with a usage error naming the line."""
    if isinstance(given, str) and is_storage_url(given):
        from archiver.storage.streams import object_lines

        return _read(object_lines(given), given)
    path = local_path(given) if isinstance(given, str) else given
    try:
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputNotFoundError(path) from None
    except IsADirectoryError:
        raise InputNotFoundError(path, "file (it is a directory)") from None
    return _read(_closing_lines(handle), path)


def _closing_lines(handle: TextIO) -> Generator[str, None, None]:
    with handle:
        yield from handle


def _read(lines: Generator[str, None, None], name: Path | str) -> Iterator[str]:
    number = 0
    try:
        for number, line in enumerate(lines, start=1):  # noqa: B007 (named in the error)
            yield from url_lines([line])
    except UnicodeDecodeError:
        raise ArchiverUsageError(f"{name}: not a text file of URLs (line {number + 1} is "
                                 "not UTF-8)") from None
    finally:
        lines.close()  # the file, or the storage's connection, as soon as this stops


def batches(urls: Iterable[str], size: int) -> Iterator[list[str]]:
    """`urls` in lists of at most `size`, in order.

    >>> list(batches("abcde", 2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    iterator = iter(urls)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
