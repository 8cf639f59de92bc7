"""The shared loader against a real PostgreSQL: lineage, quarantine, rejection, idempotence,
fallback parsing, SIRENE extracts, record sources and the inbox report."""

from __future__ import annotations

import shutil
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

import spaser.ingest.loader
import spaser.ingest.tabular
from spaser.db.migrations import migrate
from spaser.ingest.base import ParsedRecord, RecordSource, Violation
from spaser.ingest.loader import fingerprint, load_file, load_lock_name, load_source
from spaser.ingest.marches import ConsultationsSource, OffresSource
from spaser.ingest.referentiels import SireneEtablissementsSource, SireneUnitesLegalesSource
from spaser.ingest.sources import SOURCES
from spaser.ingest.tabular import TabularSource

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(conn):
    migrate(conn)
    return conn


def deliver(inbox: Path, source, fixture: str, name: str | None = None) -> Path:
    target = inbox / source.source / (name or fixture)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / fixture, target)
    return target


def rows(conn, query: str, *params):
    return conn.execute(query, params).fetchall()


def quarantine(conn, load_id: int) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for line, field, message in rows(
        conn, "select enregistrement, champ, message from raw.quarantaine where load_id = %s", load_id
    ):
        found.setdefault(line, {})[field] = message
    return found


# ---------------------------------------------------------------- offres: good rows, bad rows, flags


def test_good_rows_load_with_lineage_and_bad_rows_are_quarantined_with_every_violation(warehouse, inbox):
    source = OffresSource()
    path = deliver(inbox, source, "offres_defauts.csv")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.statut, report.nb_enregistrements, report.nb_charges, report.nb_quarantaine) == ("charge", 6, 4, 2)
    loaded = rows(
        warehouse,
        "select _load_id, _source_file, _file_sha256, _record_number, _loaded_at is not null, lot,"
        " soumissionnaire_siret, type_identifiant, groupement, date_depot, retenue, exclusion_motif,"
        " demande_motifs_rejet from raw.marches_offres order by _record_number",
    )
    lineage = (report.load_id, "marches/offres/offres_defauts.csv", fingerprint(path).sha256)
    assert loaded == [
        (*lineage, 1, True, 1, "73282932000074", "SIRET", False, date(2022, 4, 14), True, None, False),
        (*lineage, 2, True, 1, "DE123456789", "TVA_UE", True, date(2022, 4, 15), False, "offre_irreguliere", True),
        (*lineage, 4, True, 2, "73282932000075", "SIRET", False, date(2022, 4, 15), False, None, True),
        (*lineage, 6, True, 2, "35600000000010", "SIRET", False, date(2022, 4, 15), False, None, False),
    ]

    bad = quarantine(warehouse, report.load_id)
    assert set(bad) == {4, 6}
    assert set(bad[4]) == {"lot", "soumissionnaire_siret", "groupement", "date_depot"}
    assert bad[4]["date_depot"] == (
        "ligne 4, colonne date_depot : « 31/02/2022 » n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ) "
        "entre le 01/01/2000 et demain"
    )
    assert bad[4]["lot"] == "ligne 4, colonne lot : « lot un » n'est pas un nombre entier"
    assert "« peut-être » n'est pas un booléen" in bad[4]["groupement"]  # cp1252 decoded
    assert "ni un numéro de TVA intracommunautaire" in bad[4]["soumissionnaire_siret"]
    assert bad[6] == {"acheteur_siret": "ligne 6, colonne acheteur_siret : valeur obligatoire manquante"}
    ((contenu, cle),) = rows(warehouse, "select distinct contenu, cle from raw.quarantaine where enregistrement = 4")
    assert contenu == "20006878100018;2022-0042;lot un;???;peut-être;31/02/2022;non;;non"
    assert cle == "20006878100018|2022-0042|lot un|???"

    flags = rows(
        warehouse, "select enregistrement, champ, message from raw.signalements where load_id = %s", report.load_id
    )
    assert flags == [
        (
            5,
            "soumissionnaire_siret",
            "ligne 5, colonne soumissionnaire_siret : « 73282932000075 » ne respecte pas la clé de "
            "contrôle d'un SIRET (Luhn) ; enregistrement chargé",
        )
    ]
    assert report.nb_signalements == 1

    fichier = rows(
        warehouse,
        "select run_id, source, fichier, statut, nb_enregistrements, nb_charges,"
        " nb_quarantaine, nb_signalements from raw.fichiers",
    )
    assert fichier == [("nuit-1", "marches/offres", "marches/offres/offres_defauts.csv", "charge", 6, 4, 2, 1)]


