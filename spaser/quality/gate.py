"""The quality gate: run the suites of a layer with Great Expectations, keep the history, build the docs.

``validate_raw`` runs after the extractors (a failure stops the night before dbt), ``validate_marts``
on the candidate marts before publication. Both run an ephemeral GX context (one checkpoint per
layer, whose suites are built from ``spaser.quality.suites`` at every run: nothing of GX's project is
written to disk, only the Data Docs pages, each written aside then renamed into place), record
every validation in ``qualite.validations`` and publish the reports under ``$SPASER_HOME/site/qualite/``.

GX's own Data Docs index is an empty table filled in the browser by JavaScript fetched from CDNs,
so it shows nothing offline. The entry page ``site/qualite/index.html`` is therefore written here, as
plain HTML from ``qualite.validations``; it links every validation to GX's page for it (under
``site/qualite/gx/``), whose content is rendered server-side and readable without network.

A rerun of the same night replaces that night's rows of ``qualite.validations`` for the layer (the
house rule: a rerun never duplicates); every attempt's report page stays in the Data Docs.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from urllib.request import url2pathname

import great_expectations as gx
from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

from spaser.core.files import write_bytes_if_changed, write_text
from spaser.core.schemas import CANDIDATE_MARTS, RAW
from spaser.core.settings import site_dir, spaser_home
from spaser.db.warehouse import connect, connection_params
from spaser.quality import suites

DATASOURCE_NAME = "entrepot"
DOCS_SITE_NAME = "qualite"
WHOLE_TABLE = "table_entiere"
# GX reads the connection string from this variable at run time, so no password is held in the
# datasource's configuration, which GX may render or log.
CONNECTION_ENV_VAR = "SPASER_GX_WAREHOUSE_URL"
SAMPLE_SIZE = 10


# ---------------------------------------------------------------------------- report


@dataclass
class FailedExpectation:
    expectation: str  # GX expectation type, e.g. expect_column_values_to_be_between
    column: str | None
    unexpected_count: int | None
    sample: list[Any]
    summary: str  # French, for the data team

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SuiteOutcome:
    suite: str
    table_name: str  # schema.table validated
    success: bool
    nb_expectations: int
    failures: list[FailedExpectation] = field(default_factory=list)
    report_path: str | None = None  # relative to site/qualite/
    chargements: tuple[int, int] | None = None  # (first, last) load ids whose rows were read; None: whole

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "table_name": self.table_name,
            "success": self.success,
            "nb_expectations": self.nb_expectations,
            "nb_echecs": len(self.failures),
            "echecs": [failure.to_dict() for failure in self.failures],
            "rapport": self.report_path,
            "chargements": list(self.chargements) if self.chargements else None,
        }


@dataclass
class GateReport:
    run_id: str
    couche: str  # 'raw' or 'marts'
    schema: str
    success: bool
    suites: list[SuiteOutcome]
    data_docs_index: str
    duration_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "couche": self.couche,
            "schema": self.schema,
            "success": self.success,
            "suites": [outcome.to_dict() for outcome in self.suites],
            "data_docs_index": self.data_docs_index,
            "duration_seconds": round(self.duration_seconds, 2),
        }

    def explain(self) -> str:
        failed = [outcome for outcome in self.suites if not outcome.success]
        verdict = "RÉUSSI" if self.success else f"ÉCHEC ({len(failed)} suite(s) sur {len(self.suites)} en échec)"
        lines = [
            f"Contrôle qualité de la couche {self.couche} (schéma {self.schema}, nuit {self.run_id}) : {verdict}, "
            f"{sum(outcome.nb_expectations for outcome in self.suites)} attentes vérifiées en "
            f"{self.duration_seconds:.1f} s."
        ]
        for outcome in failed:
            lines.append(
                f"- {outcome.suite} ({outcome.table_name}) : {len(outcome.failures)} attente(s) non satisfaite(s) "
                f"sur {outcome.nb_expectations}"
            )
            lines.extend(f"    • {failure.summary}" for failure in outcome.failures)
        lines.append(f"Rapports détaillés : {self.data_docs_index}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- public entry points


def validate_raw(run_id: str, sources: Iterable) -> GateReport:
    """Validate the raw tables of the loader and of ``sources`` (the extractors) on the loads no
    passed validation has covered yet; the night must stop before dbt when the report fails.

    Raw data tables only grow, every row stamped with its load (_load_id), and rows that passed
    the gate cannot have changed since. So a table with a _load_id is validated on the rows of
    the loads no successful raw validation has covered yet — tonight's, plus those of any night
    whose raw gate failed, until one passes — and the others (raw.fichiers itself, the
    quarantine) whole; qualite.validations records the range of loads each validation read.
    Reading years of history every night would check nothing new (finance ×100: tens of
    millions of lines). What spans loads stays guaranteed: a content is loaded once (unique
    index on raw.fichiers), and each validation checks that its rows carry the load id and hash
    of a loaded file.
    """
    planned = {table: factory() for table, factory in suites.raw_suites(sources).items()}
    return _validate_layer(run_id, "raw", RAW, planned, required=set(planned), loads=_loads_to_validate())


def validate_marts(run_id: str, schema: str = CANDIDATE_MARTS) -> GateReport:
    """Validate the marts of ``schema``: the publication gate (publish only when it succeeds)."""
    planned = {table: factory(schema) for table, factory in suites.CORE_MART_SUITES.items()}
    for table in _tables_of(schema):
        if table.startswith(suites.INDICATOR_MART_PREFIX):
            planned[table] = suites.indicator_mart_suite(table)
    return _validate_layer(run_id, "marts", schema, planned, required=set(suites.CORE_MART_SUITES))


# ---------------------------------------------------------------------------- the run


def _validate_layer(
    run_id: str,
    couche: str,
    schema: str,
    planned: dict[str, gx.ExpectationSuite],
    required: set[str],
    loads: tuple[int, int] | None = None,
) -> GateReport:
    """``loads`` (first, last): in the tables that have a _load_id, validate only the rows of load
    ``first`` onwards (None: every table whole); ``last`` is what the night records as covered."""
    started = time.monotonic()
    existing = _tables_of(schema)
    outcomes = [
        SuiteOutcome(
            suite=suite.name,
            table_name=f"{schema}.{table}",
            success=False,
            nb_expectations=len(suite.expectations),
            failures=[
                FailedExpectation(
                    expectation="table_exists",
                    column=None,
                    unexpected_count=None,
                    sample=[],
                    summary=f"la table {schema}.{table} est absente",
                )
            ],
        )
        for table, suite in planned.items()
        if table in required and table not in existing
    ]
    to_run = {table: suite for table, suite in planned.items() if table in existing}
    if to_run:
        by_load = _tables_of(schema, having_column="_load_id") if loads is not None else set()
        # No upper bound: rows stamped with a load id raw.fichiers does not know are read too.
        batches = {
            table: f"select * from {schema}.{table} where _load_id >= {loads[0]}"
            for table in to_run
            if table in by_load
        }
        outcomes.extend(_run_checkpoint(run_id, couche, schema, to_run, batches))
        for outcome in outcomes:
            if outcome.table_name.split(".", 1)[1] in by_load:
                outcome.chargements = loads
    outcomes.sort(key=lambda outcome: outcome.suite)
    _record(run_id, couche, outcomes)
    index = _write_index_page()
    return GateReport(
        run_id=run_id,
        couche=couche,
        schema=schema,
        success=all(outcome.success for outcome in outcomes),
        suites=outcomes,
        data_docs_index=str(index),
        duration_seconds=time.monotonic() - started,
    )


def _run_checkpoint(
    run_id: str, couche: str, schema: str, to_run: dict[str, gx.ExpectationSuite], batches: dict[str, str]
) -> list[SuiteOutcome]:
    """Validate the tables of ``to_run``, whole or, for those of ``batches``, the rows of its query."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    with _connection_string_in_environment(), warnings.catch_warnings():
        # GX 1.14+ deprecates a table asset's schema_name in favour of a schema set on the
        # datasource, which its Postgres datasource cannot hold (one datasource serves raw and marts).
        warnings.filterwarnings("ignore", message="`schema_name` is deprecated", category=DeprecationWarning)
        context = _context()
        datasource = _datasource(context)
        pages_to_render = _suite_pages_to_render(context, to_run.values())
        table_of_suite: dict[str, str] = {}
        definitions = []
        # The context is new: each object is added once. add_or_update looked each one up, and
        # the checkpoint's re-added every definition and its suite, comparing every expectation
        # with the stored ones: seconds of GX bookkeeping, more than some validations.
        for table, suite in to_run.items():
            batch_definition = _batch_definition(datasource, schema, table, batches.get(table))
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(
                        name=f"{couche}.{table}", data=batch_definition, suite=context.suites.add(suite)
                    )
                )
            )
            table_of_suite[suite.name] = f"{schema}.{table}"
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"spaser_{couche}",
                validation_definitions=definitions,
                result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE_SIZE},
            )
        )
        result = checkpoint.run(run_id=gx.RunIdentifier(run_name=run_id))
        # Built once for the whole layer rather than by an UpdateDataDocsAction, which renders the
        # site again after each validation. GX's index page is not built: it needs CDNs to show
        # anything, and _write_index_page replaces it.
        context.build_data_docs(
            site_names=[DOCS_SITE_NAME],
            resource_identifiers=[
                *result.run_results,
                *(ExpectationSuiteIdentifier(name=name) for name in pages_to_render),
            ],
            build_index=False,
        )
        _record_suite_pages(context, pages_to_render)
        return [
            _outcome(validation, table_of_suite[validation.suite_name], _report_path(context, identifier))
            for identifier, validation in result.run_results.items()
        ]


