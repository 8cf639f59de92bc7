"""The CSV rules: separator and encoding detection, header mapping, SIRET check digit, and the
vectorised readers of values (booleans, dates, decimals, identifiers) as the loader runs them."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

import spaser.ingest.loader
import spaser.ingest.tabular
from spaser.ingest.base import FileRejected
from spaser.ingest.fields import (
    BOOLEAN,
    COMPANY_IDENTIFIER,
    DATE,
    DECIMAL,
    INTEGER,
    SIRET,
    code,
    company_identifier_kind,
    siret_check_flag,
)
from spaser.ingest.loader import fingerprint
from spaser.ingest.marches import OffresSource
from spaser.ingest.siret import is_valid_siret
from spaser.ingest.tabular import _record_blocks, _to_utf8, map_columns, read_layout, sniff_delimiter

# ---------------------------------------------------------------- separator, encoding, header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a;b;c", ";"),
        ("a,b,c", ","),
        ("a\tb\tc", "\t"),
        ('"nom, prénom";b;c', ";"),  # the most frequent one wins
        ("siret", ","),
    ],
)
def test_separator_is_sniffed_from_the_header(header, expected):
    assert sniff_delimiter(header) == expected


def test_encoding_is_detected_while_hashing(tmp_path):
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes("objet\nÉlagage\n".encode())
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbfobjet\nsans accent\n")
    windows = tmp_path / "cp1252.csv"
    windows.write_bytes("objet\nÉlagage – 3 €\n".encode("cp1252"))

    assert fingerprint(utf8).encoding == "utf-8"
    assert fingerprint(with_bom).encoding == "utf-8"
    assert fingerprint(windows).encoding == "cp1252"
    assert fingerprint(windows).sha256 == hashlib.sha256(windows.read_bytes()).hexdigest()


def test_chunked_reading_keeps_multibyte_characters_and_the_whole_file_hash(tmp_path, monkeypatch):
    monkeypatch.setattr(spaser.ingest.loader, "READ_CHUNK_BYTES", 3)
    path = tmp_path / "f.csv"
    path.write_bytes(b"ab" + "é".encode() * 5)
    truncated = tmp_path / "g.csv"
    truncated.write_bytes("abé".encode()[:-1])

    assert fingerprint(path).encoding == "utf-8"
    assert fingerprint(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert fingerprint(truncated).encoding == "cp1252"


def test_header_is_read_without_bom_and_mapped_case_insensitively(tmp_path):
    path = tmp_path / "offres.csv"
    path.write_bytes(
        b"\xef\xbb\xbfLot;ACHETEUR_SIRET;id_consultation;soumissionnaire_siret;groupement;date_depot;retenue;"
        b"exclusion_motif;demande_motifs_rejet;Commentaire\r\n"
    )
    layout = read_layout(path, "utf-8")
    mapping = map_columns(OffresSource().columns, layout.header)

    assert layout.delimiter == ";"
    assert mapping.positions["lot"] == 1 and mapping.positions["acheteur_siret"] == 2
    assert mapping.extra == ("Commentaire",)


def test_every_missing_required_column_is_named(tmp_path):
    with pytest.raises(FileRejected, match=r"absentes de l'en-tête : soumissionnaire_siret, date_depot"):
        map_columns(
            OffresSource().columns,
            (
                "acheteur_siret",
                "id_consultation",
                "lot",
                "groupement",
                "retenue",
                "exclusion_motif",
                "demande_motifs_rejet",
            ),
        )


def test_a_column_given_twice_rejects_the_file():
    header = (
        "acheteur_siret",
        "id_consultation",
        "lot",
        "LOT",
        "soumissionnaire_siret",
        "groupement",
        "date_depot",
        "retenue",
        "exclusion_motif",
        "demande_motifs_rejet",
    )
    with pytest.raises(FileRejected, match="« lot » apparaît deux fois"):
        map_columns(OffresSource().columns, header)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "vide.csv"
    path.write_bytes(b"\r\n")
    with pytest.raises(FileRejected, match="fichier vide"):
        read_layout(path, "utf-8")


@pytest.mark.parametrize("lines", [1, 30, 130, 250, 1000])
def test_blocks_are_whole_lines_growing_then_shrinking_without_a_tiny_last_one(monkeypatch, lines):
    monkeypatch.setattr(spaser.ingest.tabular, "FIRST_BLOCK_BYTES", 256)
    monkeypatch.setattr(spaser.ingest.tabular, "BLOCK_BYTES", 2048)
    content = b"".join(b"%d;%s\r\n" % (number, b"x" * (number % 13)) for number in range(lines))
    blocks = list(_record_blocks(io.BytesIO(content), len(content)))
    assert b"".join(blocks) == content
    assert all(block.endswith(b"\n") for block in blocks)
    assert all(len(block) <= 2048 + 128 for block in blocks)
    assert len(blocks[0]) <= 256
    if len(content) > 256 + 128:  # else the first block leaves less than that
        assert len(blocks[-1]) >= 128 - 16  # (a line may end a little before)


FREED_MEMORY_REUSE = """
import resource, sys
import spaser.ingest.tabular