def test_missing_required_column_rejects_the_file_naming_it(warehouse, inbox):
    source = OffresSource()
    path = deliver(inbox, source, "offres_sans_date_depot.csv")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert report.statut == "rejete"
    assert "absente de l'en-tête : date_depot" in report.message
    assert rows(warehouse, "select statut, message from raw.fichiers") == [("rejete", report.message)]
    assert rows(warehouse, "select count(*) from raw.marches_offres") == [(0,)]


def test_same_content_twice_loads_once_and_corrections_get_a_later_load_id(warehouse, inbox):
    source = OffresSource()
    deliver(inbox, source, "offres_defauts.csv", "2022-04-20_offres.csv")
    deliver(inbox, source, "offres_defauts.csv", "2022-04-21_offres_bis.csv")

    first_night = load_source(warehouse, source, inbox, "nuit-1").to_dict()
    second_night = load_source(warehouse, source, inbox, "nuit-2").to_dict()

    assert [f["statut"] for f in first_night["fichiers"]] == ["charge", "deja_charge"]
    assert "2022-04-20_offres.csv" in first_night["fichiers"][1]["message"]
    assert [f["statut"] for f in second_night["fichiers"]] == ["deja_charge", "deja_charge"]
    assert rows(warehouse, "select count(*) from raw.marches_offres") == [(4,)]
    assert rows(warehouse, "select count(*) from raw.fichiers") == [(1,)]
    # The parse started while each file was hashed is stopped, loaded or not.
    assert not [thread for thread in threading.enumerate() if thread.name == "tabular-blocks"]

    correction = inbox / source.source / "2022-04-22_correction.csv"
    correction.write_bytes((FIXTURES / "offres_defauts.csv").read_bytes().replace(b"14/04/2022", b"13/04/2022"))
    (report,) = [f for f in load_source(warehouse, source, inbox, "nuit-3").fichiers if f.statut == "charge"]
    assert report.load_id > first_night["fichiers"][0]["load_id"]
    assert rows(
        warehouse, "select _load_id, date_depot from raw.marches_offres where _record_number = 1 order by _load_id"
    ) == [(first_night["fichiers"][0]["load_id"], date(2022, 4, 14)), (report.load_id, date(2022, 4, 13))]


def test_the_same_content_given_to_two_loads_at_once_is_loaded_by_the_first_only(warehouse, warehouse_url, inbox):
    """The second load waits for the first one's lock, then sees its committed registration."""
    source = OffresSource()
    path = deliver(inbox, source, "offres_defauts.csv")
    content = fingerprint(path)
    reports = []
    with psycopg.connect(warehouse_url) as first:
        # The first load, as far as its registration: lock taken, row written, not committed.
        first.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (load_lock_name(source),))
        first.execute(
            "insert into raw.fichiers (run_id, source, fichier, sha256, statut)"
            " values ('nuit-1', %s, 'premier.csv', %s, 'charge')",
            (source.source, content.sha256),
        )
        second = threading.Thread(target=lambda: reports.append(load_file(warehouse, source, path, inbox, "nuit-1")))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the lock
        first.commit()
    second.join(10)
    (report,) = reports
    assert report.statut == "deja_charge" and "premier.csv" in report.message
    assert rows(warehouse, "select fichier from raw.fichiers") == [("premier.csv",)]
    assert rows(warehouse, "select count(*) from raw.marches_offres") == [(0,)]


def test_a_file_utf8_at_its_start_and_windows_1252_further_on_is_parsed_again_as_windows_1252(
    warehouse, inbox, monkeypatch
):
    """The parse starts with the encoding of the file's first chunk, while the whole file is
    hashed; when a later byte is not UTF-8, the file is Windows-1252 throughout and read so."""
    source = OffresSource()
    path = inbox / source.source / "offres_accent_tardif.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        (
            "acheteur_siret;id_consultation;lot;soumissionnaire_siret;groupement;date_depot;retenue;"
            "exclusion_motif;demande_motifs_rejet\n"
            "20006878100018;2022-0042;1;73282932000074;non;14/04/2022;oui;;non\n"
            "20006878100018;2022-0042;2;73282932000074;non;14/04/2022;non;déposée hors délai;non\n"
        ).encode("cp1252")
    )
    monkeypatch.setattr(spaser.ingest.loader, "READ_CHUNK_BYTES", 64)  # the first chunk is ASCII
    assert spaser.ingest.loader.guessed_encoding(path) == "utf-8"
    assert fingerprint(path).encoding == "cp1252"

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.nb_charges, report.nb_quarantaine, report.message) == (2, 0, None)
    assert rows(warehouse, "select exclusion_motif from raw.marches_offres order by lot") == [
        (None,),
        ("déposée hors délai",),
    ]


