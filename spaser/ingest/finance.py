"""Finance exports: payment orders (mandats) and receipts (titres).

Columns and codes are those of ../shared/spec/sources.md. Every column the warehouse reads is
required in the header; a value is mandatory in the business key and in the columns without which
a row cannot be placed in an indicator (its date, its amount and, for a mandat, its M57 account).

``tiers_siret`` of a mandat "may be empty or foreign": 14 digits are a SIRET (a Luhn failure is
flagged, not rejected), an identifier holding at least one letter is a foreign identifier (EU VAT
number, Swiss IDE...), kept in upper case; a purely numeric identifier of another length is a typing
error and quarantines the row (it would otherwise be counted as a foreign supplier).
"""

from __future__ import annotations

from spaser.ingest.fields import (
    DECIMAL,
    INTEGER,
    PAST_DATE,
    PAST_YEAR,
    SIREN,
    SUPPLIER_IDENTIFIER,
    TEXT,
    Field,
    pattern,
)
from spaser.ingest.tabular import TabularSource

# M57 accounts are digits (e.g. 6068, 2313); blanks inside are export formatting.
M57_ACCOUNT = pattern(r"[0-9]{1,10}", "n'est pas un compte M57 (1 à 10 chiffres)", compact=True)
# The head of a mandat's and a titre's key: the collectivité and its budget year.
BUDGET_YEAR = (
    Field("collectivite_siren", SIREN, mandatory=True),
    Field("exercice", PAST_YEAR, mandatory=True),
)


class MandatsSource(TabularSource):
    """Payment orders, one row per mandat line; negative amounts are cancellations."""

    raw_table = "raw.finance_mandats"
    key_columns = ("collectivite_siren", "exercice", "numero_bordereau", "numero_mandat", "ligne")
    # A re-delivered line is a correction: it may come in several files, never twice in one.
    key_unique_in_file = True
    columns = (
        *BUDGET_YEAR,
        Field("budget", TEXT),
        Field("numero_bordereau", TEXT, mandatory=True),
        Field("numero_mandat", TEXT, mandatory=True),
        Field("ligne", INTEGER, mandatory=True),
        Field("date_mandat", PAST_DATE, mandatory=True),
        Field("tiers_siret", SUPPLIER_IDENTIFIER),
        Field("tiers_nom", TEXT),
        Field("compte_nature", M57_ACCOUNT, mandatory=True),
        Field("fonction", TEXT),
        Field("montant_ht", DECIMAL, mandatory=True),
        Field("montant_ttc", DECIMAL),
        Field("id_marche", TEXT),
    )


class TitresSource(TabularSource):
    """Receipts, one row per titre (auction-site sales have ``origine`` = encheres)."""

    raw_table = "raw.finance_titres"
    key_columns = ("collectivite_siren", "exercice", "numero_titre")
    columns = (
        *BUDGET_YEAR,
        Field("numero_titre", TEXT, mandatory=True),
        Field("date_titre", PAST_DATE, mandatory=True),
        Field("tiers_nom", TEXT),
        Field("compte_nature", M57_ACCOUNT),
        Field("objet", TEXT, required=False),
        Field("montant_ht", DECIMAL, mandatory=True),
        Field("origine", TEXT),
    )
