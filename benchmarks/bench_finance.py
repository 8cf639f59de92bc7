"""Finance benchmark: generated mandats at a multiple of the real volume, full build vs one night.

Run: ``.venv/bin/python benchmarks/bench_finance.py [--scale 1] [--years 4]``
(``--scale 100`` is the ×100 target: about 24 million lines for four years, some 2.5 GB of CSV;
allow the disk and an hour or more).

Scale ×1 is the real volume: about 60 000 mandat lines a year for the three collectivités, over
``--years`` years of history, written streaming (cp1252, ``;``, decimal comma, JJ/MM/AAAA) with
about 15 000 payees, cancellations and non-purchase accounts. In a scratch database of the
warehouse server (SPASER_WAREHOUSE_URL, else the embedded pgserver) it measures:

1. the loader (``spaser.ingest.loader.load_file``) on the history file, in a child process (peak RSS),
   against a plain ``COPY`` of the same file into an all-text table: ratio COPY / loader;
2. the full build of the finance models, ``dbt build --select +fct_depenses --full-refresh``
   (seeds, staging, the incremental intermediate models from scratch, fct_depenses);
3. one night: a file of one more day of mandats (1/365 of a year) is loaded, then the same
   selection is built incrementally; target: at most 10 % of the full build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

BENCHMARKS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCHMARKS_DIR.parent
sys.path[:0] = [str(PROJECT_ROOT), str(BENCHMARKS_DIR)]

from bench_loader import plain_copy_seconds, scratch_database, warm_up, with_check_digit  # noqa: E402

from spaser.db.warehouse import warehouse_url  # noqa: E402

LINES_PER_YEAR = 60_000
# Suppliers paid in a year; each is paid on one or two accounts and at most one contract, as in
# real ledgers (many lines per supplier, account and contract). The supplier base grows much
# slower than the volume: ×10 suppliers for ×100 lines.
PAYEES_AT_SCALE_1 = 5_000
FIRST_YEAR = 2022
BUYERS = ("200068781", "212603625", "212602817")
ACCOUNTS = ("2313", "2152", "6068", "60632", "2183", "611", "6156", "6228", "6257", "6574")
HEADER = (
    "collectivite_siren;exercice;budget;numero_bordereau;numero_mandat;ligne;date_mandat;tiers_siret;"
    "tiers_nom;compte_nature;fonction;montant_ht;montant_ttc;id_marche"
)
DBT_SELECTION = ["build", "--select", "+fct_depenses", "--exclude", "fct_indicateurs+"]
# The models whose cost grows with the history; the rest of the selection (seeds, views, the
# marchés and SIRENE models, dbt's start-up) costs the same every night whatever the volume.
SPEND_MODELS = ("int_finance__mandats_lignes", "int_finance__depenses", "fct_depenses")


def payees(count: int, seed: int = 57) -> list[tuple[str, tuple[str, ...], str]]:
    """(identifier, accounts, contract) per supplier; some foreign, some without identifier."""
    generator = random.Random(seed)
    suppliers = []
    for number in range(count):
        if number % 97 == 0:
            identifier = f"BE0{generator.randrange(10**8, 10**9)}"
        elif number % 89 == 0:
            identifier = ""
        else:
            identifier = with_check_digit(f"{generator.randrange(10**12, 10**13)}")
        accounts = tuple(generator.sample(ACCOUNTS, generator.choice((1, 2))))
        contract = f"{number % 700:04d}" if number % 3 == 0 else ""
        suppliers.append((identifier, accounts, contract))
    return suppliers


def write_mandats(
    path: Path, days: list[date], lines_per_day: int, suppliers: list, start_number: int, seed: int
) -> int:
    """Stream mandat lines, ``lines_per_day`` for each day; 2 % are cancelled by a negative line."""
    generator = random.Random(seed)
    number = start_number
    with path.open("w", encoding="cp1252", newline="") as stream:
        stream.write(HEADER + "\r\n")
        for day in days:
            french_day = day.strftime("%d/%m/%Y")
            for _ in range(lines_per_day):
                number += 1
                buyer = BUYERS[number % 3]
                amount = generator.lognormvariate(7, 1.3)
                text = f"{amount:.2f}".replace(".", ",")
                identifier, accounts, contract = generator.choice(suppliers)
                id_marche = f"{day.year}-{contract}" if contract else ""
                row = (
                    f"{buyer};{day.year};principal;B{number // 40:08d};M{number:09d};{{ligne}};{french_day};"
                    f"{identifier};FOURNISSEUR;{generator.choice(accounts)};020;{{montant}};;{id_marche}\r\n"
                )
                stream.write(row.format(ligne=1, montant=text))
                if number % 50 == 0:
                    stream.write(row.format(ligne=2, montant="-" + text))
    return number


def load_in_child(url: str, inbox: Path, path: Path, night: str) -> dict:
    """Load one file in a child process, as the extraction of night ``night`` (its run id)."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", url, str(inbox), str(path), night],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child_main(url: str, inbox: Path, path: Path, night: str) -> None:
    import resource

    from spaser.db.migrations import migrate
    from spaser.ingest.finance import MandatsSource
    from spaser.ingest.loader import load_file, refresh_statistics

    with psycopg.connect(url) as conn:
        migrate(conn)
        conn.commit()
        warm_up(conn, MandatsSource(), path)
        started = time.perf_counter()
        report = load_file(conn, MandatsSource(), path, inbox, run_id=night)
        seconds = time.perf_counter() - started
        refresh_statistics(conn, MandatsSource())  # as load_source does once a source's files are in
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "report": report.to_dict()}))