LOAD_ID_DEFAULTS = (
    "select count(*), count(*) filter (where column_default like '%%current_setting(''spaser.load_id''%%')"
    " from information_schema.columns where table_schema = 'raw_stockage' and column_name = '_load_id'"
)


def test_the_load_id_default_is_migrated_onto_an_older_database_and_never_silently_empty(warehouse, inbox):
    # A database created before the lineage defaults, and before the migrations: its stored raw
    # rows have none, and no migration is recorded.
    warehouse.execute("alter table raw_stockage.marches_offres alter column _load_id drop default")
    warehouse.execute("drop table pilotage.migrations")
    warehouse.commit()
    migrate(warehouse)
    migrate(warehouse)  # applied once
    (defaults,) = rows(warehouse, LOAD_ID_DEFAULTS)
    assert defaults[0] >= 15 and defaults[0] == defaults[1]
    source = OffresSource()
    first = load_file(warehouse, source, deliver(inbox, source, "offres_defauts.csv", "a.csv"), inbox, "nuit-1")
    path = inbox / source.source / "b.csv"
    path.write_bytes((FIXTURES / "offres_defauts.csv").read_bytes().replace(b"14/04/2022", b"13/04/2022"))
    second = load_file(warehouse, source, path, inbox, "nuit-1")
    assert rows(
        warehouse,
        "select _load_id, _source_file, _file_sha256, count(*) from raw.marches_offres group by 1, 2, 3 order by 1",
    ) == [
        (first.load_id, "marches/offres/a.csv", first.sha256, 4),
        (second.load_id, "marches/offres/b.csv", second.sha256, 4),
    ]
    # A load sets the file's load id as the default for its own time only: the resting one is back.
    assert rows(warehouse, LOAD_ID_DEFAULTS) == [defaults]
    # Outside a file load a row without lineage is refused, not stored: the setting is unknown, or
    # empty once a transaction of the session has set it.
    refused = (psycopg.errors.NotNullViolation, psycopg.errors.UndefinedObject)
    with pytest.raises(refused, match="_load_id|spaser.load_id"):
        warehouse.execute("insert into raw_stockage.marches_offres (_record_number) values (1)")
    warehouse.rollback()
    warehouse.execute("select set_config('spaser.load_id', '7', true)")
    warehouse.commit()
    with pytest.raises(refused, match="_load_id"):
        warehouse.execute("insert into raw_stockage.marches_offres (_record_number) values (1)")
    warehouse.rollback()


def test_raw_tables_that_held_the_file_lineage_on_every_row_are_migrated_without_loss(conn):
    """A database of the first layout: raw.marches_offres a table repeating the file's name, hash
    and load time on every row. The baseline migrations move its rows to raw_stockage and
    raw.marches_offres becomes the view: same rows, same lineage."""
    conn.execute("create schema raw")
    conn.execute(
        "create table raw.fichiers (load_id bigserial primary key, run_id text not null, source text not null,"
        " fichier text not null, sha256 text not null, statut text not null, message text,"
        " nb_enregistrements integer not null default 0, nb_charges integer not null default 0,"
        " nb_quarantaine integer not null default 0, nb_signalements integer not null default 0,"
        " charge_le timestamptz not null default now())"
    )
    conn.execute(
        "create table raw.marches_offres (_load_id bigint not null references raw.fichiers (load_id),"
        " _source_file text not null, _file_sha256 text not null, _record_number integer not null,"
        " _loaded_at timestamptz not null default now(), acheteur_siret text not null, id_consultation text not null,"
        " lot integer not null, soumissionnaire_siret text not null, type_identifiant text not null,"
        " groupement boolean not null, date_depot date, retenue boolean not null, exclusion_motif text,"
        " demande_motifs_rejet boolean not null)"
    )
    (load_id, loaded_at) = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut)"
        " values ('nuit-1', 'marches/offres', 'marches/offres/o.csv', %s, 'charge') returning load_id, charge_le",
        ("c" * 64,),
    ).fetchone()
    conn.execute(
        "insert into raw.marches_offres values (%s, 'marches/offres/o.csv', %s, 1, now(), '20006878100018',"
        " '2022-0042', 1, '73282932000074', 'SIRET', false, '2022-04-14', true, null, false)",
        (load_id, "c" * 64),
    )
    conn.commit()

    migrate(conn)
    migrate(conn)

    assert rows(
        conn,
        "select table_type from information_schema.tables where table_schema = 'raw' and table_name = 'marches_offres'",
    ) == [("VIEW",)]
    assert rows(
        conn,
        "select _load_id, _source_file, _file_sha256, _record_number, _loaded_at, lot, date_depot"
        " from raw.marches_offres",
    ) == [(load_id, "marches/offres/o.csv", "c" * 64, 1, loaded_at, 1, date(2022, 4, 14))]
    assert rows(
        conn,
        "select count(*) from pg_constraint where conrelid = 'raw_stockage.marches_offres'::regclass and contype = 'f'",
    ) == [(0,)]


