"""dbt in a night's process: the project parsed once per process and warehouse, every invocation
on a manifest no earlier invocation compiled into (what the dbt docs publish stays what one
invocation compiled), and the source of dbt's behavior flags found without walking the whole stack."""

from __future__ import annotations

import json

from spaser.pipeline import dbt as dbt_steps
from tests.conftest import fresh_warehouse


def test_a_process_parses_the_project_once_per_warehouse(admin_url, tmp_path):
    with fresh_warehouse(admin_url, tmp_path / "premier"):
        assert dbt_steps.run_dbt(["ls", "--select", "staging"]).success
        parsed = dbt_steps._parsed
        assert dbt_steps.run_dbt(["ls", "--select", "marts"]).success
        assert dbt_steps._parsed is parsed
    # Another database: the nodes name it, so the project is parsed again.
    with fresh_warehouse(admin_url, tmp_path / "second"):
        assert dbt_steps.run_dbt(["ls", "--select", "staging"]).success
        assert dbt_steps._parsed[0] != parsed[0]


def test_an_invocation_writes_only_what_it_compiled_into_the_manifest(admin_url, tmp_path):
    home = tmp_path / "home"
    with fresh_warehouse(admin_url, home):
        assert dbt_steps.run_dbt(["compile", "--select", "stg_marches__lots"]).success
        assert dbt_steps.run_dbt(["compile", "--select", "stg_marches__offres"]).success
    manifest = json.loads((home / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))
    compiled = [name for name, node in manifest["nodes"].items() if node.get("compiled_code")]
    # The model and its tests; nothing of the model the first invocation compiled.
    assert "model.spaser.stg_marches__offres" in compiled
    assert [name for name in compiled if "stg_marches__offres" not in name] == []


def test_a_behavior_flag_without_source_is_named_after_the_module_declaring_it():
    from dbt_common.behavior_flags import BehaviorFlagRendered

    dbt_steps._find_flag_sources_lazily()
    flag = BehaviorFlagRendered({"name": "un_drapeau", "default": False, "description": "essai"}, {})
    assert flag._behavior_change_event.flag_source == __name__
