"""The steps of one night, as plain functions: the DAG wires them, tests call them directly.

Each step returns a JSON-serialisable dict (it travels as an Airflow XCom) and raises
``NightStepFailed`` with a French explanation when the night must stop. How each step ended is
recorded in the warehouse (``spaser.pipeline.pilotage``), never in local files: the summary of a night whose
failed step was fixed and rerun under the same run id is green, whichever machine ran what.
Heavy libraries (GX, dbt, psycopg) are imported inside the steps so that parsing the DAG file stays
fast.

Every step holds the night lock (``spaser.pipeline.pilotage.night_step``: one night at a time per
warehouse) and runs its SQL sessions — psycopg, dbt, Great Expectations, all through libpq — under
the pipeline's timeouts (``pipeline_timeouts``); the DAG bounds each task (``spaser.core.plan.step_timeout``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from spaser.core.errors import NightStepFailed
from spaser.core.faults import fault_point
from spaser.core.settings import exports_dir, last_night_summary, runs_dir, site_dir, spaser_home

log = logging.getLogger("spaser.pipeline.night")


# The pipeline's SQL sessions: no statement longer than an hour, no wait on a lock longer than
# five minutes, no transaction left idle half an hour (a stuck step cannot hold the warehouse).
# Overridable by SPASER_STATEMENT_TIMEOUT / SPASER_LOCK_TIMEOUT (PostgreSQL durations).
SESSION_TIMEOUTS = {
    "statement_timeout": ("SPASER_STATEMENT_TIMEOUT", "1h"),
    "lock_timeout": ("SPASER_LOCK_TIMEOUT", "5min"),
    "idle_in_transaction_session_timeout": (None, "30min"),
}


@contextmanager
def pipeline_timeouts() -> Iterator[None]:
    """Every libpq session opened meanwhile (psycopg, dbt, GX) starts with the pipeline's timeouts,
    passed as PGOPTIONS (options in SPASER_WAREHOUSE_URL itself would take precedence)."""
    settings = " ".join(
        f"-c {name}={(os.environ.get(variable) if variable else None) or default}"
        for name, (variable, default) in SESSION_TIMEOUTS.items()
    )
    previous = os.environ.get("PGOPTIONS")
    os.environ["PGOPTIONS"] = f"{settings} {previous}" if previous else settings
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PGOPTIONS"]
        else:
            os.environ["PGOPTIONS"] = previous


# Told of every step as it ends: (step, seconds, result or None, failure or None). `spaser run`
# runs the tasks in its own process (dag.test()) and shows them; under the scheduler nobody listens.
StepObserver = Callable[[str, float, "dict | None", "BaseException | None"], None]
_observers: list[StepObserver] = []


@contextmanager
def observing_steps(observer: StepObserver) -> Iterator[None]:
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def _tell_observers(step: str, seconds: float, result: dict | None, failure: BaseException | None) -> None:
    for observer in list(_observers):
        try:
            observer(step, seconds, result, failure)
        except Exception:
            # A display that breaks must not fail the night it displays.
            log.exception("Affichage de l'étape %s impossible", step)


def default_inbox() -> Path:
    """The landing folder of the nightly deliveries (``SPASER_INBOX``, else ``$SPASER_HOME/inbox``)."""
    return Path(os.environ.get("SPASER_INBOX") or spaser_home() / "inbox").resolve()


def resolve_inbox(requested: str | None) -> Path:
    inbox = Path(requested).resolve() if requested else default_inbox()
    if not inbox.is_dir():
        raise NightStepFailed(f"Dossier de dépôt introuvable : {inbox}")
    return inbox


def prepare_warehouse(inbox: str | None) -> dict:
    """The night's first step: the warehouse at this code's schema, the inbox checked.

    In a night, ``run_step`` applied the pending migrations as the step took the warehouse
    (``spaser.pipeline.pilotage``): none is left here. Called by itself (tests), the step applies them."""
    from spaser.db.migrations import migrate
    from spaser.db.warehouse import connect
    from spaser.ingest.sources import unexpected_entries

    resolved = resolve_inbox(inbox)
    with connect() as conn:
        migrate(conn)
    unexpected = unexpected_entries(resolved)
    for message in unexpected:
        log.warning("%s", message)
    log.info("Entrepôt prêt ; dossier de dépôt : %s", resolved)
    return {"inbox": str(resolved), "hors_perimetre": unexpected}


def extract_source(source_name: str, inbox: str, run_id: str) -> dict:
    from spaser.db.warehouse import connect
    from spaser.ingest.base import SourceUnavailable
    from spaser.ingest.loader import load_source
    from spaser.ingest.sources import SOURCES

    source = SOURCES[source_name]
    try:
        with connect() as conn:
            report = load_source(conn, source, Path(inbox), run_id).to_dict()
    except SourceUnavailable as unavailable:
        raise NightStepFailed(f"{source_name} : {unavailable}") from unavailable
    for fichier in report["fichiers"]:
        log.info(
            "%s : %s — %s enregistrement(s), %s chargé(s), %s en quarantaine%s",
            source_name,
            fichier["fichier"],
            fichier["nb_enregistrements"],
            fichier["nb_charges"],
            fichier["nb_quarantaine"],
            f" ({fichier['statut']} : {fichier['message']})" if fichier.get("message") else "",
        )
    return report


def validate_raw(run_id: str) -> dict:
    from spaser.db.warehouse import connect
    from spaser.ingest.loader import refresh_view_statistics
    from spaser.ingest.sources import SOURCES
    from spaser.quality.gate import validate_raw as run_raw_checkpoint

    # Every extraction has ended: the raw gate, then dbt, read the raw views.
    with connect() as conn:
        refresh_view_statistics(conn)
    report = run_raw_checkpoint(run_id, SOURCES.values())
    log.info("%s", report.explain())
    if not report.success:
        raise NightStepFailed("Contrôles qualité des données brutes en échec :\n" + report.explain())
    return report.to_dict()


def build_dbt_layer(layer: str) -> dict:
    from spaser.pipeline.dbt import DbtFailed, build_layer, generate_candidate_docs

    if layer == "marts":
        from spaser.db.warehouse import connect
        from spaser.publish.swap import prepare_candidate

        with connect() as conn:
            prepare_candidate(conn)
    try:
        report = build_layer(layer).to_dict()
        if layer == "marts":
            generate_candidate_docs()
        fault_point(f"dbt_{layer}")
        return report
    except DbtFailed as failure:
        raise NightStepFailed(str(failure)) from failure


def validate_marts(run_id: str) -> dict:
    """The gate; when it passes, what it validated (the candidate's fingerprint) is recorded for
    the night, and publication swaps nothing else."""
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import record_validated
    from spaser.publish.swap import candidate_fingerprint
    from spaser.quality.gate import validate_marts as run_marts_checkpoint

    with connect(autocommit=True) as conn:
        before = candidate_fingerprint(conn)
    report = run_marts_checkpoint(run_id)
    log.info("%s", report.explain())
    if not report.success:
        raise NightStepFailed(
            "Porte qualité fermée : les marts de cette nuit ne sont pas publiés, "
            "les marts publiés précédemment restent en place.\n" + report.explain()
        )
    with connect(autocommit=True) as conn:
        if candidate_fingerprint(conn) != before:
            raise NightStepFailed(
                "Porte qualité : le schéma candidat a changé pendant ses contrôles (une autre construction "
                "des marts ?) ; rien n'est publié, les marts publiés précédemment restent en place."
            )
        record_validated(conn, run_id, before)
    return report.to_dict()


def publish(run_id: str) -> dict:
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import validated_fingerprint
    from spaser.publish.access import grant_published
    from spaser.publish.swap import (
        CandidateMissing,
        CandidateNotValidated,
        PublicationLocked,
        in_swap_transaction,
        publish_candidate,
    )

    def swap(conn) -> dict:
        left_behind = publish_candidate(conn, run_id, validated_fingerprint(conn, run_id))
        # The swap creates a new marts schema without grants: re-granting in the same transaction
        # means the BI roles never see the marts disappear.
        return {"granted": grant_published(conn), "left_behind": left_behind}

    with connect() as conn:
        try:
            outcome = in_swap_transaction(conn, swap)
        except (CandidateMissing, CandidateNotValidated, PublicationLocked) as refusal:
            raise NightStepFailed(str(refusal)) from refusal
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    log.info("Marts publiés (%s), lisibles par : %s", published_at, ", ".join(outcome["granted"]) or "aucun rôle")
    return {"publie_le": published_at, "vues_bi_non_rattachees": outcome["left_behind"]}


def grant_access() -> dict:
    from spaser.db.warehouse import connect
    from spaser.publish.access import grant_access as apply_roles_and_grants
    from spaser.publish.access import roles_ddl

    with connect() as conn:
        result = apply_roles_and_grants(conn)
    if result["roles_manquants"]:
        log.warning(
            "Rôles absents et non créables par le compte du pipeline (droit CREATEROLE) : %s. "
            "À faire exécuter une fois par l'administrateur (sortie de `spaser roles --sql`) :\n%s",
            ", ".join(result["roles_manquants"]),
            roles_ddl(),
        )
    else:
        log.info("Accès accordés en lecture : %s", ", ".join(result["roles_accordes"]))
    if result["membres_non_limites"]:
        log.warning(
            "Membres des rôles de lecture que le compte du pipeline ne peut pas modifier : %s. Leur session "
            "inactive dans une transaction ne sera pas interrompue et peut retarder la publication ; à faire "
            "exécuter par l'administrateur (sortie de `spaser roles --sql`).",
            ", ".join(result["membres_non_limites"]),
        )
    return result


def build_site() -> dict:
    from spaser.db.warehouse import connect
    from spaser.pipeline.dbt import write_docs_site
    from spaser.publish.site import build_site as write_site

    with connect() as conn:
        result = write_site(conn, site_dir(), write_dbt_docs=partial(write_docs_site, conn))
    log.info("Tableau de bord écrit : %s (%s pages)", result["accueil"], result["nb_pages"])
    return result


def export_indicateurs() -> dict:
    from spaser.db.warehouse import connect
    from spaser.outputs.export import fetch_indicateurs, write_indicateurs

    with connect() as conn:
        rows = fetch_indicateurs(conn)
    outputs = {}
    for fmt in ("csv", "json"):
        path = exports_dir() / f"indicateurs.{fmt}"
        write_indicateurs(rows, fmt, path)
        outputs[fmt] = str(path)
    log.info("%s valeurs d'indicateurs exportées vers %s", len(rows), outputs["csv"])
    return {
        "nb_valeurs": len(rows),
        "nb_indicateurs": len({row["indicateur_id"] for row in rows}),
        "fichiers": outputs,
    }


def run_step(run_id: str, step: str, function, *args) -> dict:
    """Run one step under the night lock and the pipeline's timeouts; record in the warehouse how
    it ended (on failure its French explanation, for the night's summary), then re-raise."""
    from spaser.pipeline.pilotage import night_step

    started = time.monotonic()
    try:
        with pipeline_timeouts(), night_step(run_id, step) as bookkeeping:
            try:
                result = function(*args)
            except BaseException as failure:  # AirflowTaskTimeout (execution_timeout) is no Exception
                bookkeeping.ended(failure_reason(failure), time.monotonic() - started)
                raise
            bookkeeping.ended(None, time.monotonic() - started)
    except Exception as failure:
        _tell_observers(step, time.monotonic() - started, None, failure)
        raise
    _tell_observers(step, time.monotonic() - started, result, None)
    return result


def failure_reason(failure: BaseException) -> str:
    """A step's failure in French: our own messages are; anything else is named as unexpected."""
    import psycopg
    from airflow.sdk.exceptions import AirflowTaskTimeout

    if isinstance(failure, NightStepFailed):
        return str(failure)
    if isinstance(failure, AirflowTaskTimeout):
        return f"durée maximale de l'étape dépassée, arrêtée par Airflow ({failure})"
    if isinstance(failure, (psycopg.OperationalError, psycopg.InterfaceError)):
        return (
            "connexion à l'entrepôt perdue pendant l'étape (PostgreSQL arrêté ou redémarré ?) : ce qu'elle "
            f"n'avait pas validé est annulé ; relancer la nuit une fois l'entrepôt revenu ({failure})"
        )
    return f"erreur inattendue ({type(failure).__name__}) : {failure}"


def summarize(run_id: str, step_results: dict[str, dict | None]) -> dict:
    """The night's summary, written to ``runs/<run>/resume.json`` and ``derniere_nuit.json`` (``outputs_dir``).

    ``step_results`` maps every step to its result, None when it failed or did not run. The
    failures are those the warehouse recorded for the night's steps (a step since rerun with
    success is no longer one). The night ends here: the warehouse is free for the next one.
    """
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import failed_steps, release_night, step_durations

    with connect() as conn:
        failures = {step: reason for step, reason in failed_steps(conn, run_id).items() if step in step_results}
        durations = step_durations(conn, run_id)
        release_night(conn, run_id)
    not_run = [name for name, result in step_results.items() if result is None and name not in failures]
    extraction = [r for name, r in step_results.items() if name.startswith("extract_") and r]
    files = [f for report in extraction for f in report["fichiers"]]
    gates = {name: r for name, r in step_results.items() if name.startswith("validate_") and r}
    summary = {
        "run_id": run_id,
        "termine_le": datetime.now(UTC).isoformat(timespec="seconds"),
        "succes": not failures and not not_run,
        "etapes_en_echec": failures,
        "etapes_non_executees": not_run,
        # Seconds each step took, in the order of the night (the steps that ran).
        "durees_etapes": {name: round(durations[name], 2) for name in step_results if name in durations},
        "fichiers": {
            "charges": sum(f["statut"] == "charge" for f in files),
            "deja_charges": sum(f["statut"] == "deja_charge" for f in files),
            "rejetes": sum(f["statut"] == "rejete" for f in files),
            "deja_rejetes": sum(f["statut"] == "deja_rejete" for f in files),
        },
        "lignes_chargees": sum(f["nb_charges"] for f in files),
        "lignes_en_quarantaine": sum(f["nb_quarantaine"] for f in files),
        "signalements": sum(f["nb_signalements"] for f in files),
        "fichiers_rejetes": [
            {"fichier": f["fichier"], "message": f["message"]}
            for f in files
            if f["statut"] in ("rejete", "deja_rejete")
        ],
        # Entries of the inbox no source read tonight (links, files still being written...).
        "fichiers_non_lus": (step_results.get("prepare_warehouse") or {}).get("hors_perimetre", []),
        "controles": {
            name: {
                "succes": gate["success"],
                "nb_controles": sum(suite["nb_expectations"] for suite in gate["suites"]),
                "nb_echecs": sum(suite["nb_echecs"] for suite in gate["suites"]),
            }
            for name, gate in gates.items()
        },
        "indicateurs": step_results.get("export_indicateurs"),
        "publication": step_results.get("publish"),
        "acces": step_results.get("grant_access"),
        "tableau_de_bord": (step_results.get("build_site") or {}).get("accueil"),
        "sorties": {
            "exports": str(exports_dir()),
            "site_qualite": str(site_dir() / "qualite" / "index.html"),
        },
    }
    directory = run_dir(run_id)
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    (directory / "resume.json").write_text(text, encoding="utf-8")
    last_night_summary().write_text(text, encoding="utf-8")
    return summary


def summarize_or_fail(run_id: str, step_results: dict[str, dict | None]) -> dict:
    """Summarize, then fail when the night did: the run's state in Airflow must tell the truth."""
    summary = summarize(run_id, step_results)
    if not summary["succes"]:
        failed = ", ".join([*summary["etapes_en_echec"], *summary["etapes_non_executees"]])
        raise NightStepFailed(f"Nuit en échec (étapes : {failed}) ; résumé : {run_dir(run_id) / 'resume.json'}")
    return summary


def run_dir(run_id: str) -> Path:
    """``runs/<night>``: the night's summary and log."""
    safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return runs_dir() / safe_name