def test_malformed_lines_are_quarantined_by_the_fallback_and_good_lines_still_load(warehouse, inbox):
    source = OffresSource()
    path = deliver(inbox, source, "offres_malformees.csv")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert report.statut == "charge"
    assert report.message.startswith("lecture de secours ligne à ligne")
    assert (report.nb_enregistrements, report.nb_charges, report.nb_quarantaine) == (4, 2, 2)
    assert rows(warehouse, "select lot, date_depot from raw.marches_offres order by lot") == [
        (1, date(2022, 6, 1)),
        (4, date(2022, 6, 2)),
    ]
    bad = quarantine(warehouse, report.load_id)
    assert bad == {
        4: {"ligne": "ligne 4 : 5 champ(s) au lieu des 9 de l'en-tête"},
        5: {"ligne": "ligne 5 : octets invalides pour l'encodage UTF-8 (caractère remplacé par « \ufffd »)"},
    }
    assert rows(warehouse, "select cle from raw.quarantaine where enregistrement = 5") == [
        ("20006878100018|C-1|3|73282932000074",)
    ]
    assert rows(warehouse, "select enregistrement, message from raw.signalements") == [
        (3, "1 ligne(s) vide(s) ignorée(s) : 3")
    ]


def test_a_file_whose_lines_all_have_the_wrong_shape_is_rejected(warehouse, inbox):
    source = OffresSource()
    path = inbox / source.source / "tronque.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "acheteur_siret;id_consultation;lot;soumissionnaire_siret;groupement;date_depot;retenue;"
        "exclusion_motif;demande_motifs_rejet\n20006878100018;C-1\n20006878100018;C-2;1\n",
        encoding="utf-8",
    )

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert report.statut == "rejete"
    assert "aucune des 2 ligne(s) de données n'a la forme de l'en-tête" in report.message
    assert rows(warehouse, "select count(*) from raw.quarantaine") == [(0,)]


def test_a_file_cut_into_many_small_blocks_loads_exactly_as_in_one_block(warehouse, inbox, monkeypatch):
    """Blocks end on record boundaries (quoted newlines and "" escapes included) and every line
    keeps its number, whatever the block sizes: tiny blocks give the same rows, quarantine and
    signalements as the default ones."""
    source = OffresSource()
    path = deliver(inbox, source, "offres_malformees.csv")
    with path.open("ab") as stream:
        for lot in range(10, 30):
            stream.write(
                f"20006878100018\tC-2\t{lot}\t73282932000074\tnon\t01/07/2022\tnon\t"
                f'"motif ""cité""\t;\nsur deux lignes"\tnon\n'.encode()
            )

    def load_and_read(run_id: str):
        report = load_file(warehouse, source, path, inbox, run_id)
        loaded = rows(
            warehouse,
            "select _record_number, lot, exclusion_motif, date_depot from raw.marches_offres"
            " where _load_id = %s order by _record_number",
            report.load_id,
        )
        problems = rows(
            warehouse,
            "select enregistrement, champ, message from raw.quarantaine where load_id = %s"
            " union all select enregistrement, champ, message from raw.signalements"
            " where load_id = %s order by 1, 2",
            report.load_id,
            report.load_id,
        )
        # Set aside, so that the same content loads again.
        warehouse.execute(
            "update raw.fichiers set sha256 = 'mis de côté ' || load_id where load_id = %s", (report.load_id,)
        )
        warehouse.commit()
        return (report.nb_enregistrements, report.nb_charges, report.nb_quarantaine), loaded, problems

    in_one_block = load_and_read("nuit-1")
    monkeypatch.setattr(spaser.ingest.tabular, "FIRST_BLOCK_BYTES", 16)
    monkeypatch.setattr(spaser.ingest.tabular, "BLOCK_BYTES", 64)
    in_small_blocks = load_and_read("nuit-2")

    assert in_small_blocks == in_one_block
    assert in_one_block[0] == (24, 22, 2)
    assert in_one_block[1][-1] == (24, 29, 'motif "cité"\t;\nsur deux lignes', date(2022, 7, 1))
    assert [line for line, *_ in in_one_block[2]] == [3, 4, 5]


