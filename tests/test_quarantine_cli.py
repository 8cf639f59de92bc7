"""`spaser quarantaine` shows the data team every quarantined record with all its reasons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from spaser.cli.main import main
from spaser.db.migrations import migrate
from spaser.ingest.decp import DecpSource
from spaser.ingest.loader import load_source
from tests.conftest import REFERENCE_DIR, needs_reference

DEFAUTS_2022 = REFERENCE_DIR / "decp" / "defauts_reels_decp_2022.json"


@needs_reference(DEFAUTS_2022)
def test_lists_each_defective_decp_record_with_file_record_field_and_message(conn, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    (inbox / "marches" / "decp").mkdir(parents=True)
    shutil.copyfile(DEFAUTS_2022, inbox / "marches" / "decp" / "defauts.json")
    migrate(conn)
    report = load_source(conn, DecpSource(), inbox, "nuit-test")
    quarantined = report.to_dict()["fichiers"][0]["nb_quarantaine"]
    assert quarantined > 0

    assert main(["quarantaine", "--source", "marches/decp"]) == 0
    listing = capsys.readouterr().out

    expected = conn.execute(
        "select enregistrement, champ, message from raw.quarantaine order by enregistrement, champ"
    ).fetchall()
    assert len({record for record, _, _ in expected}) == quarantined
    for record, field, message in expected:
        assert f"marches/decp/defauts.json, enregistrement {record}" in listing
        assert f"    {field} : {message}" in listing
    assert "[nuit nuit-test]" in listing
    assert listing.startswith("Enregistrements en quarantaine (non chargés")


FIXTURE = Path(__file__).resolve().parent / "fixtures" / "decp" / "marche_2024.json"


def test_quarantined_records_and_loaded_records_with_signalements_are_told_apart(conn, tmp_path, capsys):
    good = json.loads(FIXTURE.read_text(encoding="utf-8"))
    signaled = good | {"id": "AVEC-ECART", "_type": "Marché", "dureeMois": "36"}
    quarantined = good | {"id": "SANS-CPV", "codeCPV": "NC"}
    inbox = tmp_path / "inbox"
    (inbox / "marches" / "decp").mkdir(parents=True)
    (inbox / "marches" / "decp" / "export.json").write_text(
        json.dumps({"marches": {"marche": [good, signaled, quarantined]}}, ensure_ascii=False), encoding="utf-8"
    )
    migrate(conn)
    load_source(conn, DecpSource(), inbox, "nuit-test")

    assert main(["quarantaine"]) == 0
    listing = capsys.readouterr().out
    assert main(["quarantaine", "--signalements"]) == 0
    signalements = capsys.readouterr().out

    assert "enregistrement 3 (clé 20006878100018|SANS-CPV)" in listing and "    codeCPV : " in listing
    assert "AVEC-ECART" not in listing
    assert "1 enregistrement(s) chargé(s) avec signalements" in listing
    assert signalements.startswith("Enregistrements chargés (ils comptent dans les indicateurs)")
    assert "enregistrement 2 (clé 20006878100018|AVEC-ECART)" in signalements
    assert (
        "    _type : Champ non prévu" in signalements and "    dureeMois : Nombre écrit comme un texte" in signalements
    )
    assert "SANS-CPV" not in signalements

    from spaser.publish.site import QualityState, _quality_page

    page = _quality_page(conn, QualityState(run_id=None, published_at=None, suites=[]))
    quarantine_table = page.split('<table id="quarantaine">')[1].split("</table>")[0]
    signalement_table = page.split('<table id="signalements">')[1].split("</table>")[0]
    assert "<td>codeCPV</td>" in quarantine_table and "_type" not in quarantine_table
    assert "<td>_type</td>" in signalement_table and "<td>dureeMois</td>" in signalement_table
    assert "codeCPV" not in signalement_table


def test_says_so_when_nothing_is_quarantined(conn, capsys):
    migrate(conn)
    conn.commit()
    assert main(["quarantaine"]) == 0
    assert capsys.readouterr().out.strip() == "Aucun enregistrement en quarantaine."
