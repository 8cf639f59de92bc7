"""The warehouse's DDL is the numbered migrations of spaser/db/migrations: each applied once, in order,
recorded with its checksum, by the step that takes the warehouse for a night; the baseline upgrades
a warehouse created before the migrations existed; a migration changed after it was applied, or
unknown to the code, is refused in French; a failing one leaves nothing of itself."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import psycopg
import pytest

import spaser.db.migrations
from spaser.cli.main import main
from spaser.core.errors import NightStepFailed
from spaser.db.migrations import MIGRATIONS_DIR, MigrationRefused, available, migrate, pending
from spaser.ingest.sources import SOURCES
from spaser.pipeline import night
from spaser.pipeline.pilotage import failed_steps

BASELINE = ["0001_pilotage.sql", "0002_brut.sql", "0003_qualite.sql", "0004_vues_brutes.sql"]
LINEAGE_DEFAULT = "(NULLIF(current_setting('spaser.load_id'::text), ''::text))::bigint"


def _migrations_copy(tmp_path: Path, monkeypatch) -> Path:
    """This code's migrations, copied to a folder the test may change, and used from there."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copyfile(path, folder / path.name)
    monkeypatch.setattr(spaser.db.migrations, "MIGRATIONS_DIR", folder)
    return folder


def _recorded(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select version, nom, empreinte, appliquee_le from pilotage.migrations order by version"
    ).fetchall()


def _stored_tables_not_readable_with_lineage(conn: psycopg.Connection) -> list[str]:
    """The stored raw tables without their raw view (stored columns, plus the file's three lineage
    columns) or without the resting default of _load_id."""
    return [
        row[0]
        for row in conn.execute(
            "select t.table_name from information_schema.tables as t"
            " where t.table_schema = 'raw_stockage' and t.table_type = 'BASE TABLE'"
            "   and ((select count(*) from information_schema.columns as v where v.table_schema = 'raw'"
            "         and v.table_name = t.table_name)"
            "        <> 3 + (select count(*) from information_schema.columns as s where s.table_schema = 'raw_stockage'"
            "                and s.table_name = t.table_name)"
            "     or (select column_default from information_schema.columns as d where d.table_schema = 'raw_stockage'"
            "         and d.table_name = t.table_name and d.column_name = '_load_id') is distinct from %s)"
            " order by 1",
            (LINEAGE_DEFAULT,),
        )
    ]


