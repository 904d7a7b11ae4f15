"""A Dask preload module: `dask worker ADDR --preload archiver.cluster.preload`.

A worker loads archiver's capture, extraction and verification code when it starts, and
the system's certificate authorities, rather than in its first batch: the first job on
fresh workers then runs as fast as the next ones (bench/RESULTS.md). `--cluster local`
starts its workers with it. Without it, nothing changes but that first batch's time.
"""

from __future__ import annotations

import importlib
from typing import Any

MODULES = ("archiver.cluster.capture_batch", "archiver.cluster.spread",
           "archiver.package.derived", "archiver.extract.html.extraction",
           "archiver.extract.pdf.process", "archiver.verification.api")
"""What a batch of capture, verify or extract runs (their imports follow)."""


def warm_up() -> None:
    """Import what the work needs, and make the default TLS context."""
    for module in MODULES:
        importlib.import_module(module)
    from archiver.capture.connections import tls_context
    from archiver.settings import CaptureSettings

    tls_context(CaptureSettings())


def dask_setup(worker: Any) -> None:
    """Called by Dask as the worker starts (the preload protocol)."""
    warm_up()
