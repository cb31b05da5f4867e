"""An unexpected error inside one document's processing fails that document, with a reason, and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from flows import pipeline
from flows.flow import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PUTUO_PDF = ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"


def test_internal_error_fails_the_document_keeps_its_bytes_and_the_next_one_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    odd = tmp_path / "odd.pdf"
    shutil.copy(PUTUO_PDF, odd)
    real_identify = pipeline.identify_tables
    calls: list[int] = []

    def identify_or_break(pages, grids):  # type: ignore[no-untyped-def]
        calls.append(len(pages))
        if len(calls) == 1:  # the first document hits a bug
            raise StopIteration("a bug in table identification")
        return real_identify(pages, grids)

    monkeypatch.setattr(pipeline, "identify_tables", identify_or_break)
    bad = process_document(odd, settings, engine, parallel=False)
    assert bad.status == "failed" and len(bad.reasons) == 1
    reason = bad.reasons[0]
    assert reason.startswith("odd.pdf: internal error while processing (StopIteration: a bug in table identification at ")
    assert "test_pipeline_resilience.py" in reason and "raw bytes kept" in reason
    assert (settings.raw_dir / f"{bad.sha256}.pdf").read_bytes() == PUTUO_PDF.read_bytes()

    # the same bytes again (the bug fixed): they load, and the failure is replaced by the load
    good = process_document(PUTUO_PDF, settings, engine, parallel=False)
    assert good.status == "loaded" and good.sha256 == bad.sha256 and good.facts_loaded == 195
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status FROM etl_document")).scalars().all()
    assert rows == ["loaded"]
