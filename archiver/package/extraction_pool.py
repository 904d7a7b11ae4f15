"""Extraction while the capture goes on, in worker processes.

A capture waits on the network most of the time and extraction is CPU work, so pages and PDFs
are handed to a pool of processes as soon as their records are written; the package step then
only collects the results. Small jobs never start the pool (starting it costs more than a few
inline extractions): it starts once `POOL_AFTER` documents are waiting.

Where a process may not start processes of its own (a Dask worker, which is daemonic), the
pool is one thread beside the fetches (`in_threads`): the fetches mostly wait on the network,
so the extraction still overlaps them, and the cluster's other worker processes use the
other cores.

Workers start from a clean server process (`forkserver`), never by forking the capture's own
threads, and ignore Ctrl-C: the parent decides when the work stops. Each result waits on disk
(a pickle in a private temporary folder) until the package step takes it, so memory stays
flat however many documents a job holds.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from archiver.capture.results import Resource
from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_captured
from archiver.extract.kinds import kind_from_type, needs_sniffing
from archiver.extract.payload import open_record
from archiver.package_layout import warc_path
from archiver.settings import ExtractionSettings
from archiver.warc.writer import WarcWriter

POOL_AFTER = 8
"""Documents waiting before the pool is worth starting."""


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Load the extractors now, while the capture still waits on the network.
    for module in ("archiver.extract.html.extraction", "archiver.extract.pdf.process"):
        importlib.import_module(module)


def is_extractable(resource: Resource) -> bool:
    """A captured response that may be a page or a PDF (redirect bodies are not)."""
    if resource.outcome != "captured" or resource.record is None:
        return False
    if resource.revisit is not None:
        return False  # a revisit holds no payload: its text is in the original's package
    if resource.status is not None and 300 <= resource.status < 400:
        return False
    return kind_from_type(resource.content_type) is not None or needs_sniffing(
        resource.content_type)


def extract_record(warc: str, name: str, offset: int,
                   settings: ExtractionSettings) -> Extraction | None:
    """One record's extraction (in a worker process, or inline)."""
    with open_record(Path(warc), name, offset) as (document, raw):
        return extract_captured(document, raw, settings)


def extract_record_to(out: str, warc: str, name: str, offset: int,
                      settings: ExtractionSettings) -> bool:
    """In a worker: extract one record and leave the result in the file `out`; whether there
    was one (False: not a page or a PDF after all)."""
    extraction = extract_record(warc, name, offset, settings)
    if extraction is None:
        return False
    Path(out).write_bytes(pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL))
    return True


class ExtractionPool:
    """Takes captured resources as they come; `result_for` gives each one's extraction."""

    def __init__(self, warc_dir: Path, writer: WarcWriter, settings: ExtractionSettings,
                 workers: int | None = None, *, in_threads: bool = False) -> None:
        self.warc_dir = warc_dir
        self.writer = writer
        self.settings = settings
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.in_threads = in_threads
        """Threads, not processes: for a process that may not start any (a Dask worker)."""
        self._waiting: list[Resource] = []
        self._futures: dict[str, tuple[Future[bool], Path]] = {}
        self._scratch: Path | None = None
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def offer(self, resource: Resource) -> None:
        """A resource was just captured: extract it in the background if it is a document."""

        if self.workers < 1 or not is_extractable(resource):
            return
        with self._lock:
            self._waiting.append(resource)
            if self._pool is None and len(self._waiting) < self._start_after:
                return
            if self._pool is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="archiver-pool-"))
                self._pool = (ThreadPoolExecutor(self.workers,
                                                 thread_name_prefix="archiver-extract")
                              if self.in_threads else ProcessPoolExecutor(
                                  self.workers,
                                  mp_context=multiprocessing.get_context("forkserver"),
                                  initializer=_start_worker))
            self.writer.flush()  # the workers read the records from the file
            for waiting in self._waiting:
                self._submit(waiting)
            self._waiting.clear()

    @property
    def _start_after(self) -> int:
        # A thread costs nothing to start: it takes the first document as it comes.
        return 1 if self.in_threads else POOL_AFTER

    def _submit(self, resource: Resource) -> None:
        ref = resource.record
        assert ref is not None and self._pool is not None and self._scratch is not None
        if resource.url in self._futures:
            return
        out = self._scratch / f"{len(self._futures)}.pickle"
        future = self._pool.submit(extract_record_to, str(out),
                                   str(self.warc_dir / ref.warc_file),
                                   warc_path(ref.warc_file), ref.offset, self.settings)
        self._futures[resource.url] = (future, out)

    def result_for(self, resource: Resource) -> tuple[bool, Extraction | None, str | None]:
        """(whether the pool took it, its extraction, why it failed if it did)."""
        taken = self._futures.pop(resource.url, None)
        if taken is None:
            return False, None, None
        future, out = taken
        try:
            if not future.result():
                return True, None, None
            extraction: Extraction = pickle.loads(out.read_bytes())
            out.unlink()
            return True, extraction, None
        except Exception as exc:  # a worker died or a bug: the capture itself stands
            return True, None, f"{type(exc).__name__}: {exc}"

    def forget(self, resource: Resource) -> None:
        """Drop what was made of `resource` (automatic mode: a page the browser captured
        again, whose text is read from the browser's capture of the same URL)."""
        self._futures.pop(resource.url, None)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers; `wait=False` (interrupted) drops what is still queued at once."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
