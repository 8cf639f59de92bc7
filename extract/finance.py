"""Finance exports (payment orders and receipts) and the supplier register.

Columns and codes are those of ../shared/spec/sources.md. Every column the warehouse reads is
required in the header; a value is mandatory in the business key and in the columns without which
a row cannot be placed in an indicator (its date, its amount and, for a mandat, its M57 account).

``tiers_siret`` of a mandat "may be empty or foreign": 14 digits are a SIRET (a Luhn failure is
flagged, not rejected), an identifier holding at least one letter is a foreign identifier (EU VAT
number, Swiss IDE...), kept in upper case; a purely numeric identifier of another length is a typing
error and quarantines the row (it would otherwise be counted as a foreign supplier).
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from extract.tabular import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    PAST_DATE,
    PAST_YEAR,
    SIREN,
    SIRET,
    SIRET_CHECK_PROBLEM,
    Column,
    ColumnType,
    TabularSource,
    by_distinct_value,
    siret_check_flag,
    siret_or,
)

STRUCTURES_INCLUSIVES = ("EI", "AI", "ACI", "ETTI", "EITI", "GEIQ", "EA", "EATT", "ESAT")


def _foreign_identifier(texts: pa.Array) -> pa.Array:
    return pc.if_else(pc.match_substring_regex(texts, "[A-Za-z]"), pc.utf8_upper(texts), pa.scalar(None, pa.string()))


SUPPLIER_IDENTIFIER = ColumnType(
    read=siret_or(_foreign_identifier),
    problem="n'est ni un SIRET (14 chiffres) ni un identifiant étranger (qui contient des lettres)",
    compact=True,
    flag=siret_check_flag,
    flag_problem=SIRET_CHECK_PROBLEM,
)
# M57 accounts are digits (e.g. 6068, 2313); blanks inside are export formatting.
M57_ACCOUNT = ColumnType(
    read=lambda texts: pc.if_else(pc.match_substring_regex(texts, "^[0-9]{1,10}$"), texts, None),
    problem="n'est pas un compte M57 (1 à 10 chiffres)",
    compact=True,
)
# Codes of the register, compared and stored in upper case as the contract spells them.
STRUCTURE_INCLUSIVE = ColumnType(
    read=by_distinct_value(lambda text: text.upper() if text.upper() in STRUCTURES_INCLUSIVES else None, pa.string()),
    problem=f"n'est pas un type de structure inclusive ({', '.join(STRUCTURES_INCLUSIVES)})",
)


class MandatsSource(TabularSource):
    """Payment orders, one row per mandat line; negative amounts are cancellations."""

    source = "finance/mandats"
    raw_table = "raw.finance_mandats"
    key_columns = ("collectivite_siren", "exercice", "numero_bordereau", "numero_mandat", "ligne")
    columns = (
        Column("collectivite_siren", SIREN, mandatory=True),
        Column("exercice", PAST_YEAR, mandatory=True),
        Column("budget"),
        Column("numero_bordereau", mandatory=True),
        Column("numero_mandat", mandatory=True),
        Column("ligne", INTEGER, mandatory=True),
        Column("date_mandat", PAST_DATE, mandatory=True),
        Column("tiers_siret", SUPPLIER_IDENTIFIER),
        Column("tiers_nom"),
        Column("compte_nature", M57_ACCOUNT, mandatory=True),
        Column("fonction"),
        Column("montant_ht", DECIMAL, mandatory=True),
        Column("montant_ttc", DECIMAL),
        Column("id_marche"),
    )


class TitresSource(TabularSource):
    """Receipts, one row per titre (auction-site sales have ``origine`` = encheres)."""

    source = "finance/titres"
    raw_table = "raw.finance_titres"
    key_columns = ("collectivite_siren", "exercice", "numero_titre")
    columns = (
        Column("collectivite_siren", SIREN, mandatory=True),
        Column("exercice", PAST_YEAR, mandatory=True),
        Column("numero_titre", mandatory=True),
        Column("date_titre", PAST_DATE, mandatory=True),
        Column("tiers_nom"),
        Column("compte_nature", M57_ACCOUNT),
        Column("objet", required=False),
        Column("montant_ht", DECIMAL, mandatory=True),
        Column("origine"),
    )


class FournisseursSource(TabularSource):
    """The SPASER team's supplier register, one row per supplier establishment, CSV or XLSX.

    Workbooks are read through ``extract.xlsx`` (their first sheet becomes CSV text, in memory),
    then loaded and validated exactly like a CSV delivery.
    """

    source = "registre/fournisseurs"
    raw_table = "raw.registre_fournisseurs"
    key_columns = ("siret",)
    file_patterns = ("*.csv", "*.xlsx")
    columns = (
        Column("siret", SIRET, mandatory=True),
        Column("nom"),
        Column("structure_inclusive", STRUCTURE_INCLUSIVE),
        Column("date_signature_charte", PAST_DATE),
        Column("circuit_court", BOOLEAN),
    )