MOTIFS = [
    "offre_irreguliere",
    r"C:\dossiers\N",
    r"\N",
    "hors délai, relancée",
    'dit "hors délai"',
    "\\.",
    "plain",
    "\\",
    "é" * 3,
]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.mark.parametrize(
    ("source", "header", "row", "column", "copy_formats"),
    [
        # No decimal column: every block goes in PostgreSQL's binary format.
        (
            OffresSource(),
            "acheteur_siret;id_consultation;lot;soumissionnaire_siret;groupement;date_depot;retenue;"
            "exclusion_motif;demande_motifs_rejet",
            "20006878100018;2022-0042;{lot};73282932000074;non;14/04/2022;oui;{text};non",
            "exclusion_motif",
            {"binary"},
        ),
        # A decimal column (numeric has no binary form here): text where the values allow it, else CSV.
        (
            ConsultationsSource(),
            "acheteur_siret;id_consultation;lot;nb_lots;objet;categorie;segment;procedure;"
            "montant_estime_ht;maitrise_oeuvre;date_lancement;date_cloture;statut;"
            "variantes_autorisees;marche_reserve;marche_insertion;mpgp;id_marche",
            "20006878100018;2022-0042;{lot};9;{text};services;espaces_verts;procedure_adaptee;1 250,5;non;"
            "01/03/2022;;attribue;non;non;non;non;",
            "objet",
            {"text", "csv"},
        ),
    ],
    ids=["binaire", "texte-csv"],
)
def test_backslashes_commas_and_quotes_are_loaded_as_delivered_whatever_the_copy_format(
    warehouse, inbox, monkeypatch, source, header, row, column, copy_formats
):
    """Every value comes back as delivered, block after block, in each COPY format: binary for
    sources whose every column has a binary form; otherwise PostgreSQL's text format, where a
    backslash escapes, for blocks of plain values, and CSV for the others."""
    path = inbox / source.source / "motifs.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        header
        + "\n"
        + "".join(row.format(lot=lot, text=_quoted(text)) + "\n" for lot, text in enumerate(MOTIFS, start=1)),
        encoding="utf-8",
    )
    monkeypatch.setattr(spaser.ingest.tabular, "FIRST_BLOCK_BYTES", 16)
    monkeypatch.setattr(spaser.ingest.tabular, "BLOCK_BYTES", 64)  # about one row per block
    formats_used = set()
    write_body = spaser.ingest.tabular._BlockLoader.copy_bodies

    def noting_formats(loader, blocks):
        for body in write_body(loader, blocks):
            formats_used.add(body.copy_format)
            yield body

    monkeypatch.setattr(spaser.ingest.tabular._BlockLoader, "copy_bodies", noting_formats)

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.nb_charges, report.nb_quarantaine) == (len(MOTIFS), 0)
    assert rows(warehouse, f"select {column} from {source.raw_table} order by lot") == [(m,) for m in MOTIFS]
    assert formats_used == copy_formats


def test_a_quarantined_row_shows_every_cell_as_delivered_even_in_columns_not_read(warehouse, inbox):
    source = OffresSource()
    path = inbox / source.source / "offres_commentees.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        "acheteur_siret;id_consultation;lot;soumissionnaire_siret;groupement;date_depot;retenue;exclusion_motif;"
        "demande_motifs_rejet;commentaire\r\n"
        "20006878100018;2022-0042;1;73282932000074;non;14/04/2022;oui;;non;reçue à 11 h – 2 €\r\n"
        "20006878100018;2022-0042;1;DE123456789;oui;32/04/2022;non;;oui;l’offre ne tient pas\r\n".encode("cp1252")
    )

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.nb_charges, report.nb_quarantaine) == (1, 1)
    assert rows(warehouse, "select contenu from raw.quarantaine") == [
        ("20006878100018;2022-0042;1;DE123456789;oui;32/04/2022;non;;oui;l’offre ne tient pas",)
    ]


