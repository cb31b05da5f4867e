"""Link discovery on release pages (pure): decode GBK/GB2312/UTF-8 HTML, collect document and article links, name documents.

Real 财政局 / 部门 "预决算公开" columns list one article per department; each article carries the PDF(s)
as attachments with numeric names, sometimes behind ``javascript:`` wrappers or ``?`` download
parameters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote_to_bytes, urldefrag, urljoin, urlsplit


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


# --------------------------------------------------------------------------- the name a document is published under

#: file extensions of published documents (a URL path ending in one names the file itself)
_DOCUMENT_NAME = re.compile(r"\.(?:pdf|ofd|docx?|xlsx?|et|wps|zip|rar|7z)$", re.I)
#: query parameters that carry the file name behind a download servlet (downfile.jsp?filename=…)
_NAME_PARAMS = ("filename", "file_name", "filerealname", "realname", "attachname", "fname", "name", "title",
                "file", "filepath", "path")
#: link texts that say nothing about the document
_GENERIC_TEXT = frozenset({"下载", "点击下载", "附件", "附件下载", "查看", "点击查看", "详情", "打开", "download", "here", "pdf"})
_PARAM = re.compile(rb"""(?:^|;)\s*([!#$&+.^_`|~0-9A-Za-z*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""")
_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 200


def published_name(url: str, text: str = "", disposition: bytes | str | None = None, final_url: str | None = None) -> str:
    """The file name a document is published under: a label for people, never a path.

    In order: the ``Content-Disposition`` name (``filename*=UTF-8''…`` of RFC 5987 first, then
    ``filename=`` raw in UTF-8 or GBK, percent-encoded or MIME-encoded); a name-like query parameter
    (``downfile.jsp?filename=部门决算.pdf``) of the link's URL, else of the URL it redirected to; the
    last path segment of either when it names a document (``20210601.pdf``); the link text (``.pdf``
    added); the link URL's last path segment anyway (``downfile.jsp``).
    """
    raw = disposition.encode("latin-1", "replace") if isinstance(disposition, str) else disposition
    urls = [url] if final_url in (None, url) else [url, str(final_url)]
    for name in (_disposition_name(raw) if raw else None, *(_query_name(u) for u in urls)):
        if name:
            return name
    tails = [_clean(_decode_bytes(unquote_to_bytes(urlsplit(u).path.rsplit("/", 1)[-1]))) for u in urls]
    for tail in tails:
        if tail and _DOCUMENT_NAME.search(tail):
            return tail
    tail = tails[0]
    label = _clean(text)
    if label and label.lower() not in _GENERIC_TEXT:
        return label if _DOCUMENT_NAME.search(label) else f"{label}.pdf"
    return tail or (urlsplit(url).hostname or url)


def _disposition_name(raw: bytes) -> str | None:
    """The file name of a Content-Disposition value (``filename*`` first), decoded."""
    params: dict[bytes, bytes] = {}
    for m in _PARAM.finditer(raw.split(b";", 1)[1] if b";" in raw else b""):
        value = m.group(2).strip()
        if value.startswith(b'"') and value.endswith(b'"') and len(value) >= 2:
            value = re.sub(rb"\\(.)", rb"\1", value[1:-1])
        params.setdefault(m.group(1).lower(), value)
    extended = params.get(b"filename*")
    if extended and extended.count(b"'") >= 2:  # charset'language'percent-encoded (RFC 5987 / 8187)
        charset, _, rest = extended.partition(b"'")
        name = _clean(_decode_bytes(unquote_to_bytes(rest.partition(b"'")[2].decode("latin-1")),
                                    charset.decode("ascii", "ignore")))
        if name:
            return name
    plain = params.get(b"filename")
    if not plain:
        return None
    if plain.startswith(b"=?") and plain.endswith(b"?="):  # MIME encoded word (=?UTF-8?B?…?=)
        try:
            return _clean(str(make_header(decode_header(plain.decode("ascii")))))
        except (UnicodeError, ValueError, HeaderParseError):
            pass
    if _PERCENT.search(plain) and all(0x20 < b < 0x7F for b in plain):  # URLEncoder.encode(name, charset)
        plain = unquote_to_bytes(plain.decode("ascii"))
    return _clean(_decode_bytes(plain))


def _query_name(url: str) -> str | None:
    """A file name carried by a query parameter: a named one first, else any value ending like a document."""
    query = urlsplit(url).query
    if not query:
        return None
    # latin-1 keeps the bytes: they are decoded below as UTF-8, else GBK
    pairs = [(k.lower(), _clean(_decode_bytes(v.encode("latin-1")))) for k, v in parse_qsl(query, encoding="latin-1")]
    for wanted in _NAME_PARAMS:
        for key, value in pairs:
            if key == wanted and value and (_DOCUMENT_NAME.search(value) or not value.isascii()):
                return value
    for _key, value in pairs:
        if value and _DOCUMENT_NAME.search(value):
            return value
    return None


def _decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes of a name: the declared charset, else UTF-8, else GB18030 (GBK servers), never an exception."""
    for codec in (_codec(charset), "utf-8", "gb18030"):
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode("latin-1")


def _clean(name: str | None) -> str | None:
    """A name fit for a label: last path component only, no control characters, trimmed, at most 200 characters."""
    if not name:
        return None
    name = _CONTROL.sub("", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).strip(" .\"'")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = stem[: MAX_NAME - len(ext) - 1] + dot + ext if dot and len(ext) <= 5 else name[:MAX_NAME]
    return name or None
