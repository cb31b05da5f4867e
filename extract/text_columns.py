"""Column rulings for tables ruled between their rows only: the columns the printed text leaves open.

Some producers draw a table's horizontal rules (one under every row) and no vertical rule at all. The
lattice geometry then finds no joints and the page gives no grid. The columns are still plain to see:
the body rows leave the same vertical strips of paper empty. For each stack of full-width rules that
no vertical ruling crosses, a boundary is drawn through every strip that no body row prints in, and
the outer borders at the rules' ends; in each row band the boundary is drawn only where that band's
text leaves it open, so a header spanning two columns stays one merged cell. Tables whose bands hold
several lines of text (a 三线表 ruled only above and below its header and at its foot) are left alone:
their rows cannot be told apart by the rules, and ``extract.identify`` reports them
(``unread_tables``, ``unruled_table_pages``): the document is quarantined, not loaded without them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extract.cells import PageChar
from extract.rulings import PageRulings, Segment

#: rules whose ends lie this close (points) belong to one table's stack
END_TOL = 3.0
#: a stack needs this many full-width rules (a header band and a body band) to be a table
MIN_RULES = 3
#: a rule shorter than this is a header sub-rule or an underline, not a table's row rule
MIN_RULE_LENGTH = 100.0
#: characters closer than this share of their height are one word
WORD_GAP = 0.3
#: digits, separators and decimal points closer than this share are one amount (tight glyph boxes of
#: "1", "," and "." stand further apart than letters do)
NUMBER_GAP = 0.6
_NUMERIC = frozenset("0123456789,.-")
#: an item number printed before its label: 一、 （三） 1.
_ITEM_NUMBER = re.compile(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]")
#: an ideograph
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: an item number and its label, or the letters of a letter-spaced heading, stand at most this share of
#: the character height apart
LETTER_SPACING = 4.0
#: what the characters of one amount (or code, or 栏次 number) read as, as far as they go
_AMOUNT_PREFIX = re.compile(r"-?\d[\d,]*(?:\.\d{0,2})?|-")
#: at most this share of the body bands may hold more than one line (wrapped labels)
MAX_MULTILINE_SHARE = 0.4
#: a strip stays a column gap when at most this share of the body rows print across it (a 合计 label
#: spanning the code and name columns)
MAX_CROSSING_SHARE = 0.1
#: two header words side by side have their lines at most this share of a character height apart
SAME_LINE = 1.0
#: a header row that only numbers the columns (栏次 1 2 3 …)
_NUMBERS_ROW = re.compile(r"(?:栏次|行次|栏|次)*[\d\s]*")
#: a band is a body row when its text holds an amount or a subject code, or is a total row of an empty
#: table (合计 alone, or with 本表无数据)
_BODY_TEXT = re.compile(r"\d+\.\d{2}|\b\d{3,7}\b")
_TOTAL_ONLY = re.compile(r"[合总]\s*计[-—–\s]*(?:本表无数据)?[-—–\s]*")


def _stacks(horizontal: Sequence[Segment]) -> list[list[Segment]]:
    """Full-width rules grouped by their ends (top first), each group one candidate table."""
    stacks: list[list[Segment]] = []
    for seg in sorted(horizontal, key=lambda s: -s[1]):
        x0, x1 = min(seg[0], seg[2]), max(seg[0], seg[2])
        if x1 - x0 < MIN_RULE_LENGTH:
            continue
        for stack in stacks:
            if abs(stack[0][0] - x0) <= END_TOL and abs(stack[0][2] - x1) <= END_TOL:
                stack.append((x0, seg[1], x1, seg[3]))
                break
        else:
            stacks.append([(x0, seg[1], x1, seg[3])])
    return [s for s in stacks if len(s) >= MIN_RULES]


def _crossed(stack: Sequence[Segment], vertical: Sequence[Segment]) -> bool:
    """True when a vertical ruling runs inside the stack (the lattice reads that table as it is)."""
    x0, x1, top, bottom = stack[0][0], stack[0][2], stack[0][1], stack[-1][1]
    for v in vertical:
        low, high = min(v[1], v[3]), max(v[1], v[3])
        if x0 - END_TOL <= v[0] <= x1 + END_TOL and min(high, top) - max(low, bottom) > END_TOL:
            return True
    return False


def _height(chars: Sequence[PageChar]) -> float:
    """The median character height."""
    return sorted(c.bottom - c.top for c in chars)[len(chars) // 2]


def _lines(chars: Sequence[PageChar]) -> list[list[PageChar]]:
    """The characters by text line (centres half a character height apart start a new one), left to right."""
    if not chars:
        return []
    height = _height(chars)
    lines: list[list[PageChar]] = []
    for char in sorted(chars, key=lambda c: c.cy):
        if lines and char.cy - lines[-1][-1].cy <= height / 2:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _words(chars: Sequence[PageChar], gap: float, spaced: bool = False) -> list[tuple[float, float]]:
    """The x-extent of each word of a band: characters of one line less than ``gap`` apart.

    Digits, separators and points join wider gaps (tight glyph boxes of "1", "," and "." stand apart) as
    long as they still read as one amount: an amount ends after its two decimals, so one right-aligned
    amount touching the code left-aligned in the next column stays two words. An item number (一、,
    （三）) is one word with the label after it. ``spaced`` (header rows): single characters letter-spaced
    apart (收    入) are one word.
    """
    spans: list[tuple[float, float]] = []
    number_gap = gap * NUMBER_GAP / WORD_GAP
    spaced_gap = gap * LETTER_SPACING / WORD_GAP
    for line in _lines(chars):
        words: list[tuple[float, float, str]] = []
        left, right, text = line[0].x0, line[0].x1, line[0].text
        for char in line[1:]:
            space = char.x0 - right
            if text[-1] in _NUMERIC and char.text in _NUMERIC:
                join = space < number_gap and _AMOUNT_PREFIX.fullmatch(text + char.text) is not None
            elif _ITEM_NUMBER.fullmatch(text):
                join = space < spaced_gap
            else:
                join = space < gap
            if join:
                right, text = max(right, char.x1), text + char.text
            else:
                words.append((left, right, text))
                left, right, text = char.x0, char.x1, char.text
        words.append((left, right, text))
        if spaced:
            words = _letter_spaced(words, spaced_gap)
        spans += [(a, b) for a, b, _ in words]
    return spans


def _letter_spaced(words: list[tuple[float, float, str]], spaced_gap: float) -> list[tuple[float, float, str]]:
    """Runs of single ideographs set apart by letter-spacing, each joined into one word."""
    joined: list[tuple[float, float, str]] = []
    run = False  # the last word is a run of letter-spaced ideographs
    for left, right, text in words:
        single = len(text) == 1 and _CJK.fullmatch(text) is not None
        if single and joined and left - joined[-1][1] < spaced_gap:
            last_left, _, last_text = joined[-1]
            if run or (len(last_text) == 1 and _CJK.fullmatch(last_text)):
                joined[-1], run = (last_left, right, last_text + text), True
                continue
        joined.append((left, right, text))
        run = False
    return joined


def _open_strips(covered: Sequence[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """The strips between covered intervals at least ``gap`` wide (not the margins outside them all)."""
    strips: list[tuple[float, float]] = []
    edge: float | None = None
    for left, right in sorted(covered):
        if edge is not None and left - edge >= gap:
            strips.append((edge, left))
        edge = right if edge is None else max(edge, right)
    return strips


def _mostly_open(spans_by_band: Sequence[list[tuple[float, float]]], gap: float) -> list[tuple[float, float]]:
    """Strips at least ``gap`` wide that at most MAX_CROSSING_SHARE of the bands print across (not the margins)."""
    # one row may print across (a 合计 label) once there are rows enough to tell a column from it
    allowed = max(1, int(MAX_CROSSING_SHARE * len(spans_by_band))) if len(spans_by_band) >= 3 else 0
    events = sorted([(a, 1) for spans in spans_by_band for a, _ in spans] + [(b, -1) for spans in spans_by_band for _, b in spans])
    if not events:
        return []
    strips: list[tuple[float, float]] = []
    count, opened = 0, None
    for x, step in events:
        before = count
        count += step
        if before > allowed >= count:
            opened = x
        elif before <= allowed < count and opened is not None:
            if x - opened >= gap:
                strips.append((opened, x))
            opened = None
    return strips


def _clipped(spans: Sequence[tuple[float, float]], left: float, right: float) -> list[tuple[float, float]]:
    """The parts of the spans inside [left, right]."""
    return [(max(a, left), min(b, right)) for a, b in spans if b > left and a < right]


def _least_cut(
    words: Sequence[tuple[float, float, int]], left: float, right: float, gap: float, after_text: bool
) -> tuple[float, float]:
    """The part of [left, right] where a rule would cut the least header text.

    ``words`` are header words clipped to the strip with their row's depth (1 for the top header row).
    Cutting a header spanning several columns (a top row) is harmless, cutting a column's own header (a
    low row) is not: a cut weighs its row's depth. Of equal parts, one between two header words wins
    (between two columns' headers), else the first roomy one from the side the rule is nearer: after
    an amount (a right-aligned column ends at it) the first from the left, as one further right lies
    inside the next column, between its header and its amounts; after text (a left-aligned column goes
    on past it, ``after_text``) the first from the right.
    """
    cuts = sorted({left, right, *(x for a, b, _ in words for x in (a, b))})
    parts = [
        (a, b, sum(depth for s, e, depth in words if s < b and e > a))
        for a, b in zip(cuts, cuts[1:], strict=False)
        if b > a
    ]
    if not parts:
        return left, right
    fewest = min(n for _, _, n in parts)
    best = [(a, b) for a, b, n in parts if n == fewest]
    roomy = [part for part in best if part[1] - part[0] >= gap] or [max(best, key=lambda part: part[1] - part[0])]
    ends = {x for a, b, _ in words for x in (a, b)}
    between = [part for part in roomy if part[0] in ends and part[1] in ends and left < part[0] and part[1] < right]
    if between:
        return between[0]
    return roomy[-1] if after_text else roomy[0]


def _boundaries(bands: Sequence[list[PageChar]], gap: float, rule_ends: Sequence[float]) -> list[float]:
    """One column boundary in each strip the body rows leave open.

    It is where a header sub-rule ends inside the strip (the true column rule), else where it cuts the
    fewest header words (``_least_cut``).
    """
    body = [bands[i] for i in _body_bands(bands)]
    if not body:
        return []
    # where in a strip the rule runs is told by the header text in it, not by a body label printed across
    every = [
        (a, b, depth) for depth, band in enumerate(bands, start=1) if band not in body for a, b in _words(band, gap)
    ]
    boundaries = []
    body_words = [_words(band, gap) for band in body]
    body_chars = [(c.x0, c.x1) for band in body for c in band]
    for strip in _mostly_open(body_words, gap):
        # where no body character stands at all (a long label can reach to the next column's text)
        clear = _open_strips([(strip[0], strip[0]), *_clipped(body_chars, *strip), (strip[1], strip[1])], gap)
        # a row printing several words inside the strip holds columns of its own there (the only row of
        # a column group on a continuation page); one word across it is a label spanning two columns
        columnar = any(sum(1 for a, b in words if a >= strip[0] and b <= strip[1]) > 1 for words in body_words)
        if columnar:
            pieces = clear
        else:
            pieces = [max(clear, key=lambda p: p[1] - p[0])] if clear else [strip]
        for left, right in pieces:
            inside = [(max(a, left), min(b, right), depth) for a, b, depth in every if b > left and a < right]
            before = [c for band in body for c in band if abs(c.x1 - left) < 0.5]
            after_text = bool(before) and not any(c.text in _NUMERIC for c in before)
            a, b = _least_cut(inside, left, right, gap, after_text)
            ends = [x for x in rule_ends if left - END_TOL <= x <= right + END_TOL]
            boundaries.append(min(ends, key=lambda x: abs(x - (a + b) / 2)) if ends else (a + b) / 2)
    return boundaries


def _owners(words: Sequence[tuple[float, float]], edges: Sequence[float]) -> list[int]:
    """For a header band: the column whose text each column's cell belongs to.

    A header spanning columns is printed once, centred: the columns it leaves blank belong to the
    nearest text of the band (a band without text is one cell).
    """
    columns = list(zip(edges, edges[1:], strict=False))
    holding = {k for k, (left, right) in enumerate(columns) for a, b in words if left <= (a + b) / 2 < right}
    if not holding:
        return [0] * len(columns)

    def distance(k: int, j: int) -> float:
        (left, right), (other_left, other_right) = columns[k], columns[j]
        texts = [(a, b) for a, b in words if other_left <= (a + b) / 2 < other_right]
        return min(max(a - right, left - b, 0.0) for a, b in texts)

    return [k if k in holding else min(holding, key=lambda j: (distance(k, j), j)) for k in range(len(columns))]


def _side_by_side_gaps(chars: Sequence[PageChar], gap: float) -> list[tuple[float, float]]:
    """Gaps between two header words side by side on one line, with no other word above or below in them.

    A header spanning columns, printed on the line above, stands over the gap between two of its columns'
    headers: only headers side by side (their lines at most ``SAME_LINE`` of a character height apart; a
    wrapped header beside a one-line one is) mark a column rule between them.
    """
    if not chars:
        return []
    height = _height(chars)
    words = [
        (a, b, sum(c.cy for c in line) / len(line)) for line in _lines(chars) for a, b in _words(line, gap, spaced=True)
    ]
    gaps = []
    for _, a1, a_cy in words:
        right = [w for w in words if w[0] >= a1 + gap]
        if not right:
            continue
        b0, _, b_cy = min(right, key=lambda w: w[0])
        if abs(a_cy - b_cy) <= SAME_LINE * height and not any(s < b0 and e > a1 for s, e, _ in words):
            gaps.append((a1, b0))
    return sorted(set(gaps))


def _with_header_gaps(
    boundaries: list[float],
    bands: Sequence[list[PageChar]],
    ys: Sequence[float],
    sub_rules: Sequence[Segment],
    rule_ends: Sequence[float],
    gap: float,
    height: float,
) -> list[float]:
    """Boundaries plus the gaps between header cells where none runs yet (编码 | 名称 over a spanning 合计).

    Header text is read in the header rows (not a 栏次 row) and under each sub-rule
    within its span, between headers side by side (``_side_by_side_gaps``); a gap counts only where no
    body row prints across it (a letter-spaced "项    目" stands over the labels of its column).
    """
    first_body = _first_body(bands)
    if first_body is None:
        return boundaries
    leaves = [band for band in bands[:first_body] if not _NUMBERS_ROW.fullmatch("".join(c.text for c in band))]
    texts = []
    for rule in sub_rules:
        left, right, y = min(rule[0], rule[2]), max(rule[0], rule[2]), rule[1]
        for top, bottom, band in zip(ys, ys[1:], bands, strict=False):
            if bottom < y < top:
                texts.append([c for c in band if bottom < height - c.cy < y and left <= c.cx <= right])
    # the lowest headers first: they name single columns; a gap between two spanning headers above
    # holds a rule found below already
    texts += [list(band) for band in reversed(leaves)]
    body = [span for band in bands[first_body:] for span in _words(band, gap)]
    found = list(boundaries)
    # a sub-rule under a spanning header ends on a column rule (where no body row tells one)
    for end in rule_ends:
        if not any(abs(end - f) <= gap for f in found) and not _crosses(body, end):
            found.append(end)
    for text in texts:
        for a, b in _side_by_side_gaps(text, gap):
            if any(a - END_TOL <= f <= b + END_TOL for f in found):
                continue
            # the rule runs where the body leaves the gap open (right-aligned amounts reach into it)
            clear = _open_strips([(a, a), *_clipped(body, a, b), (b, b)], gap)
            if clear:
                left, right = max(clear, key=lambda part: part[1] - part[0])
                found.append((left + right) / 2)
    return sorted(found)


def _body_bands(bands: Sequence[list[PageChar]]) -> list[int]:
    """The indexes of the body rows: bands printing an amount or a code, else (an empty table) its 合计 row."""
    texts = ["".join(c.text for c in band) for band in bands]
    found = [i for i, text in enumerate(texts) if _BODY_TEXT.search(text)]
    return found or [i for i, text in enumerate(texts) if _TOTAL_ONLY.fullmatch(text)]


def _first_body(bands: Sequence[list[PageChar]]) -> int | None:
    """The index of the first body band, if any."""
    return next(iter(_body_bands(bands)), None)


def _crosses(words: Sequence[tuple[float, float]], x: float) -> bool:
    """True when a word is printed across x (a rule there would cut it)."""
    return any(a < x < b for a, b in words)


def _under_sub_rules(
    band: Sequence[PageChar],
    rules: Sequence[Segment],
    boundaries: Sequence[float],
    bottom: float,
    height: float,
    gap: float,
) -> list[Segment]:
    """Boundaries below a header sub-rule: the columns it spans hold a sub-header each (小计 | 购置费 | 运行费).

    Drawn from the sub-rule down to the band's foot, where the text below the sub-rule leaves them open.
    """
    segments: list[Segment] = []
    for rule in rules:
        left, right, y = min(rule[0], rule[2]), max(rule[0], rule[2]), rule[1]
        below = _words([c for c in band if bottom < height - c.cy < y], gap)
        for x in boundaries:
            # a lower sub-rule spanning x makes one header of its columns above it: it draws x itself
            lower = any(h[1] < y and min(h[0], h[2]) + END_TOL < x < max(h[0], h[2]) - END_TOL for h in rules)
            if left + END_TOL < x < right - END_TOL and below and not lower and not _crosses(below, x):
                segments.append((x, bottom, x, y))
    return segments


def with_text_columns(rulings: PageRulings, chars: Sequence[PageChar], height: float) -> PageRulings:
    """The page's rulings plus the column rulings of every table ruled between its rows only.

    ``chars`` are the page's characters (top-left origin); ``height`` the displayed page height, which
    turns them into the rulings' y-up coordinates.
    """
    added: list[Segment] = []
    for stack in _stacks(rulings.horizontal):
        if _crossed(stack, rulings.vertical):
            continue
        x0, x1 = stack[0][0], stack[0][2]
        ys = [seg[1] for seg in stack]
        bands: list[list[PageChar]] = []
        for top, bottom in zip(ys, ys[1:], strict=False):
            bands.append([c for c in chars if x0 <= c.cx <= x1 and bottom < height - c.cy < top and c.text.strip()])
        filled = [band for band in bands if band]
        # body rows of several lines each: rows the rules do not part (a 三线表); header rows may wrap
        body = [bands[i] for i in _body_bands(bands) if bands[i]]
        if not body or sum(1 for band in body if len(_lines(band)) > 1) > MAX_MULTILINE_SHARE * len(body):
            continue
        # header sub-rules (under a spanning header) end on the true column rules
        inside = [h for h in rulings.horizontal if ys[-1] < h[1] < ys[0] and h not in stack]
        ends = [x for h in inside for x in (h[0], h[2]) if x0 + END_TOL < x < x1 - END_TOL]
        gap = WORD_GAP * _height([c for band in filled for c in band])
        boundaries = _with_header_gaps(_boundaries(bands, gap, ends), bands, ys, inside, ends, gap, height)
        if not boundaries:
            continue
        first_body = _first_body(bands) or 0
        edges = [x0, *boundaries, x1]
        added += [(x0, ys[-1], x0, ys[0]), (x1, ys[-1], x1, ys[0])]
        for index, (top, bottom) in enumerate(zip(ys, ys[1:], strict=False)):
            band = bands[index]
            sub_rules = [h for h in inside if bottom < h[1] < top]
            words = _words(band, gap, spaced=index < first_body)
            owners = _owners(words, edges) if index < first_body else None
            for k, x in enumerate(boundaries):
                # above a sub-rule, the columns it spans are one header: the rule is drawn below it only
                spanned = any(min(h[0], h[2]) + END_TOL < x < max(h[0], h[2]) - END_TOL for h in sub_rules)
                crossed = _crosses(words, x)
                if not spanned and not crossed and (owners is None or owners[k] != owners[k + 1]):
                    added.append((x, bottom, x, top))
            added += _under_sub_rules(band, sub_rules, boundaries, bottom, height, gap)
    if not added:
        return rulings
    return PageRulings(rulings.horizontal, [*rulings.vertical, *added])
