"""spaser_nightly: one night of the SPASER warehouse.

This file only wires the steps; each step is a function of ``spaser.pipeline.night`` that the tests call
directly, imported when the task runs. At parse time the file imports only ``spaser.core.plan``
(standard library): no database, no extractor, no GX/dbt.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from spaser.core.plan import DBT_LAYERS, SOURCE_EXTRACTORS, STEP_DOCS, extract_task_id, step_timeout


def _run_step(run_id: str, step: str, function_name: str, *args) -> dict:
    from spaser.pipeline import night  # imported when a task runs, never when the file is parsed

    return night.run_step(run_id, step, getattr(night, function_name), *args)


def night_task(**options):
    """A task of the night. Each step returns one dict, which its readers take whole (the
    extractions, the summary): one XCom. Annotated ``-> dict``, a TaskFlow task would also push
    every key as an XCom of its own, each an Execution API call and a database write (some 180 a
    night instead of 27)."""
    return task(multiple_outputs=False, **options)


@dag(
    dag_id="spaser_nightly",
    description="Nuit de l'entrepôt SPASER : extraction, contrôles, dbt, porte qualité, publication",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Paris"),
    catchup=False,
    max_active_runs=1,
    params={
        "inbox": Param(
            None,
            type=["null", "string"],
            description="Dossier de dépôt de la nuit (défaut : SPASER_INBOX ou $SPASER_HOME/inbox)",
        )
    },
    tags=["spaser"],
    doc_md=__doc__,
)
def spaser_nightly():
    @night_task(doc_md=STEP_DOCS["prepare_warehouse"], execution_timeout=step_timeout("prepare_warehouse"))
    def prepare_warehouse(params=None, run_id=None) -> dict:
        return _run_step(run_id, "prepare_warehouse", "prepare_warehouse", params["inbox"])

    @night_task(doc_md=STEP_DOCS["validate_raw"], execution_timeout=step_timeout("validate_raw"))
    def validate_raw(run_id=None) -> dict:
        return _run_step(run_id, "validate_raw", "validate_raw", run_id)

    @night_task(doc_md=STEP_DOCS["validate_marts"], execution_timeout=step_timeout("validate_marts"))
    def validate_marts(run_id=None) -> dict:
        return _run_step(run_id, "validate_marts", "validate_marts", run_id)

    @night_task(doc_md=STEP_DOCS["publish"], execution_timeout=step_timeout("publish"))
    def publish(run_id=None) -> dict:
        return _run_step(run_id, "publish", "publish", run_id)

    @night_task(doc_md=STEP_DOCS["export_indicateurs"], execution_timeout=step_timeout("export_indicateurs"))
    def export_indicateurs(run_id=None) -> dict:
        return _run_step(run_id, "export_indicateurs", "export_indicateurs")

    @night_task(doc_md=STEP_DOCS["grant_access"], execution_timeout=step_timeout("grant_access"))
    def grant_access(run_id=None) -> dict:
        return _run_step(run_id, "grant_access", "grant_access")

    @night_task(doc_md=STEP_DOCS["build_site"], execution_timeout=step_timeout("build_site"))
    def build_site(run_id=None) -> dict:
        return _run_step(run_id, "build_site", "build_site")

    @night_task(trigger_rule="all_done", doc_md=STEP_DOCS["summary"], execution_timeout=step_timeout("summary"))
    def summary(step_task_ids: list[str], ti=None, run_id=None) -> dict:
        results = {task_id: ti.xcom_pull(task_ids=task_id) for task_id in step_task_ids}
        from spaser.pipeline import night

        return night.summarize_or_fail(run_id, results)

    prepared = prepare_warehouse()

    extractions = []
    for source_name in SOURCE_EXTRACTORS:
        task_id = extract_task_id(source_name)

        @night_task(
            task_id=task_id,
            doc_md=f"Extraction de la source {source_name} vers le schéma raw.",
            execution_timeout=step_timeout(task_id),
        )
        def extract(preparation: dict, source_name=source_name, task_id=task_id, run_id=None) -> dict:
            return _run_step(run_id, task_id, "extract_source", source_name, preparation["inbox"], run_id)

        extractions.append(extract(prepared))

    raw_checked = validate_raw()
    extractions >> raw_checked

    previous = raw_checked
    dbt_steps = []
    for layer in DBT_LAYERS:
        task_id = f"dbt_{layer}"

        @night_task(
            task_id=task_id,
            doc_md=f"dbt : couche {layer} (modèles et leurs tests).",
            execution_timeout=step_timeout(task_id),
        )
        def build(layer=layer, task_id=task_id, run_id=None) -> dict:
            return _run_step(run_id, task_id, "build_dbt_layer", layer)

        step = build()
        previous >> step
        previous = step
        dbt_steps.append(step)

    gate = validate_marts()
    published = publish()
    access = grant_access()
    exported = export_indicateurs()
    site = build_site()
    previous >> gate >> published >> [access, exported]
    exported >> site

    steps = [prepared, *extractions, raw_checked, *dbt_steps, gate, published, access, exported, site]
    summary([s.operator.task_id for s in steps]) << steps


spaser_nightly()
