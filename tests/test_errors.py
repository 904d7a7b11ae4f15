"""archiver's errors cross a process boundary whole: raised on a cluster's worker (or in a
verify worker process), each reaches the driver pickled, and must say there what it said
where it was raised, with the same fields and the same exit code."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from archiver.cli import exit_code_for
from archiver.errors import (
    ArchiverError,
    BrowserMissing,
    ClusterUnavailable,
    CollectionUnreadable,
    InputNotFoundError,
    OutputExistsError,
    TextIndexError,
    UnreadableEvidence,
)

RAISED = [
    BrowserMissing("no Chromium found on PATH"),
    InputNotFoundError(Path("shared/c.db"), "collection (--dedup)"),
    CollectionUnreadable("c.db", "not a collection"),
    ClusterUnavailable("tcp://10.0.0.5:8786", "the cluster lost a batch"),
    OutputExistsError(Path("pkg")),
    TextIndexError("data/index/texts.db", "damaged"),
    UnreadableEvidence("manifest.json", "too deep", "json-too-deep"),
]


@pytest.mark.parametrize("error", RAISED, ids=lambda error: type(error).__name__)
def test_an_error_is_the_same_after_a_pickle(error: ArchiverError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.args == error.args
    assert vars(again) == vars(error)
    assert exit_code_for(again) == exit_code_for(error)
