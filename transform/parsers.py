"""Cell parsers: amounts, subject codes, row labels, header text. Each gives a value or a typed error."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_WS = re.compile(r"\s+")
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[、.．](?!\d))")
_AMOUNT = re.compile(r"^[-−－]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_PAREN_NEGATIVE = re.compile(r"^[（(](.+)[）)]$")
_CODE = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
NONE_MARKS = frozenset({"", "-", "—", "－", "–", "——", "/", "／", "*"})


class CellParseError(ValueError):
    """A cell's text is not what its column promises (e.g. text in an amount column)."""


class AmountParseError(CellParseError):
    """Text in an amount column that is neither an amount nor a 'none' mark."""


class CodeParseError(CellParseError):
    """Text in a code column that is not a 3/5/7-digit subject code (or a part of one)."""




#: An amount whose separators a producer drew below its digits' line: "19 604 064" over ", ,".
_DIGIT_GROUPS = re.compile(r"-?\d+(?: \d+)+")
_SEPARATORS = re.compile(r"[,，.]+")


def _rejoin_separators(text: str) -> str:
    """Put separators printed on a line of their own back between the digit groups they belong to.

    Some producers (seen in Shanghai 预算 PDFs) draw the thousands commas and the decimal point lower than
    the digits, so the cell's text reads as two lines, "19 604 064" and ", ,". When one line holds only
    the separators and the other only digit groups, and there are as many separators as gaps, each gap
    gets its separator in order; digits run together with exactly the thousands commas they need read as
    those digits; anything else is left as printed (and refused as not an amount).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 2:
        return text
    digits, marks = (lines[1], lines[0]) if _SEPARATORS.fullmatch(re.sub(r"\s+", "", lines[0])) else (lines[0], lines[1])
    separators = re.sub(r"\s+", "", marks)
    if re.fullmatch(r"-?\d+", digits) and set(separators) == {","} and len(separators) == (len(digits.lstrip("-")) - 1) // 3:
        return f"{int(digits):,}"  # the digits ran together: the commas are exactly the thousands separators
    groups = digits.split(" ")
    if not _DIGIT_GROUPS.fullmatch(digits) or not _SEPARATORS.fullmatch(separators) or len(separators) != len(groups) - 1:
        return text
    return groups[0] + "".join(mark + group for mark, group in zip(separators, groups[1:], strict=True))


def squash(text: str) -> str:
    """Remove every whitespace character (line breaks and spaces inside printed cells).

    Separators a producer drew below their digits are put back first (``_rejoin_separators``), so an
    amount squashes to what was printed: "19 604 064" over ", ," → "19,604,064".
    """
    return _WS.sub("", _rejoin_separators(text))


def parse_amount(text: str) -> Decimal | None:
    """Parse a printed amount ("2,846.52", "-3.10", "（3.10）") to Decimal; None for blank/-/—."""
    t = squash(text).replace("，", ",")
    if t in NONE_MARKS:
        return None
    negative = False
    paren = _PAREN_NEGATIVE.match(t)
    if paren:
        t, negative = paren.group(1), True
    if not _AMOUNT.match(t):
        raise AmountParseError(f"not an amount: {text!r}")
    t = t.replace(",", "").replace("−", "-").replace("－", "-")
    try:
        value = Decimal(t)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise AmountParseError(f"not an amount: {text!r}") from exc
    return -value if negative else value


def looks_like_amount(text: str) -> bool:
    """True for a printed decimal amount with a decimal point or thousands separators."""
    t = squash(text)
    return bool(_AMOUNT.match(t.lstrip("-−－"))) and ("." in t or "," in t)


def is_code(text: str) -> bool:
    """True for a full or partial subject code: 3, 5 or 7 digits, or a 2-digit 款/项 part."""
    t = squash(text)
    return bool(_CODE.match(t)) or bool(re.fullmatch(r"\d{2}", t))


def join_code(parts: list[str]) -> str | None:
    """Join code columns ("201", "06", "01") → "2010601"; a single full code passes through."""
    cleaned = [squash(p) for p in parts if squash(p)]
    if not cleaned:
        return None
    code = "".join(cleaned)
    split_ok = len(cleaned) == 1 or (len(cleaned[0]) == 3 and all(len(p) == 2 for p in cleaned[1:]))
    if not _CODE.match(code) or not split_ok:
        raise CodeParseError(f"not a subject code: {'|'.join(parts)!r}")
    return code


def code_level(code: str) -> str:
    """The level of a subject code by its length: 3 → 类, 5 → 款, 7 → 项."""
    levels = {3: "类", 5: "款", 7: "项"}
    if len(code) not in levels or not re.fullmatch(r"[0-9]+", code):
        raise CodeParseError(f"not a subject code: {code!r}")
    return levels[len(code)]


def clean_label(text: str) -> str:
    """Printed row label without whitespace and without a leading Chinese ordinal ("二十六、")."""
    return _ORDINAL.sub("", squash(text))


def clean_header(text: str) -> str:
    """Header cell text with line breaks and spaces removed."""
    return squash(text)


def is_column_number_row(cells: list[str]) -> bool:
    """True for the 栏次 row: '栏次' or only the column numbers 1, 2, 3 … (never amounts)."""
    values = [squash(c) for c in cells if squash(c)]
    if not values:
        return False
    if any(v in ("栏次", "行次") for v in values):
        rest = [v for v in values if v not in ("栏次", "行次")]
        return all(re.fullmatch(r"[0-9]+", v) or v in ("甲", "乙", "丙") for v in rest)
    numbers = [int(v) for v in values if re.fullmatch(r"[0-9]{1,3}", v)]
    return len(numbers) == len(values) and len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
