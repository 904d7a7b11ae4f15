"""The record that keeps an origin's provenance: a `metadata` record holding, as JSON, the
addresses its name resolved to, the one connected to and, over TLS, the session and the
certificate chain the server presented (archiver/capture/provenance.py makes the JSON).

It is written with the first exchange made over the connection it describes, and names that
exchange's response record in WARC-Concurrent-To: the lookup and the handshake were part of
that capture. Its target URI is its own (`urn:archiver:provenance:<uuid of the response>`),
never the origin's URL: pywb indexes metadata records by target URI, and a JSON document
must never replay in place of a site's home page. WARC-IP-Address is the address used.
"""

from __future__ import annotations

import hashlib

from archiver.provenance_format import PROVENANCE_TYPE
from archiver.warc.records import PreparedRecord, new_record_id, prepare_record, sha256_label


def provenance_record(body: bytes, *, concurrent_to: str, date: str, ip_address: str | None,
                      gzip_level: int) -> PreparedRecord:
    """A `metadata` record holding `body` (an origin's provenance JSON), made in the same
    capture as the response record `concurrent_to`."""
    response_uuid = concurrent_to.strip("<>").rsplit(":", 1)[-1]
    return prepare_record(
        [
            ("WARC-Type", "metadata"),
            ("WARC-Record-ID", new_record_id()),
            ("WARC-Date", date),
            ("WARC-Target-URI", f"urn:archiver:provenance:{response_uuid}"),
            ("WARC-Concurrent-To", concurrent_to),
            ("WARC-IP-Address", ip_address),
            ("Content-Type", PROVENANCE_TYPE),
            # Like every record we write that is not HTTP: the block is the payload.
            ("WARC-Block-Digest", sha256_label(hashlib.sha256(body).hexdigest())),
        ],
        body,
        len(body),
        gzip_level=gzip_level,
    )
