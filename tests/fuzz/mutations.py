"""Hypothesis strategies that turn real inputs (seeds from fixtures/) into hostile ones.

A mutation keeps most of a valid input, so the reader gets past its first checks and meets the
damage deep inside, where a purely random byte string would be rejected at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

HOSTILE_NUMBERS = [b"0", b"-1", b"999999999", b"18446744073709551616", b"1e999", b"0x7fffffff",
                   b"", b" ", b"\x00"]
"""Numbers a hostile writer puts where a length, offset or count belongs."""


@st.composite
def _flip(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]


@st.composite
def _cut(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


@st.composite
def _insert(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]


@st.composite
def _delete(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    start = draw(st.integers(0, len(data) - 1))
    return data[:start] + data[start + draw(st.integers(1, 256)):]


@st.composite
def _repeat(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    start = draw(st.integers(0, len(data) - 1))
    piece = data[start: start + draw(st.integers(1, 64))]
    return data[:start] + piece * draw(st.integers(2, 200)) + data[start:]


@st.composite
def _swap_number(draw: st.DrawFn, data: bytes) -> bytes:
    """Replace one run of ASCII digits with a hostile number."""
    runs = [i for i in range(len(data)) if data[i:i + 1].isdigit()
            and (i == 0 or not data[i - 1:i].isdigit())]
    if not runs:
        return data
    start = draw(st.sampled_from(runs))
    end = start
    while end < len(data) and data[end:end + 1].isdigit():
        end += 1
    return data[:start] + draw(st.sampled_from(HOSTILE_NUMBERS)) + data[end:]


_MUTATIONS = (_flip, _cut, _insert, _delete, _repeat, _swap_number)


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes], *, max_steps: int = 4) -> bytes:
    """One seed, unchanged or damaged by up to `max_steps` mutations (sometimes spliced with
    another seed)."""
    data = draw(st.sampled_from(list(seeds)))
    if len(seeds) > 1 and draw(st.booleans()):
        other = draw(st.sampled_from(list(seeds)))
        data = data[: draw(st.integers(0, len(data)))] + other[draw(st.integers(0, len(other))):]
    for _ in range(draw(st.integers(0, max_steps))):
        data = draw(draw(st.sampled_from(_MUTATIONS))(data))
    return data
