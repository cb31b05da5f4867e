"""One site being built: what it reads (warehouse, raw store, quarantine), where it writes, and how.

Pages are rendered from the Jinja2 templates; their data travel as ``<script>`` files (``file://``
forbids ``fetch()``). A file is written again only when its bytes change, so an unchanged page keeps
its modification time and a static host uploads only what changed.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

#: bumped when the pages' structure changes: a site built by another version is rebuilt in full
SITE_FORMAT = "1"


def write_if_changed(path: Path, content: str | bytes) -> None:
    """Write a file through a temporary one, unless it already holds exactly these bytes."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _script(variable: str, payload: Any) -> str:
    """A data file the pages load with ``<script src>`` (file:// forbids fetch()); ``</`` escaped for HTML."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).replace("</", "<\\/")
    return f"window.{variable}=Object.assign(window.{variable}||{{}},{text});\n"


def _json_default(value: Any) -> Any:
    # plotly figures may carry numpy arrays or Decimals; money strings are already text
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("warehouse.site", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class Site:
    """One site being built: the warehouse and stores it reads, the folder it writes, the time each step took."""

    engine: Engine
    out: Path
    raw_dir: Path
    quarantine_dir: Path
    #: put each document's PDF into ``OUT/pdf``; otherwise the pages link to the raw store by file:// URL
    copy_pdfs: bool = True
    built_at: str = field(default_factory=_now)
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    env: Any = field(default_factory=_environment, repr=False)

    def raw_file(self, sha256: str) -> Path:
        """Where the raw store keeps a document's bytes (a spreadsheet's too, under the same suffix)."""
        return self.raw_dir / f"{sha256}.pdf"

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the time the block takes to ``timings[step]``."""
        started = time.perf_counter()
        yield
        self.timings[step] += time.perf_counter() - started

    def render(
        self,
        template: str,
        page: str,
        *,
        data_script: str | None = None,
        charts: bool = False,
        viewer: bool = False,
        **context: Any,
    ) -> None:
        """Render a template into ``OUT/<page>``; its links start from ``root``, the way back to ``OUT``."""
        with self.timed("templates"):
            html = self.env.get_template(template).render(
                version=SITE_FORMAT,
                built_at=self.built_at,
                root="../" * page.count("/"),
                data_script=data_script,
                charts=charts,
                viewer=viewer,
                **context,
            )
            write_if_changed(self.out / page, html)

    def write_data(self, name: str, variable: str, payload: Any) -> None:
        """Write ``OUT/data/<name>``: a script that merges ``payload`` into ``window.<variable>``."""
        write_if_changed(self.out / "data" / name, _script(variable, payload))
