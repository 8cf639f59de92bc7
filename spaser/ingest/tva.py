"""The intra-Community VAT number: the one rule that makes a company identifier a foreign (EU)
company rather than junk. Used by the bids (spaser/ingest/fields.py, vectorised with Arrow) and by
DECP titulaires (spaser/ingest/decp.py): before this rule any "two letters then 2–13 letters or
digits" counted, so « INCONNU » or « NEANT » became foreign bidders.

A VAT number starts with the prefix of an EU member state (Greece writes EL, not GR; XI is
Northern Ireland, kept in the VIES system after Brexit), then 2 to 13 letters or digits.
"""

from __future__ import annotations

import re

EU_VAT_PREFIXES = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "EL",
    "ES",
    "FI",
    "FR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "XI",
)
# For re (Python) and RE2 (Arrow's match_substring_regex) alike; applied to upper-cased text.
EU_VAT_PATTERN = f"^({'|'.join(EU_VAT_PREFIXES)})[A-Z0-9]{{2,13}}$"
EU_VAT_DESCRIPTION = (
    "numéro de TVA intracommunautaire (préfixe d'un État membre de l'UE, puis 2 à 13 lettres ou chiffres)"
)


def is_eu_vat_number(identifier: str) -> bool:
    """True for an upper-case EU VAT number such as FR12345678901 or DE123456789."""
    return re.fullmatch(EU_VAT_PATTERN, identifier) is not None
