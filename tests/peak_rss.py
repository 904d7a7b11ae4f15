"""The peak memory of a process and the processes it started, for tests that run a hostile
input in a subprocess of their own."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_kib() -> int:
    """The most resident memory this process, or any child it waited for, has held (KiB).

    Not ru_maxrss alone: Linux carries the high-water mark of the process a child was started
    from (pytest, hundreds of MB by then) across fork and exec into the child's ru_maxrss.
    VmHWM counts only this program's own memory.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1])
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
