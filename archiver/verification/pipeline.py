"""Read a WARC once, in two threads: one reads and inflates, the other frames and hashes.

zlib (or ISA-L) and hashlib release the GIL on large buffers, so on two cores the inflating
and the hashing overlap. The file's own SHA-256 is taken on the hashing side: measured on a
524 MB WARC, inflating costs about as much as the file, block and payload hashes together.
A bounded queue of batches between the two keeps memory flat: the reader waits when the
hasher falls behind.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from typing import BinaryIO

from archiver._types import ByteProgress
from archiver.warc.members import Inflater
from archiver.warc.reader import DATA, END_OF_FILE, PIECE, PLAIN_DATA, Event, RecordParser

READ_BLOCK = 128 * 1024
"""Small enough that a block's inflated bytes are still in the CPU's cache when they are
hashed: with 1 MiB blocks (3.5 MiB inflated for text) checking took a quarter more CPU."""
BATCH_BYTES = 4 * PIECE
QUEUE_BATCHES = 6

_Batch = tuple[list[bytes], list[Event]]



class ByteCounter:
    """Counts the bytes a verification reads, and tells a `ByteProgress` callback, if any."""

    def __init__(self, total: int, progress: ByteProgress | None = None) -> None:
        self.done = 0
        self.total = total
        self._progress = progress

    def __call__(self, count: int) -> None:
        self.done += count
        if self._progress is not None:
            self._progress(self.done, self.total)


class _Batcher:
    """Collects the inflater's events and hands them on in batches of a few MiB."""

    def __init__(self, out: queue.Queue[_Batch | BaseException], stop: threading.Event) -> None:
        self._out = out
        self._stop = stop
        self._raw: list[bytes] = []
        self._events: list[Event] = []
        self._size = 0

    def emit(self, event: Event) -> None:
        self._events.append(event)
        if event[0] in (DATA, PLAIN_DATA):
            self._size += len(event[2])
            if self._size >= BATCH_BYTES:
                self.flush()

    def add_raw(self, block: bytes) -> None:
        self._raw.append(block)

    def flush(self) -> None:
        if self._raw or self._events:
            put(self._out, (self._raw, self._events), self._stop)
            self._raw, self._events, self._size = [], [], 0


def put(out: queue.Queue[_Batch | BaseException], item: _Batch | BaseException,
        stop: threading.Event) -> None:
    """Put, unless the consumer has stopped listening (then drop: nobody will read it)."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _produce(handle: BinaryIO, batcher: _Batcher, inflater: Inflater,
             stop: threading.Event) -> None:
    while not stop.is_set():
        block = handle.read(READ_BLOCK)
        if not block:
            break
        batcher.add_raw(block)
        inflater.feed(block)
        batcher.flush()
    inflater.finish()
    batcher.flush()


def read_warc(handle: BinaryIO, parser: RecordParser, *, expect_gzip: bool,
              file_hash: hashlib._Hash | None = None,
              on_read: Callable[[int], object] | None = None, accept_arc: bool = False) -> int:
    """Feed every record in `handle` to `parser`; hash the raw file too. Bytes read back.

    `on_read` hears of each block read, on the caller's thread. An OSError while reading
    is raised here, in the caller's thread too. `accept_arc`: gzip members holding ARC
    records count as record members (the parser must accept ARC too).
    """
    out: queue.Queue[_Batch | BaseException] = queue.Queue(QUEUE_BATCHES)
    stop = threading.Event()
    batcher = _Batcher(out, stop)
    inflater = Inflater(batcher.emit, expect_gzip=expect_gzip, accept_arc=accept_arc)

    def run() -> None:
        try:
            _produce(handle, batcher, inflater, stop)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            put(out, exc, stop)

    reader = threading.Thread(target=run, name="warc-reader", daemon=True)
    reader.start()
    total = 0
    try:
        while True:
            item = out.get()
            if isinstance(item, BaseException):
                raise item
            raw, events = item
            for block in raw:
                total += len(block)
                if file_hash is not None:
                    file_hash.update(block)
                if on_read is not None:
                    on_read(len(block))
            parser.handle(events)
            if events and events[-1][0] == END_OF_FILE:
                return total
    finally:
        stop.set()
        reader.join()


def read_part(handle: BinaryIO, parser: RecordParser, *, start: int = 0,
              checkpoints: tuple[int, ...] = (),
              on_read: Callable[[int], object] | None = None) -> int:
    """Feed the records of a gzipped WARC from offset `start` on to `parser`, in this thread
    (parts of a file run in processes of their own, one per core). Bytes read back.

    Blocks are read on the same READ_BLOCK grid as `read_warc`'s, so the inflater sees a part's
    bytes cut where it would see them in a whole-file read. Reading stops at the first of
    the `checkpoints` where the parser can stop (see `RecordParser`), counting bytes up to
    it; else it goes on to the end of the file.
    """
    inflater = Inflater(lambda event: parser.handle([event]), expect_gzip=True, start=start,
                        is_gzip=True, checkpoints=checkpoints)
    handle.seek(start)
    size = READ_BLOCK - start % READ_BLOCK
    total = 0
    while parser.stopped_at is None:
        block = handle.read(size)
        if not block:
            inflater.finish()
            break
        size = READ_BLOCK
        total += len(block)
        if on_read is not None:
            on_read(len(block))
        inflater.feed(block)
    return total if parser.stopped_at is None else parser.stopped_at - start
