"""A whole night on a small hand-made inbox, checked against values computed by hand.

``tests/fixtures/inbox_small`` holds two buyers, two years and about fifteen contracts built to
exercise every rule of the marchés slice (deduplication, modifications, quarantine, categories,
territories, company sizes, empty denominators). ``attendus.csv`` lists every row the catalogue
rules require for the slice's indicators, computed by hand; ``CALCULS.md`` explains each value.
Nothing here re-implements the SQL: the expected values are data.

The same night then serves what users open: the dashboard (checked in a real headless chromium),
the drill-down records, the Donut export, how every output is written (aside then renamed, never
a spreadsheet formula) and the BI roles' privileges.

The night also reads the engagements' deliveries (``engagements_night``, tests/conftest.py, shared
with test_engagements_small_inbox.py): the marchés indicators read none of them, and the checks
of files and quarantine below look at the small inbox's sources.
"""

from __future__ import annotations

import csv
import json
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from spaser.cli.main import main
from spaser.pipeline import night as night_steps
from tests.browser import Browser
from tests.conftest import fresh_warehouse, validated
from tests.indicator_values import RowKey, differences, read_values

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "inbox_small"
EXPECTED_VALUES = FIXTURE_DIR / "attendus.csv"


# Only the source folders go into the inbox: the expected values and their explanation stay out.
SOURCE_FOLDERS = ("marches", "referentiels")
# (source, file name) of every delivery of the small inbox.
DELIVERED = {
    (str(path.parent.relative_to(FIXTURE_DIR)), path.name)
    for folder in SOURCE_FOLDERS
    for path in (FIXTURE_DIR / folder).rglob("*")
    if path.is_file()
}
SOURCES = {source for source, _name in DELIVERED}


@dataclass
class SmallNight:
    run_status: int
    export_status: int
    exported: dict[RowKey, float | None]
    quarantine: list[tuple[str, str, int, str, str]]
    files: list[tuple[str, str, str, str | None]]


@pytest.fixture(scope="module")
def small_night(engagements_night, tmp_path_factory) -> SmallNight:
    export = tmp_path_factory.mktemp("small_inbox_export") / "indicateurs.csv"
    with engagements_night.environment() as url:
        export_status = main(["export", "indicateurs", "--format", "csv", "--output", str(export)])
        with psycopg.connect(url) as conn:
            quarantine = conn.execute(
                "select source, fichier, enregistrement, champ, message from raw.quarantaine"
            ).fetchall()
            files = conn.execute("select source, fichier, statut, message from raw.fichiers").fetchall()
    return SmallNight(engagements_night.run_status, export_status, read_values(export), quarantine, files)


def test_the_night_runs_and_exports(small_night):
    assert small_night.run_status == 0
    assert small_night.export_status == 0


def test_every_file_of_the_inbox_is_loaded(small_night):
    loaded = {
        (source, Path(fichier).name)
        for source, fichier, statut, _ in small_night.files
        if statut == "charge" and source in SOURCES
    }
    rejected = [(fichier, message) for _, fichier, statut, message in small_night.files if statut != "charge"]
    assert rejected == []
    assert loaded == DELIVERED


def test_only_the_two_bad_decp_records_are_quarantined_with_their_reasons(small_night):
    violations: dict[tuple[str, str, int], list[tuple[str, str]]] = {}
    for source, fichier, enregistrement, champ, message in small_night.quarantine:
        if source not in SOURCES:
            continue
        violations.setdefault((source, Path(fichier).name, enregistrement), []).append((champ, message))
    schema_break = ("marches/decp", "2023-12-01_decp_export.json", 14)
    contradiction = ("marches/decp", "2023-12-15_decp_correctifs.json", 4)
    assert set(violations) == {schema_break, contradiction}

    [(champ, message)] = violations[schema_break]
    assert champ == "codeCPV" and "NC" in message

    [(champ, message)] = violations[contradiction]
    assert "considerationsSociales" in champ
    assert "Pas de considération sociale" in message and "Clause sociale" in message


def test_every_indicator_of_the_slice_matches_the_hand_computed_values(small_night):
    problems = differences(read_values(EXPECTED_VALUES), small_night.exported)
    assert not problems, (
        f"{len(problems)} écart(s) avec {EXPECTED_VALUES.name} (explications dans CALCULS.md) :\n" + "\n".join(problems)
    )


# ============================================================ what users open, after the same night

VRA = "200068781"


