"""Link discovery on release pages (pure): decode GBK/GB2312/UTF-8 HTML, collect document and article links.

Real 财政局 / 部门 "预决算公开" columns list one article per department; each article carries the PDF(s)
as attachments with numeric names, sometimes behind ``javascript:`` wrappers or ``?`` download
parameters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit


@dataclass(frozen=True)
class Link:
    """A link found on a page: absolute URL (fragment removed) and its text as a hint."""

    url: str
    text: str


_CHARSET_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_CHARSET_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# quoted strings inside javascript:/onclick wrappers: window.open('/a/1.pdf'), downloadFile("..."), location.href='...'
_JS_STRING = re.compile(r"""(['"])((?:(?!\1).)+)\1""")
_JS_URLISH = re.compile(r"^(?:https?://|/|\.{1,2}/|[\w%-]+(?:/[\w%.-]*)*\.[A-Za-z0-9]{2,5}(?:\?|$)|[\w%-]+\?)")
# Chinese encodings: GB18030 is a superset of GBK and GB2312, and sites mislabel one for another
_ENCODING_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


def _codec(name: str | None) -> str | None:
    """Python codec for a declared charset, or None when unknown."""
    if not name:
        return None
    name = _ENCODING_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_page(content: bytes, content_type: str | None = None, *, partial: bool = False) -> str:
    """Decode an HTML page: BOM, then the Content-Type charset, then ``<meta charset>``, then sniffing.

    ``partial``: the bytes are the start of a longer body, so a character cut at the end is dropped,
    not taken for a wrong encoding.
    """
    if content.startswith(b"\xef\xbb\xbf"):
        return _decode(content[3:], "utf-8", partial, errors="replace")
    declared = []
    if content_type and (m := _CHARSET_HEADER.search(content_type)):
        declared.append(_codec(m.group(1)))
    if m2 := _CHARSET_META.search(content[:4096]):
        declared.append(_codec(m2.group(1).decode("ascii", "replace")))
    for codec in [c for c in declared if c]:
        try:
            return _decode(content, codec, partial)
        except UnicodeDecodeError:
            continue  # a wrong declaration (common): fall through to sniffing
    try:
        return _decode(content, "utf-8", partial)
    except UnicodeDecodeError:
        return _decode(content, "gb18030", partial, errors="replace")


def _decode(content: bytes, codec: str, partial: bool, errors: str = "strict") -> str:
    """Decode; with ``partial`` an incomplete character at the end is left out."""
    if partial:
        return str(codecs.getincrementaldecoder(codec)(errors).decode(content, final=False))
    return content.decode(codec, errors)


class _LinkParser(HTMLParser):
    """Collect <a href>/onclick targets (with their text), <iframe>/<embed> sources and <base href>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[tuple[str, str]] = []  # (raw target, text)
        self._open: list[tuple[list[str], list[str]]] = []  # (targets, text parts) of open <a>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "a":
            targets = [t for t in (a.get("href", ""), a.get("onclick", "")) if t.strip()]
            self._open.append((targets, [a.get("title", "")] if a.get("title") else []))
        elif tag in ("iframe", "embed") and a.get("src"):
            self.found.append((a["src"], ""))
        elif tag == "object" and a.get("data"):
            self.found.append((a["data"], ""))

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            targets, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            self.found.extend((t, text) for t in targets)

    def close(self) -> None:
        super().close()
        while self._open:  # unclosed <a> at the end of a sloppy page
            self.handle_endtag("a")


def _targets(raw: str) -> list[str]:
    """The URL(s) in one href/onclick value; ``javascript:`` code yields its URL-like string literals."""
    raw = raw.strip()
    lowered = raw.lower()
    if lowered.startswith(("mailto:", "tel:", "#", "data:")) or lowered in ("javascript:;", "javascript:void(0)"):
        return []
    if lowered.startswith("javascript:") or "(" in raw and not lowered.startswith(("http:", "https:", "/")):
        return [m.group(2) for m in _JS_STRING.finditer(raw) if _JS_URLISH.match(m.group(2).strip())]
    return [raw]


def extract_links(html: str, page_url: str) -> list[Link]:
    """Absolute http(s) links of a page (relative ones resolved, duplicates dropped, first text kept)."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out: dict[str, Link] = {}
    for raw, text in parser.found:
        for target in _targets(raw):
            url, _ = urldefrag(urljoin(base, target.strip()))
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            if url not in out or (text and not out[url].text):
                out[url] = Link(url, text)
    return list(out.values())


def host_of(url: str) -> str:
    """Lower-case host name of a URL ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()