def test_a_key_repeated_anywhere_in_a_file_loads_the_first_time_across_many_blocks(warehouse, inbox, monkeypatch):
    """finance/mandats declares its key unique within a file: a line repeating an earlier line's
    key, in the same block or thousands of lines further, is quarantined naming the first; the
    expected repeats are found here by a plain dictionary, line by line."""
    from spaser.ingest.finance import MandatsSource

    monkeypatch.setattr(spaser.ingest.tabular, "FIRST_BLOCK_BYTES", 256)
    monkeypatch.setattr(spaser.ingest.tabular, "BLOCK_BYTES", 2048)  # about thirty lines per block
    header = (
        "collectivite_siren;exercice;budget;numero_bordereau;numero_mandat;ligne;date_mandat;tiers_siret;"
        "tiers_nom;compte_nature;fonction;montant_ht;montant_ttc;id_marche"
    )
    keys = [(f"B{number // 9}", f"M{number}", number % 3 + 1) for number in range(2000)]
    for position in (5, 6, 40, 777, 1500, 1999):  # repeats of lines far above, and of the one just before
        keys[position] = keys[position // 3 if position > 6 else position - 1]
    first_line, expected = {}, {}
    for line, key in enumerate(keys, start=2):
        if key in first_line:
            expected[line] = first_line[key]
        else:
            first_line[key] = line
    path = inbox / "finance/mandats/mandats.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        header
        + "\n"
        + "".join(
            f"212603625;2023;principal;{bordereau};{mandat};{ligne};05/04/2023;;TIERS;6068;020;{line},00;;\n"
            for line, (bordereau, mandat, ligne) in enumerate(keys, start=2)
        ),
        encoding="utf-8",
    )

    report = load_file(warehouse, MandatsSource(), path, inbox, "nuit-1")

    assert (report.nb_charges, report.nb_quarantaine) == (2000 - len(expected), len(expected))
    found = {
        line: message for line, fields in quarantine(warehouse, report.load_id).items() for message in fields.values()
    }
    assert found == {
        line: f"ligne {line} : même collectivite_siren, exercice, numero_bordereau, numero_mandat, ligne "
        f"que la ligne {first} du fichier mandats.csv : ligne répétée, seule la première est chargée"
        for line, first in expected.items()
    }
    loaded_amounts = rows(warehouse, "select montant_ht::int from raw.finance_mandats order by _record_number")
    assert [amount for (amount,) in loaded_amounts] == sorted(first_line.values())


# ---------------------------------------------------------------- consultations: French habits


def test_cp1252_semicolon_decimal_comma_file_with_extra_column(warehouse, inbox):
    source = ConsultationsSource()
    path = deliver(inbox, source, "consultations_cp1252.csv")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.statut, report.nb_charges, report.nb_quarantaine, report.nb_signalements) == ("charge", 2, 0, 1)
    assert rows(
        warehouse,
        "select lot, objet, categorie, montant_estime_ht, maitrise_oeuvre, date_lancement, date_cloture, statut,"
        " variantes_autorisees, nb_lots, id_marche, code_cpv from raw.marches_consultations order by id_consultation",
    ) == [
        (
            1,
            "Réfection de la toiture de l'école",
            "travaux",
            Decimal("1234567.89"),
            False,
            date(2023, 1, 15),
            date(2023, 2, 28),
            "attribue",
            True,
            1,
            "2023VAL007",
            None,
        ),
        (
            1,
            "Fournitures de bureau",
            "fournitures",
            Decimal("12500.5"),
            False,
            date(2023, 2, 1),
            None,
            "en_cours",
            True,
            1,
            None,
            None,
        ),
    ]
    assert rows(warehouse, "select enregistrement, champ, message from raw.signalements") == [
        (1, "Référent", "colonne « Référent » non prévue par le format de la source : ignorée")
    ]


def test_utf8_bom_comma_iso_dates_and_lower_cased_codes(warehouse, inbox):
    source = ConsultationsSource()
    path = deliver(inbox, source, "consultations_utf8_bom.csv")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.statut, report.nb_charges, report.nb_quarantaine) == ("charge", 2, 0)
    assert rows(
        warehouse,
        "select lot, objet, categorie, montant_estime_ht, date_cloture, variantes_autorisees, marche_reserve,"
        " marche_insertion from raw.marches_consultations order by lot",
    ) == [
        (1, "Entretien des espaces verts", "services", Decimal("125000.50"), date(2022, 5, 12), True, False, True),
        (2, "Élagage", "services", Decimal("38000"), None, False, True, False),
    ]


def test_enumerations_are_checked(warehouse, inbox):
    source = ConsultationsSource()
    path = inbox / source.source / "c.csv"
    path.parent.mkdir(parents=True)
    header = (FIXTURES / "consultations_utf8_bom.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    path.write_text(
        header + "\n20006878100018,X,1,1,o,prestations,s,,gre_a_gre,1,non,2022-01-01,,fini,non,non,non,non,\n",
        encoding="utf-8",
    )

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    bad = quarantine(warehouse, report.load_id)[2]
    assert set(bad) == {"categorie", "procedure", "statut"}
    assert bad["categorie"].endswith("« prestations » n'est pas une valeur autorisée (travaux, fournitures, services)")


# ---------------------------------------------------------------- SIRENE


