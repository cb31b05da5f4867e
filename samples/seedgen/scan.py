"""Scanned copies of the generated PDFs: render with pypdfium2, degrade as a scanner or fax does, wrap as images.

Each degradation is a small function over a PIL image, deterministic for a given seed, so the committed
files can be rebuilt byte for byte-ish (JPEG encoders may differ across Pillow versions; the pixels do not
matter to within a grey level).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT = Path(__file__).resolve().parents[1] / "fonts" / "wqy-microhei-subset.ttf"


@dataclass(frozen=True)
class ScanSpec:
    """One scanned test document: its source, resolution and degradations."""

    name: str
    source: Path
    dpi: int
    pages: tuple[int, ...] | None = None  # 1-based pages of the source to keep (None: all)
    rotate: float = 0.0  # skew in degrees (alternating sign page by page, 0.5x-1x of it)
    noise: float = 0.0  # Gaussian noise sigma, grey levels
    quality: int = 70  # JPEG quality of the wrapped images
    stamp_pages: tuple[int, ...] = ()  # 1-based source pages that get a red 公章 over their table
    bilevel: bool = False  # fax-like: 1 bit per pixel, CCITT G4
    turned_pages: tuple[int, ...] = ()  # 1-based source pages scanned sideways (rotated 90°)
    seed: int = 15
    notes: str = ""
    variants: tuple[str, ...] = field(default=())


def render(source: Path, dpi: int, pages: tuple[int, ...] | None) -> list[tuple[int, Image.Image]]:
    """The source's pages as grey images at ``dpi`` (pypdfium2), with their 1-based page numbers."""
    pdf = pdfium.PdfDocument(str(source))
    numbers = pages or tuple(range(1, len(pdf) + 1))
    out = []
    for number in numbers:
        page = pdf[number - 1]
        bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=False)
        out.append((number, bitmap.to_pil().convert("L")))
    pdf.close()
    return out


def skew(image: Image.Image, degrees: float) -> Image.Image:
    """A page fed slightly askew: rotated about its centre, the corners filled with paper white."""
    if not degrees:
        return image
    fill = 255 if image.mode == "L" else (255, 255, 255)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill)


def add_noise(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    """Sensor noise: Gaussian, per pixel (and a slight blur first, as optics give)."""
    if not sigma:
        return image
    blurred = image.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(blurred, dtype=np.float32)
    noisy = pixels + rng.normal(0.0, sigma, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), mode=image.mode)


def seal(diameter: int, text: str, rng: random.Random) -> Image.Image:
    """A round red official seal (公章): ring, star, the unit's name around the arc, a line below."""
    size = diameter + 8
    layer = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(layer)
    red = (205 + rng.randint(-10, 10), 35, 40)
    ring = max(3, diameter // 40)
    draw.ellipse((4, 4, 4 + diameter, 4 + diameter), outline=red, width=ring)
    cx = cy = size / 2
    star_r = diameter * 0.16
    points = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(points, fill=red)
    font = ImageFont.truetype(str(FONT), max(8, int(diameter * 0.12)))
    span = math.radians(250)
    radius = diameter / 2 - ring - diameter * 0.09
    for i, char in enumerate(text):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size / 2, font.size / 2), char, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.Resampling.BICUBIC)
        x = int(cx + radius * math.cos(a) - glyph.width / 2)
        y = int(cy + radius * math.sin(a) - glyph.height / 2)
        layer.paste(Image.new("RGB", glyph.size, red), (x, y), glyph)
    label = ImageFont.truetype(str(FONT), max(8, int(diameter * 0.1)))
    width = draw.textlength("财务专用章", font=label)
    draw.text((cx - width / 2, cy + diameter * 0.2), "财务专用章", font=label, fill=red)
    # ink does not print evenly: lighten random blotches of the seal
    mask = Image.effect_noise((size, size), 80).filter(ImageFilter.GaussianBlur(diameter / 60))
    blotches = mask.point(lambda v: 255 if v > 175 else 0)
    return Image.composite(Image.new("RGB", layer.size, "white"), layer, blotches)


def stamp(image: Image.Image, dpi: int, rng: random.Random, text: str) -> Image.Image:
    """Press a 42 mm seal over the lower right of the page's table (multiplied: the print shows through)."""
    page = image.convert("RGB")
    diameter = int(42 / 25.4 * dpi)
    mark = seal(diameter, text, rng).rotate(rng.uniform(-20, 20), fillcolor="white")
    canvas = Image.new("RGB", page.size, "white")
    x = int(page.width * rng.uniform(0.52, 0.62))
    y = int(page.height * rng.uniform(0.22, 0.32))
    canvas.paste(mark, (x, y))
    return ImageChops.multiply(page, canvas)


def bilevel(image: Image.Image, threshold: int = 150) -> Image.Image:
    """Fax-like: one bit per pixel, a fixed threshold (thin strokes break, grey fills vanish)."""
    return (
        image.convert("L").point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)
    )


def page_skew(spec: ScanSpec, number: int, index: int) -> float:
    """The skew of one page in degrees (counter-clockwise), alternating in sign, 0.5x-1x of the spec's."""
    if not spec.rotate:
        return 0.0
    sign = 1 if index % 2 == 0 else -1
    return round(sign * spec.rotate * random.Random(spec.seed * 7919 + number).uniform(0.5, 1.0), 3)


def degrade(spec: ScanSpec, number: int, image: Image.Image, index: int, stamp_text: str) -> Image.Image:
    """Apply the spec's degradations to one rendered page."""
    rng = random.Random(spec.seed * 1000 + number)
    nprng = np.random.default_rng(spec.seed * 1000 + number)
    if number in spec.stamp_pages:
        image = stamp(image, spec.dpi, rng, stamp_text)
    if spec.rotate:
        image = skew(image, page_skew(spec, number, index))
    if spec.noise and image.mode == "L":
        image = add_noise(image, spec.noise, nprng)
    elif spec.noise:
        image = Image.merge("RGB", [add_noise(band, spec.noise, nprng) for band in image.split()])
    if number in spec.turned_pages:
        image = image.transpose(Image.Transpose.ROTATE_90)
    if spec.bilevel:
        image = bilevel(image)
    return image


def wrap_pdf(images: list[Image.Image], dpi: int, quality: int, out: Path) -> None:
    """Write the images as an image-only PDF (one page each, page size from the image and dpi).

    Grey and colour pages are JPEG (DCTDecode) at ``quality``; 1-bit pages CCITT G4. No text layer.
    """
    first, rest = images[0], images[1:]
    if first.mode == "1":
        first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
    else:
        first.save(
            out,
            "PDF",
            save_all=True,
            append_images=rest,
            resolution=float(dpi),
            quality=quality,
            optimize=True,
        )


def scan(spec: ScanSpec, out: Path, stamp_text: str) -> list[dict[str, object]]:
    """Write the scanned copy described by ``spec``; return per page its source page, skew and turn."""
    pages = render(spec.source, spec.dpi, spec.pages)
    images = [degrade(spec, number, image, i, stamp_text) for i, (number, image) in enumerate(pages)]
    wrap_pdf(images, spec.dpi, spec.quality, out)
    return [
        {
            "source_page": number,
            "skew_degrees": page_skew(spec, number, i),
            "turned_degrees": 90 if number in spec.turned_pages else 0,
            "stamp": number in spec.stamp_pages,
        }
        for i, (number, _) in enumerate(pages)
    ]