def _foreign_keys(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(
        "select count(*) from pg_constraint where conrelid = %s::regclass and contype = 'f'", (table,)
    ).fetchone()[0]


def test_a_new_warehouse_gets_every_migration_once_in_order(conn):
    assert migrate(conn) == BASELINE
    assert migrate(conn) == []
    recorded = _recorded(conn)
    assert [(version, name) for version, name, _, _ in recorded] == list(enumerate(BASELINE, start=1))
    for _, name, checksum, _ in recorded:
        assert checksum == hashlib.sha256((MIGRATIONS_DIR / name).read_bytes()).hexdigest()
    assert _stored_tables_not_readable_with_lineage(conn) == []
    # Every source's rows have their table: the loader creates none.
    stored = conn.execute(
        "select 'raw.' || table_name from information_schema.tables"
        " where table_schema = 'raw_stockage' and table_type = 'BASE TABLE'"
    ).fetchall()
    assert sorted(table for (table,) in stored) == sorted(source.raw_table for source in SOURCES.values())
    assert _foreign_keys(conn, "qualite.chargements_ecartes") == 1


def test_a_warehouse_created_before_the_migrations_is_upgraded_in_place(conn):
    """What the nights of the previous version left: every table, with its rows, no record of
    migrations; since their second night, the qualite tables without their foreign keys (the
    nightly clean-up of the data tables' keys took them too); older still, a stored table without
    its lineage default and a raw view from before the loads set aside."""
    migrate(conn)
    load_id = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut) values"
        " ('nuit-1', 'finance/titres', 'finance/titres/t.csv', %s, 'charge') returning load_id",
        ("a" * 64,),
    ).fetchone()[0]
    conn.execute(
        "insert into raw_stockage.finance_titres (_load_id, _record_number, collectivite_siren, exercice,"
        " numero_titre, date_titre, montant_ht) values (%s, 1, '200068781', 2024, 'T1', '2024-03-01', 10)",
        (load_id,),
    )
    conn.execute(
        "insert into qualite.chargements_ecartes (load_id, motif, ecarte_par) values (%s, 'doublon', 'moi')", (load_id,)
    )
    conn.execute("drop table pilotage.migrations")
    conn.execute("drop procedure raw_stockage.actualiser_vues()")
    conn.execute("alter table qualite.chargements_ecartes drop constraint chargements_ecartes_load_id_fkey")
    conn.execute(
        "alter table qualite.journal_chargements_ecartes drop constraint journal_chargements_ecartes_load_id_fkey"
    )
    conn.execute("alter table raw_stockage.cuisine_menus alter column _load_id drop default")
    conn.execute(
        "create or replace view raw.finance_titres as select stored._load_id, fichier.fichier as _source_file,"
        " fichier.sha256 as _file_sha256, stored._record_number, fichier.charge_le as _loaded_at,"
        " stored.collectivite_siren, stored.exercice, stored.numero_titre, stored.date_titre,"
        " stored.tiers_nom, stored.compte_nature, stored.objet, stored.montant_ht, stored.origine"
        " from raw_stockage.finance_titres as stored left join raw.fichiers as fichier"
        " on fichier.load_id = stored._load_id"
    )
    conn.commit()
    assert conn.execute("select count(*) from raw.finance_titres").fetchone()[0] == 1

    assert migrate(conn) == BASELINE

    assert _stored_tables_not_readable_with_lineage(conn) == []
    assert (
        _foreign_keys(conn, "qualite.chargements_ecartes"),
        _foreign_keys(conn, "qualite.journal_chargements_ecartes"),
    ) == (1, 1)
    assert conn.execute("select count(*) from raw_stockage.finance_titres").fetchone()[0] == 1
    # The view is the current one again: the load set aside is out of it.
    assert conn.execute("select count(*) from raw.finance_titres").fetchone()[0] == 0
    assert conn.execute("select motif from qualite.chargements_ecartes").fetchall() == [("doublon",)]


def test_a_night_applies_them_once_and_refuses_an_applied_migration_that_changed(warehouse_url, tmp_path, monkeypatch):
    folder = _migrations_copy(tmp_path, monkeypatch)
    night.run_step("nuit-1", "prepare_warehouse", night.prepare_warehouse, str(tmp_path))
    with psycopg.connect(warehouse_url) as conn:
        first = _recorded(conn)
    assert [name for _, name, _, _ in first] == BASELINE
    assert night.run_step("nuit-1", "validate_raw", lambda: {"etape": "rien"}) == {"etape": "rien"}
    with psycopg.connect(warehouse_url) as conn:
        assert _recorded(conn) == first  # nothing applied again

    with (folder / "0002_brut.sql").open("a", encoding="utf-8") as migration:
        migration.write("-- une retouche après coup\n")
    with pytest.raises(
        NightStepFailed,
        match=r"La migration 0002_brut\.sql a été modifiée depuis qu'elle a été "
        r"appliquée à l'entrepôt \(le .*\) : .* Une migration appliquée ne se "
        r"modifie pas",
    ):
        night.run_step("nuit-1", "dbt_staging", lambda: pytest.fail("l'étape ne doit pas s'exécuter"))
    with psycopg.connect(warehouse_url) as conn:
        assert "0002_brut.sql a été modifiée" in failed_steps(conn, "nuit-1")["dbt_staging"]
        assert _recorded(conn) == first


