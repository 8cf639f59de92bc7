"""Wall time of the whole test suite as the README's test command runs it, and its slowest tests.

Runs ``scripts/test.sh`` (install if needed, then pytest over one xdist worker per core) once per
``--runs``, and prints each run's wall time against the 6-minute target, then the ten slowest test
phases of the last run as pytest measured them (a module's night shows as the setup of its first
test). The machine is noisy: compare several runs, not one.

Run: .venv/bin/python benchmarks/bench_suite.py [--runs N] [-- extra pytest arguments]
Set SPASER_TEST_ADMIN_URL to a PostgreSQL server to measure what CI measures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 6 * 60
DURATION_LINE = re.compile(r"^\s*(\d+\.\d+)s (setup|call|teardown)\s+(\S+)")


def run_suite(extra: list[str]) -> tuple[float, int, str]:
    started = time.monotonic()
    completed = subprocess.run(
        ["bash", "scripts/test.sh", "-q", "-p", "no:cacheprovider", "--durations=10", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return time.monotonic() - started, completed.returncode, completed.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    output = ""
    for number in range(1, args.runs + 1):
        seconds, status, output = run_suite(args.pytest_args)
        closing = next((line for line in reversed(output.splitlines()) if " in " in line and "passed" in line), "")
        print(
            f"Exécution {number} : {seconds / 60:.1f} min ({seconds:.0f} s, cible {TARGET_SECONDS} s, "
            f"ratio {seconds / TARGET_SECONDS:.2f}) — code {status} — {closing.strip('= ')}"
        )
    print("Les dix phases de test les plus lentes (dernière exécution) :")
    for line in output.splitlines():
        match = DURATION_LINE.match(line)
        if match:
            print(f"  {float(match.group(1)):7.1f} s  {match.group(2):8}  {match.group(3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
