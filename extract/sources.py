"""The ``sources.yaml`` model: where disclosures are published and how politely to fetch them.

A bad file is rejected with an error that names the key and the line, because the file is edited
by hand and a crawl that silently ignores a misspelt key fetches nothing for weeks. YAML anchors and
aliases are refused and the file is capped at :data:`MAX_SOURCES_BYTES`: a few hundred bytes of nested
aliases ("billion laughs") expand into more nodes than memory holds, and nothing here needs them.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_LINK_PATTERN = r"(?i)\.(?:pdf|xlsx?)(?:$|[?#])"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: A sources file longer than this is refused unread (a real one is a few KB).
MAX_SOURCES_BYTES = 1024 * 1024


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names file, line and key."""


def _check_regex(value: str | None) -> str | None:
    """Reject a pattern Python's ``re`` cannot compile (with its own explanation)."""
    if value is None:
        return None
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not be ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Politeness(_Strict):
    """How hard one host may be hit: parallel requests and the pause between two requests."""

    concurrency: Annotated[int, Field(ge=1, le=16)] = 2
    delay: Annotated[float, Field(ge=0, le=60)] = 0.5


class Pagination(_Strict):
    """How a listing page links to the next one, and how many pages to read at most."""

    next_pattern: str = r"下一页|下页|next"
    max_pages: Annotated[int, Field(ge=1, le=1000)] = 20

    _regex = field_validator("next_pattern")(_check_regex)


class Source(_Strict):
    """One place where disclosures are published (a 预决算公开 column, or a local folder)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=80)]
    kind: Literal["http_listing", "local_dir"]
    start_urls: list[str] = Field(default_factory=list)
    path: Path | None = None
    link_pattern: str = DEFAULT_LINK_PATTERN
    article_pattern: str | None = None
    pagination: Pagination | None = None
    depth: Annotated[int, Field(ge=1, le=4)] = 2
    allowed_hosts: list[str] = Field(default_factory=list)
    # private and loopback addresses are refused (SSRF) unless written as a start URL's host, or this is true
    allow_private: bool = False
    department: str | None = None
    year: Annotated[int | None, Field(ge=1990, le=2100)] = None
    region: str | None = None  # province / region of the publishing departments (dim_department.region)
    city: str | None = None  # city (dim_department.city)
    politeness: Politeness = Politeness()
    host_politeness: dict[str, Politeness] = Field(default_factory=dict)
    max_bytes: Annotated[int, Field(ge=1024)] = 50 * 1024 * 1024
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    backoff: Annotated[float, Field(ge=0, le=60)] = 1.0

    _regex = field_validator("link_pattern", "article_pattern")(_check_regex)

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        """Start URLs are absolute http(s) URLs."""
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an absolute http(s) URL: {url!r}")
        return urls

    @field_validator("allowed_hosts")
    @classmethod
    def _lower_hosts(cls, hosts: list[str]) -> list[str]:
        """Host names compare case-insensitively; a host is a name, not a URL."""
        for host in hosts:
            if "/" in host or not host.strip():
                raise ValueError(f"a host name, not a URL: {host!r}")
        return [h.strip().lower() for h in hosts]

    @model_validator(mode="after")
    def _kind_needs(self) -> Source:
        """An http_listing needs start URLs; a local_dir needs a path."""
        if self.kind == "http_listing" and not self.start_urls:
            raise ValueError("an http_listing source needs start_urls")
        if self.kind == "local_dir" and self.path is None:
            raise ValueError("a local_dir source needs path")
        return self

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts that may be fetched: allowed_hosts, else the hosts of the start URLs."""
        if self.allowed_hosts:
            return frozenset(self.allowed_hosts)
        return frozenset((urlsplit(u).hostname or "").lower() for u in self.start_urls)

    @property
    def literal_addresses(self) -> frozenset[str]:
        """IP addresses written literally as the host of a start URL (a test site on 127.0.0.1)."""
        out = set()
        for url in self.start_urls:
            host = urlsplit(url).hostname or ""
            try:
                out.add(str(ipaddress.ip_address(host)))
            except ValueError:
                continue  # a name: what it resolves to is checked like any other host
        return frozenset(out)

    def politeness_for(self, host: str) -> Politeness:
        """The politeness rule of one host (its own entry, else the source's default)."""
        return self.host_politeness.get(host.lower(), self.politeness)


