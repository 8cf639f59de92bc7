"""Loader benchmark: the project's CSV loader against a plain COPY of the same file.

Run: ``.venv/bin/python benchmarks/bench_loader.py [--lines 100000] [--scales 1 10]``

For each scale it writes a marches/offres CSV the way the market software exports it (``;``,
Windows-1252, JJ/MM/AAAA, decimal habits irrelevant here, an extra column), then, each in a fresh
scratch database of the warehouse server (SPASER_WAREHOUSE_URL, else the embedded pgserver):

- ``COPY ... FROM STDIN`` of the file into a plain all-text table (the floor: no validation);
- the project's loader (``spaser.ingest.loader.load_file``) in a child process, whose peak RSS is
  measured, so that memory can be compared between scales. The child first loads the file's
  first lines, untimed (see ``warm_up``).

It prints both times (medians of the runs), the ratio plain_time / loader_time (target >= 0.7) and the loader's peak
memory at every scale: it must stay flat when the file grows tenfold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from spaser.db.warehouse import ConnectionParams, warehouse_url  # noqa: E402
from spaser.ingest.siret import is_valid_siret  # noqa: E402

HEADER = (
    "acheteur_siret;id_consultation;lot;soumissionnaire_siret;groupement;date_depot;retenue;"
    "exclusion_motif;demande_motifs_rejet;commentaire"
)
BUYERS = ("20006878100018", "21260362500014", "21260281700018")
EXCLUSIONS = ("", "", "", "", "", "", "offre_irreguliere", "offre_anormalement_basse")
COMMENTS = ("", "", "dépôt électronique", "offre reçue après relance", "candidature complète")
PLAIN_COPY_CHUNK = 1 << 20


def with_check_digit(first_13_digits: str) -> str:
    """A SIRET: real exports hold valid ones, so almost no signalement is expected."""
    return next(candidate for digit in "0123456789" if is_valid_siret(candidate := first_13_digits + digit))


def write_offres_csv(path: Path, lines: int, seed: int = 2022) -> None:
    """Stream ``lines`` bids into ``path`` (cp1252, ``;``, JJ/MM/AAAA); 1 in 10 000 rows is faulty."""
    generator = random.Random(seed)
    first_day = date(2022, 1, 1)
    with path.open("w", encoding="cp1252", newline="") as stream:
        stream.write(HEADER + "\r\n")
        for number in range(lines):
            bidder = (
                f"DE{generator.randrange(10**8, 10**9)}"
                if number % 50 == 0
                else with_check_digit(f"{generator.randrange(10**12, 10**13)}")
            )
            deposit = first_day + timedelta(days=generator.randrange(1460))
            day = "31/02/2022" if number % 10_000 == 9_999 else deposit.strftime("%d/%m/%Y")
            stream.write(
                f"{BUYERS[number % 3]};{2022 + number % 4}-{number // 7:06d};{number % 7 + 1};{bidder};"
                f"{generator.choice(('oui', 'non'))};{day};{generator.choice(('O', 'N'))};"
                f"{generator.choice(EXCLUSIONS)};{generator.choice(('0', '1'))};{generator.choice(COMMENTS)}\r\n"
            )


def database_url(server_url: str, dbname: str) -> str:
    params = ConnectionParams.from_url(server_url)
    if params.host.startswith("/"):
        return f"postgresql://{params.user}:@/{dbname}?host={params.host}&port={params.port}"
    auth = params.user + (f":{params.password}" if params.password else "")
    return f"postgresql://{auth}@{params.host}:{params.port}/{dbname}"


@contextmanager
def scratch_database(server_url: str):
    dbname = f"spaser_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{dbname}"')
    try:
        yield database_url(server_url, dbname)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{dbname}" with (force)')


def plain_copy_seconds(url: str, path: Path, header: str = HEADER) -> float:
    """Plain ``COPY FROM STDIN`` of the file into an all-text table: the baseline of every ratio."""
    table = f"plain_copy_{uuid.uuid4().hex[:8]}"
    columns = ", ".join(f"{name} text" for name in header.split(";"))
    with psycopg.connect(url) as conn:
        conn.execute(f"create table {table} ({columns})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                f"copy {table} from stdin (format csv, header true, delimiter ';', encoding 'WIN1252')"
            ) as copy,
            path.open("rb") as stream,
        ):
            while chunk := stream.read(PLAIN_COPY_CHUNK):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute(f"drop table {table}")
        conn.commit()
        return elapsed


def loader_run(url: str, inbox: Path) -> dict:
    """Run the loader in a child process; its time and peak RSS come back as JSON."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", url, str(inbox)], check=True, capture_output=True, text=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def warm_up(conn: psycopg.Connection, source, path: Path) -> None:
    """Load the file's first lines once, untimed. A night loads dozens of files in one process:
    the one-time costs of a process's first load (pyarrow imports pandas on its first conversion,
    about 0.3 s) are not the per-file cost the ratio compares with a plain COPY."""
    from spaser.ingest.loader import load_file

    with tempfile.TemporaryDirectory(prefix="spaser_bench_warm_up_") as folder:
        sample = Path(folder) / source.source / f"echauffement_{path.name}"
        sample.parent.mkdir(parents=True)
        with path.open("rb") as stream:
            sample.write_bytes(b"".join(itertools.islice(stream, 20)))
        load_file(conn, source, sample, Path(folder), run_id="echauffement")


