"""Hostile PDFs crafted on the fly (never committed as files): flate bombs, page-tree bombs, slow and greedy pages.

Shared by tests/hostile/test_documents.py and benchmarks/hostile.py.
"""

from __future__ import annotations

import zlib


def pdf_file(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with these objects (numbered from 1), a correct xref table and trailer."""
    out = b"%PDF-1.5\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def stream(dictionary: bytes, data: bytes) -> bytes:
    """A stream object body with its /Length."""
    return b"<< " + dictionary + b" /Length " + str(len(data)).encode() + b" >>\nstream\n" + data + b"\nendstream"


def flate_bomb(compressed_mb: float) -> bytes:
    """One page whose content stream is ``compressed_mb`` MB of Flate data inflating ≈ 1000× (spaces)."""
    inflated = int(compressed_mb * 1030 * 1024 * 1024)
    compressor = zlib.compressobj(9)
    block = b" " * (16 * 1024 * 1024)
    parts = []
    remaining = inflated
    while remaining > 0:
        parts.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(compressor.flush())
    content = b"".join(parts)
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        stream(b"/Filter /FlateDecode", content),
    ])


def page_bomb(pages: int = 1_000_000, fanout: int = 10) -> bytes:
    """A kilobyte page tree claiming ``pages`` pages: each level's kids are the same node, ``fanout`` times."""
    levels = 0
    while fanout**levels < pages:
        levels += 1
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for depth in range(levels):
        kid = f"{3 + depth} 0 R".encode()
        objects.append(
            b"<< /Type /Pages /Kids [" + b" ".join([kid] * fanout) + b"] /Count " + str(fanout ** (levels - depth)).encode() + b" >>"
        )
    objects.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    return pdf_file(objects)


def many_streams_page(streams: int, each_mb: float) -> bytes:
    """One page whose content is ``streams`` Flate streams, each inflating to ``each_mb`` MB (each under a stream limit)."""
    content = zlib.compress(b" " * int(each_mb * 1024 * 1024), 9)
    refs = b" ".join(f"{4 + i} 0 R".encode() for i in range(streams))
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [" + refs + b"] >>",
        *[stream(b"/Filter /FlateDecode", content) for _ in range(streams)],
    ])


def object_stream_page_bomb(each_mb: float, streams: int) -> bytes:
    """Like ``many_streams_page``, but the page dictionary hides in a compressed object stream (PDF 1.5)."""
    content = zlib.compress(b" " * int(each_mb * 1024 * 1024), 9)
    first = 4 + streams
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [" + b" ".join(
        f"{4 + i} 0 R".encode() for i in range(streams)
    ) + b"] >>"
    header = b"3 0 "
    packed = zlib.compress(header + page)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"null",  # object 3 lives in the object stream; this stand-in keeps the numbering simple
        *[stream(b"/Filter /FlateDecode", content) for _ in range(streams)],
        stream(b"/Type /ObjStm /N 1 /First " + str(len(header)).encode() + b" /Filter /FlateDecode", packed),
    ]
    assert len(objects) == first
    return pdf_file(objects)