def dbt_seconds(url: str, home: Path, extra: list[str]) -> tuple[float, float]:
    """Wall time of the dbt selection, and the execution time of the spend models within it."""
    os.environ["SPASER_WAREHOUSE_URL"] = url
    os.environ["SPASER_HOME"] = str(home)
    from spaser.pipeline.dbt import run_dbt

    started = time.perf_counter()
    completed = run_dbt([*DBT_SELECTION, *extra])
    seconds = time.perf_counter() - started
    if not completed.success:
        raise SystemExit("dbt a échoué :\n" + completed.output[-4000:])
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    timings = {
        result["unique_id"].split(".")[2]: result["execution_time"]
        for result in results
        if result["unique_id"].split(".")[2] in SPEND_MODELS
    }
    slowest = sorted(results, key=lambda result: result["execution_time"], reverse=True)[:6]
    print(
        "   "
        + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items())
        + " | les plus longs : "
        + ", ".join(f"{result['unique_id'].split('.')[2]} {result['execution_time']:.1f} s" for result in slowest),
        flush=True,
    )
    return seconds, sum(timings.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiple of the real volume (60 000 lines a year)")
    parser.add_argument("--years", type=int, default=4, help="years of history")
    arguments = parser.parse_args()

    lines_per_day = max(1, round(LINES_PER_YEAR * arguments.scale / 365))
    suppliers = payees(PAYEES_AT_SCALE_1 * max(1, arguments.scale // 10))
    history_days = [date(FIRST_YEAR, 1, 1) + timedelta(days=offset) for offset in range(365 * arguments.years)]
    next_day = history_days[-1] + timedelta(days=1)
    with (
        tempfile.TemporaryDirectory(prefix="spaser_bench_finance_") as folder,
        scratch_database(warehouse_url()) as url,
    ):
        inbox = Path(folder) / "inbox"
        mandats = inbox / "finance" / "mandats"
        mandats.mkdir(parents=True)
        history = mandats / "mandats_historique.csv"
        last_number = write_mandats(history, history_days, lines_per_day, suppliers, 0, seed=1)
        size_mib = history.stat().st_size / 2**20

        loaded = load_in_child(url, inbox, history, "historique")
        plain = plain_copy_seconds(url, history, HEADER)
        report = loaded["report"]
        print(
            f"historique ×{arguments.scale} : {report['nb_enregistrements']} lignes ({size_mib:.0f} Mio) — "
            f"COPY brut {plain:.1f} s, chargeur {loaded['seconds']:.1f} s, ratio COPY/chargeur "
            f"{plain / loaded['seconds']:.2f}, mémoire max du chargeur {loaded['peak_rss_mib']:.0f} Mio",
            flush=True,
        )

        home = Path(folder) / "home"
        full, full_spend = dbt_seconds(url, home, ["--full-refresh"])
        print(
            f"construction complète (dbt {' '.join(DBT_SELECTION)} --full-refresh) : {full:.1f} s, "
            f"dont modèles de dépense {full_spend:.1f} s",
            flush=True,
        )

        one_day = mandats / "mandats_jour_suivant.csv"
        write_mandats(one_day, [next_day], lines_per_day, suppliers, last_number, seed=2)
        day_load = load_in_child(url, inbox, one_day, "nuit-suivante")
        night, night_spend = dbt_seconds(url, home, [])
        print(
            f"nuit incrémentale (+1 jour, {day_load['report']['nb_enregistrements']} lignes, chargées en "
            f"{day_load['seconds']:.1f} s) : dbt {night:.1f} s, dont modèles de dépense {night_spend:.1f} s — "
            f"ratio nuit/complète {night / full:.1%} (modèles de dépense : {night_spend / full_spend:.1%} ; "
            f"cible ≤ 10 %)",
            flush=True,
        )


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child_main(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
    else:
        main()
