"""The dbt unit test of rapport_indicateurs' progress rule
(dbt_project/models/marts/rapports/_rapports__unit_tests.yml) passes on the model and fails on a
model whose rule is broken: each mutant below changes one branch of the rule, and the unit test,
run on it by dbt the way the night's marts layer runs it, must fail. (The night itself runs it:
tests/test_demo_night.py reads « 1 test unitaire » on the dbt marts line of a green night.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from spaser.core.settings import DBT_PROJECT_DIR
from spaser.pipeline.dbt import _environment, dbt_environment

MODEL = "rapport_indicateurs"
RAPPORTS = Path("models") / "marts" / "rapports"
# name -> (what the rule says, what the mutant says instead)
MUTANTS = {
    "retenue_ignoree": (
        "when trajectoires.statut = 'controle_en_echec' then 'controle_en_echec'",
        "when false then 'controle_en_echec'",
    ),
    "echeance_ignoree": (
        "trajectoires.echeance is null or trajectoires.annee >= trajectoires.echeance",
        "trajectoires.echeance is null",
    ),
    "baisse_a_l_envers": (
        "(trajectoires.comparaison = '<=' and trajectoires.valeur <= trajectoires.attendu)",
        "(trajectoires.comparaison = '<=' and trajectoires.valeur >= trajectoires.attendu)",
    ),
    "base_hors_2022": ("2022$' and reference_annee = 2022", "2022$'"),
    "hausse_atteinte_a_egalite": (
        "(trajectoires.comparaison = '>' and trajectoires.valeur > trajectoires.objectif)",
        "(trajectoires.comparaison = '>' and trajectoires.valeur >= trajectoires.objectif)",
    ),
}


def _project_with_mutants(tmp_path: Path) -> Path:
    """A copy of the dbt project where each mutant is a model of its own, with the unit test."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    rule = (project / RAPPORTS / f"{MODEL}.sql").read_text(encoding="utf-8")
    (unit_test,) = yaml.safe_load((project / RAPPORTS / "_rapports__unit_tests.yml").read_text(encoding="utf-8"))[
        "unit_tests"
    ]
    mutant_tests = []
    for name, (original, mutated) in MUTANTS.items():
        assert rule.count(original) == 1, name
        (project / RAPPORTS / f"mutant_{name}.sql").write_text(rule.replace(original, mutated), encoding="utf-8")
        mutant_tests.append({**unit_test, "name": f"mutant_{name}", "model": f"mutant_{name}"})
    (project / RAPPORTS / "_mutants.yml").write_text(
        yaml.safe_dump({"version": 2, "unit_tests": mutant_tests}, allow_unicode=True), encoding="utf-8"
    )
    return project


def test_the_progress_rule_unit_test_passes_on_the_rule_and_fails_on_each_mutant(warehouse_url, tmp_path):
    from dbt.cli.main import dbtRunner

    project = _project_with_mutants(tmp_path)
    with _environment(dbt_environment()):
        result = dbtRunner().invoke(
            [
                "test",
                "--select",
                "test_type:unit",
                "--quiet",
                "--no-partial-parse",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                str(tmp_path / "target"),
                "--log-path",
                str(tmp_path / "logs"),
            ]
        )
    assert result.exception is None
    statuses = {outcome.node.name: str(outcome.status) for outcome in result.result.results}
    assert statuses == {
        "rapport_indicateurs_avancement_de_chaque_regle": "pass",
        **{f"mutant_{name}": "fail" for name in MUTANTS},
    }
