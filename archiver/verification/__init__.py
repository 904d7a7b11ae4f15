"""Verify an evidence package or a bare WARC: every byte, every record, every claim."""

from __future__ import annotations

from archiver.verification.api import check, is_valid, verify
from archiver.verification.attestation_problems import ProofOptions
from archiver.verification.problems import Note, Problem, VerificationReport

__all__ = ["Note", "Problem", "ProofOptions", "VerificationReport", "check", "is_valid",
           "verify"]
