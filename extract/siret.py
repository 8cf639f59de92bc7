"""SIRET check digit (Luhn), with the La Poste exception.

INSEE gives every SIRET a Luhn check digit, except the establishments of La Poste (SIREN
356000000): there are too many of them for the NIC space, so INSEE accepts a La Poste SIRET when
the sum of its 14 digits is a multiple of 5. Its head office 35600000000048 passes the ordinary
Luhn check, so a La Poste SIRET is valid when either rule holds.

The rule exists twice on purpose, once per engine that applies it: in Python for record sources
(DECP, validated record by record) and as the SQL function ``raw.siret_valide`` for tabular sources
(validated set-based inside PostgreSQL). tests/test_extract_tabular.py checks that both agree.
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


def _sql_digit(position: int) -> str:
    """Digit at ``position`` (1 = leftmost of 14) of the SIRET read as a number: integer
    arithmetic is several times faster in PostgreSQL than taking characters out of a text."""
    return f"((siret / {10 ** (14 - position)}) % 10)"


def _sql_luhn_total() -> str:
    terms = []
    for position in range(1, 15):
        digit = _sql_digit(position)
        terms.append(f"({digit} * 2 - ({digit} / 5) * 9)" if position % 2 == 1 else digit)
    return " + ".join(terms)


def _sql_digit_sum() -> str:
    return " + ".join(_sql_digit(position) for position in range(1, 15))


# Single SQL expressions (no FROM clause) so that PostgreSQL inlines them into the validating
# query: they run once per row of multi-million-line files.
SIRET_SQL_FUNCTION = f"""
create or replace function raw.siret_cle_valide(siret bigint) returns boolean
language sql immutable parallel safe as $$
    select ({_sql_luhn_total()}) % 10 = 0
        or (siret / 100000 = {LA_POSTE_SIREN} and ({_sql_digit_sum()}) % 5 = 0)
$$;

create or replace function raw.siret_valide(identifiant text) returns boolean
language sql immutable parallel safe as $$
    select case
        when identifiant is null or length(identifiant) <> 14 or identifiant !~ '^[0-9]+$' then false
        else raw.siret_cle_valide(identifiant::bigint)
    end
$$;
comment on function raw.siret_valide(text) is
    'SIRET valide : 14 chiffres et clé de Luhn, ou SIREN de La Poste (356000000) et somme des chiffres multiple de 5.';
"""
