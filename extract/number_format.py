"""Spreadsheet number formats: how a stored number is displayed, so a sheet reads as its printout does.

A cell stores a binary number and a format code (``#,##0.00``, ``0.00_ ;[Red]-0.00``, the accounting
``_ * #,##0.00_ ;_ * -#,##0.00_ ;_ * "-"??_ ;_ @_ ``). The printed table shows the number rounded to the
format's decimal places, with the format's literal text (a zero printed as "-"). Only what amounts use
is interpreted: sections (positive; negative; zero; text), decimal places, the thousands separator,
percent, literals (quoted, escaped, ``_x`` spaces, ``*x`` fills, ``[colour]`` and conditions dropped).
Anything else (dates, fractions, scientific) is shown as the shortest exact decimal of the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: Format codes that show the number as stored (Excel's "General"; LibreOffice writes "General" too).
GENERAL = frozenset({"", "general", "@"})

_LITERAL = re.compile(r'"([^"]*)"|\\(.)|_(.)|\*(.)|\[[^\]]*\]')
_DATE_TOKENS = re.compile(r"[ymdhs]|AM/PM", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    """One section of a format code: how many decimals, thousands separators, percent, literal text around."""

    decimals: int
    thousands: bool
    percent: bool
    prefix: str
    suffix: str
    has_digits: bool  # False: the section prints only its literal text (a zero shown as "-")
    shows_zero: bool = True  # a "0" placeholder prints a zero; "#" and "?" alone print nothing for it


def _section(code: str) -> Section | None:
    """Parse one section; None when it is not a plain number format (a date, a fraction, scientific)."""
    literals: list[tuple[int, str]] = []

    def keep(match: re.Match[str]) -> str:
        text = match.group(1) if match.group(1) is not None else match.group(2) or ""
        if match.group(3) is not None:
            text = " "  # _x: a space as wide as x
        literals.append((match.start(), text))
        return "\0"

    skeleton = _LITERAL.sub(keep, code)
    if _DATE_TOKENS.search(skeleton) or re.search(r"[eE][+-]|/", skeleton):
        return None
    digits = [i for i, ch in enumerate(skeleton) if ch in "0#?"]
    if not digits:
        text = "".join(t for _, t in literals) + skeleton.replace("\0", "")
        return Section(0, False, "%" in skeleton, text.strip(), "", has_digits=False)
    first, last = digits[0], digits[-1]
    number = skeleton[first : last + 1]
    point = number.find(".")
    decimals = sum(1 for ch in number[point + 1 :] if ch in "0#?") if point >= 0 else 0
    thousands = "," in (number[:point] if point >= 0 else number)
    pieces = iter(t for _, t in literals)

    def outside(part: str) -> str:
        return "".join(next(pieces, "") if ch == "\0" else ch for ch in part)

    prefix, body_literals = outside(skeleton[:first]), number.count("\0")
    for _ in range(body_literals):
        next(pieces, "")
    suffix = outside(skeleton[last + 1 :])
    return Section(
        decimals, thousands, "%" in skeleton, prefix.strip(), suffix.strip(), has_digits=True, shows_zero="0" in number
    )


def _sections(code: str) -> list[str]:
    """The ';'-separated sections of a format code (a ';' inside quotes does not separate)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def plain_decimal(value: float | int | Decimal) -> Decimal:
    """The shortest decimal that reads back as the stored binary number (what "General" shows)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value))


def display(value: float | int | Decimal, code: str | None) -> tuple[str, Decimal]:
    """The text a number is printed as under a format code, and the decimal it shows (rounded half away from 0).

    Parameters
    ----------
    value
        The stored number.
    code
        The cell's number format code (None or "General": as stored).

    Returns
    -------
    tuple[str, Decimal]
        The displayed text ("1,234.50", "-", "12.5%") and the amount it shows (0 for a zero shown as "-").

    """
    exact = plain_decimal(value)
    if code is None or code.strip().lower() in GENERAL:
        return _plain_text(exact), exact
    sections = _sections(code)
    if exact < 0 and len(sections) >= 2:
        chosen, signed = sections[1], False
    elif exact == 0 and len(sections) >= 3:
        chosen, signed = sections[2], True
    else:
        chosen, signed = sections[0], True
    section = _section(chosen)
    if section is None:
        return _plain_text(exact), exact
    magnitude = abs(exact) * 100 if section.percent else abs(exact)
    if not section.has_digits:
        return section.prefix or "", Decimal(0) if exact == 0 else exact
    quantum = Decimal(1).scaleb(-section.decimals)
    shown = magnitude.quantize(quantum, rounding=ROUND_HALF_UP)
    body = f"{shown:,.{section.decimals}f}" if section.thousands else f"{shown:.{section.decimals}f}"
    if shown == 0 and not section.shows_zero:
        body = ""  # the accounting format's zero: "_ * "-"??_ " prints the dash alone
    negative = exact < 0 and shown != 0
    sign = "-" if negative and signed else ""
    # the negative section's own "-" or "(" … ")" is its literal text; a one-section format gets a sign in front
    percent = "%" if section.percent and "%" not in section.suffix else ""
    text = f"{sign}{section.prefix}{body}{percent}{section.suffix}"
    amount = shown / 100 if section.percent else shown
    return text.strip(), -amount if negative else amount


def _plain_text(number: Decimal) -> str:
    """A decimal written out without exponent or trailing zeros ("2846.52", "3", "0.0001")."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