def child_main(url: str, inbox: Path) -> None:
    import resource

    from spaser.db.migrations import migrate
    from spaser.ingest.loader import load_file
    from spaser.ingest.marches import OffresSource

    source = OffresSource()
    (path,) = sorted((inbox / source.source).glob("*.csv"))
    with psycopg.connect(url) as conn:
        migrate(conn)
        conn.commit()
        warm_up(conn, source, path)
        started = time.perf_counter()
        report = load_file(conn, source, path, inbox, run_id="bench")
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "report": report.to_dict()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines at scale x1")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs per measure, plain COPY and loader alternating; the median is kept"
        " (robust to a machine loaded by other work)",
    )
    arguments = parser.parse_args()

    server_url = warehouse_url()
    results = []
    with tempfile.TemporaryDirectory(prefix="spaser_bench_") as folder:
        for scale in arguments.scales:
            inbox = Path(folder) / f"x{scale}"
            path = inbox / "marches" / "offres" / "offres.csv"
            path.parent.mkdir(parents=True)
            lines = arguments.lines * scale
            write_offres_csv(path, lines)
            plain, loader = [], []
            for _ in range(arguments.repeat):
                with scratch_database(server_url) as url:
                    plain.append(plain_copy_seconds(url, path))
                with scratch_database(server_url) as url:
                    loader.append(loader_run(url, inbox))
            best = sorted(loader, key=lambda run: run["seconds"])[len(loader) // 2]  # the median run
            plain_median = statistics.median(plain)
            report = best["report"]
            assert report["statut"] == "charge" and report["nb_enregistrements"] == lines, report
            results.append((scale, lines, path.stat().st_size, plain_median, best))
            print(
                f"x{scale}: {lines} lignes ({path.stat().st_size / 2**20:.1f} Mio) — COPY brut {plain_median:.2f} s, "
                f"chargeur {best['seconds']:.2f} s (chargées {report['nb_charges']}, "
                f"quarantaine {report['nb_quarantaine']}, signalements {report['nb_signalements']}), "
                f"ratio brut/chargeur {plain_median / best['seconds']:.2f}, "
                f"mémoire max du chargeur {best['peak_rss_mib']:.0f} Mio",
                flush=True,
            )
    # Blocks grow from FIRST_BLOCK_BYTES to BLOCK_BYTES: a file too small to reach full-size
    # blocks (x1) peaks lower, and from there on the peak must not move.
    for (smaller, *_, small_run), (larger, *_, large_run) in zip(results, results[1:], strict=False):
        print(
            f"mémoire max x{larger} / x{smaller} : {large_run['peak_rss_mib'] / small_run['peak_rss_mib']:.2f}"
            " (plate si proche de 1)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_main(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
