"""Reading order for a page whose content stream draws its text out of order.

PDFium gives a page's text in the order the producer drew it, line by line. That is the
reading order for most files, and the one to keep: it is what the producer meant, and it
gets tables, formulas and right-to-left text right where geometry can mislead. But some
producers (page-layout programs, form fillers, overlay stampers) draw the frames of a page
in whatever order they were made, so a title's second line can come after the footer.

The sign is geometric and cheap to check: within one column, reading only goes down, so a
line drawn wholly above the line drawn just before it, overlapping it horizontally, shows
that the content order is not a reading order. Only such pages are reordered, by recursive
XY-cut (Nagy and Seth, 1984): the lines are split at the widest band of white space across
the region, horizontal (read top to bottom) or vertical (read left to right, or right to left
on a right-to-left page), and each part is split again until no band of white space is left.
Lines that no white space separates keep their content order.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise

import pypdfium2 as pdfium  # type: ignore[import-untyped]

# PDFium ends each line it finds with a generated CR LF.
_LINE_END = re.compile(r"\r\n")
# A vertical band of white space narrower than this share of the usual line height is the
# space between words, not between columns.
MIN_COLUMN_GAP = 0.5
MIN_ROW_GAP = 0.01  # points; boxes that touch are not apart
SAME_GAP = 0.1  # points: gaps this close in width are cut together
# XY-cut takes a quadratic number of steps on contrived spacing; a page of more lines than
# this (a map, a chart drawn letter by letter) keeps its content order.
MAX_LINES = 1500


@dataclass(frozen=True)
class Line:
    """One line as PDFium found it, with its bounding box in PDF points (y grows upwards)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float


def reordered_text(textpage: pdfium.PdfTextPage) -> str | None:
    """The page's lines in reading order, joined by newlines; None when the content order
    is to be kept (it already reads top to bottom, or the lines cannot be placed)."""
    lines = page_lines(textpage)
    if lines is None or not drawn_out_of_order(lines):
        return None
    return "\n".join(line.text for line in reading_order(lines))


def page_lines(textpage: pdfium.PdfTextPage) -> list[Line] | None:
    """PDFium's lines with their boxes; None when the text does not map onto the characters
    one to one (PDFium left some out or added some: the boxes would not match the text), or
    when there are too many lines to order."""
    count = textpage.count_chars()
    try:
        text = str(textpage.get_text_range(0, count)) if count > 0 else ""
    except AssertionError:  # pypdfium2 asserts that PDFium kept to the buffer it was given
        return None
    if len(text) != count:
        return None
    starts = [0] + [match.end() for match in _LINE_END.finditer(text)]
    ends = [start - 2 for start in starts[1:]] + [len(text)]
    spans = [(start, end) for start, end in zip(starts, ends, strict=True)
             if text[start:end].strip()]
    if len(spans) > MAX_LINES:
        return None
    lines = (_line(textpage, text, start, end) for start, end in spans)
    return [line for line in lines if line is not None]


def _line(textpage: pdfium.PdfTextPage, text: str, start: int, end: int) -> Line | None:
    boxes = [textpage.get_rect(index) for index in range(textpage.count_rects(start, end - start))]
    if not boxes:
        return None
    return Line(text[start:end], min(box[0] for box in boxes), min(box[1] for box in boxes),
                max(box[2] for box in boxes), max(box[3] for box in boxes))


def drawn_out_of_order(lines: list[Line]) -> bool:
    """Whether some line is drawn wholly above the one before it, in the same column.

    >>> drawn_out_of_order([Line("b", 0, 0, 50, 10), Line("a", 0, 20, 50, 30)])
    True
    >>> drawn_out_of_order([Line("a", 0, 20, 50, 30), Line("b", 0, 0, 50, 10)])
    False
    """
    return any(after.bottom >= before.top and _overlap(before, after)
               for before, after in pairwise(lines))


def _overlap(one: Line, other: Line) -> bool:
    return min(one.right, other.right) > max(one.left, other.left)


def reading_order(lines: list[Line]) -> list[Line]:
    """The lines by recursive XY-cut (in this module's docstring), content order in a part
    that no white space divides.

    >>> order = reading_order([Line("right", 300, 700, 500, 710), Line("foot", 0, 0, 500, 10),
    ...                        Line("left", 0, 700, 200, 710), Line("title", 0, 750, 500, 770)])
    >>> [line.text for line in order]
    ['title', 'left', 'right', 'foot']
    """
    heights = sorted(line.top - line.bottom for line in lines)
    min_column_gap = MIN_COLUMN_GAP * heights[len(heights) // 2] if heights else 0.0
    right_to_left = _right_to_left("".join(line.text for line in lines))
    done: list[Line] = []
    pending = [lines]  # a stack of regions, the next to read on top
    while pending:
        region = pending.pop()
        parts = _cut(region, min_column_gap, right_to_left)
        if parts is None:
            done.extend(region)
        else:
            pending.extend(reversed(parts))
    return done


def _cut(region: list[Line], min_column_gap: float,
         right_to_left: bool) -> list[list[Line]] | None:
    """The region split at its widest bands of white space, in reading order; None if none."""
    if len(region) < 2:
        return None
    rows = _widest_gaps([(-line.top, -line.bottom) for line in region])
    columns = _widest_gaps([(line.left, line.right) for line in region])
    if columns[0] >= min_column_gap and columns[0] > rows[0]:
        parts = _split(region, [line.right for line in region], columns[1])
        return parts[::-1] if right_to_left else parts
    if rows[0] > MIN_ROW_GAP:
        return _split(region, [-line.bottom for line in region], rows[1])
    return None


def _widest_gaps(spans: list[tuple[float, float]]) -> tuple[float, list[float]]:
    """The width of the widest gap between the spans (start, end) on one axis, and where
    each gap about as wide starts (cutting at all of them at once keeps evenly spaced lines
    from being cut off one at a time, which would take quadratic time).

    >>> _widest_gaps([(0, 10), (12, 20), (5, 8), (40, 50), (70, 80)])
    (20, [20, 50])
    """
    ordered = sorted(spans)
    gaps = []
    reach = ordered[0][1]
    for start, end in ordered[1:]:
        if start > reach:
            gaps.append((start - reach, reach))
        reach = max(reach, end)
    widest = max((width for width, _ in gaps), default=0.0)
    return widest, [at for width, at in gaps if width >= widest - SAME_GAP]


def _split(region: list[Line], ends: list[float], cuts: list[float]) -> list[list[Line]]:
    # A line goes to the part after the last cut that its end (on the cut axis) passes.
    parts: list[list[Line]] = [[] for _ in range(len(cuts) + 1)]
    for line, end in zip(region, ends, strict=True):
        parts[bisect_left(cuts, end)].append(line)
    return parts


def _right_to_left(text: str) -> bool:
    # Columns are read right to left when most letters are of a right-to-left script.
    strong = [unicodedata.bidirectional(char) for char in text if char.isalpha()]
    return sum(kind in ("R", "AL") for kind in strong) > len(strong) / 2
