"""Time to import the DAG file, as Airflow's dag-processor does (guidance: well under a second).

Each measure runs in a fresh interpreter with airflow.sdk already imported (the dag-processor
has it loaded), so the figure is what our file adds: its own imports and the DAG construction.
Run: .venv/bin/python benchmarks/bench_dag_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = ROOT / "dags" / "spaser_nightly.py"
PROBE = f"""
import os, time, importlib.util
os.environ.setdefault("SPASER_HOME", {tempfile.mkdtemp()!r})
from spaser.cli.airflow_setup import configure_airflow_environment
configure_airflow_environment()
import airflow.sdk
from airflow.sdk import dag, task, Param
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("spaser_nightly", {str(DAG_FILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def main(runs: int = 5) -> None:
    timings = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
        timings.append(float(out.stdout.strip().splitlines()[-1]))
    median = statistics.median(timings)
    print(
        f"Import du fichier DAG ({runs} mesures, interpréteur neuf) : médiane {median:.3f} s, max {max(timings):.3f} s"
    )
    print(f"Ratio à la cible d'une seconde : {median / 1.0:.2f}")


if __name__ == "__main__":
    main()
