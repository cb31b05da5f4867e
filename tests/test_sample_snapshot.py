"""The published output of the bundled samples, byte for byte: `fiscal export facts` and `fiscal documents`.

A refactor that changes no behaviour leaves these files unchanged. When behaviour changes on purpose,
regenerate them with ``python tests/test_sample_snapshot.py`` and review the diff in the commit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "data" / "snapshots"
SAMPLES = ("samples/changsha_zwfwzx_2020_juesuan.pdf", "samples/shanghai-putuo_finance-bureau_2024_juesuan.pdf")
COMMANDS = {"export-facts.csv": ["export", "facts", "--format", "csv"], "documents.csv": ["documents"]}


def outputs(workdir: Path) -> dict[str, str]:
    """Load the samples (paths relative to the repository, as `make demo` names them) and run each command."""
    from flows.cli import app
    from flows.flow import warehouse_engine
    from flows.pipeline import process_document
    from flows.settings import Settings

    url = f"sqlite:///{workdir / 'warehouse.sqlite'}"
    settings = Settings(warehouse_url=url, data_dir=workdir / "data")
    engine = warehouse_engine(url)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for sample in SAMPLES:
            outcome = process_document(Path(sample), settings, engine, parallel=False)
            assert outcome.status == "loaded", outcome.notes
    finally:
        os.chdir(cwd)
    runner = CliRunner()
    out: dict[str, str] = {}
    for name, args in COMMANDS.items():
        result = runner.invoke(app, [*args, "--warehouse", url])
        assert result.exit_code == 0, result.output
        out[name] = result.stdout
    return out


def test_sample_outputs_are_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    for name, text in outputs(tmp_path).items():
        expected = (SNAPSHOTS / name).read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from tests/data/snapshots/{name}"


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        os.environ["FISCAL_DATA_DIR"] = str(Path(folder) / "data")
        for name, text in outputs(Path(folder)).items():
            (SNAPSHOTS / name).write_text(text, encoding="utf-8")
            print(f"wrote tests/data/snapshots/{name}")
