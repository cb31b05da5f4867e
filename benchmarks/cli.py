"""CLI benchmark: wall seconds of `fiscal` commands, each in a fresh process, as a user types them.

In one run, against a temp warehouse with the two samples loaded (``flows.pipeline.process_document``,
no Prefect), in a temp working directory with ``FISCAL_WAREHOUSE_URL`` and ``FISCAL_DATA_DIR`` set:

- baseline: ``python -c "import typer, rich, sqlalchemy"`` (the floor of any Typer + SQLAlchemy CLI);
- ``fiscal --help``, ``fiscal documents``, ``fiscal documents --format table``, ``fiscal show DOC``,
  ``fiscal export facts``, ``fiscal report three-public`` (a terminal table), ``fiscal report facts
  --format csv`` and ``fiscal report facts`` (a terminal table of 673 rows): ``--repeat`` runs each,
  interleaved, median and minimum;
- ``fiscal run`` of one document (the Changsha sample, 478 facts) without a Prefect server (Prefect
  starts its temporary server: the first run creates its database in a new ``PREFECT_HOME``, the
  second reuses it), then ``fiscal server start`` and the same run ``--runs`` times against it.

Prints seconds and the ratio of each to the baseline's median; asserts nothing. The commands run this
checkout's code (``PYTHONPATH``), whatever the environment's editable install points at.

    .venv/bin/python benchmarks/cli.py [--repeat 7] [--runs 3] [--no-run]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = (ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf", ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf")
RUN_DOCUMENT = SAMPLES[0]


def fiscal() -> list[str]:
    """The `fiscal` console script of this interpreter's environment (else ``python -m flows.cli``)."""
    script = Path(sys.executable).parent / "fiscal"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "flows.cli"]


def timed(command: list[str], env: dict[str, str], cwd: Path, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of one command, and its result."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return seconds, result


def load_samples(url: str, data_dir: Path) -> str:
    """Load both samples into the warehouse (no Prefect); return the sha256 of the second."""
    from flows.engine import warehouse_engine
    from flows.pipeline import process_document
    from flows.settings import Settings

    settings = Settings(warehouse_url=url, data_dir=data_dir)
    engine = warehouse_engine(url)
    sha = ""
    for sample in SAMPLES:
        outcome = process_document(sample, settings, engine, parallel=False)
        if outcome.status != "loaded":
            raise SystemExit(f"{sample.name}: {outcome.status} {outcome.reasons[:3]}")
        sha = outcome.sha256
    engine.dispose()
    return sha


def main() -> None:
    """Measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each quick command (default 7)")
    parser.add_argument("--runs", type=int, default=3, help="`fiscal run`s against the server (default 3)")
    parser.add_argument("--no-run", action="store_true", help="only the quick commands")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fiscal-cli-bench-"))
    data_dir = tmp / "data"
    url = f"sqlite:///{tmp / 'warehouse.sqlite'}"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and not k.startswith("FISCAL_")}
    env.update(
        FISCAL_WAREHOUSE_URL=url,
        FISCAL_DATA_DIR=str(data_dir),
        PREFECT_HOME=str(tmp / "prefect-home"),
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    print(f"loading the samples into {url} …", file=sys.stderr)
    sha = load_samples(url, data_dir)
    cli = fiscal()
    quick: dict[str, list[str]] = {
        'python -c "import typer, rich, sqlalchemy"': [sys.executable, "-c", "import typer, rich, sqlalchemy"],
        "fiscal --help": [*cli, "--help"],
        "fiscal documents": [*cli, "documents"],
        "fiscal documents --format table": [*cli, "documents", "--format", "table"],
        "fiscal show DOC": [*cli, "show", sha[:12]],
        "fiscal export facts": [*cli, "export", "facts"],
        "fiscal report three-public": [*cli, "report", "three-public"],
        "fiscal report facts --format csv": [*cli, "report", "facts", "--format", "csv"],
        "fiscal report facts (673-row table)": [*cli, "report", "facts"],
    }
    times: dict[str, list[float]] = {name: [] for name in quick}
    try:
        for _ in range(args.repeat):  # interleaved: a busy moment of the machine hits every command alike
            for name, command in quick.items():
                times[name].append(timed(command, env, tmp)[0])
        rows = [(name, statistics.median(ts), min(ts), len(ts)) for name, ts in times.items()]
        if not args.no_run:
            rows += measure_runs(cli, env, tmp, args.runs)
    finally:
        subprocess.run([*cli, "server", "stop"], env=env, cwd=tmp, capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    base = rows[0][1]
    print(f"\n{'command':44} {'median s':>9} {'min s':>7} {'runs':>5} {'× baseline':>11}")
    for name, median, least, count in rows:
        print(f"{name:44} {median:9.2f} {least:7.2f} {count:5d} {median / base:11.1f}")


def measure_runs(cli: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[tuple[str, float, float, int]]:
    """`fiscal run` of one document: temporary server (new PREFECT_HOME, then reused), then with `fiscal server start`."""
    run = [*cli, "run", str(RUN_DOCUMENT)]
    rows = []
    for label in ("fiscal run 1 doc, temporary server (cold)", "fiscal run 1 doc, temporary server (warm db)"):
        seconds, _ = timed(run, env, cwd)
        rows.append((label, seconds, seconds, 1))
    seconds, result = timed([*cli, "server", "start", "--port", "0"], env, cwd)
    rows.append(("fiscal server start (once)", seconds, seconds, 1))
    print(f"server: {result.stdout.strip()}", file=sys.stderr)
    with_server = []
    for _ in range(runs):
        seconds, result = timed(run, env, cwd)
        if "Prefect starts a temporary server" in result.stderr:
            raise SystemExit("the run did not find the server:\n" + result.stderr[-2000:])
        with_server.append(seconds)
    rows.append(("fiscal run 1 doc, server running", statistics.median(with_server), min(with_server), runs))
    return rows


if __name__ == "__main__":
    main()
