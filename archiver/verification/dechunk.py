"""Undo HTTP chunked transfer coding while a body streams by, feeding the entity to a hash.

Some tools (Heritrix, for one) compute a response's WARC-Payload-Digest over the de-chunked
entity rather than the bytes as stored; checking a foreign WARC accepts either.
"""

from __future__ import annotations

import hashlib

_MAX_LINE = 1024
_SIZE, _DATA, _DATA_END, _DONE, _BROKEN = range(5)


class Dechunker:
    """Feeds the entity inside a chunked body to `digest`; `ok` once the last chunk is seen."""

    def __init__(self, digest: hashlib._Hash) -> None:
        self.digest = digest
        self._state = _SIZE
        self._remaining = 0
        self._line = bytearray()

    @property
    def ok(self) -> bool:
        return self._state == _DONE

    @property
    def is_broken(self) -> bool:
        """The framing is not chunked after all (or is damaged): nothing more comes out."""
        return self._state == _BROKEN

    def feed(self, data: memoryview) -> None:
        index, size = 0, len(data)
        while index < size and self._state in (_SIZE, _DATA, _DATA_END):
            if self._state == _DATA:
                take = min(size - index, self._remaining)
                self.digest.update(data[index:index + take])
                index += take
                self._remaining -= take
                if not self._remaining:
                    self._state = _DATA_END
            else:
                index = self._read_line(data, index)

    def _read_line(self, data: memoryview, index: int) -> int:
        window = bytes(data[index:index + _MAX_LINE])
        newline = window.find(b"\n")
        if newline < 0:
            self._line += window
            if len(self._line) > _MAX_LINE:
                self._state = _BROKEN
            return index + len(window)
        self._line += window[:newline]
        line = bytes(self._line).strip()
        self._line.clear()
        self._end_of_line(line)
        return index + newline + 1

    def _end_of_line(self, line: bytes) -> None:
        if self._state == _DATA_END:
            self._state = _SIZE if not line else _BROKEN
            return
        try:
            self._remaining = int(line.split(b";", 1)[0], 16)
        except ValueError:
            self._state = _BROKEN
            return
        self._state = _DATA if self._remaining else _DONE
