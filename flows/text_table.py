"""A ruled plain-text table for the terminal, laid out in one pass over its cells.

rich's ``Table`` measures every cell through its renderable protocol several times; for a report of
hundreds of rows that layout costs more than the query and the Python start together (0.6 s for 673
rows). Report cells are already plain strings, so this module lays them out directly: column widths
from ``rich.cells.cell_len`` (a CJK character takes two cells), text columns folded with
``rich.cells.chop_cells``, numbers never wrapped or cut. Rows are written as they are laid out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, chop_cells

#: Folded text keeps room for at least this many cells (four CJK characters).
MIN_TEXT_WIDTH = 8


@dataclass(frozen=True, slots=True)
class Box:
    """The characters that rule a table: corners, joins and lines of its head, body and foot."""

    head_top: str  # left, line, join, right
    head_row: str  # left, join, right (vertical rules around header cells)
    head_rule: str  # below the header
    body_row: str
    foot: str


# rich's default (HEAVY_HEAD) look, and a plain ASCII one for terminals that cannot show it
UNICODE_BOX = Box("┏━┳┓", "┃┃┃", "┡━╇┩", "│││", "└─┴┘")
ASCII_BOX = Box("+-++", "|||", "+=++", "|||", "+-++")


def column_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], width: int
) -> list[int]:
    """Widths (in terminal cells) of each column so that the table fits ``width`` where it can.

    Numeric columns are as wide as their widest value or header. Text columns start at their natural
    width and give up room, the widest first, down to ``MIN_TEXT_WIDTH`` (or their natural width if
    smaller); when even that does not fit, the table is wider than ``width`` and the terminal wraps
    it, but no digit is lost.

    Parameters
    ----------
    header : sequence of str
        Column headers.
    rows : sequence of sequences of str
        The cells, already rendered as text.
    numeric : sequence of bool
        Whether each column holds numbers.
    width : int
        Terminal width in cells.

    Returns
    -------
    list of int
        The content width of each column (padding and rules not included).

    """
    natural = [cell_len(name) for name in header]
    for row in rows:
        for number, value in enumerate(row):
            size = cell_len(value)
            if size > natural[number]:
                natural[number] = size
    natural = [max(1, size) for size in natural]
    widths = list(natural)
    # each column costs its content, a space either side and one rule; plus the left edge
    budget = width - 1 - 3 * len(widths)
    floor = [size if numeric[n] else min(size, MIN_TEXT_WIDTH) for n, size in enumerate(natural)]
    excess = sum(widths) - budget
    while excess > 0:
        shrinkable = [n for n in range(len(widths)) if widths[n] > floor[n]]
        if not shrinkable:
            break
        widest = max(widths[n] for n in shrinkable)
        tied = [n for n in shrinkable if widths[n] == widest]
        runner_up = max([widths[n] for n in shrinkable if widths[n] < widest] + [max(floor[n] for n in tied)])
        # take from the widest columns together, down to the next width (or their floor), no more than needed
        step = min(widest - runner_up, -(-excess // len(tied)))
        for n in tied:
            cut = min(step, widths[n] - floor[n], excess)
            widths[n] -= cut
            excess -= cut
    return widths


def _cell_lines(value: str, size: int, right: bool) -> list[str]:
    """The lines of one cell, each padded to ``size`` cells (folded if the text is wider)."""
    pieces: list[str] = []
    for line in value.split("\n") or [""]:
        pieces.extend(chop_cells(line, size) if cell_len(line) > size else [line])
    return [(" " * (size - cell_len(p)) + p) if right else (p + " " * (size - cell_len(p))) for p in pieces or [""]]


def _row_lines(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool], rules: str) -> Iterator[str]:
    """The printed lines of one table row (as many as its tallest folded cell)."""
    cells = [_cell_lines(v, widths[n], numeric[n]) for n, v in enumerate(values)]
    height = max(len(c) for c in cells)
    left, join, right = rules[0], rules[1], rules[2]
    for line in range(height):
        parts = [c[line] if line < len(c) else " " * widths[n] for n, c in enumerate(cells)]
        yield f"{left} " + f" {join} ".join(parts) + f" {right}"


def _rule(widths: Sequence[int], chars: str) -> str:
    """A horizontal rule across the columns: left corner, line, join, right corner."""
    left, line, join, right = chars[0], chars[1], chars[2], chars[3]
    return left + join.join(line * (size + 2) for size in widths) + right


def _centred(text: str, total: int) -> str:
    """``text`` centred over a table ``total`` cells wide (by terminal cells, not characters)."""
    return " " * max(0, (total - cell_len(text)) // 2) + text


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    width: int,
    title: str | None = None,
    caption: str | None = None,
    box: Box = UNICODE_BOX,
) -> Iterable[str]:
    """The lines of a ruled table (no line endings): title, header, rows, caption.

    Parameters
    ----------
    header : sequence of str
        Column headers.
    rows : sequence of sequences of str
        The cells as text, one sequence per row, as long as ``header``.
    numeric : sequence of bool
        Which columns are numbers: right-aligned, never folded.
    width : int
        Terminal width in cells (a table that cannot fit is wider, see ``column_widths``).
    title, caption : str, optional
        Centred above and below the table.
    box : Box
        The ruling characters (``ASCII_BOX`` where the output cannot encode box drawing).

    Yields
    ------
    str
        One printed line at a time.

    """
    widths = column_widths(header, rows, numeric, width)
    total = sum(widths) + 3 * len(widths) + 1
    if title:
        yield _centred(title, total)
    yield _rule(widths, box.head_top)
    yield from _row_lines(header, widths, [False] * len(header), box.head_row)
    yield _rule(widths, box.head_rule)
    for row in rows:
        yield from _row_lines(row, widths, numeric, box.body_row)
    yield _rule(widths, box.foot)
    if caption:
        yield _centred(caption, total)