@contextmanager
def _connection_string_in_environment() -> Iterator[None]:
    previous = os.environ.get(CONNECTION_ENV_VAR)
    os.environ[CONNECTION_ENV_VAR] = connection_params().sqlalchemy_url()
    try:
        yield
    finally:
        if previous is None:
            del os.environ[CONNECTION_ENV_VAR]
        else:
            os.environ[CONNECTION_ENV_VAR] = previous


def _docs_root() -> Path:
    return site_dir() / "qualite"


def _context():
    # Ephemeral: the suites are code (spaser/quality/suites.py) rebuilt at every run, so nothing of
    # GX's own project needs to persist; a file context rewrote its YAML project (every asset,
    # suite and checkpoint) on each change, which cost more than the validations themselves.
    # Only the Data Docs pages are kept, on disk, for the auditors.
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        DOCS_SITE_NAME,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "AtomicFilesystemStoreBackend",
                "module_name": __name__,
                "base_directory": str(_docs_root() / "gx"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


class AtomicFilesystemStoreBackend(TupleFilesystemStoreBackend):
    """GX's file store for the Data Docs, each page written aside then renamed into place
    (spaser/core/files.py): GX's own writes in place, and rewrites each suite's page every night. A
    file already holding the same bytes (GX copies its static assets at every build) is left as
    it is."""

    def _set(self, key, value, **kwargs):
        if not isinstance(key, tuple):
            key = key.to_tuple()
        path = Path(self.full_base_directory) / self._convert_key_to_filepath(key)
        write_bytes_if_changed(path, value.encode("utf-8") if isinstance(value, str) else value)
        return str(path)


def _datasource(context):
    return context.data_sources.add_postgres(DATASOURCE_NAME, connection_string="${" + CONNECTION_ENV_VAR + "}")


def _batch_definition(datasource, schema: str, table: str, query: str | None):
    """The table whole (a table asset), or the rows of ``query`` (a query asset, replaced when
    the night's query differs from the stored one)."""
    asset_name = f"{schema}.{table}"
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = None
    if asset is not None and getattr(asset, "query", None) != query:
        datasource.delete_asset(asset_name)
        asset = None
    if asset is None:
        asset = (
            datasource.add_table_asset(asset_name, table_name=table, schema_name=schema)
            if query is None
            else datasource.add_query_asset(asset_name, query=query)
        )
    if WHOLE_TABLE in {definition.name for definition in asset.batch_definitions}:
        return asset.get_batch_definition(WHOLE_TABLE)
    return asset.add_batch_definition_whole_table(WHOLE_TABLE)


# ---------------------------------------------------------------------------- suite pages


def _suite_pages_record() -> Path:
    return spaser_home() / "cache" / "pages_suites_gx.json"


def _suite_pages_to_render(context, suites_to_run) -> dict[str, str]:
    """The suites whose Data Docs page must be rendered tonight: name -> what the page is rendered
    from (GX's version and the suite). A suite's page is a pure function of these, but for the
    render time GX stamps in it; rendering a page whose suite did not change would only change
    that stamp. It is left as it is when the record says which suite it was rendered from and the
    page on disk is still the one recorded (else, or without the record: rendered)."""
    try:
        record = json.loads(_suite_pages_record().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        record = {}
    to_render = {}
    for suite in suites_to_run:
        # Taken before the suite is added to the context, which gives it ids of its own.
        source = hashlib.sha256(
            json.dumps([gx.__version__, suite.to_json_dict()], sort_keys=True, default=str).encode()
        ).hexdigest()
        recorded = record.get(suite.name) or {}
        page = _report_path(context, ExpectationSuiteIdentifier(name=suite.name), only_if_exists=False)
        if recorded.get("source") != source or recorded.get("page") != _file_sha256(_docs_root() / page):
            to_render[suite.name] = source
    return to_render


def _record_suite_pages(context, rendered: dict[str, str]) -> None:
    if not rendered:
        return
    path = _suite_pages_record()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        record = {}
    for name, source in rendered.items():
        page = _report_path(context, ExpectationSuiteIdentifier(name=name), only_if_exists=False)
        record[name] = {"source": source, "page": _file_sha256(_docs_root() / page)}
    write_text(path, json.dumps(record, indent=1, sort_keys=True))


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _report_path(context, identifier, only_if_exists: bool = True) -> str | None:
    urls = context.get_docs_sites_urls(
        resource_identifier=identifier, site_name=DOCS_SITE_NAME, only_if_exists=only_if_exists
    )
    if not urls or not urls[0].get("site_url"):
        return None
    page = Path(url2pathname(urlparse(urls[0]["site_url"]).path))
    return page.relative_to(_docs_root()).as_posix()


# ---------------------------------------------------------------------------- reading GX results


def _outcome(validation, table_name: str, report_path: str | None) -> SuiteOutcome:
    failures = [_failure(result) for result in validation.results if not result.success]
    return SuiteOutcome(
        suite=validation.suite_name,
        table_name=table_name,
        success=bool(validation.success),
        nb_expectations=len(validation.results),
        failures=failures,
        report_path=report_path,
    )


def _failure(result) -> FailedExpectation:
    config = result.expectation_config
    kwargs = config.kwargs
    details = result.result or {}
    column = (
        kwargs.get("column")
        or _joined(kwargs.get("column_list"))
        or _joined([kwargs[key] for key in ("column_A", "column_B") if kwargs.get(key)])
    )
    error = _exception_message(result.exception_info or {})
    if error:
        count, sample = None, []
    elif config.type == "unexpected_rows_expectation":
        count = details.get("observed_value")
        sample = (details.get("details") or {}).get("unexpected_rows", [])[:SAMPLE_SIZE]
    elif "unexpected_count" in details:
        count = details.get("unexpected_count")
        sample = details.get("partial_unexpected_list", [])[:SAMPLE_SIZE]
    else:  # table-level expectations report what they saw
        count, sample = None, [details.get("details") or details.get("observed_value")]
    sample = _json_safe(sample)
    return FailedExpectation(
        expectation=config.type,
        column=column,
        unexpected_count=count,
        sample=sample,
        summary=_summary_fr(config.type, kwargs, config.description, column, count, sample, error),
    )


def _exception_message(exception_info: dict) -> str | None:
    """The first line of the error that prevented a check (GX nests it per metric for SQL checks)."""
    if "raised_exception" in exception_info:
        candidates = [exception_info] if exception_info["raised_exception"] else []
    else:
        candidates = [info for info in exception_info.values() if isinstance(info, dict)]
    messages = [info["exception_message"] for info in candidates if info.get("exception_message")]
    return messages[0].splitlines()[0] if messages else None


def _joined(columns) -> str | None:
    return ", ".join(columns) if columns else None


def _json_safe(value: Any) -> Any:
    # Samples are diagnostics: a numeric shown as a JSON number reads better than an exact string.
    return json.loads(
        json.dumps(value, default=lambda item: _number(float(item)) if isinstance(item, Decimal) else str(item))
    )


_RULES_FR = {
    "expect_column_values_to_not_be_null": "valeurs renseignées",
    "expect_column_values_to_be_null": "valeurs vides",
    "expect_column_values_to_be_unique": "valeurs uniques",
    "expect_compound_columns_to_be_unique": "combinaison unique",
    "expect_column_values_to_be_in_set": "valeurs dans la liste autorisée",
    "expect_column_values_to_match_regex": "format attendu",
    "expect_table_columns_to_match_set": "colonnes du contrat présentes",
}


def _summary_fr(expectation_type, kwargs, description, column, count, sample, error) -> str:
    if description:
        rule = description
    elif expectation_type == "expect_column_values_to_be_between":
        bounds = [
            f"≥ {_number(kwargs['min_value'])}" if kwargs.get("min_value") is not None else None,
            f"≤ {_number(kwargs['max_value'])}" if kwargs.get("max_value") is not None else None,
        ]
        rule = "valeurs " + " et ".join(bound for bound in bounds if bound)
    elif expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        rule = f"{kwargs['column_A']} {'≥' if kwargs.get('or_equal') else '>'} {kwargs['column_B']}"
    else:
        rule = _RULES_FR.get(expectation_type, expectation_type)
    if expectation_type == "expect_column_values_to_be_in_set":
        rule += f" {kwargs.get('value_set')}"
    if expectation_type == "expect_column_values_to_match_regex":
        rule += f" {kwargs.get('regex')}"
    condition = kwargs.get("row_condition")
    if condition:
        rule += f" (lignes où {_condition_fr(condition)})"
    target = f"{column} : " if column else ""
    if error:
        return f"{target}{rule} — contrôle impossible : {error}"
    found = f"{count} écart(s)" if count is not None else "non satisfait"
    examples = f", exemples : {json.dumps(sample, ensure_ascii=False)}" if sample else ""
    return f"{target}{rule} — {found}{examples}"


def _condition_fr(condition) -> str:
    """A comparison row condition as text; GX hands it back serialised as a dict."""
    if hasattr(condition, "dict"):
        condition = condition.dict()
    if isinstance(condition, dict) and condition.get("type") == "comparison":
        return f"{condition['column']['name']} {condition['operator']} {condition['parameter']!r}"
    return str(condition)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ---------------------------------------------------------------------------- history and docs


def _loads_to_validate() -> tuple[int, int]:
    """(first, last) load ids no successful raw validation has covered: from the one after the
    last load covered by a night whose raw suites all passed, to the last load now. A load restored
    (spaser chargement retablir) since the last passed night comes back into scope: it was out of
    the raw views while the nights after it were validated."""
    with connect() as conn:
        return conn.execute(
            "with nuits_reussies as (select max(dernier_load_id) as couvert, max(valide_le) as le"
            "   from qualite.validations where couche = 'raw' group by run_id having bool_and(succes))"
            " select least("
            "   coalesce((select max(couvert) + 1 from nuits_reussies), 0),"
            "   (select min(load_id) from qualite.journal_chargements_ecartes where action = 'retabli'"
            "    and le > coalesce((select max(le) from nuits_reussies), '-infinity'))),"
            " coalesce((select max(load_id) from raw.fichiers), 0)"
        ).fetchone()


def _tables_of(schema: str, having_column: str | None = None) -> set[str]:
    """The tables of ``schema`` (those with a column named ``having_column`` when given)."""
    with connect() as conn:
        rows = conn.execute(
            "select distinct table_name from information_schema.columns"
            " where table_schema = %s and (%s::text is null or column_name = %s)",
            (schema, having_column, having_column),
        ).fetchall()
    return {row[0] for row in rows}


def _record(run_id: str, couche: str, outcomes: list[SuiteOutcome]) -> None:
    with connect() as conn:
        conn.execute("delete from qualite.validations where run_id = %s and couche = %s", (run_id, couche))
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into qualite.validations (run_id, couche, suite, table_name, succes, nb_expectations,"
                " nb_echecs, echecs, rapport, premier_load_id, dernier_load_id)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
                [
                    (
                        run_id,
                        couche,
                        outcome.suite,
                        outcome.table_name,
                        outcome.success,
                        outcome.nb_expectations,
                        len(outcome.failures),
                        json.dumps([f.to_dict() for f in outcome.failures], ensure_ascii=False),
                        outcome.report_path,
                        *(outcome.chargements or (None, None)),
                    )
                    for outcome in outcomes
                ],
            )


_PAGE_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #eee; }
.ok { color: #176317; font-weight: bold; }
.ko { color: #b00020; font-weight: bold; }
ul { margin: 0; padding-left: 1.2em; }
"""


def _rows_read(first_load: int | None, last_load: int | None) -> str:
    if first_load is None:
        return "table entière"
    if first_load > last_load:
        return "aucune (aucun nouveau chargement)"
    return f"chargements {first_load} à {last_load}"


def _write_index_page() -> Path:
    with connect() as conn:
        rows = conn.execute(
            "select run_id, valide_le, couche, suite, table_name, premier_load_id, dernier_load_id, succes,"
            " nb_expectations, nb_echecs, echecs, rapport"
            " from qualite.validations order by valide_le desc, couche, suite"
        ).fetchall()
    body = []
    for (
        run_id,
        validated_at,
        couche,
        suite,
        table_name,
        first_load,
        last_load,
        success,
        nb_expectations,
        nb_failures,
        failures,
        report,
    ) in rows:
        status = '<span class="ok">réussie</span>' if success else '<span class="ko">échec</span>'
        link = f'<a href="{html.escape(quote(report))}">rapport</a>' if report else ""
        details = "".join(f"<li>{html.escape(failure['summary'])}</li>" for failure in failures)
        body.append(
            f"<tr><td>{html.escape(run_id)}</td><td>{validated_at.isoformat(timespec='seconds')}</td><td>{couche}</td>"
            f"<td>{html.escape(suite)}</td><td>{html.escape(table_name)}</td><td>{_rows_read(first_load, last_load)}</td>"
            f"<td>{status}</td>"
            f"<td>{nb_expectations}</td><td>{nb_failures}</td><td><ul>{details}</ul></td><td>{link}</td></tr>"
        )
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Qualité des données SPASER</title><style>{_PAGE_STYLE}</style></head><body>"
        "<h1>Qualité des données de l'entrepôt SPASER</h1>"
        "<p>Historique des contrôles Great Expectations, du plus récent au plus ancien. La couche raw est "
        "contrôlée après le chargement des fichiers ; la couche marts avant chaque publication, qui n'a lieu "
        "que si tous ses contrôles réussissent. Une table brute n'étant jamais modifiée, seules ses lignes que "
        "n'a couvertes encore aucun contrôle réussi sont relues (colonne « Lignes lues ») : celles de la nuit, et "
        "celles d'une nuit en échec tant qu'un contrôle n'a pas réussi. Le lien « rapport » ouvre le détail de "
        "chaque attente.</p>"
        "<table><thead><tr><th>Nuit</th><th>Validé le</th><th>Couche</th><th>Suite</th><th>Table</th>"
        "<th>Lignes lues</th>"
        "<th>Résultat</th><th>Attentes</th><th>Échecs</th><th>Attentes non satisfaites</th><th>Détail</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></body></html>"
    )
    index = _docs_root() / "index.html"
    write_text(index, page)
    return index
