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
  second reuses it); then ``fiscal server start --no-worker`` and the same run ``--runs`` times
  against it (the flow in the command's process: Prefect, the pipeline and GX imported each time);
  then ``fiscal server start`` again, which adds the worker, and the same run ``--runs`` times
  through it (the command imports no Prefect or GX: the worker runs the flow). The "flow s" column
  is what the run's summary line reports (the flow in the command, or from creating the worker's
  flow run to its end).

Prints seconds and the ratio of each to the baseline's median; asserts nothing. The commands run this
checkout's code (``PYTHONPATH``), whatever the environment's editable install points at.

    .venv/bin/python benchmarks/cli.py [--repeat 7] [--runs 3] [--no-run]
"""

from __future__ import annotations

import argparse
import os
import re
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
        rows: list[Row] = [(name, statistics.median(ts), min(ts), len(ts), None) for name, ts in times.items()]
        if not args.no_run:
            rows += measure_runs(cli, env, tmp, args.runs)
    finally:
        subprocess.run([*cli, "server", "stop"], env=env, cwd=tmp, capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    base = rows[0][1]
    print(f"\n{'command':48} {'median s':>9} {'min s':>7} {'runs':>5} {'× baseline':>11} {'flow s':>7}")
    for name, median, least, count, flow in rows:
        flow_text = f"{flow:7.1f}" if flow is not None else ""
        print(f"{name:48} {median:9.2f} {least:7.2f} {count:5d} {median / base:11.1f} {flow_text}")


#: (command, median s, min s, runs, median of the seconds `fiscal run` reports, or None)
Row = tuple[str, float, float, int, float | None]

# `fiscal ARGS` in this interpreter, then the top-level packages it imported on stdout (which path ran)
RUNNER = """
import sys
sys.argv = ["fiscal", *sys.argv[1:]]
try:
    from flows.cli import app
    app()
finally:
    print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def flow_seconds(stderr: str) -> float:
    """The seconds of `fiscal run`'s summary line ("… seconds: 1.3")."""
    found = re.search(r"seconds:\s*([\d.]+)", stderr)
    if found is None:
        raise SystemExit("no summary line:\n" + stderr[-2000:])
    return float(found.group(1))


def repeated_runs(label: str, env: dict[str, str], cwd: Path, runs: int, worker: bool) -> Row:
    """``runs`` times `fiscal run` of the document, checking that it used the server (and the worker, or not)."""
    walls, flows = [], []
    for _ in range(runs):
        seconds, result = timed([sys.executable, "-c", RUNNER, "run", str(RUN_DOCUMENT)], env, cwd)
        if "Prefect starts a temporary server" in result.stderr:
            raise SystemExit("the run did not find the server:\n" + result.stderr[-2000:])
        if ("prefect" in result.stdout.split()) == worker:
            raise SystemExit(f"the run {'imported' if worker else 'did not import'} Prefect:\n" + result.stderr[-2000:])
        walls.append(seconds)
        flows.append(flow_seconds(result.stderr))
    return (label, statistics.median(walls), min(walls), runs, statistics.median(flows))


def measure_runs(cli: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[Row]:
    """`fiscal run` of one document: temporary server; `fiscal server start --no-worker`; then with its worker."""
    run = [*cli, "run", str(RUN_DOCUMENT)]
    rows: list[Row] = []
    for label in ("fiscal run 1 doc, temporary server (cold)", "fiscal run 1 doc, temporary server (warm db)"):
        seconds, result = timed(run, env, cwd)
        rows.append((label, seconds, seconds, 1, flow_seconds(result.stderr)))
    seconds, result = timed([*cli, "server", "start", "--port", "0", "--no-worker"], env, cwd)
    rows.append(("fiscal server start --no-worker (once)", seconds, seconds, 1, None))
    print(f"server: {result.stdout.strip()}", file=sys.stderr)
    rows.append(repeated_runs("fiscal run 1 doc, server, flow in the command", env, cwd, runs, worker=False))
    seconds, result = timed([*cli, "server", "start"], env, cwd)
    rows.append(("fiscal server start (adds the worker, once)", seconds, seconds, 1, None))
    rows.append(repeated_runs("fiscal run 1 doc, server + worker", env, cwd, runs, worker=True))
    return rows


if __name__ == "__main__":
    main()