def page_faults_of(megabytes):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = b"x" * (megabytes << 20)  # written: every page is touched
    del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

for megabytes in (2, 5, 8):  # blocks growing, as a file's first blocks do
    page_faults_of(megabytes)
print(page_faults_of(3) + page_faults_of(8))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_memory_freed_by_a_block_serves_the_next_one_without_page_faults():
    """Without spaser.ingest.tabular's allocator settings, glibc gives these 8 MiB back to the system
    and faults them in again (about 2,000 page faults here)."""
    completed = subprocess.run(
        [sys.executable, "-c", FREED_MEMORY_REUSE],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert int(completed.stdout) < 256


# ---------------------------------------------------------------- SIRET check digit

VALID_SIRETS = [
    "73282932000074",  # the example of INSEE's documentation
    "20006878100018",  # Valence Romans Agglo
    "35600000000048",  # La Poste head office: ordinary Luhn key
    "35600000000010",  # La Poste establishment: wrong Luhn key, digit sum 15
]
INVALID_SIRETS = [
    "73282932000075",  # one digit off
    "21260362500011",  # Luhn total 27
    "35600000000002",  # La Poste, digit sum 16 and wrong Luhn key
    "7328293200007",  # 13 digits
    "7328293200007A",
    "７３２８２９３２０００７４",  # full-width digits are not ASCII digits
    "",
]


@pytest.mark.parametrize("siret", VALID_SIRETS)
def test_valid_sirets(siret):
    assert is_valid_siret(siret)


@pytest.mark.parametrize("siret", INVALID_SIRETS)
def test_invalid_sirets(siret):
    assert not is_valid_siret(siret)


def test_vectorised_siret_check_agrees_with_python():
    samples = (
        [
            sample
            for sample in VALID_SIRETS + INVALID_SIRETS
            if len(sample) == 14 and sample.isascii() and sample.isdigit()
        ]
        + [f"3560000000{n:04d}" for n in range(0, 200, 7)]
        + [f"2126036250{n:04d}" for n in range(0, 200, 3)]
    )
    flagged = siret_check_flag(pa.array(samples).slice(0))
    assert dict(zip(samples, flagged.tolist(), strict=False)) == {
        sample: not is_valid_siret(sample) for sample in samples
    }
    assert flagged.any() and not flagged.all()
    # A slice of an array (Arrow blocks are slices) is read from its own offset.
    assert siret_check_flag(pa.array(["00000000000000", *samples]).slice(1)).tolist() == flagged.tolist()


def test_company_identifier_kind_tells_sirets_from_vat_numbers():
    identifiers = pa.array(["73282932000074", "DE123456789", None, "FR12345678901"])
    assert company_identifier_kind(identifiers).to_pylist() == ["SIRET", "TVA_UE", "TVA_UE", "TVA_UE"]
    assert company_identifier_kind(identifiers.slice(1)).to_pylist() == ["TVA_UE", "TVA_UE", "TVA_UE"]


def test_windows_1252_columns_are_transcoded_with_their_offsets():
    # Characters of one (é, ÿ) and of two extra UTF-8 bytes (€, ’, –), at the start, the end and
    # in the middle of cells, and empty cells: every offset after them moves.
    values = ["Élagage – 3 €", "", "l’œuvre", "ascii", "€", "ÿ", ""]
    cells = pa.array([value.encode("cp1252") for value in values], type=pa.binary())
    assert _to_utf8(cells, "cp1252").to_pylist() == values
    plain = pa.array([b"abc", b"", b"d"], type=pa.binary())
    assert _to_utf8(plain, "cp1252").to_pylist() == ["abc", "", "d"]


def test_siret_check_flag_flags_only_fourteen_digits_failing_their_key():
    values = [
        "21260362500014",
        "21260362500015",
        "DE123456789",
        "FR12345678901234",
        "1234567890123a",
        "2126036250001é",
        None,
        "35600000000048",
    ]
    expected = [
        value is not None and value.isdigit() and len(value) == 14 and value.isascii() and not is_valid_siret(value)
        for value in values
    ]
    assert expected == [False, True, False, False, False, False, False, False]
    assert siret_check_flag(pa.array(values)).tolist() == expected
    assert siret_check_flag(pa.array(["x", *values]).slice(1)).tolist() == expected


# ---------------------------------------------------------------- reading values, as the loader does


def read_all(column_type, cases: dict) -> dict:
    """Each case read through the column type's vectorised reader, nulls for the invalid ones."""
    return dict(zip(cases, column_type.read(pa.array(list(cases), type=pa.string())).to_pylist(), strict=False))


def test_booleans():
    cases = {
        "oui": True,
        "OUI": True,
        "O": True,
        "o": True,
        "1": True,
        "true": True,
        "True": True,
        "non": False,
        "Non": False,
        "N": False,
        "0": False,
        "false": False,
        "FALSE": False,
        "peut-être": None,
        "2": None,
        "vrai": None,
    }
    assert read_all(BOOLEAN, cases) == cases


def test_dates():
    cases = {
        "15/03/2022": date(2022, 3, 15),
        "5/3/2022": date(2022, 3, 5),
        "2022-03-15": date(2022, 3, 15),
        "29/02/2024": date(2024, 2, 29),
        "31/12/2022": date(2022, 12, 31),
        "31/02/2022": None,
        "29/02/2023": None,
        "2022-02-30": None,
        "00/01/2022": None,
        "12/13/2022": None,
        "99/99/2022": None,
        "2022/03/15": None,
        "15-03-2022": None,
        "15/03/22": None,
        "hier": None,
    }
    assert read_all(DATE, cases) == cases


def test_decimals_are_checked_then_given_a_decimal_point():
    cases = {
        "1234,56": "1234.56",
        "1234.56": "1234.56",
        "-12,5": "-12.5",
        "42": "42",
        ",5": ".5",
        "12,": "12.",
        "1,234.56": None,
        "12 €": None,
        "douze": None,
        "1e5": None,
    }
    assert read_all(DECIMAL, cases) == cases


def test_integers():
    cases = {"12": 12, "+3": 3, "-1": -1, "1.5": None, "1234567890": None, "un": None}
    assert read_all(INTEGER, cases) == cases


def test_identifiers_and_codes():
    assert read_all(SIRET, {"73282932000074": "73282932000074", "7328293200007": None, "7328293200007A": None}) == {
        "73282932000074": "73282932000074",
        "7328293200007": None,
        "7328293200007A": None,
    }
    assert read_all(
        COMPANY_IDENTIFIER,
        {"de123456789": "DE123456789", "73282932000074": "73282932000074", "D1234": None, "???": None},
    ) == {"de123456789": "DE123456789", "73282932000074": "73282932000074", "D1234": None, "???": None}
    assert read_all(code(("travaux", "services")), {"Travaux": "travaux", "fournitures": None}) == {
        "Travaux": "travaux",
        "fournitures": None,
    }


def test_only_a_member_state_prefix_makes_a_bidder_vat_number():
    # Junk written where the identifier is unknown looked like "two letters then letters": it is
    # no foreign bidder. Greece is EL, not GR; XI is Northern Ireland.
    cases = {
        "INCONNU": None,
        "NEANT": None,
        "GR123456789": None,
        "XX123456789": None,
        "EL123456789": "EL123456789",
        "xi123456789": "XI123456789",
        "BE0123456789": "BE0123456789",
    }
    assert read_all(COMPANY_IDENTIFIER, cases) == cases


def test_every_type_of_a_tabular_source_reads_a_block_as_it_reads_one_cell():
    """The Arrow loader reads a block of cells with a type's vectorised reader; the Python row
    loader, and the quarantine message of a refused cell, use its rule on one cell: for every
    type a tabular source declares, both must accept the same cells with the same values."""
    from decimal import Decimal

    from spaser.ingest.fields import Invalid, normalized
    from spaser.ingest.sources import SOURCES
    from spaser.ingest.tabular import TabularSource, _read

    cells = [
        "0",
        "1",
        "-1",
        "+3",
        "12,5",
        "12.5",
        "1 234,50",
        ".5",
        "12.",
        "1e5",
        "2024",
        "1999",
        "2099",
        "-0,01",
        "15/03/2022",
        "5/3/2022",
        "2022-03-15",
        "31/02/2022",
        "05/04/2099",
        "01/01/1999",
        "oui",
        "NON",
        "O",
        "peut-être",
        "true",
        "73282932000074",
        "73282932000075",
        "732 829 320 00074",
        "732829320",
        "DE123456789",
        "INCONNU",
        "de123456789",
        "CH-123.456",
        "6068",
        "12345678901",
        "A",
        "F",
        "x",
        "PME",
        "ge",
        "26362",
        "2A004",
        "VALENCE",
        "ETTI",
        "ess",
        "travaux",
        "Services",
        "procedure_adaptee",
        "en_cours",
        "100",
        "101",
    ]
    types = {
        column.type for source in SOURCES.values() if isinstance(source, TabularSource) for column in source.columns
    }
    for field_type in types:
        block = _read(field_type, pa.array(cells, type=pa.string())).to_pylist()
        for cell, read in zip(cells, block, strict=False):
            try:
                one = field_type.value(normalized(cell, field_type))
            except Invalid:
                one = None
            if field_type.arrow_type == pa.string() and isinstance(one, Decimal):
                read = None if read is None else Decimal(read)
            assert read == one, (field_type.problem, cell, read, one)