def test_sirene_extracts_load_with_official_headers(warehouse, inbox):
    etablissements, unites = SireneEtablissementsSource(), SireneUnitesLegalesSource()
    deliver(inbox, etablissements, "sirene_etablissements.csv")
    deliver(inbox, unites, "sirene_unites_legales.csv")

    (etab_report,) = load_source(warehouse, etablissements, inbox, "nuit-1").fichiers
    (ul_report,) = load_source(warehouse, unites, inbox, "nuit-1").fichiers

    assert (etab_report.nb_charges, etab_report.nb_quarantaine) == (3, 1)
    assert rows(
        warehouse,
        'select siret, "codeCommuneEtablissement", "etatAdministratifEtablissement", "etablissementSiege",'
        ' "trancheEffectifsEtablissement", "denominationUsuelleEtablissement"'
        " from raw.sirene_etablissements order by siret",
    ) == [
        ("20006878100018", "26362", "A", True, "32", None),
        ("35600000000010", "26281", "F", False, "NN", None),
        ("73282932000074", "75108", "A", True, "53", 'SIEGE, "ANCIEN"'),
    ]
    assert set(quarantine(warehouse, etab_report.load_id)[5]) == {"siren", "siret", "etablissementSiege"}
    ignored = rows(warehouse, "select count(*) from raw.signalements where load_id = %s", etab_report.load_id)
    assert ignored == [(45,)]  # 53 official columns, 8 read

    assert (ul_report.nb_charges, ul_report.nb_quarantaine) == (3, 0)
    assert rows(
        warehouse,
        'select siren, "categorieEntreprise", "trancheEffectifsUniteLegale", "economieSocialeSolidaireUniteLegale",'
        ' "categorieJuridiqueUniteLegale" from raw.sirene_unites_legales order by siren',
    ) == [
        ("200068781", "GE", "32", "N", "7346"),
        ("356000000", "GE", "53", "N", "5510"),
        ("732829320", "PME", "01", None, "5499"),
    ]


def test_optional_columns_absent_from_the_file_are_null_not_false(warehouse, inbox):
    source = SireneEtablissementsSource()
    path = inbox / source.source / "court.csv"
    path.parent.mkdir(parents=True)
    path.write_text("siren,siret,codeCommuneEtablissement\n732829320,73282932000074,75108\n", encoding="utf-8")

    load_file(warehouse, source, path, inbox, "nuit-1")

    assert rows(
        warehouse, 'select "etablissementSiege", "etatAdministratifEtablissement" from raw.sirene_etablissements'
    ) == [(None, None)]


# ---------------------------------------------------------------- record sources share the loader


class TinyRecordSource(RecordSource):
    """A record source in the shape of DECP's, to check the loader's record path on its own."""

    source = "marches/decp"
    raw_table = "raw.marches_decp"
    columns = ("type_contrat", "acheteur_id", "id", "date_publication_donnees", "donnees")
    file_patterns = ("*.json",)

    def read(self, path):
        good = {
            "type_contrat": "marche",
            "acheteur_id": "20006878100018",
            "id": "2022M1",
            "date_publication_donnees": date(2022, 5, 1),
            "donnees": {"id": "2022M1", "montant": 10},
        }
        yield ParsedRecord(
            number=1,
            raw_text="{...}",
            key="20006878100018|2022M1",
            values=good,
            flags=[Violation("titulaires[0].titulaire.id", "SIRET invalide")],
        )
        yield ParsedRecord(
            number=2,
            raw_text='{"id": 3}',
            key=None,
            violations=[Violation("id", "pas une chaîne"), Violation("acheteur", "absent")],
        )


def test_record_sources_are_streamed_with_their_quarantine_and_flags(warehouse, inbox):
    source = TinyRecordSource()
    path = inbox / source.source / "decp.json"
    path.parent.mkdir(parents=True)
    path.write_text("{}", encoding="utf-8")

    report = load_file(warehouse, source, path, inbox, "nuit-1")

    assert (report.nb_enregistrements, report.nb_charges, report.nb_quarantaine, report.nb_signalements) == (2, 1, 1, 1)
    assert rows(warehouse, "select _record_number, id, donnees->>'montant' from raw.marches_decp") == [
        (1, "2022M1", "10")
    ]
    assert rows(warehouse, "select enregistrement, champ, contenu from raw.quarantaine order by champ") == [
        (2, "acheteur", '{"id": 3}'),
        (2, "id", '{"id": 3}'),
    ]
    assert rows(warehouse, "select enregistrement, cle, champ from raw.signalements") == [
        (1, "20006878100018|2022M1", "titulaires[0].titulaire.id")
    ]


# ---------------------------------------------------------------- the inbox


