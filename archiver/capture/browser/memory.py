"""The memory a browser capture uses: archiver's own process and every process under it
(Playwright's driver, Chromium's browser, GPU, network and renderer processes), read from
Linux's /proc.

Each process's proportional set size (PSS, /proc/PID/smaps_rollup) is summed, so pages
Chromium's processes share are counted once, split between them; where smaps_rollup cannot
be read (an older kernel, a process that ended meanwhile) its resident set size (VmRSS) is
counted instead, which can only overstate. Elsewhere than Linux the answer is None: nothing
to hold tabs back on.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
KIB = 1024


def tree_memory(root: int | None = None) -> int | None:
    """Bytes used by process `root` (default: this one) and all its descendants."""
    if not (PROC / "self").is_dir():
        return None
    top = os.getpid() if root is None else root
    return sum(_process_memory(pid) for pid in _descendants(top) | {top})


def _descendants(root: int) -> set[int]:
    """Every process below `root`, by the parent ids /proc/PID/stat names (iterative: a
    browser's process tree is wide, never deep, but nothing outside decides our recursion)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        parent = _parent(entry)
        if parent is not None:
            children[parent].append(int(entry.name))
    found: set[int] = set()
    waiting = [root]
    while waiting:
        for child in children.get(waiting.pop(), []):
            if child not in found:
                found.add(child)
                waiting.append(child)
    return found


def _parent(entry: Path) -> int | None:
    try:
        stat = (entry / "stat").read_text(errors="replace")
    except OSError:
        return None  # ended meanwhile
    # "PID (COMMAND) STATE PPID ...": COMMAND may hold spaces and parentheses.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def _process_memory(pid: int) -> int:
    """PSS of `pid` in bytes, else its RSS, else 0 (it ended)."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            text = (PROC / str(pid) / name).read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(key):
                parts = line.split()
                if len(parts) > 1 and parts[1].isdigit():
                    return int(parts[1]) * KIB
    return 0
