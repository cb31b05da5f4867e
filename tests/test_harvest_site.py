"""A fake 预决算公开 website on 127.0.0.1 for the harvest tests (and benchmarks/harvest.py), and its own tests.

``FakeSite`` serves registered resources from a threaded ``http.server``: pages in any encoding,
PDFs with ETag / Last-Modified answering conditional requests with 304, and faults on demand
(5xx before success, slow answers, truncated bodies, redirects). Every request is logged with
its conditional headers and the status sent, so tests assert on what really went over the wire.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Resource:
    """One URL of the fake site and how it behaves."""

    body: bytes
    content_type: str = "application/pdf"
    status: int = 200
    fail_first: int = 0  # answer 500 this many times first
    delay: float = 0.0  # seconds before answering (timeouts)
    truncate: bool = False  # announce the full length, send half, close
    location: str | None = None  # a redirect target
    conditional: bool = True  # send ETag / Last-Modified and honour If-None-Match
    hide_length: bool = False  # no Content-Length: the body ends when the connection closes
    # more headers of a 200 answer; a value goes out as its latin-1 bytes (str(gbk_bytes, "latin-1") sends GBK)
    headers: dict[str, str] = field(default_factory=dict)
    served: int = 0

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Hit:
    """One request the site answered."""

    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


@dataclass
class FakeSite:
    """A threaded HTTP server on 127.0.0.1 with a resource table and a request log."""

    resources: dict[str, Resource] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self
        self._lock = threading.Lock()
        self._modified = formatdate(time.time() - 86400, usegmt=True)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                site._answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str, **options: object) -> Resource:
        data = body.encode("utf-8") if isinstance(body, str) else body
        if isinstance(body, str):
            options.setdefault("content_type", "text/html; charset=utf-8")
        resource = Resource(data, **options)  # type: ignore[arg-type]
        self.resources[path] = resource
        return resource

    def hits(self, path: str) -> list[Hit]:
        return [h for h in self.log if h.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            resource = self.resources.get(path)
            if resource is not None:
                resource.served += 1
                failing = resource.served <= resource.fail_first
        inm = handler.headers.get("If-None-Match")
        ims = handler.headers.get("If-Modified-Since")

        def send(status: int, body: bytes, headers: dict[str, str], *, cut: bool = False) -> None:
            self.log.append(Hit(path, status, inm, ims))
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            hide = resource is not None and resource.hide_length
            if not hide:
                handler.send_header("Content-Length", str(len(body)))
            if cut or hide:
                handler.send_header("Connection", "close")
            handler.end_headers()
            try:
                handler.wfile.write(body[: len(body) // 2] if cut else body)
                handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            if cut or hide:
                handler.close_connection = True

        if resource is None:
            send(404, b"<html>not found</html>", {"Content-Type": "text/html"})
            return
        if resource.delay:
            time.sleep(resource.delay)
        if failing:
            send(500, b"<html>server error</html>", {"Content-Type": "text/html"})
            return
        if resource.location is not None:
            send(resource.status or 302, b"", {"Location": resource.location})
            return
        headers = {"Content-Type": resource.content_type, **resource.headers}
        if resource.conditional:
            headers["ETag"] = resource.etag
            headers["Last-Modified"] = self._modified
            if inm is not None and inm == resource.etag:
                self.log.append(Hit(path, 304, inm, ims))
                handler.send_response(304)
                handler.send_header("ETag", resource.etag)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
        send(resource.status, resource.body, headers, cut=resource.truncate)


def tiny_pdf(text: str) -> bytes:
    """A small, valid, narrative-only PDF (one page of text): distinct text, distinct bytes."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setFont("Helvetica", 12)
    for k, line in enumerate(text.splitlines() or [text]):
        canvas.drawString(72, 760 - 16 * k, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------- the site's own tests


def test_site_answers_conditional_requests_with_304_and_logs_them() -> None:
    site = FakeSite()
    try:
        pdf = site.add("/a/1.pdf", tiny_pdf("one"))
        first = httpx.get(site.url("/a/1.pdf"))
        assert first.status_code == 200 and first.content.startswith(b"%PDF-")
        second = httpx.get(site.url("/a/1.pdf"), headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 304 and second.content == b""
        assert [h.status for h in site.hits("/a/1.pdf")] == [200, 304]
        assert site.hits("/a/1.pdf")[1].if_none_match == pdf.etag
    finally:
        site.close()


def test_site_faults_fail_then_succeed_and_truncate() -> None:
    site = FakeSite()
    try:
        site.add("/flaky.pdf", tiny_pdf("flaky"), fail_first=1)
        site.add("/cut.pdf", tiny_pdf("cut"), truncate=True)
        assert httpx.get(site.url("/flaky.pdf")).status_code == 500
        assert httpx.get(site.url("/flaky.pdf")).status_code == 200
        try:
            httpx.get(site.url("/cut.pdf"))
        except httpx.RemoteProtocolError:
            pass
        else:
            raise AssertionError("a truncated body must not read as complete")
    finally:
        site.close()


def test_tiny_pdfs_differ_by_text() -> None:
    a, b = tiny_pdf("a"), tiny_pdf("b")
    assert a.startswith(b"%PDF-") and b"%%EOF" in a[-64:] and a != b
    assert tiny_pdf("a") == a  # invariant: same text, same bytes
