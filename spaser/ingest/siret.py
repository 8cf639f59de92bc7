"""SIRET check digit (Luhn), with the La Poste exception.

INSEE gives every SIRET a Luhn check digit, except the establishments of La Poste (SIREN
356000000): there are too many of them for the NIC space, so INSEE accepts a La Poste SIRET when
the sum of its 14 digits is a multiple of 5. Its head office 35600000000048 passes the ordinary
Luhn check, so a La Poste SIRET is valid when either rule holds.

The rule exists twice on purpose, once per way it is applied: here in Python for record sources
(DECP, validated record by record), and vectorised on a digit matrix for tabular sources
(``spaser.ingest.fields.siret_check_flag``, a million rows at once). tests/test_extract_tabular.py
checks that both agree.
"""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"


def _luhn_total(digits: str) -> int:
    total = 0
    # Counting from the right, every second digit is doubled; for 14 digits those are the odd
    # positions counted from the left.
    for position, character in enumerate(digits, start=1):
        digit = int(character)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit >= 5 else digit * 2
        total += digit
    return total


def is_valid_siret(identifier: str) -> bool:
    """True when ``identifier`` is 14 digits with a correct check digit (La Poste rule included)."""
    if len(identifier) != 14 or not identifier.isascii() or not identifier.isdigit():
        return False
    if _luhn_total(identifier) % 10 == 0:
        return True
    return identifier.startswith(LA_POSTE_SIREN) and sum(map(int, identifier)) % 5 == 0