@pytest.fixture(scope="module")
def night(engagements_night, tmp_path_factory):
    assert engagements_night.run_status == 0
    with engagements_night.environment() as url:
        yield {
            "url": url,
            "home": engagements_night.home,
            "site": engagements_night.home / "site",
            "workspace": tmp_path_factory.mktemp("outputs"),
        }


# ---------------------------------------------------------------------------- the dashboard


def test_the_night_writes_every_page_and_the_docs(night):
    site = night["site"]
    expected = {
        "index.html",
        "chiffres-cles.html",
        "qualite-des-donnees.html",
        *(f"engagement-{n:02d}.html" for n in range(1, 14)),
    }
    assert expected <= {p.name for p in site.glob("*.html")}
    assert (site / "assets" / "spaser.js").exists() and (site / "assets" / "spaser.css").exists()
    assert (site / "dbt" / "index.html").stat().st_size > 10_000
    # The dbt docs describe the published tables, under the names users query.
    catalog = json.loads((site / "dbt" / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["nodes"]["model.spaser.fct_marches"]["metadata"]["schema"] == "marts"
    assert [column["name"] for column in catalog["nodes"]["model.spaser.fct_marches"]["columns"].values()][:2] == [
        "marche_cle",
        "acheteur_id",
    ]
    manifest = json.loads((site / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["nodes"]["model.spaser.fct_marches"]["relation_name"].endswith('"marts"."fct_marches"')
    assert not [
        node
        for node in [*manifest["nodes"].values(), *catalog["nodes"].values()]
        if node.get("schema", node.get("metadata", {}).get("schema")) == "marts_candidat"
    ]
    assert (site / "qualite" / "index.html").exists()
    home = (site / "index.html").read_text(encoding="utf-8")
    for axe in ("Axe transversal", "Axe social", "Axe environnemental", "Axe économique"):
        assert axe in home
    assert "Comment le statut est établi" in home


def test_pages_need_no_network(night):
    for page in night["site"].glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', text), f"{page.name} charge une ressource distante"


def test_the_drill_down_lists_exactly_the_contracts_counted(night):
    page = (night["site"] / "detail-e05_mp_clause_sociale_pct.html").read_text(encoding="utf-8")
    listed = {}
    for perimetre, block in re.findall(r'<div data-perimetre="([^"]+)"[^>]*>(.*?)</div>', page, re.S):
        for year, count in re.findall(r'<h3>(\d{4}) : <span class="nb-enregistrements">(\d+)</span>', block):
            listed[(perimetre, int(year))] = int(count)
    with psycopg.connect(night["url"]) as conn:
        counted = {
            (perimetre, annee): int(numerateur)
            for perimetre, annee, numerateur in conn.execute(
                "select perimetre, annee, numerateur from marts.fct_indicateurs "
                "where indicateur_id = 'e05_mp_clause_sociale_pct' and annee >= 2022 and numerateur > 0 "
                "and perimetre = any(%s)",
                (["TOUS", VRA, "212603625", "212602817"],),
            )
        }
    assert counted and listed == counted


SWITCHED = "e05_mp_clause_sociale_pct"


def test_the_dashboard_renders_in_a_real_browser(night, tmp_path):
    browser = Browser(tmp_path / "profil_chromium")
    try:
        for page in (
            "index.html",
            "chiffres-cles.html",
            "qualite-des-donnees.html",
            "detail-e05_mp_clause_sociale_pct.html",
        ):
            browser.open((night["site"] / page).as_uri())
        browser.open((night["site"] / "engagement-05.html").as_uri())
        charts = browser.evaluate("""(() => {
            const visible = [...document.querySelectorAll('[data-perimetre]')].filter(b => !b.hidden);
            const curves = visible.flatMap(b => [...b.querySelectorAll('svg.graphique path.courbe')]);
            return {blocs: visible.map(b => b.dataset.perimetre),
                    courbes: curves.length,
                    dessinees: curves.filter(c => c.getBBox().width > 0 && c.getTotalLength() > 0).length};
        })()""")
        assert set(charts["blocs"]) == {"TOUS"}
        assert charts["courbes"] > 0 and charts["dessinees"] == charts["courbes"]
        # The table of an indicator of the small inbox's slice (the night's insertion indicators come first).
        before = browser.evaluate(f"document.querySelector('#{SWITCHED} [data-perimetre=\"TOUS\"] table').innerText")
        switched = browser.evaluate(f"""(() => {{
            document.querySelector('[data-choix-perimetre="{VRA}"]').click();
            const visible = [...document.querySelectorAll('[data-perimetre]')].filter(b => !b.hidden);
            return {{blocs: [...new Set(visible.map(b => b.dataset.perimetre))],
                     choisi: document.body.dataset.perimetreChoisi,
                     presse: document.querySelector('[data-choix-perimetre="{VRA}"]').getAttribute('aria-pressed'),
                     table: visible.find(b => b.closest('#{SWITCHED}')).querySelector('table').innerText}};
        }})()""")
        assert switched["blocs"] == [VRA] and switched["choisi"] == VRA and switched["presse"] == "true"
        assert switched["table"] != before
        # The choice follows the user to the next page.
        browser.open((night["site"] / "engagement-08.html").as_uri())
        assert browser.evaluate("document.body.dataset.perimetreChoisi") == VRA
        screenshot = browser.screenshot(tmp_path / "tableau_de_bord.png")
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
        print(f"Capture du tableau de bord : {screenshot}")
        assert browser.errors == []
    finally:
        browser.close()


# ---------------------------------------------------------------------------- the Donut export


def test_the_donut_workbook_holds_the_view(night):
    output = night["workspace"] / "donut.xlsx"
    assert main(["export", "donut", "--annee", "2022", "--format", "xlsx", "--output", str(output)]) == 0
    workbook = load_workbook(output, read_only=True)
    assert workbook.sheetnames == ["Indicateurs", "Donut", "Lisez-moi"]
    sheet = list(workbook["Indicateurs"].iter_rows(values_only=True))
    header, rows = sheet[0], sheet[1:]
    assert header[:4] == ("Axe", "Engagement", "Intitulé de l'engagement", "Indicateur")
    with psycopg.connect(night["url"]) as conn:
        expected = conn.execute(
            "select indicateur_id, engagement, perimetre, ventilation, valeur, objectif, avancement "
            "from marts.rapport_indicateurs where annee <= 2022"
        ).fetchall()
    column = {
        name: header.index(name)
        for name in (
            "Indicateur",
            "Engagement",
            "Périmètre (SIREN)",
            "Ventilation",
            "Valeur",
            "Objectif de l'année",
            "Avancement",
            "Année",
        )
    }
    assert {r[column["Année"]] for r in rows} == {2022}
    got = {
        (
            r[column["Indicateur"]],
            r[column["Engagement"]],
            r[column["Périmètre (SIREN)"]],
            r[column["Ventilation"]] or "",
        ): (r[column["Valeur"]], r[column["Objectif de l'année"]], r[column["Avancement"]])
        for r in rows
    }
    assert len(got) == len(rows) == len(expected)
    for indicateur, engagement, perimetre, ventilation, valeur, objectif, avancement in expected:
        cell = got[(indicateur, engagement, perimetre, ventilation)]
        assert cell[0] == (None if valeur is None else pytest.approx(float(valeur)))
        assert cell[1] == (None if objectif is None else pytest.approx(float(objectif)))
        assert cell[2] == avancement
    donut = list(workbook["Donut"].iter_rows(values_only=True))[1:]
    assert "e10_agec_moyenne_pct" in {r[3] for r in donut}


def test_the_donut_csv_opens_in_a_french_spreadsheet(night):
    output = night["workspace"] / "donut.csv"
    assert main(["export", "donut", "--annee", "2023", "--format", "csv", "--output", str(output)]) == 0
    raw = output.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    with output.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {row["Année"] for row in rows} == {"2022", "2023"}
    sample = next(r for r in rows if r["Indicateur"] == "k_nb_marches" and r["Périmètre (SIREN)"] == "TOUS")
    assert Decimal(sample["Valeur"].replace(",", ".")) >= 0


# ---------------------------------------------------------------------------- outputs written aside


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def _temporaries(home: Path) -> list[str]:
    """Files and folders under their temporary names (spaser/core/files.py), anywhere under SPASER_HOME."""
    return sorted(p.relative_to(home).as_posix() for p in home.rglob(".*~*.tmp"))


def _dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(process.stdout)


def _fail(*args, **kwargs):
    raise RuntimeError("panne simulée pendant l'écriture")


@pytest.mark.parametrize("failing", ["spaser.publish.site._quality_page", "spaser.pipeline.dbt.write_docs_site"])
def test_a_site_build_that_fails_midway_leaves_the_previous_site_whole(night, monkeypatch, failing):
    """The quality page fails after the others are rendered, the dbt docs after every page is
    written: either way yesterday's site stays, byte for byte; the next build removes what a
    killed build left and the pages that no longer exist, and writes the same site."""
    site, home = night["site"], night["home"]
    before = _snapshot(site)
    with monkeypatch.context() as patch:
        patch.setattr(failing, _fail)
        with pytest.raises(RuntimeError, match="panne simulée"):
            night_steps.build_site()
    assert _snapshot(site) == before
    assert _temporaries(home) == []
    killed = home / f".site~{socket.gethostname()}~{_dead_pid()}~abcd1234.tmp"
    (killed / "dbt").mkdir(parents=True)
    (killed / "dbt" / "index.html").write_text("moitié de page", encoding="utf-8")
    (site / "engagement-99.html").write_text("engagement disparu", encoding="utf-8")
    night_steps.build_site()
    assert _snapshot(site) == before
    assert _temporaries(home) == []


def test_the_site_is_built_by_a_machine_that_ran_no_other_step(night, monkeypatch, tmp_path):
    """Under a distributed executor (CeleryExecutor) build_site may run on a worker whose own
    SPASER_HOME has nothing of the night: what it needs of dbt_marts (the dbt docs) comes from
    the warehouse, and it writes the same site into the shared outputs folder."""
    other_home, shared_outputs = tmp_path / "autre_machine", tmp_path / "sorties_partagees"
    monkeypatch.setenv("SPASER_HOME", str(other_home))
    monkeypatch.setenv("SPASER_OUTPUTS", str(shared_outputs))
    result = night_steps.build_site()
    assert result["accueil"] == str(shared_outputs / "site" / "index.html")
    rebuilt, original = _snapshot(shared_outputs / "site"), _snapshot(night["site"])
    original = {name: content for name, content in original.items() if not name.startswith("qualite/")}
    assert rebuilt == original
    assert not (other_home / "dbt").exists() and not (other_home / "site").exists()


def test_an_export_that_fails_midway_leaves_the_previous_files(night, monkeypatch):
    exports = night["home"] / "exports"
    night_steps.export_indicateurs()
    before = {name: (exports / name).read_bytes() for name in ("indicateurs.csv", "indicateurs.json")}
    from spaser.outputs import export

    written = []

    def fails_at_the_third_value(value):
        written.append(value)
        if len(written) == 3:
            raise RuntimeError("panne simulée pendant l'écriture")
        return str(value)

    with monkeypatch.context() as patch:
        patch.setattr(export, "format_valeur", fails_at_the_third_value)
        with pytest.raises(RuntimeError, match="panne simulée"):
            night_steps.export_indicateurs()
    assert {name: (exports / name).read_bytes() for name in before} == before
    assert _temporaries(night["home"]) == []
    night_steps.export_indicateurs()
    assert {name: (exports / name).read_bytes() for name in before} == before


def test_great_expectations_keeps_no_project_under_spaser_home(night):
    """The gate's context is ephemeral: of GX, only the Data Docs pages are on disk, under
    site/qualite/gx, and GX's own writer is replaced by one that writes aside then renames."""
    from spaser.quality import gate

    home = night["home"]
    gx_project = [
        p.relative_to(home).as_posix()
        for p in home.rglob("*")
        if p.name in ("great_expectations.yml", "gx", "checkpoints", "expectations", "uncommitted")
        and not p.is_relative_to(home / "site" / "qualite" / "gx")
    ]
    assert gx_project == []
    assert any((home / "site" / "qualite" / "gx" / "validations").rglob("*.html"))
    context = gate._context()
    builder = context._load_site_builder_from_site_config(context.variables.data_docs_sites[gate.DOCS_SITE_NAME])
    assert {type(backend) for backend in builder.target_store.store_backends.values()} == {
        gate.AtomicFilesystemStoreBackend
    }


HOSTILE = {
    "k_nb_marches": '=HYPERLINK("http://exemple.invalid/x","cliquer")',
    "e05_mp_clause_sociale_pct": "+1",
    "e08_mp_clause_environnementale_pct": "-2",
    "e13_allotissement_pct": "@SUM(A1)",
}


def test_no_cell_of_the_donut_exports_is_a_formula_and_numbers_stay_numbers(night):
    """Hostile libellés in the published table (changed inside a transaction rolled back after the
    export): the CSV prefixes them with an apostrophe, the workbook holds them as text; a negative
    value and gap, written by hand, are not altered."""
    from spaser.outputs.donut import write_donut

    workspace = night["workspace"]
    with psycopg.connect(night["url"]) as conn:
        try:
            for indicateur_id, libelle in HOSTILE.items():
                assert (
                    conn.execute(
                        "update marts.rapport_indicateurs set libelle = %s where indicateur_id = %s",
                        (libelle, indicateur_id),
                    ).rowcount
                    > 0
                )
            assert (
                conn.execute(
                    "update marts.rapport_indicateurs set valeur = -2, ecart_objectif = -2.5 where indicateur_id = "
                    "'k_nb_marches' and perimetre = 'TOUS' and annee = 2022 and ventilation = ''"
                ).rowcount
                == 1
            )
            write_donut(conn, 2022, "csv", workspace / "hostile.csv")
            write_donut(conn, 2022, "xlsx", workspace / "hostile.xlsx")
        finally:
            conn.rollback()
    with (workspace / "hostile.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    for indicateur_id, libelle in HOSTILE.items():
        assert {row["Libellé"] for row in rows if row["Indicateur"] == indicateur_id} == {"'" + libelle}
    total = next(
        row
        for row in rows
        if row["Indicateur"] == "k_nb_marches" and row["Périmètre (SIREN)"] == "TOUS" and row["Ventilation"] == ""
    )
    assert (total["Valeur"], total["Écart à l'objectif"]) == ("-2", "-2,5")
    workbook = load_workbook(workspace / "hostile.xlsx")
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    sheet = workbook["Indicateurs"]
    header = [cell.value for cell in sheet[1]]
    column = {
        name: header.index(name)
        for name in ("Indicateur", "Libellé", "Périmètre (SIREN)", "Ventilation", "Valeur", "Écart à l'objectif")
    }
    lines = [list(row) for row in sheet.iter_rows(min_row=2)]
    for indicateur_id, libelle in HOSTILE.items():
        libelles = [line[column["Libellé"]] for line in lines if line[column["Indicateur"]].value == indicateur_id]
        assert {(cell.value, cell.data_type) for cell in libelles} == {(libelle, "s")}
    total = next(
        line
        for line in lines
        if line[column["Indicateur"]].value == "k_nb_marches"
        and line[column["Périmètre (SIREN)"]].value == "TOUS"
        and not line[column["Ventilation"]].value
    )
    assert [
        (total[column[name]].value, total[column[name]].data_type) for name in ("Valeur", "Écart à l'objectif")
    ] == [(-2, "n"), (-2.5, "n")]


# ---------------------------------------------------------------------------- BI roles


def _tables(conn, schemas: list[str]) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema = any(%s)", (schemas,)
        )
    ]


def _can(conn, role: str, statement: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(f"set local role {role}")
            conn.execute(statement)
            raise _RolledBack
    except _RolledBack:
        return True
    except psycopg.errors.InsufficientPrivilege:
        return False


class _RolledBack(Exception):
    """Raised to roll back a statement that succeeded (the test must change nothing)."""


def test_the_reader_reads_the_published_marts_only(night):
    with psycopg.connect(night["url"], autocommit=True) as conn:
        marts = _tables(conn, ["marts"])
        assert "marts.rapport_indicateurs" in marts and "marts.fct_indicateurs" in marts
        for table in marts:
            assert _can(conn, "spaser_lecteur", f"select * from {table} limit 1"), table
        hidden = _tables(conn, ["raw", "raw_stockage", "staging", "intermediate", "referentiels", "qualite"])
        assert {"raw.quarantaine", "raw.sirene_unites_legales", "qualite.validations"} <= set(hidden)
        for table in hidden:
            assert not _can(conn, "spaser_lecteur", f"select * from {table} limit 1"), table


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.dim_engagements values (99, 'social', 'x')",
        "update marts.fct_indicateurs set valeur = 0",
        "delete from marts.fct_marches",
        "truncate marts.fct_offres",
        "drop table marts.rapport_indicateurs",
        "create table marts.essai (i int)",
        "create table public.essai (i int)",
        "create table raw.essai (i int)",
        "create table raw_stockage.essai (i int)",
        "create table qualite.essai (i int)",
        "insert into qualite.validations (run_id, couche, suite, table_name, succes, nb_expectations, nb_echecs)"
        " values ('x', 'raw', 'x', 'x', true, 0, 0)",
        "create schema essai",
    ],
)
@pytest.mark.parametrize("role", ["spaser_lecteur", "spaser_auditeur"])
def test_the_bi_roles_write_nowhere(night, role, statement):
    with psycopg.connect(night["url"], autocommit=True) as conn:
        assert not _can(conn, role, statement)


def test_the_auditor_reads_the_marts_and_the_quality_history(night):
    with psycopg.connect(night["url"], autocommit=True) as conn:
        for table in [
            *_tables(conn, ["marts"]),
            "qualite.validations",
            "qualite.attentes_en_echec",
            "qualite.quarantaine_par_source",
            "qualite.signalements_par_source",
        ]:
            assert _can(conn, "spaser_auditeur", f"select * from {table} limit 1"), table
        for table in _tables(conn, ["raw", "raw_stockage", "staging", "intermediate"]):
            assert not _can(conn, "spaser_auditeur", f"select * from {table} limit 1"), table
        # The small inbox's sources, whose quarantined records break one rule each: the view counts
        # records per rule (the engagements' insertion rows break two).
        sources = sorted(SOURCES)
        conn.execute("set role spaser_auditeur")
        quarantined = conn.execute(
            "select sum(nb_enregistrements) from qualite.quarantaine_par_source where source = any(%s)", (sources,)
        ).fetchone()[0]
        flagged = conn.execute(
            "select coalesce(sum(nb_signalements), 0) from qualite.signalements_par_source"
        ).fetchone()[0]
        conn.execute("reset role")
        total = conn.execute(
            "select count(distinct (load_id, enregistrement)) from raw.quarantaine where source = any(%s)", (sources,)
        ).fetchone()[0]
        assert total > 0 and quarantined == total
        assert flagged == conn.execute("select count(*) from raw.signalements").fetchone()[0]


def test_grants_survive_the_next_publication(admin_url, tmp_path):
    from spaser.pipeline import night as steps

    with fresh_warehouse(admin_url, tmp_path / "home") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema marts_candidat; create table marts_candidat.premiere as select 1 as n")
        validated(conn, "nuit-1")
        steps.publish("nuit-1")
        steps.grant_access()
        conn.execute("create schema marts_candidat; create table marts_candidat.seconde as select 2 as n")
        validated(conn, "nuit-2")
        steps.publish("nuit-2")
        assert _can(conn, "spaser_lecteur", "select * from marts.seconde")
        assert conn.execute("select to_regclass('marts.premiere')").fetchone()[0] is None


# ---------------------------------------------------------------------------- published means immutable


def _published_checksums(conn) -> dict[str, str]:
    relations = [
        row[0]
        for row in conn.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = 'marts' and c.relkind in ('r', 'v', 'm') order by 1"
        )
    ]
    return {
        name: conn.execute(
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from marts.{name} as t"
        ).fetchone()[0]
        for name in relations
    }


def test_published_marts_read_nothing_outside_the_published_schema(engagements_night):
    with psycopg.connect(engagements_night.url) as conn:
        outside = conn.execute(
            "select distinct v.relname, tn.nspname, t.relname from pg_depend as d"
            " join pg_rewrite as r on r.oid = d.objid join pg_class as v on v.oid = r.ev_class"
            " join pg_namespace as vn on vn.oid = v.relnamespace"
            " join pg_class as t on t.oid = d.refobjid join pg_namespace as tn on tn.oid = t.relnamespace"
            " where d.classid = 'pg_rewrite'::regclass and vn.nspname = 'marts' and tn.nspname <> 'marts'"
        ).fetchall()
    assert outside == []


def test_a_night_that_fails_the_gate_leaves_every_published_relation_identical(engagements_night):
    """The next night rewrites the referentiels seeds (dbt seed) and drops the candidate before
    building it; its gate fails, so nothing is published: what users read must not have moved."""
    from spaser.publish.swap import prepare_candidate

    with psycopg.connect(engagements_night.url) as conn:
        before = _published_checksums(conn)
        assert "rapport_indicateurs" in before
        engagements = conn.execute("select engagement, libelle from referentiels.engagements").fetchall()
        try:
            conn.execute("update referentiels.engagements set libelle = libelle || ' (nouvelle version)'")
            conn.commit()
            prepare_candidate(conn)
            assert _published_checksums(conn) == before
        finally:
            conn.rollback()
            with conn.cursor() as cursor:
                cursor.executemany(
                    "update referentiels.engagements set libelle = %s where engagement = %s",
                    [(libelle, engagement) for engagement, libelle in engagements],
                )
            conn.commit()
