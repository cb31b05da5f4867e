"""Server-side request forgery: every request's host is resolved and checked before it is sent, each redirect too.

Nothing here can reach the network: names resolve through a fake ``socket.getaddrinfo`` (test names
only; anything else does not resolve), and the transport under test raises unless it is asked to
connect to 127.0.0.1, where the fake site listens. A bug lets no request leave the machine: it fails
the test.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from extract.fetch_manifest import MemoryManifest
from extract.harvest import HarvestReport, harvest
from extract.sources import Source, parse_sources
from extract.store import RawStore
from tests.test_harvest_site import FakeSite, tiny_pdf

#: test names and what they resolve to
NAMES: dict[str, list[str]] = {
    "site.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "intranet.test": ["10.0.0.1"],
    "v6.test": ["fe80::1%2"],
    "mixed.test": ["127.0.0.1", "169.254.169.254"],  # one good address does not excuse a bad one
    "aliyun.test": ["100.100.100.200"],
}


class Resolver:
    """A fake getaddrinfo: IP literals are themselves, test names as in NAMES, everything else unknown."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.rebind: dict[str, list[list[str]]] = {}  # name → answers for successive calls

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list[Any]:  # noqa: A002
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.asked.append(name)
        try:
            answers = [str(ipaddress.ip_address(name.split("%")[0]))]
        except ValueError:
            if self.rebind.get(name):
                answers = self.rebind[name].pop(0)
            elif name in NAMES:
                answers = NAMES[name]
            else:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        port_ = int(port or 0)
        out = []
        for answer in answers:
            if ":" in answer:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, port_, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port_)))
        return out