def test_a_warehouse_migrated_by_a_newer_version_is_refused(conn):
    migrate(conn)
    conn.execute("insert into pilotage.migrations (version, nom, empreinte) values (5, '0005_plus_tard.sql', 'x')")
    conn.commit()
    with pytest.raises(
        MigrationRefused,
        match=r"migration 0005_plus_tard\.sql, que cette version du code ne connaît "
        r"pas : il a été migré par une version plus récente",
    ):
        pending(conn)


def test_a_failing_migration_leaves_nothing_and_is_applied_once_corrected(conn, tmp_path, monkeypatch):
    folder = _migrations_copy(tmp_path, monkeypatch)
    migrate(conn)
    (folder / "0005_essai.sql").write_text(
        "create table pilotage.essai (a integer);\nselect 1 / 0;\n", encoding="utf-8"
    )
    with pytest.raises(
        MigrationRefused,
        match=r"La migration 0005_essai\.sql a échoué, rien n'en est appliqué ; "
        r"l'entrepôt reste à la migration 0004 : division by zero",
    ):
        migrate(conn)
    assert conn.execute("select to_regclass('pilotage.essai'), max(version) from pilotage.migrations").fetchone() == (
        None,
        4,
    )
    (folder / "0005_essai.sql").write_text("create table pilotage.essai (a integer);\n", encoding="utf-8")
    assert migrate(conn) == ["0005_essai.sql"]


def test_a_migration_adding_a_stored_table_gets_its_raw_view_and_lineage_default(conn, tmp_path, monkeypatch):
    folder = _migrations_copy(tmp_path, monkeypatch)
    (folder / "0005_essai.sql").write_text(
        "create table raw_stockage.essai_source (\n"
        "    _load_id bigint not null,\n    _record_number integer not null,\n    valeur text not null\n);\n"
        "call raw_stockage.actualiser_vues();\n",
        encoding="utf-8",
    )
    assert migrate(conn) == [*BASELINE, "0005_essai.sql"]
    columns = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'raw'"
        " and table_name = 'essai_source' order by ordinal_position"
    ).fetchall()
    assert [column for (column,) in columns] == [
        "_load_id",
        "_source_file",
        "_file_sha256",
        "_record_number",
        "_loaded_at",
        "valeur",
    ]
    assert _stored_tables_not_readable_with_lineage(conn) == []


def test_migrations_are_numbered_in_sequence_and_named_by_the_rule(tmp_path, monkeypatch):
    folder = _migrations_copy(tmp_path, monkeypatch)
    assert [migration.name for migration in available()] == BASELINE
    (folder / "0004_vues_brutes.sql").rename(folder / "0005_vues_brutes.sql")
    with pytest.raises(MigrationRefused, match=r"numérotées \[1, 2, 3, 5\] .* sans trou ni doublon"):
        available()
    (folder / "0005_vues_brutes.sql").rename(folder / "0004-Vues.sql")
    with pytest.raises(MigrationRefused, match=r"Migration mal nommée : 0004-Vues\.sql"):
        available()


def test_a_command_outside_a_night_migrates_the_warehouse_unless_a_night_runs(
    warehouse_url, tmp_path, monkeypatch, capsys
):
    folder = _migrations_copy(tmp_path, monkeypatch)
    assert main(["chargement", "liste"]) == 0
    assert "Aucun fichier chargé." in capsys.readouterr().out
    (folder / "0005_essai.sql").write_text("create table pilotage.essai (a integer);\n", encoding="utf-8")
    with psycopg.connect(warehouse_url) as conn:
        assert [name for _, name, _, _ in _recorded(conn)] == BASELINE
        conn.execute("insert into pilotage.nuit_en_cours (run_id) values ('nuit-en-cours')")

    assert main(["chargement", "liste"]) == 1
    assert "L'entrepôt attend des migrations, mais la nuit nuit-en-cours est en cours" in capsys.readouterr().err
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select to_regclass('pilotage.essai')").fetchone()[0] is None
        conn.execute("delete from pilotage.nuit_en_cours")

    assert main(["chargement", "liste"]) == 0
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select to_regclass('pilotage.essai')").fetchone()[0] == "pilotage.essai"