class SourcesFile(_Strict):
    """The whole ``sources.yaml``: a list of sources with unique names."""

    sources: list[Source]

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[Source]) -> list[Source]:
        """Source names are keys (CLI ``--source``, etl_document.source): no duplicates."""
        seen: set[str] = set()
        for source in sources:
            if source.name in seen:
                raise ValueError(f"duplicate source name {source.name!r}")
            seen.add(source.name)
        return sources

    def select(self, name: str | None) -> list[Source]:
        """All sources, or the one called ``name`` (KeyError naming the known ones)."""
        if name is None:
            return list(self.sources)
        for source in self.sources:
            if source.name == name:
                return [source]
        raise KeyError(f"no source named {name!r} (known: {', '.join(s.name for s in self.sources) or 'none'})")


Location = tuple[str | int, ...]


class _AliasRefused(Exception):
    """An anchor or alias met while composing (its mark says where)."""

    def __init__(self, what: str, mark: yaml.Mark) -> None:
        super().__init__(what)
        self.what = what
        self.mark = mark


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first anchor or alias instead of composing it."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Refuse ``&anchor`` and ``*alias`` before they are composed."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _AliasRefused(f"alias *{event.anchor}", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _AliasRefused(f"anchor &{anchor}", event.start_mark)
        return super().compose_node(parent, index)


def _compose(text: str, filename: str) -> yaml.Node | None:
    """The node tree of ``text``; SourcesError for bad YAML, anchors/aliases, or nesting too deep."""
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_node()
    except _AliasRefused as exc:
        raise SourcesError(
            f"{filename}:{exc.mark.line + 1}: YAML {exc.what}: anchors and aliases are not allowed in a sources "
            f"file (write the values out)"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{filename}{at}: not valid YAML ({exc.problem or exc})") from exc
    except yaml.YAMLError as exc:
        raise SourcesError(f"{filename}: not valid YAML ({exc})") from exc
    except RecursionError:
        raise SourcesError(f"{filename}: nested too deeply to be a sources file") from None
    finally:
        loader.dispose()


def _node_lines(node: yaml.Node, path: Location, lines: dict[Location, int]) -> None:
    """Record the 1-based line of every key and list item under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            _node_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _node_lines(item, child, lines)


def _line_of(loc: Location, lines: dict[Location, int]) -> int | None:
    """Line of the deepest known prefix of a pydantic error location."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _dotted(loc: Location) -> str:
    """``('sources', 0, 'pagination', 'max_pages')`` → ``sources[0].pagination.max_pages``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_sources(text: str, filename: str = "sources.yaml") -> SourcesFile:
    """Validate the text of a sources file; SourcesError names the line and key of each problem."""
    if len(text) > MAX_SOURCES_BYTES:
        raise SourcesError(f"{filename}: {len(text)} characters, over the {MAX_SOURCES_BYTES}-byte limit of a sources file")
    root = _compose(text, filename)
    if root is None:
        raise SourcesError(f"{filename}: empty file (expected a 'sources:' list)")
    lines: dict[Location, int] = {(): root.start_mark.line + 1}
    _node_lines(root, (), lines)
    # construct from the same node tree, so line numbers and values cannot disagree
    try:
        data: Any = yaml.SafeLoader("").construct_document(root)
    except yaml.MarkedYAMLError as exc:  # a tag SafeLoader does not construct (!!python/object …)
        mark = exc.problem_mark or exc.context_mark
        at = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{filename}{at}: not valid YAML ({exc.problem or exc})") from exc
    _check_duplicate_names(data, lines, filename)
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in ("function-after", "function-before")))
            line = _line_of(loc, lines)
            where = f"{filename}:{line}" if line else filename
            key = _dotted(loc) or "(top level)"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {key}: {message}")
        raise SourcesError("\n".join(problems)) from exc


def _check_duplicate_names(data: Any, lines: dict[Location, int], filename: str) -> None:
    """Name the line of a repeated source name (the model only knows the list as a whole)."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(data["sources"]):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            line = lines.get(("sources", index, "name"))
            raise SourcesError(
                f"{filename}:{line}: sources[{index}].name: duplicate source name {name!r} "
                f"(first at line {lines.get(('sources', seen[name], 'name'))})"
            )
        seen[name] = index


def load_sources(path: Path) -> SourcesFile:
    """Read and validate a sources file (SourcesError when missing, too large, not UTF-8 or invalid)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCES_BYTES + 1)  # never more than the cap into memory
    except FileNotFoundError as exc:
        raise SourcesError(f"{path}: no sources file (copy sources.example.yaml and edit it)") from exc
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > MAX_SOURCES_BYTES:
        raise SourcesError(f"{path}: over the {MAX_SOURCES_BYTES}-byte limit of a sources file (a real one is a few KB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourcesError(f"{path}:{line}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return parse_sources(text, str(path))