class LoopbackOnly(httpx.AsyncBaseTransport):
    """A real HTTP transport that raises (AssertionError, not an httpx error) unless the connection is to 127.0.0.1."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        addresses = {info[4][0] for info in socket.getaddrinfo(request.url.host, request.url.port or 80)}
        if addresses != {"127.0.0.1"}:
            raise AssertionError(f"the harvester tried to connect to {request.url.host} ({sorted(addresses)})")
        self.requests.append(request)
        # forward to the address checked here: the inner transport never resolves a name itself
        request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    fake = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def site(resolver: Resolver) -> Iterator[FakeSite]:
    s = FakeSite()
    s.add("/f/ok.pdf", tiny_pdf("ok"))
    yield s
    s.close()


ALL_HOSTS = ["127.0.0.1", "site.test", "metadata.test", "intranet.test", "v6.test", "mixed.test", "aliyun.test",
             "169.254.169.254", "fe80::1", "10.0.0.1", "::ffff:169.254.169.254"]


def _source(site: FakeSite, links: str, **changes: object) -> Source:
    site.add("/a.html", f"<html><body>{links}</body></html>")
    config: dict[str, object] = {
        "name": "ssrf", "kind": "http_listing", "start_urls": [site.url("/a.html")], "depth": 1,
        "link_pattern": r"\.pdf$", "allowed_hosts": ALL_HOSTS,  # every host allowed: only addresses decide
        "politeness": {"concurrency": 2, "delay": 0}, "timeout": 5, "retries": 1, "backoff": 0,
    }
    config.update(changes)
    return Source.model_validate(config)


def _harvest(source: Source, tmp_path: Path) -> tuple[HarvestReport, LoopbackOnly]:
    transport = LoopbackOnly()
    report = harvest(source, RawStore(tmp_path / "raw"), MemoryManifest(), transport=transport)
    return report, transport


def _errors(report: HarvestReport) -> dict[str, tuple[str, str]]:
    return {f.url: (f.outcome, f.error or "") for f in report.fetches if not f.ok}


def test_links_to_metadata_and_private_addresses_are_refused_and_never_sent(site: FakeSite, tmp_path: Path) -> None:
    links = {
        "http://169.254.169.254/latest/meta-data/a.pdf": "169.254.169.254, a link-local or cloud metadata address",
        "http://metadata.test/b.pdf": "metadata.test resolves to 169.254.169.254, a link-local or cloud metadata",
        "http://[fe80::1]/c.pdf": "fe80::1, a link-local or cloud metadata address",
        "http://v6.test/d.pdf": "v6.test resolves to fe80::1, a link-local",
        "http://[::ffff:169.254.169.254]/e.pdf": "a link-local or cloud metadata address",
        "http://intranet.test/f.pdf": "intranet.test resolves to 10.0.0.1, a private address (allowed only as a start URL's literal host, or with allow_private: true",
        "http://10.0.0.1/g.pdf": "10.0.0.1, a private address",
        "http://mixed.test/h.pdf": "mixed.test resolves to 169.254.169.254, a link-local",
        "http://aliyun.test/i.pdf": "aliyun.test resolves to 100.100.100.200, a link-local or cloud metadata address",
    }
    html = "".join(f'<a href="{url}">x</a>' for url in links) + '<a href="/f/ok.pdf">ok</a>'
    report, transport = _harvest(_source(site, html), tmp_path)
    errors = _errors(report)
    assert set(errors) == set(links)
    for url, reason in links.items():
        outcome, error = errors[url]
        assert outcome == "address_blocked" and error.startswith(f"refused {url}: ") and reason in error, error
    # the good link on the literal start host came through; nothing else was sent, nothing retried
    assert [f.outcome for f in report.fetches if f.ok] == ["new"]
    assert {str(r.url.host) for r in transport.requests} == {"127.0.0.1"}
    assert len(transport.requests) == 2  # the page and ok.pdf


def test_a_redirect_from_the_allowed_site_to_private_or_link_local_addresses_is_refused(
    site: FakeSite, tmp_path: Path
) -> None:
    site.add("/f/to-metadata.pdf", b"", status=302, location="http://169.254.169.254/latest/meta-data/iam.pdf")
    site.add("/f/to-intranet.pdf", b"", status=301, location="http://intranet.test/secret.pdf")
    site.add("/f/to-v6.pdf", b"", status=307, location="http://[fe80::1]:8080/x.pdf")
    html = '<a href="/f/to-metadata.pdf">1</a><a href="/f/to-intranet.pdf">2</a><a href="/f/to-v6.pdf">3</a>'
    report, transport = _harvest(_source(site, html), tmp_path)
    errors = _errors(report)
    assert errors[site.url("/f/to-metadata.pdf")] == (
        "address_blocked",
        "refused http://169.254.169.254/latest/meta-data/iam.pdf: 169.254.169.254, a link-local or cloud metadata "
        "address (always refused)",
    )
    assert errors[site.url("/f/to-intranet.pdf")][1].startswith(
        "refused http://intranet.test/secret.pdf: intranet.test resolves to 10.0.0.1, a private address"
    )
    assert errors[site.url("/f/to-v6.pdf")][1].startswith("refused http://[fe80::1]:8080/x.pdf: fe80::1, a link-local")
    # each redirect was answered by the site once; the targets were never asked
    assert sorted(r.url.path for r in transport.requests) == ["/a.html", "/f/to-intranet.pdf", "/f/to-metadata.pdf",
                                                              "/f/to-v6.pdf"]


def test_a_start_url_on_the_metadata_address_is_a_page_problem_even_when_written_literally(
    site: FakeSite, tmp_path: Path
) -> None:
    source = _source(site, "", start_urls=["http://169.254.169.254/latest/"], allow_private=True)
    report, transport = _harvest(source, tmp_path)
    assert [p.reason for p in report.page_problems] == [
        "refused http://169.254.169.254/latest/: 169.254.169.254, a link-local or cloud metadata address (always refused)"
    ]
    assert transport.requests == []


def test_a_name_resolving_to_loopback_needs_allow_private(site: FakeSite, tmp_path: Path) -> None:
    # the test site under a name: 127.0.0.1 is no start URL's literal host then
    start = site.url("/a.html", host="site.test")
    denied, transport = _harvest(_source(site, '<a href="/f/ok.pdf">ok</a>', start_urls=[start]), tmp_path / "1")
    assert denied.fetches == [] and transport.requests == []
    assert [p.reason for p in denied.page_problems] == [
        f"refused {start}: site.test resolves to 127.0.0.1, a loopback address (allowed only as a start URL's literal "
        "host, or with allow_private: true in sources.yaml)"
    ]
    source = _source(site, '<a href="/f/ok.pdf">ok</a><a href="http://metadata.test/x.pdf">m</a>', start_urls=[start],
                     allow_private=True)
    allowed, transport = _harvest(source, tmp_path / "2")
    outcomes = {f.url: (f.outcome, f.error) for f in allowed.fetches}
    assert outcomes[site.url("/f/ok.pdf", host="site.test")] == ("new", None)
    # allow_private never opens the metadata address
    assert outcomes["http://metadata.test/x.pdf"][0] == "address_blocked"
    # the requests went to the checked address, with the name in Host
    assert {(str(r.url.host), r.headers["host"]) for r in transport.requests} == {("127.0.0.1", f"site.test:{site.port}")}


@pytest.mark.parametrize(
    ("address", "allow_private", "refused"),
    [
        ("10.0.0.1", False, "a private address"),
        ("10.0.0.1", True, None),
        ("fd12::1", False, "a private address"),
        ("fd12::1", True, None),
        ("127.0.0.2", False, "a loopback address"),  # only the literal start host 127.0.0.1 is exempt
        ("127.0.0.1", False, None),
        ("8.8.8.8", False, None),
        ("169.254.1.1", True, "link-local"),
        ("fe80::abcd", True, "link-local"),
        ("::ffff:169.254.169.254", True, "link-local"),
        ("100.100.100.200", True, "cloud metadata"),
        ("0.0.0.0", True, "unspecified"),  # noqa: S104 - the address Linux connects to as loopback
        ("224.0.0.1", True, "multicast"),
    ],
)
def test_address_policy(address: str, allow_private: bool, refused: str | None) -> None:
    from extract.http_client import address_problem

    source = Source(name="x", kind="http_listing", start_urls=["http://127.0.0.1:8/"], allow_private=allow_private)
    problem = address_problem(ipaddress.ip_address(address), source)
    assert (problem is None) if refused is None else (problem is not None and refused in problem), problem


def test_the_connection_goes_to_the_checked_address_when_the_name_rebinds(
    site: FakeSite, tmp_path: Path, resolver: Resolver
) -> None:
    # checked as 127.0.0.1, then the name "moves" to the metadata address: the request must not follow it
    resolver.rebind["site.test"] = [["127.0.0.1"], ["127.0.0.1"]] + [["169.254.169.254"]] * 10
    start = site.url("/a.html", host="site.test")
    report, transport = _harvest(_source(site, '<a href="/f/ok.pdf">ok</a>', start_urls=[start], allow_private=True),
                                 tmp_path)
    assert [f.outcome for f in report.fetches] == ["new"] and report.page_problems == []
    assert {str(r.url.host) for r in transport.requests} == {"127.0.0.1"}


def test_allow_private_is_a_sources_yaml_key() -> None:
    parsed = parse_sources(
        "sources:\n  - name: lan\n    kind: http_listing\n    start_urls: ['http://files.lan/']\n    allow_private: true\n"
    )
    assert parsed.sources[0].allow_private is True
    assert Source(name="x", kind="http_listing", start_urls=["http://127.0.0.1:8/", "http://h/"]).literal_addresses == {
        "127.0.0.1"
    }


def test_a_name_that_does_not_resolve_is_a_fetch_problem(site: FakeSite, tmp_path: Path) -> None:
    source = _source(site, '<a href="http://nowhere.test/x.pdf">x</a>', allowed_hosts=[*ALL_HOSTS, "nowhere.test"])
    report, transport = _harvest(source, tmp_path)
    [fetch] = report.fetches
    assert fetch.outcome == "transport_error" and fetch.attempts == 2  # retried: DNS can be down for a moment
    assert (fetch.error or "").startswith("cannot resolve 'nowhere.test'") and "gave up after 2 attempts" in (fetch.error or "")
    assert [str(r.url.path) for r in transport.requests] == ["/a.html"]
