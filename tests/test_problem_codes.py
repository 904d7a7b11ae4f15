"""Problem and note codes are a closed set, documented one by one: the set in
archiver/verification/codes.py, the table in docs/package.md and the codes the code base
uses are the same."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from archiver.verification.codes import NOTE_CODES, PROBLEM_CODES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archiver"
CODES_MODULE = PACKAGE / "verification" / "codes.py"
CODE_SHAPE = re.compile(r"[a-z]+(?:-[a-z0-9]+)+|incomplete")
PRODUCERS = re.compile(r"\b(Problem|Note|Damage|UnreadableEvidence|DamageCode|RefusalCode|"
                       r"ProblemCode|NoteCode|UncoveredCode)\b")
NOT_CODES = frozenset({
    # header and field names, media types, profiles and the like, in the same modules
    "content-type", "content-encoding", "content-length", "transfer-encoding",
    "warc-block-digest", "warc-payload-digest", "warc-date", "warc-type", "warc-target-uri",
    "warc-ip-address", "warc-reader", "data-package", "wacz-package", "utf-8", "latin-1",
    # verdicts and coverage grades, which are not codes either
    "structure-checked", "cannot-be-verified", "payload-only", "no-digest", "structure-only",
    "not-proven",
    # statuses of attestation findings (archiver/attestation/findings.py), not problem codes
    "untrusted-key", "untrusted-authority", "wrong-imprint",
    # kinds of derived files (manifest.json), named where verify looks for their records
    "rendered-dom",
})
"""Strings of a code's shape that are not codes (words of WARC headers, WACZ profiles,
encodings, verdicts)."""


def documented_codes() -> list[str]:
    text = (ROOT / "docs" / "package.md").read_text("utf-8")
    section = text.split("### Problem and note codes\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.MULTILINE)


def code_literals() -> dict[str, set[str]]:
    """Every string of a code's shape in the modules that make problems or notes, with the
    modules it is in."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text("utf-8")
        if path == CODES_MODULE or not PRODUCERS.search(source):
            continue
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and CODE_SHAPE.fullmatch(node.value)):
                found.setdefault(node.value, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_code_is_documented_once_and_the_docs_name_no_other() -> None:
    documented = documented_codes()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(documented) == PROBLEM_CODES | NOTE_CODES


def test_every_code_the_code_base_uses_is_in_the_set() -> None:
    used = {code for code in code_literals() if code not in NOT_CODES}
    assert "incomplete" in used and "zip-bomb" in used  # the scan sees the producers
    unknown = {code: sorted(where) for code, where in code_literals().items()
               if code in used - PROBLEM_CODES - NOTE_CODES}
    assert not unknown, f"codes not in archiver/verification/codes.py: {unknown}"


def test_every_code_in_the_set_is_used() -> None:
    unused = (PROBLEM_CODES | NOTE_CODES) - set(code_literals())
    assert not unused, f"codes nothing makes: {sorted(unused)}"
