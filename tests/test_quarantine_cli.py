"""`spaser quarantaine` shows the data team every quarantined record with all its reasons."""
from __future__ import annotations

import shutil

from extract.decp import DecpSource
from extract.loader import ensure_raw_schema, load_source
from spaser.cli import main
from tests.conftest import REFERENCE_DIR, needs_reference

DEFAUTS_2022 = REFERENCE_DIR / "decp" / "defauts_reels_decp_2022.json"


@needs_reference(DEFAUTS_2022)
def test_lists_each_defective_decp_record_with_file_record_field_and_message(conn, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    (inbox / "marches" / "decp").mkdir(parents=True)
    shutil.copyfile(DEFAUTS_2022, inbox / "marches" / "decp" / "defauts.json")
    ensure_raw_schema(conn)
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


def test_says_so_when_nothing_is_quarantined(conn, capsys):
    ensure_raw_schema(conn)
    conn.commit()
    assert main(["quarantaine"]) == 0
    assert capsys.readouterr().out.strip() == "Aucun enregistrement en quarantaine."
