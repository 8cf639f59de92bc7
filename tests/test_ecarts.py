"""`spaser chargement ecarter / retablir / journal`: the audited way out of a load that freezes the
raw gate, on a real PostgreSQL (the incremental models' rebuild is tested with the finance nights)."""

from __future__ import annotations

import psycopg

from spaser.cli.main import EXIT_USAGE, main
from spaser.db.migrations import migrate
from spaser.ingest.sources import SOURCES
from spaser.quality.gate import validate_raw


def _deliver(conn: psycopg.Connection, run_id: str, record_numbers: tuple[int, ...] = (1,)) -> int:
    load_id = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut, nb_enregistrements, nb_charges)"
        " values (%s, 'referentiels/sirene_unites_legales', %s, %s, 'charge', 1, 1) returning load_id",
        (run_id, f"ul_{run_id}.csv", run_id.encode().hex().ljust(64, "0")[:64]),
    ).fetchone()[0]
    for record in record_numbers:
        conn.execute(
            "insert into raw_stockage.sirene_unites_legales (_load_id, _record_number, siren)"
            " values (%s, %s, '123456789')",
            (load_id, record),
        )
    conn.commit()
    return load_id


def test_a_load_set_aside_leaves_the_raw_gate_and_comes_back_when_restored(conn, capsys):
    migrate(conn)
    good = _deliver(conn, "nuit-1")
    # A record stored twice (no loader does it): the raw gate refuses it night after night.
    bad = _deliver(conn, "nuit-2", (1, 1))
    assert not validate_raw("nuit-2", SOURCES.values()).success

    capsys.readouterr()
    assert main(["chargement", "liste", "--source", "referentiels/sirene_unites_legales"]) == 0
    assert [line.split()[:2] for line in capsys.readouterr().out.splitlines()] == [
        [str(bad), "nuit-2"],
        [str(good), "nuit-1"],
    ]

    assert main(["chargement", "ecarter", str(bad), "--motif", "SIREN tronqué par l'export, renvoi demandé"]) == 0
    said = capsys.readouterr().out
    assert (
        f"Chargement {bad} (referentiels/sirene_unites_legales, ul_nuit-2.csv, nuit nuit-2, 1 ligne(s)) écarté" in said
    )

    assert validate_raw("nuit-3", SOURCES.values()).success
    assert conn.execute("select _load_id from raw.sirene_unites_legales").fetchall() == [(good,)]
    assert conn.execute("select count(*) from raw_stockage.sirene_unites_legales").fetchone()[0] == 3  # kept

    assert main(["chargement", "liste"]) == 0
    assert "[écarté]" in capsys.readouterr().out.splitlines()[0]

    # Restored, it is validated again although nuit-3 passed after it: the raw gate fails anew.
    assert main(["chargement", "retablir", str(bad), "--motif", "écart levé pour vérification"]) == 0
    assert not validate_raw("nuit-4", SOURCES.values()).success
    assert conn.execute("select count(*) from raw.sirene_unites_legales").fetchone()[0] == 3

    capsys.readouterr()
    assert main(["chargement", "journal"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in lines] == ["retabli", "ecarte"]
    assert lines[0].endswith("écart levé pour vérification") and "SIREN tronqué" in lines[1]
    assert conn.execute(
        "select load_id, action, reconstruit from qualite.journal_chargements_ecartes order by id"
    ).fetchall() == [(bad, "ecarte", False), (bad, "retabli", False)]


def test_setting_aside_is_refused_without_a_reason_an_existing_load_or_twice(conn, capsys):
    migrate(conn)
    load = _deliver(conn, "nuit-1")
    assert main(["chargement", "ecarter", str(load), "--motif", "  "]) == EXIT_USAGE
    assert "un motif est obligatoire" in capsys.readouterr().err
    assert main(["chargement", "ecarter", str(load + 1), "--motif", "x"]) == EXIT_USAGE
    assert f"aucun fichier chargé n'a le numéro de chargement {load + 1}" in capsys.readouterr().err
    assert main(["chargement", "ecarter", str(load), "--motif", "doublon"]) == 0
    assert main(["chargement", "ecarter", str(load), "--motif", "doublon"]) == EXIT_USAGE
    assert "déjà écarté" in capsys.readouterr().err
    assert main(["chargement", "retablir", str(load), "--motif", "x"]) == 0
    assert main(["chargement", "retablir", str(load), "--motif", "x"]) == EXIT_USAGE
    assert "n'est pas écarté" in capsys.readouterr().err
    assert conn.execute("select count(*) from qualite.journal_chargements_ecartes").fetchone()[0] == 2
