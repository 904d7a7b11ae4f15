"""Where attestations sit in a package: beside the bag, in `attestations/`, never in it.

    attestations/
      signature-<FP16>.sig        ECDSA P-256 signature (DER) over the bytes of
                                  tagmanifest-sha256.txt, i.e. over its SHA-256
      signature-<FP16>.pub.pem    the signer's public key
      signature-<FP16>.json       when, by whom, with what software (schemas/signature.schema.json)
      timestamps/<NN>-<tsa>.tsr   an RFC 3161 TimeStampResp (DER), exactly as the TSA sent it
      timestamps/<NN>-<tsa>.json  which file of the package it stamps, the TSA's URL, when asked
      timestamps/renewal-<NN>.txt for a renewal: `<sha256>  <path>` of every earlier attestation
                                  file, the file the renewing token stamps
      custody/<NNNNNN>.json       one custody-log entry per file, each naming the SHA-256 of the
                                  previous entry (schemas/custody-entry.schema.json)
      custody/<NNNNNN>.sig        its signature (DER) when a key was set

<FP16> is the first 16 hex digits of the signer's key fingerprint. Every file here can be
checked without archiver:
    openssl dgst -sha256 -verify attestations/signature-X.pub.pem \
        -signature attestations/signature-X.sig tagmanifest-sha256.txt
    openssl ts -verify -in attestations/timestamps/01-tsa.tsr \
        -data attestations/signature-X.sig -CAfile ROOTS.pem

The bag's tag manifest does not list these files (they are added after the seal; bagit.py
accepts unlisted files outside data/), and adding one never changes a byte of the bag.
"""

from __future__ import annotations

import re

ATTESTATIONS_DIR = "attestations"
TIMESTAMPS_DIR = f"{ATTESTATIONS_DIR}/timestamps"
CUSTODY_DIR = f"{ATTESTATIONS_DIR}/custody"

SIGNATURE_FILE = re.compile(r"signature-([0-9A-F]{16})\.(sig|pub\.pem|json)")
"""The name of a signer's file in attestations/: group 1 its FP16, group 2 its kind."""
CUSTODY_FILE = re.compile(r"(\d{6})\.(json|sig)")
"""The name of a custody entry or its signature in custody/: group 1 its number."""


def signature_stem(fingerprint: str) -> str:
    """The common path of a signer's three files, without suffix.

    >>> signature_stem("3F2A9C00112233445566778899AABBCCDDEEFF00112233445566778899AABBCC")
    'attestations/signature-3F2A9C0011223344'
    """
    return f"{ATTESTATIONS_DIR}/signature-{fingerprint[:16].upper()}"


def custody_entry(sequence: int) -> str:
    """The path of custody entry number `sequence` (from 1).

    >>> custody_entry(1)
    'attestations/custody/000001.json'
    """
    return f"{CUSTODY_DIR}/{sequence:06d}.json"
