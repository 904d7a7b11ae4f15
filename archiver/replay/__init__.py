"""Replay of captured evidence in a browser: `start_replay(path)` serves a package, a WARC or
a WACZ on 127.0.0.1 through pywb, with an index of every captured page and report, and never
fetches anything from the live web."""

from __future__ import annotations

from archiver.replay.engine import ReplayEngineMissing
from archiver.replay.server import NothingToReplay, ReplayServer, start_replay

__all__ = ["NothingToReplay", "ReplayEngineMissing", "ReplayServer", "start_replay"]
