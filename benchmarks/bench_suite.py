"""Wall time of the whole test suite as the README's test command runs it, and where it goes.

Runs ``scripts/test.sh`` (install if needed, then pytest over one xdist worker per core) once per
``--runs``, and prints each run's wall time against the 6-minute target with the machine's load
average, then, for the last run, as pytest measured them: the ten slowest test phases (a night
shows as the setup of the first test that reads it), the time of each xdist group (a module, or
the modules sharing a night: tests/conftest.py) and of each worker. The sum of the groups over
the number of workers is the wall time a quiet machine approaches when the workers end together;
on a machine shared with other work, compare that sum between two versions, measured in one go,
rather than wall times taken at different moments.

Run: .venv/bin/python benchmarks/bench_suite.py [--runs N] [-- extra pytest arguments]
Set SPASER_TEST_ADMIN_URL to a PostgreSQL server to measure what CI measures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 6 * 60
DURATION_LINE = re.compile(r"^\s*(\d+\.\d+)s (setup|call|teardown)\s+(\S+)")
WORKER_LINE = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] \w+ (\S+)")


def run_suite(extra: list[str]) -> tuple[float, int, str]:
    started = time.monotonic()
    completed = subprocess.run(
        ["bash", "scripts/test.sh", "-v", "-p", "no:cacheprovider", "--durations=0", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return time.monotonic() - started, completed.returncode, completed.stdout


def split_group(nodeid: str) -> tuple[str, str]:
    """(test id, xdist group): under ``--dist loadgroup`` a worker suffixes its ids with ``@group``."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        test_id, group = nodeid.rsplit("@", 1)
        return test_id, group
    return nodeid, nodeid.split("::")[0]


def load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    output = ""
    for number in range(1, args.runs + 1):
        load_before = load()
        seconds, status, output = run_suite(args.pytest_args)
        closing = next((line for line in reversed(output.splitlines()) if " in " in line and "passed" in line), "")
        print(
            f"Exécution {number} : {seconds / 60:.1f} min ({seconds:.0f} s, cible {TARGET_SECONDS} s, "
            f"ratio {seconds / TARGET_SECONDS:.2f}) — code {status} — {closing.strip('= ')} — charge de la "
            f"machine (1, 5, 15 min) avant {load_before}, après {load()}"
        )
    phases = []
    worker_of = {}
    for line in output.splitlines():
        if match := DURATION_LINE.match(line):
            phases.append((float(match.group(1)), match.group(2), *split_group(match.group(3))))
        elif match := WORKER_LINE.match(line):
            worker_of[split_group(match.group(2))[0]] = match.group(1)
    print("Les dix phases de test les plus lentes (dernière exécution) :")
    for seconds, phase, test_id, _group in sorted(phases, reverse=True)[:10]:
        print(f"  {seconds:7.1f} s  {phase:8}  {test_id}")
    by_group, by_worker = defaultdict(float), defaultdict(float)
    for seconds, _phase, test_id, group in phases:
        by_group[group] += seconds
        by_worker[worker_of.get(test_id, "?")] += seconds
    print("Durée de chaque groupe (module, ou modules d'une nuit partagée), somme de ses phases :")
    for group, seconds in sorted(by_group.items(), key=lambda item: -item[1]):
        print(f"  {seconds:7.1f} s  {group}")
    total, workers = sum(by_group.values()), len([worker for worker in by_worker if worker != "?"]) or 1
    print(
        f"Somme des groupes : {total:.0f} s, soit {total / workers:.0f} s par processus sur {workers} ; "
        "par processus : " + ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(by_worker.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
