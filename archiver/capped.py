"""A list that keeps its first items and counts the rest.

A hostile file can hold a million faults; a report of them must not take a million lines, nor
the memory to hold them. Readers keep the first few of what they find in one of these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Capped(Generic[T]):
    """The first `most` items added, and how many more came.

    >>> found = Capped[int](2)
    >>> for number in range(5):
    ...     found.add(number)
    >>> list(found), found.more
    ([0, 1], 3)
    """

    def __init__(self, most: int) -> None:
        self.most = most
        self.kept: list[T] = []
        self.more = 0

    def add(self, item: T) -> None:
        if len(self.kept) < self.most:
            self.kept.append(item)
        else:
            self.more += 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.kept)

    def __len__(self) -> int:
        return len(self.kept)
