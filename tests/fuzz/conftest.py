"""Hypothesis profiles for the fuzz tests: `ci` (short, derandomised, the default) and `long`
(`ARCHIVER_FUZZ=long`: many random examples, failures kept in `.hypothesis/`)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.load_profile("long" if os.environ.get("ARCHIVER_FUZZ") == "long" else "ci")
