"""`spaser run` when things go wrong: a failed night names its step, says why in French and where
the log is; a bad command line is told apart from a failed night by its exit code."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from spaser.cli.main import main


def test_a_failed_night_names_the_step_the_reason_and_the_log(warehouse_url, tmp_path, capfd):
    missing = tmp_path / "pas_de_depot"

    status = main(["run", "--inbox", str(missing)])

    out, err = capfd.readouterr()
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    assert re.match(r"^\d\d:\d\d ✗ Préparation de l'entrepôt +Dossier de dépôt introuvable : ", lines[2]), out
    # The failure comes last, in full, with the log's path.
    assert lines[-3:-1] == [
        "Échec à l'étape Préparation de l'entrepôt (prepare_warehouse) :",
        f"  Dossier de dépôt introuvable : {missing}",
    ], out
    log_path = Path(re.fullmatch(r"Journal complet de la nuit : (.+)", lines[-1])[1])
    assert log_path.name == "night.log" and log_path.parent.parent.name == "runs"
    night_log = log_path.read_text(encoding="utf-8")
    # Airflow's own account of the night is in the log, not on the console.
    assert "[DAG TEST] running task" in night_log and "[DAG TEST]" not in out
    assert "NightStepFailed" in night_log


def test_a_night_started_during_another_is_refused_at_once_naming_it(warehouse_url, tmp_path, capfd):
    from spaser.pipeline.pilotage import night_step, running_night

    # The scheduled night is building its marts (in another process, as under Airflow).
    with night_step("scheduled__2026-12-04T01:00:00+00:00", "dbt_marts"):
        status = main(["run", "--inbox", str(tmp_path)])
        # The refused night, as it ends, frees nothing of the running one's.
        with psycopg.connect(warehouse_url) as conn:
            assert running_night(conn) == "scheduled__2026-12-04T01:00:00+00:00"

    out, _ = capfd.readouterr()
    assert status == 1
    assert "Une autre nuit est en cours sur cet entrepôt : scheduled__2026-12-04T01:00:00+00:00" in out, out
    assert "Échec à l'étape Préparation de l'entrepôt (prepare_warehouse) :" in out


@pytest.mark.parametrize("argv", [["run", "--inconnue"], ["run", "--inbox"], ["nuit"]])
def test_a_bad_command_line_exits_with_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: spaser" in capsys.readouterr().err


def test_no_command_prints_the_help_and_exits_with_2(capsys):
    assert main([]) == 2
    assert "commandes" in capsys.readouterr().out


def test_run_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "codes de sortie" in text
    assert re.search(r"^ +0 +nuit réussie", text, re.MULTILINE)
    assert re.search(r"^ +1 +nuit en échec", text, re.MULTILINE)
    assert re.search(r"^ +2 +mauvaise utilisation", text, re.MULTILINE)
    assert "--verbose" in text and "night.log" in text