def test_unexpected_entries_are_reported_and_left_in_place(inbox):
    from spaser.ingest.sources import unexpected_entries

    for relative in (
        "marches/offres/offres.csv",
        "marches/offres/offres.xlsx",
        "referentiels/cog/communes.csv",
        "divers/notes.txt",
        "lisez-moi.txt",
    ):
        (inbox / relative).parent.mkdir(parents=True, exist_ok=True)
        (inbox / relative).write_text("x", encoding="utf-8")

    messages = unexpected_entries(inbox)

    assert set(SOURCES) == {
        "marches/decp",
        "marches/consultations",
        "marches/offres",
        "referentiels/sirene_etablissements",
        "referentiels/sirene_unites_legales",
        "cuisine/achats",
        "cuisine/menus",
        "insertion/heures",
        "registre/activites",
        "registre/agec",
        "ged/fop",
        "referentiels/ges_territoire",
        "finance/mandats",
        "finance/titres",
        "registre/fournisseurs",
    }
    assert messages == [
        "divers/notes.txt : dossier inconnu, fichier laissé en place",
        "lisez-moi.txt : dossier inconnu, fichier laissé en place",
        "marches/offres/offres.xlsx : format non lu par la source marches/offres (attendu : *.csv), "
        "fichier laissé en place",
        "referentiels/cog/communes.csv : source pas encore prise en charge, fichier laissé en place",
    ]
    assert (inbox / "referentiels/cog/communes.csv").exists()


def test_binary_copy_bodies_give_back_every_value_null_and_width(conn):
    """Every branch of the binary COPY writer, through PostgreSQL: fixed-width runs (integers,
    dates before and after 2000, booleans, texts all of one width), variable texts, NULLs in each
    type, a column of NULLs only, and Arrow slices read from their own offset."""
    columns = {
        "nombre integer": pa.array([7, -2_000_000_000, None, 0, 2_000_000_000], type=pa.int32()),
        "jour date": pa.array([date(2022, 4, 14), date(1999, 12, 31), date(2000, 1, 1), None, date(2150, 1, 1)]),
        "drapeau boolean": pa.array([True, False, None, True, False]),
        "siret text": pa.array(["x", "21260362500014", "73282932000074", "20006878100018", "35600000000048"]).slice(1),
        "motif text": pa.array(["C:\\N", None, 'é, "ç"\n', "", "TVA_UE"]),
        "absente text": pa.nulls(5, type=pa.string()),
        "code text": pa.array(["A", "B", "C", "D", "E"]),
        "lot integer": pa.array([1, 2, 3, -4, 5], type=pa.int32()),
        "depot date": pa.array(
            [date(1999, 12, 31), date(2000, 1, 1), date(2022, 2, 28), date(1, 1, 1), date(9999, 12, 31)]
        ),
        "retenue boolean": pa.array([False, True, True, False, True]),
    }
    columns["siret text"] = pa.concat_arrays([columns["siret text"], pa.array(["12345678901234"])])
    conn.execute(f"create temporary table binaire ({', '.join(columns)})")
    body = spaser.ingest.tabular._binary_body(list(columns.values()))
    assert body.copy_format == "binary"
    opening, closing = spaser.ingest.tabular.COPY_FRAMES["binary"]
    with (
        conn.cursor() as cursor,
        cursor.copy(f"copy binaire from stdin ({spaser.ingest.tabular.COPY_OPTIONS['binary']})") as copy,
    ):
        copy.write(opening)
        copy.write(body.rows)
        copy.write(closing)

    expected = list(zip(*(values.to_pylist() for values in columns.values()), strict=False))
    assert rows(conn, "select * from binaire") == expected
    # Sliced columns, as blocks filtered of their quarantined rows are: from their own offset.
    conn.execute("truncate binaire")
    sliced = [values.slice(2) for values in columns.values()]
    with (
        conn.cursor() as cursor,
        cursor.copy(f"copy binaire from stdin ({spaser.ingest.tabular.COPY_OPTIONS['binary']})") as copy,
    ):
        copy.write(opening)
        copy.write(spaser.ingest.tabular._binary_body(sliced).rows)
        copy.write(closing)
    assert rows(conn, "select * from binaire") == expected[2:]


def test_sources_copied_in_binary_match_their_raw_column_types(warehouse):
    """PostgreSQL reads a binary field by its column's type: a tabular source in binary COPY
    must give int32 to integer columns, date32 to date, booleans to boolean, texts to text."""
    postgres_type = {"int32": "integer", "date32[day]": "date", "bool": "boolean", "string": "text"}
    binary_sources = [
        source
        for source in SOURCES.values()
        if isinstance(source, TabularSource) and all(c.type.binary_copy for c in source.columns)
    ]
    assert {source.source for source in binary_sources} >= {"marches/offres", "referentiels/sirene_etablissements"}
    for source in binary_sources:
        schema, table = spaser.ingest.tabular.stored_rows_table(source.raw_table).split(".")
        declared = dict(
            rows(
                warehouse,
                "select column_name, data_type from information_schema.columns"
                " where table_schema = %s and table_name = %s",
                schema,
                table,
            )
        )
        assert declared.pop("_record_number") == "integer"
        for column in source.columns:
            assert declared[column.name] == postgres_type[str(column.type.arrow_type)], (source.source, column)
        for name in source.derived_columns:
            assert declared[name] == "text", (source.source, name)
