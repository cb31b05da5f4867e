"""OCR engines on small rendered cell crops (fonts embedded in samples/fonts: CI has no system CJK fonts)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from extract.ocr_engines import (
    AMOUNT_CHARS,
    CODE_CHARS,
    OcrEngine,
    OcrLine,
    OcrText,
    OcrUnavailable,
    ocr_engine,
)

FONT = Path(__file__).resolve().parents[1] / "samples" / "fonts" / "wqy-microhei-subset.ttf"


@cache
def _engine(name: str) -> OcrEngine | str:
    try:
        return ocr_engine(name)
    except OcrUnavailable as exc:
        return str(exc)


@pytest.fixture(params=["rapidocr", "tesseract"])
def engine(request: pytest.FixtureRequest) -> OcrEngine:
    found = _engine(request.param)
    if isinstance(found, str):
        if request.param == "rapidocr":  # the default engine is a main dependency: it must be there
            pytest.fail(found)
        pytest.skip(found)
    return found


def cell(text: str, size: int = 20, frame: bool = True, colour: str = "L") -> Image.Image:
    """A cell crop as the pipeline cuts it: text at 150-dpi size, what is left of the rulings around it."""
    font = ImageFont.truetype(str(FONT), size)
    lines = text.split("\n")
    width = 30 + int(max((font.getlength(line) for line in lines), default=0))
    image = Image.new(colour, (max(width, 40), int(size * 1.7) * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    draw.multiline_text((12, int(size * 0.3)), text, font=font, fill="black", spacing=size // 2)
    if frame:
        draw.rectangle((0, 0, image.width - 1, image.height - 1), outline="black", width=2)
    return image


def test_digits_of_a_code_cell(engine: OcrEngine) -> None:
    read = engine.recognise(cell("2010601"), "code")
    assert read.text == "2010601"
    assert len(read.char_confidences) == len(read.text)
    assert 0.9 <= read.confidence <= 1.0


@pytest.mark.parametrize("amount", ["12,345.67", "0.00", "(1,234.50)", "-3,000.10", "861.4"])
def test_amount_with_separators_sign_and_decimal_point(engine: OcrEngine, amount: str) -> None:
    read = engine.recognise(cell(amount), "amount")
    assert read.text == amount
    assert all(0.0 <= c <= 1.0 for c in read.char_confidences)


def test_full_width_parentheses_read_as_ascii_in_amounts(engine: OcrEngine) -> None:
    assert engine.recognise(cell("（1,234.00）"), "amount").text == "(1,234.00)"


def test_chinese_label_and_a_wrapped_one(engine: OcrEngine) -> None:
    assert engine.recognise(cell("工资福利支出"), "text").text == "工资福利支出"
    assert engine.recognise(cell("一般公共服务\n支出"), "text").text == "一般公共服务支出"


def test_blank_cell_reads_empty_with_full_confidence(engine: OcrEngine) -> None:
    read = engine.recognise(cell(""), "amount")
    assert read == OcrText("", 1.0, ())


def test_amount_mode_yields_only_amount_characters(engine: OcrEngine) -> None:
    # letters that look like digits: whatever is read, nothing but digits and separators comes out
    for shape in ("S8B", "1O3.5O", "lO"):
        read = engine.recognise(cell(shape), "amount")
        assert set(read.text) <= set(AMOUNT_CHARS), (shape, read.text)
        assert set(engine.recognise(cell(shape), "code").text) <= set(CODE_CHARS)


def test_o_looking_glyph_reads_as_zero_in_amount_mode(engine: OcrEngine) -> None:
    assert engine.recognise(cell("1O3.5O"), "amount").text == "103.50"


def test_rapidocr_constraint_is_applied_inside_the_decoder() -> None:
    engine = _engine("rapidocr")
    assert not isinstance(engine, str), engine
    # unconstrained, the model reads the letters; constrained, the same frames decode to digits
    assert engine.recognise(cell("S8B"), "text").text == "S8B"
    constrained = engine.recognise(cell("S8B"), "amount")
    assert constrained.text == "588"
    assert constrained.confidence < 0.5  # the letters' probability mass did not go to the digits


def test_alternatives_are_other_readings_best_first(engine: OcrEngine) -> None:
    read = engine.recognise(cell("12,345.67"), "amount")
    confidences = [c for _, c in read.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert all(text != read.text and set(text) <= set(AMOUNT_CHARS) for text, _ in read.alternatives)


def test_red_seal_over_an_amount_is_looked_through(engine: OcrEngine) -> None:
    image = cell("3,456.78", colour="RGB")
    seal = Image.new("RGB", image.size, "white")
    draw = ImageDraw.Draw(seal)
    draw.ellipse((20, -10, 90, 50), outline=(220, 30, 30), width=3)
    draw.text((35, 8), "章", font=ImageFont.truetype(str(FONT), 18), fill=(220, 30, 30))
    # a seal is printed over the page: its ink darkens the print under it, it does not replace it
    assert engine.recognise(ImageChops.multiply(image, seal), "amount").text == "3,456.78"


def test_read_page_finds_lines_with_boxes(engine: OcrEngine) -> None:
    font = ImageFont.truetype(str(FONT), 28)
    page = Image.new("L", (900, 300), "white")
    draw = ImageDraw.Draw(page)
    draw.text((60, 40), "部门决算公开表", font=font, fill="black")
    draw.text((520, 200), "金额单位：万元", font=ImageFont.truetype(str(FONT), 22), fill="black")
    lines = engine.read_page(page)
    assert all(isinstance(line, OcrLine) for line in lines)
    texts = {line.text.text: line.box for line in lines}
    assert "部门决算公开表" in texts
    x0, top, x1, bottom = texts["部门决算公开表"]
    assert 40 <= x0 <= 80 and 30 <= top <= 60 and x1 > 200 and bottom < 90
    assert any("万元" in t for t in texts)


def test_engine_is_loaded_once_per_process(engine: OcrEngine) -> None:
    assert ocr_engine(engine.name) is engine


def test_unknown_engine_is_named() -> None:
    with pytest.raises(ValueError, match="unknown OCR engine 'abbyy'"):
        ocr_engine("abbyy")


def test_default_engine_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_OCR_ENGINE", "rapidocr")
    assert ocr_engine().name == "rapidocr"


def test_batch_reads_as_one_by_one(engine: OcrEngine) -> None:
    images = [cell("2010601"), cell("1,195.64"), cell(""), cell("一般公共服务\n支出")]
    kinds: list = ["code", "amount", "amount", "text"]
    batch = engine.recognise_batch(images, kinds)
    assert [r.text for r in batch] == ["2010601", "1,195.64", "", "一般公共服务支出"]
    single = [engine.recognise(i, k) for i, k in zip(images, kinds, strict=True)]
    assert [r.text for r in batch] == [r.text for r in single]
