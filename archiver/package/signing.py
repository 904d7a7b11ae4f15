"""`archiver sign`: sign a package that exists already, once it is verified whole.

A signature vouches for every byte the tag manifest covers, so the whole bag is verified
first (every file and record digest, manifest.json's claims): a damaged package is never
signed. Its attestations are not judged here (a package signed by someone else can be signed
by you too); `archiver verify` judges them.
"""

from __future__ import annotations

from pathlib import Path

from archiver._types import Progress
from archiver.attestation.sealing import Signer
from archiver.attestation.signature import SignResult, sign_sealed_package
from archiver.errors import InputNotFoundError, NotEvidenceError, VerificationFailed
from archiver.evidence_kind import sniff_evidence
from archiver.verification import check
from archiver.verification.attestation_problems import ProofOptions


def sign_package(package: Path, signer: Signer,
                          progress: Progress | None = None) -> SignResult:
    """Verify the package at `package`, then sign it with `signer.key`.

    Raises InputNotFoundError / NotEvidenceError (not a package), VerificationFailed (a
    damaged package: nothing is written), SignatureConflict, and EnvironmentFault (the
    package cannot be written). Signing again with the same key writes nothing."""
    if signer.key is None:
        raise RuntimeError("sign_package needs a signer with a key")
    package = Path(package)
    if not package.exists():
        raise InputNotFoundError(package, "package directory")
    if sniff_evidence(package).kind != "package":
        raise NotEvidenceError(package, "sign takes a package directory")

    def verifying(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, f"verifying {package}")

    report = check(package, progress=verifying, proof=ProofOptions(check=False))
    if not report.is_valid:
        raise VerificationFailed(package, report.problems,
                                 report.problem_count - len(report.problems))
    return sign_sealed_package(package, signer.key, operator=signer.operator,
                        organisation=signer.organisation)
