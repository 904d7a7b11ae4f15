"""`--dedup collection.db`: before a response is written, its payload's SHA-256 is looked up
in a collection (`archiver index`); when a package of it holds that payload already, the
response is written as a revisit record referring to it, and its payload is not stored again
(as Heritrix and Browsertrix do). The payload is still fetched whole: that is how its digest
is known."""

from __future__ import annotations

import threading
from pathlib import Path

from archiver.capture.results import PayloadLookup, RevisitOf
from archiver.errors import CollectionUnreadable, InputNotFoundError, TextIndexError
from archiver.regular_files import is_regular_file
from archiver.textsearch.collection import Collection


def payload_lookup(path: Path) -> PayloadLookup:
    """A lookup into the collection at `path` (opened now, read-only; read from the capture's
    worker threads, each with its own connection)."""
    if not path.exists():
        raise InputNotFoundError(path, "collection (--dedup)")
    if not is_regular_file(path):
        raise CollectionUnreadable(str(path), "not a regular file")
    try:
        Collection(path).close()
    except TextIndexError as error:
        raise CollectionUnreadable(str(path), f"{error.reason}; --dedup takes a collection "
                                   "made by `archiver index`") from None

    opened = threading.local()  # a connection per thread, opened once, not per response

    def lookup(payload_sha256: str, url: str) -> RevisitOf | None:
        collection = getattr(opened, "collection", None)
        if collection is None:
            collection = opened.collection = Collection(path)
        found = collection.with_payload(payload_sha256)
        # The same URL's capture first (what replay tools look up), else the oldest.
        chosen = next((source for source in found if source.url == url),
                      found[0] if found else None)
        if chosen is None or chosen.record_id is None or chosen.captured_at is None:
            return None
        return RevisitOf(chosen.package, chosen.record_id, chosen.url or url,
                         chosen.captured_at, chosen.warc_file)

    return lookup
