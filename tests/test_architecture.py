"""The house rules hold: import-linter contracts in pyproject.toml ([tool.importlinter]) and modules of one job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


#: the packages of the pipeline (tests, benchmarks and sample generators are not held to it)
PACKAGES = ("flows", "extract", "transform", "warehouse", "expectations")
#: a module longer than this is doing more than one job ([2/7]: "no module over ~500 lines outside tests")
MAX_MODULE_LINES = 500


def test_no_module_of_the_pipeline_is_over_the_line_limit() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }
    assert len(sizes) > 50, sizes  # the packages were found
    too_long = {path: lines for path, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"split these along their seams: {too_long}"
