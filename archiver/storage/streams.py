"""Reading one text object from storage as it goes, a line at a time, never held whole: the
URL list of a cluster capture (`capture -i s3://bucket/urls.txt --cluster ADDR`), which may
run to millions of lines.

The object is found before anything starts (a missing one, or a bucket that is not there,
is the same error as for any other read); a storage failure while it is read is one
EnvironmentFault naming its URL.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from pathlib import Path

from archiver.errors import InputNotFoundError
from archiver.storage.locations import url_name
from archiver.storage.stores import open_store, storage_errors
from archiver.storage.transfer import PART


def object_lines(url: str, encoding: str = "utf-8-sig") -> Generator[str, None, None]:
    """The lines of the object at `url`, read in ranged reads of PART bytes as they are
    wanted. Raises InputNotFoundError (no object there), StorageMissing, EnvironmentFault
    at once; EnvironmentFault (the storage failed) or UnicodeDecodeError while reading."""
    store = open_store(url)
    with storage_errors(url):
        store.fs.invalidate_cache()
        if not store.fs.isfile(store.path):
            # Listed, as download() lists it: a bucket that is not there, or credentials
            # refused, fail here with the same line as any other read.
            if store.fs.find(store.path):
                raise InputNotFoundError(Path(url_name(url)), f"file at {url} (a prefix "
                                         "holding objects is there)")
            raise InputNotFoundError(Path(url_name(url)), f"object or package at {url}")
        handle = store.fs.open(store.path, "rb", block_size=PART)
    return _lines(url, io.TextIOWrapper(handle, encoding=encoding))


def _lines(url: str, text: io.TextIOWrapper) -> Generator[str, None, None]:
    with storage_errors(url), text:
        yield from text
