"""A run that stops half-way on purpose, for the tests of leftovers: it opens archiver's own
hidden work directory for TARGET (a package's, or an export's zip), writes a little into it,
prints the work's path and waits until its stdin closes or it is killed.

    python -m tests.partial_holder package|zip TARGET
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from archiver.staging import staging_beside
from archiver.transfer.output import zip_output


def main(kind: str, target: Path) -> None:
    if kind == "package":
        with staging_beside(target) as work:
            (work / "data").mkdir()
            (work / "data" / "half.txt").write_bytes(os.urandom(100_000))
            _wait(work)
    else:
        with zip_output(target) as writer:
            writer.add_bytes("half.txt", os.urandom(100_000))
            writer.archive.fp.flush()  # type: ignore[union-attr]
            _wait(next(target.parent.glob(f".{target.name}.partial-*")) / target.name)


def _wait(work: Path) -> None:
    print(work, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
