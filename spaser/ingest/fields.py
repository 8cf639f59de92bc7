"""The one system every source declares its columns with.

A source declares each column as a ``Field``: its name as the contract spells it, its ``FieldType``,
whether the header must have it (``required``) and whether every row must give a value
(``mandatory``); and the rules relating the fields of one row as ``RowRule``s. That declaration is
everything: the readers and validators are generic —
- the Arrow block loader of big CSV exports (spaser/ingest/tabular.py) reads a block's cells with the
  type's vectorised reader (``FieldType.read``) and its row rules' vectorised checks;
- the Python row loader of registers, spreadsheets, personal data and JSON records
  (spaser/ingest/rows.py) reads one row at a time with ``check_row``.
Both quarantine a bad row with the same French message — file, line, column and rule
(``problem_message``) — and load the good ones. The raw gate then checks only what spans rows
(spaser/quality/suites.py): every rule on one delivered row is applied here, when the row is read,
so that a row the loader accepted can never fail every later night.

A ``FieldType`` reads a cell — trimmed text (CSV, XLSX), or a JSON value — into its value, or
raises ``Invalid`` with the French end of the message « x » <problem>. The constructors below cover
the project's needs: text, integers and decimals (separator rule, bounds, rounding), dates (formats,
plausibility, a latest day), boolean vocabularies, code lists (one value or a list), SIREN, SIRET
and company identifiers, patterns. Code lists themselves are written once, in spaser/core/codes.py.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spaser.core.plausible import PLAUSIBLE_FIRST_DATE, PLAUSIBLE_RANGE_TEXT, latest_plausible_date, plausible
from spaser.ingest.base import Violation
from spaser.ingest.siret import LA_POSTE_SIREN, is_valid_siret
from spaser.ingest.tva import EU_VAT_DESCRIPTION, EU_VAT_PATTERN

# Blanks are trimmed around every cell; identifiers and numbers are read without their inner
# blanks too (``compact``), because exports group digits ("212 603 625 00011", "1 234,50") with
# ordinary or non-breaking spaces. Messages quote the cell as delivered (trimmed).
BLANKS = " \t\r\n\u00a0\u202f"
MISSING_PROBLEM = "valeur obligatoire manquante"
SIRET_CHECK_PROBLEM = "ne respecte pas la clé de contrôle d'un SIRET (Luhn) ; enregistrement chargé"


class Invalid(ValueError):
    """A cell its field's type refuses; ``problem`` ends the French message « x » <problem>."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True, eq=False)
class FieldType:
    """How a delivered cell becomes a value, and which values are allowed.

    ``parse`` takes a trimmed, non-empty cell (text; a JSON value for JSON sources) and returns its
    value, or raises ``Invalid`` (or any ValueError: then ``problem`` is the reason). ``read`` is
    the same rule vectorised over an Arrow array of cells, null where a cell is refused: ``vector``
    when given (identifiers, numbers: rules written for a million cells at once, which the tests
    compare with ``parse``), else ``parse`` applied once per distinct cell. ``compact``: the cell is
    read without its inner blanks. ``when_empty``: the value of an empty cell of a delivered column.
    ``flag`` marks a loaded value that deserves a signalement (``vector_flag`` vectorised),
    ``flag_problem`` ends its message. ``binary_copy``: Arrow's value (text, int32, date32,
    boolean) is the raw column's binary COPY form.
    """

    parse: Callable[[Any], Any]
    problem: str
    arrow_type: pa.DataType = field(default_factory=pa.string)
    compact: bool = False
    when_empty: Any = None
    vector: Callable[[pa.Array], pa.Array] | None = None
    flag: Callable[[Any], bool] | None = None
    vector_flag: Callable[[pa.Array], np.ndarray] | None = None
    flag_problem: str = ""
    binary_copy: bool = True

    def value(self, cell: Any) -> Any:
        """The cell's value; raise Invalid with the reason it is refused."""
        try:
            value = self.parse(cell)
        except Invalid:
            raise
        except (ValueError, KeyError, TypeError, ArithmeticError) as error:
            raise Invalid(self.problem) from error
        if value is None:
            raise Invalid(self.problem)
        return value

    def problem_of(self, cell: Any) -> str:
        """Why the cell is refused (the vectorised reader refused it: ``parse`` says why)."""
        try:
            self.value(cell)
        except Invalid as refusal:
            return refusal.problem
        return self.problem

    def _value_or_none(self, cell: Any) -> Any:
        try:
            return self.value(cell)
        except Invalid:
            return None

    @cached_property
    def read(self) -> Callable[[pa.Array], pa.Array]:
        return self.vector or by_distinct_value(self._value_or_none, self.arrow_type)


@dataclass(frozen=True)
class Field:
    name: str  # column (header, JSON key) and raw-table column, as the contract spells it
    type: FieldType
    required: bool = True  # the header must have it (else the file is rejected)
    mandatory: bool = False  # every row must give a value (else the row is quarantined)


@dataclass(frozen=True)
class RowRule:
    """A rule relating the fields of one row, checked once every field it reads is valid.

    ``problem`` returns the French reason a typed row breaks the rule (None when it holds);
    ``vector`` marks, in a block of typed values, the rows that break it — required of the rules
    of tabular sources, whose blocks are checked at once (the message is still ``problem``'s).
    The violation names ``field``."""

    field: str
    columns: tuple[str, ...]
    problem: Callable[[Mapping[str, Any]], str | None]
    vector: Callable[[Mapping[str, pa.Array]], np.ndarray] | None = None


# ---------------------------------------------------------------- messages


def shown(cell: Any) -> str:
    """A cell as a message quotes it: text as delivered, a JSON value as JSON."""
    return cell if isinstance(cell, str) else json.dumps(cell, ensure_ascii=False, default=str)


def problem_message(where: str, cell: Any, problem: str, personal: bool = False) -> str:
    """« ligne 4, colonne lot : « lot un » n'est pas un nombre entier »: the one form of a refused
    cell's message. A personal source's message names the column, never the value."""
    return f"{where} : {'la valeur' if personal else f'« {shown(cell)} »'} {problem}"


# ---------------------------------------------------------------- the Python validator


def normalized(cell: Any, field_type: FieldType) -> Any:
    """The cell as its type reads it: text trimmed (and compacted), None when empty."""
    if not isinstance(cell, str):
        return cell
    cell = cell.strip(BLANKS)
    if field_type.compact:
        cell = "".join(character for character in cell if character not in BLANKS)
    return cell or None


@dataclass
class CheckedRow:
    values: dict[str, Any]
    violations: list[Violation]
    flags: list[Violation]


def check_row(
    fields: tuple[Field, ...],
    rules: tuple[RowRule, ...],
    cells: Mapping[str, Any],
    present: Collection[str],
    where: Callable[[str], str],
    personal: bool = False,
) -> CheckedRow:
    """Read one row: every field's value, every violation (fields in order, then rules), and the
    signalements of a row that loads. ``cells``: field name -> cell as delivered (absent or None:
    empty); ``present``: the fields the delivery has (an absent column's value is None, an empty
    cell's its type's ``when_empty``); ``where(name)`` places a message (« ligne 4, colonne x »)."""
    values: dict[str, Any] = {}
    violations: list[Violation] = []
    failed: set[str] = set()
    quoted: dict[str, Any] = {}
    for declared in fields:
        delivered = cells.get(declared.name)
        cell = normalized(delivered, declared.type)
        quoted[declared.name] = delivered.strip(BLANKS) if isinstance(delivered, str) else delivered
        if cell is None:
            if declared.mandatory:
                violations.append(Violation(declared.name, f"{where(declared.name)} : {MISSING_PROBLEM}"))
                failed.add(declared.name)
            values[declared.name] = declared.type.when_empty if declared.name in present else None
            continue
        try:
            values[declared.name] = declared.type.value(cell)
        except Invalid as refusal:
            violations.append(
                Violation(
                    declared.name,
                    problem_message(where(declared.name), quoted[declared.name], refusal.problem, personal),
                )
            )
            failed.add(declared.name)
            values[declared.name] = None
    for rule in rules:
        if failed.isdisjoint(rule.columns) and (problem := rule.problem(values)):
            violations.append(Violation(rule.field, f"{where(rule.field)} : {problem}"))
    flags = (
        []
        if violations
        else [
            Violation(
                declared.name,
                problem_message(where(declared.name), values[declared.name], declared.type.flag_problem, personal),
            )
            for declared in fields
            if declared.type.flag is not None
            and values[declared.name] is not None
            and declared.type.flag(values[declared.name])
        ]
    )
    return CheckedRow(values, violations, flags)


# ---------------------------------------------------------------- row rules


def at_least(column: str, other: str, problem: str) -> RowRule:
    """``column`` >= ``other`` when both are given (a number of lots and a lot, two dates);
    ``problem`` is formatted with both (``{value}``, ``{other}``)."""

    def check(values: Mapping[str, Any]) -> str | None:
        high, low = values[column], values[other]
        if high is None or low is None or high >= low:
            return None
        return problem.format(value=high, other=low)

    def vector(values: Mapping[str, pa.Array]) -> np.ndarray:
        return pc.fill_null(pc.less(values[column], values[other]), False).to_numpy(zero_copy_only=False)

    return RowRule(column, (column, other), check, vector)


def starts_with(column: str, prefix: str, problem: str) -> RowRule:
    """``column`` begins with ``prefix`` when both are given (a SIRET with its SIREN);
    ``problem`` is formatted with both (``{value}``, ``{other}``)."""

    def check(values: Mapping[str, Any]) -> str | None:
        whole, start = values[column], values[prefix]
        if whole is None or start is None or whole.startswith(start):
            return None
        return problem.format(value=whole, other=start)

    def vector(values: Mapping[str, pa.Array]) -> np.ndarray:
        whole, start = values[column], values[prefix]
        broken = np.zeros(len(whole), dtype=bool)
        widths = pc.utf8_length(start)
        for width in pc.unique(widths.drop_null()).to_pylist():  # one width, most often
            differs = pc.and_(pc.equal(widths, width), pc.not_equal(pc.utf8_slice_codeunits(whole, 0, width), start))
            broken |= pc.fill_null(differs, False).to_numpy(zero_copy_only=False)
        return broken

    return RowRule(column, (column, prefix), check, vector)


def required_when(column: str, condition: str, expected: Any, problem: str) -> RowRule:
    """``column`` must be given on rows whose ``condition`` column is ``expected`` (given, when
    ``expected`` is None)."""

    def check(values: Mapping[str, Any]) -> str | None:
        applies = values[condition] is not None if expected is None else values[condition] == expected
        return problem if applies and values[column] is None else None

    return RowRule(column, (column, condition), check)


# ---------------------------------------------------------------- vectorised reading


DISTINCT_VALUES_REMEMBERED = 1 << 16


def by_distinct_value(rule: Callable[[str], object], arrow_type: pa.DataType):
    """A vectorised reader applying ``rule`` once per distinct text: dates, booleans, codes and
    most numbers of an export repeat a lot, within a block and from one block to the next.

    The texts already read and their values are kept as two Arrow arrays (up to
    DISTINCT_VALUES_REMEMBERED, then only the last block's new ones): a block's cells are
    looked up there by Arrow, and ``rule`` only runs on the texts never seen before, so that a
    block costs no Python work per distinct value (a date column holds ~1,500 of them)."""
    # (texts, values), made on the first read: pa.array imports pandas, which parsing the DAG
    # file (importing this module) must not.
    known: tuple[pa.Array, pa.Array] | None = None

    def read(texts: pa.Array) -> pa.Array:
        nonlocal known
        known_texts, known_values = known or (pa.array([], type=pa.string()), pa.array([], type=arrow_type))
        positions = pc.index_in(texts, value_set=known_texts)
        if positions.null_count > texts.null_count:
            new_texts = pc.unique(texts.filter(pc.and_(pc.is_null(positions), pc.is_valid(texts))))
            new_values = pa.array([rule(text) for text in new_texts.to_pylist()], type=arrow_type)
            if len(known_texts) + len(new_texts) > DISTINCT_VALUES_REMEMBERED:
                known_texts, known_values = known_texts[:0], known_values[:0]
            known = known_texts, known_values = (
                pa.concat_arrays([known_texts, new_texts]),
                pa.concat_arrays([known_values, new_values]),
            )
            positions = pc.index_in(texts, value_set=known_texts)
        return known_values.take(positions)

    return read


def string_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than values) and the bytes of a string array, without copy."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1, offset=4 * texts.offset)
    data = texts.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)


def not_null(values: pa.Array) -> np.ndarray:
    if not values.null_count:  # most columns of most blocks: no Arrow kernel call
        return np.ones(len(values), dtype=bool)
    return pc.is_valid(values).to_numpy(zero_copy_only=False)


def _identity(texts: pa.Array) -> pa.Array:
    return texts


def _matching(regex: str) -> Callable[[pa.Array], pa.Array]:
    """The cells wholly matching ``regex`` (RE2 and Python's re agree on the patterns used here)."""
    anchored = f"^(?:{regex})$"

    def read(texts: pa.Array) -> pa.Array:
        return pc.if_else(pc.match_substring_regex(texts, anchored), texts, pa.scalar(None, pa.string()))

    return read


# Identifiers are checked on the bytes of the Arrow string array, as a matrix of one row of
# digits per value: its shape in one numpy operation over the whole matrix, the Luhn sum digit
# position by digit position. A regular expression per value, or numpy's row-wise reductions
# over a few bytes per row, cost several times more on a million rows.

_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)
_LA_POSTE = np.frombuffer(LA_POSTE_SIREN.encode(), dtype=np.uint8) - np.uint8(ord("0"))
# The last array _digit_rows read, per thread: an identifier column is asked for its digit rows
# by its reader, then by its flag, then by a derived column, most often as the same array.
_last_digit_rows = threading.local()


def _digit_rows(texts: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose text is exactly ``width`` ASCII digits, and their digits (one row each)."""
    last = getattr(_last_digit_rows, "value", None)
    if last is not None and last[0] is texts and last[1] == width:
        return last[2]
    _last_digit_rows.value = texts, width, (result := _read_digit_rows(texts, width))
    return result


def _read_digit_rows(texts: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    offsets, data = string_buffers(texts)
    candidate = offsets[1:] - offsets[:-1] == width
    if texts.null_count:
        candidate &= not_null(texts)
    rows = np.flatnonzero(candidate)
    if len(rows) != len(texts):  # Arrow's filter packs the bytes of the candidates together
        offsets, data = string_buffers(texts.filter(pa.array(candidate)))
    # Non-digits are above 9 (uint8 wraps below "0").
    digits = (data[offsets[0] : offsets[-1]] - np.uint8(ord("0"))).reshape(-1, width)
    if not (digits <= 9).all():
        numeric = (digits <= 9).all(axis=1)
        rows, digits = rows[numeric], digits[numeric]
    return rows, digits


def _siret_key_holds(digits: np.ndarray) -> np.ndarray:
    """Luhn check of 14-digit rows, with La Poste's exception."""
    # Counting from the right, every second digit is doubled: for 14 digits, the odd positions
    # counted from the left (0, 2, ... counted from 0). Summed position by position over the
    # transposed matrix (contiguous rows; the sum, at most 126, fits a byte). Not a matrix
    # product: numpy would hand it to OpenBLAS, whose threads spin on the core PostgreSQL needs.
    by_position = np.ascontiguousarray(digits.T)
    total = np.zeros(len(digits), dtype=np.uint8)
    for position, column in enumerate(by_position):
        total += np.take(_LUHN_DOUBLED, column) if position % 2 == 0 else column
    holds = total % 10 == 0
    failing = np.flatnonzero(~holds)
    if len(failing):  # rare: the La Poste rule is only worth reading there
        la_poste = (digits[failing, :9] == _LA_POSTE).all(axis=1)
        holds[failing] = la_poste & (digits[failing].sum(axis=1, dtype=np.uint16) % 5 == 0)
    return holds


def siret_check_flag(values: pa.Array) -> np.ndarray:
    """True where a loaded 14-digit value fails the check digit (letters, i.e. VAT numbers, pass):
    the rule of spaser.ingest.siret.is_valid_siret, which tests compare it with."""
    flagged = np.zeros(len(values), dtype=bool)
    rows, digits = _digit_rows(values, 14)
    if len(rows):
        flagged[rows] = ~_siret_key_holds(digits)
    return flagged


def _fails_siret_check(value: str) -> bool:
    return len(value) == 14 and value.isascii() and value.isdigit() and not is_valid_siret(value)


def digits_only(width: int) -> Callable[[pa.Array], pa.Array]:
    """A reader of codes of exactly ``width`` digits (SIREN, SIRET), null for any other text."""

    def read(texts: pa.Array) -> pa.Array:
        rows, _ = _digit_rows(texts, width)
        if len(rows) == len(texts) - texts.null_count:
            return texts
        keep = np.zeros(len(texts), dtype=bool)
        keep[rows] = True
        return pc.if_else(pa.array(keep), texts, pa.scalar(None, pa.string()))

    return read


def siret_or(other: Callable[[pa.Array], pa.Array]) -> Callable[[pa.Array], pa.Array]:
    """A reader of company identifiers that are mostly SIRETs: 14 digits are kept as delivered,
    the other cells (few: foreign companies, typos) are read by ``other`` alone."""

    def read(texts: pa.Array) -> pa.Array:
        others = not_null(texts).copy()
        others[_digit_rows(texts, 14)[0]] = False
        if not others.any():
            return texts
        mask = pa.array(others)
        return pc.replace_with_mask(texts, mask, other(texts.filter(mask)))

    return read


def company_identifier_kind(identifiers: pa.Array) -> pa.Array:
    """'SIRET' where a company identifier (read by COMPANY_IDENTIFIER) is 14 digits, 'TVA_UE'
    otherwise: the reader keeps no other numeric identifier."""
    kinds = np.zeros(len(identifiers), dtype=np.int8)
    kinds[_digit_rows(identifiers, 14)[0]] = 1
    return pa.array(["TVA_UE", "SIRET"]).take(pa.array(kinds))


def _vat_number(texts: pa.Array) -> pa.Array:
    upper = pc.utf8_upper(texts)
    return pc.if_else(pc.match_substring_regex(upper, EU_VAT_PATTERN), upper, pa.scalar(None, pa.string()))


def _foreign_identifier(texts: pa.Array) -> pa.Array:
    return pc.if_else(pc.match_substring_regex(texts, "[A-Za-z]"), pc.utf8_upper(texts), pa.scalar(None, pa.string()))


# ---------------------------------------------------------------- constructors


def _within(number, minimum, maximum) -> bool:
    return (minimum is None or number >= minimum) and (maximum is None or number <= maximum)


def _bounds_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" compris entre {minimum} et {maximum}"
    if minimum == 0:
        return " positif ou nul"
    if minimum is not None:
        return f" d'au moins {minimum}"
    return f" d'au plus {maximum}" if maximum is not None else ""


def text(numbers: bool = False) -> FieldType:
    """Any text. ``numbers``: a JSON number is read as its text (an identifier written unquoted)."""

    def parse(cell: Any) -> str:
        if isinstance(cell, str):
            return cell
        if numbers and isinstance(cell, int) and not isinstance(cell, bool):
            return str(cell)
        raise Invalid("n'est pas un texte")

    return FieldType(parse=parse, problem="n'est pas un texte", vector=_identity)


_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")


def integer(
    minimum: int | None = None, maximum: int | None = None, problem: str | None = None, compact: bool = True
) -> FieldType:
    """A whole number written in digits (fits PostgreSQL's integer), within the bounds."""
    syntax = problem or "n'est pas un nombre entier"
    out_of_bounds = problem or f"n'est pas un nombre entier{_bounds_text(minimum, maximum)}"

    def parse(cell: Any) -> int:
        if not (isinstance(cell, str) and _INTEGER.fullmatch(cell)):
            raise Invalid(syntax)
        number = int(cell)
        if not _within(number, minimum, maximum):
            raise Invalid(out_of_bounds)
        return number

    return FieldType(parse=parse, problem=syntax, arrow_type=pa.int32(), compact=compact)


def decimal(
    minimum: int | None = None,
    maximum: int | None = None,
    separators: str = ",.",
    places: int | None = None,
    rounding: str | None = None,
    problem: str | None = None,
    compact: bool = True,
) -> FieldType:
    """A decimal number: digits, at most one of ``separators`` as its decimal mark (French exports
    write a comma or a point), a sign; rounded to ``places`` decimals by ``rounding`` when given;
    within the bounds. Loaded as exact decimal text, never through a float."""
    pattern = rf"[+-]?([0-9]+([{re.escape(separators)}][0-9]*)?|[{re.escape(separators)}][0-9]+)"
    marks = " ou ".join({",": "virgule", ".": "point"}[mark] for mark in separators)
    syntax = problem or f"n'est pas un nombre ({marks} décimal{'e' if separators == ',' else ''})"
    out_of_bounds = problem or f"n'est pas un nombre{_bounds_text(minimum, maximum)}"
    compiled = re.compile(pattern)

    def parse(cell: Any) -> Decimal:
        if not (isinstance(cell, str) and compiled.fullmatch(cell)):
            raise Invalid(syntax)
        number = Decimal(cell.replace(",", "."))
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places), rounding=rounding)
        if not _within(number, minimum, maximum):
            raise Invalid(out_of_bounds)
        return number

    vector = None
    if places is None:
        # The same rule on a block at once: checked by RE2, bounds compared on the numbers.
        matching = _matching(pattern)

        def vector(texts: pa.Array) -> pa.Array:
            numbers = pc.replace_substring(matching(texts), ",", ".")
            if minimum is None and maximum is None:
                return numbers
            # Compared as floats: exact at the bounds the sources declare (0, 100), a sign and a
            # few digits, whatever the precision of the number itself.
            approximate = pc.cast(numbers, pa.float64())
            within = pc.and_kleene(
                pc.greater_equal(approximate, minimum) if minimum is not None else pa.scalar(True),
                pc.less_equal(approximate, maximum) if maximum is not None else pa.scalar(True),
            )
            return pc.if_else(within, numbers, pa.scalar(None, pa.string()))
    else:
        vector = by_distinct_value(
            lambda cell: format(value, "f") if (value := _or_none(parse, cell)) is not None else None, pa.string()
        )
    # The raw column is numeric, whose binary form (base-10000 digits) is not the decimal text.
    return FieldType(parse=parse, problem=syntax, compact=compact, vector=vector, binary_copy=False)


def _or_none(parse: Callable[[Any], Any], cell: Any) -> Any:
    try:
        return parse(cell)
    except (ValueError, ArithmeticError):
        return None


@dataclass(frozen=True)
class DateFormat:
    """A way of writing a date: ``pattern``'s groups are the ``order`` letters (d, m, y; a
    format without d means the first day of the month)."""

    pattern: re.Pattern
    order: str
    label: str

    def day(self, cell: str) -> date | None:
        """The date written, None when the cell is not in this format; ValueError when the
        format is right but no such day exists."""
        match = self.pattern.fullmatch(cell)
        if match is None:
            return None
        parts = dict(zip(self.order, map(int, match.groups()), strict=False))
        return date(parts["y"], parts["m"], parts.get("d", 1))


FRENCH_DATE = DateFormat(re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), "dmy", "JJ/MM/AAAA")
ISO_DATE = DateFormat(re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), "ymd", "AAAA-MM-JJ")
ISO_MONTH = DateFormat(re.compile(r"([0-9]{4})-([0-9]{1,2})(?:-01)?"), "ym", "AAAA-MM")
# Spreadsheets re-type AAAA-MM as MM/AAAA.
FRENCH_MONTH = DateFormat(re.compile(r"([0-9]{1,2})/([0-9]{4})"), "my", "MM/AAAA")


def dates(
    *formats: DateFormat,
    plausible_only: bool = False,
    not_after: Callable[[], date] | None = None,
    problem: str | None = None,
    calendar_problem: str | None = None,
    late_problem: str | None = None,
    implausible_problem: str | None = None,
) -> FieldType:
    """A date in one of ``formats``; with ``plausible_only``, between PLAUSIBLE_FIRST_DATE and
    tomorrow (spaser/core/plausible.py); with ``not_after``, not after the day it returns. One message
    for any refusal unless the source names each: a day that does not exist, one too late, one
    outside the plausible range."""
    problem = problem or (
        f"n'est pas une date valide ({' ou '.join(f.label for f in formats)})"
        + (f" {PLAUSIBLE_RANGE_TEXT}" if plausible_only else "")
    )

    def parse(cell: Any) -> date:
        if not isinstance(cell, str):
            raise Invalid(problem)
        for date_format in formats:
            try:
                day = date_format.day(cell)
            except ValueError:
                raise Invalid(calendar_problem or problem) from None
            if day is not None:
                break
        else:
            raise Invalid(problem)
        if not_after is not None and day > not_after():
            raise Invalid(late_problem or problem)
        if plausible_only and plausible(day) is None:
            raise Invalid(implausible_problem or problem)
        return day

    return FieldType(parse=parse, problem=problem, arrow_type=pa.date32())


def plausible_year() -> FieldType:
    """A year between PLAUSIBLE_FIRST_DATE's and this one (a budget year: exercice)."""
    problem = f"n'est pas une année plausible (de {PLAUSIBLE_FIRST_DATE.year} à l'année en cours)"

    def parse(cell: Any) -> int:
        if not (
            isinstance(cell, str)
            and _INTEGER.fullmatch(cell)
            and PLAUSIBLE_FIRST_DATE.year <= int(cell) <= latest_plausible_date().year
        ):
            raise Invalid(problem)
        return int(cell)

    return FieldType(parse=parse, problem=problem, arrow_type=pa.int32(), compact=True)


def booleans(
    true: tuple[str, ...],
    false: tuple[str, ...],
    problem: str,
    case_sensitive: bool = False,
    empty_is_false: bool = True,
) -> FieldType:
    """Yes/no written in one of the vocabulary's spellings; an empty cell is no (or, without
    ``empty_is_false``, no answer)."""
    fold = (lambda cell: cell) if case_sensitive else str.lower
    spellings = {**{fold(word): True for word in true}, **{fold(word): False for word in false}}

    def parse(cell: Any) -> bool:
        if not isinstance(cell, str):
            raise Invalid(problem)
        return spellings[fold(cell)]

    return FieldType(parse=parse, problem=problem, arrow_type=pa.bool_(), when_empty=False if empty_is_false else None)


def _json_boolean(cell: Any) -> bool:
    if not isinstance(cell, bool):
        raise ValueError(cell)
    return cell


def code(
    values: tuple[str, ...],
    case_sensitive: bool = False,
    problem: str | None = None,
    hints: Mapping[str, str] | None = None,
) -> FieldType:
    """One code of a closed list, stored as the list spells it. ``hints``: a sentence added to the
    message of a code the list does not have (e.g. a code of another version of the format)."""
    problem = problem or f"n'est pas une valeur autorisée ({', '.join(values)})"
    fold = (lambda cell: cell) if case_sensitive else str.lower
    canonical = {fold(value): value for value in values}

    def parse(cell: Any) -> str:
        if isinstance(cell, str) and fold(cell) in canonical:
            return canonical[fold(cell)]
        raise Invalid(problem + (hints or {}).get(cell, "") if isinstance(cell, str) else problem)

    return FieldType(parse=parse, problem=problem)


def code_list(values: tuple[str, ...], item_problem: str | None = None) -> FieldType:
    """Codes of a closed list, several per cell: comma-separated text (blanks around them
    ignored, a semicolon refused) or a JSON list. Read as a tuple, without repeats."""
    allowed = frozenset(values)
    item_problem = item_problem or f"n'est pas une valeur autorisée ({', '.join(values)}, séparées par des virgules)"

    def parse(cell: Any) -> tuple[str, ...]:
        if isinstance(cell, list):
            items = cell
        elif isinstance(cell, str):
            if ";" in cell:
                raise Invalid(": les valeurs d'une liste se séparent par des virgules, pas par des points-virgules")
            items = [item.strip() for item in cell.split(",")]
        else:
            raise Invalid("n'est pas une liste")
        unknown = [item for item in items if not isinstance(item, str) or item not in allowed]
        if unknown:
            listed = ", ".join(f"« {shown(item)} »" if item else "(vide)" for item in unknown)
            raise Invalid(f"contient {listed}, qui {item_problem}")
        return tuple(dict.fromkeys(items))

    return FieldType(
        parse=parse, problem=f"n'est pas une liste de valeurs autorisées ({', '.join(values)})", when_empty=()
    )


def pattern(regex: str, problem: str, compact: bool = False) -> FieldType:
    """A text wholly matching ``regex``."""
    compiled = re.compile(regex)

    def parse(cell: Any) -> str:
        if isinstance(cell, str) and compiled.fullmatch(cell):
            return cell
        raise Invalid(problem)

    return FieldType(parse=parse, problem=problem, compact=compact, vector=_matching(regex))


def _digits(width: int, problem: str) -> Callable[[Any], str]:
    def parse(cell: Any) -> str:
        if isinstance(cell, str) and len(cell) == width and cell.isascii() and cell.isdigit():
            return cell
        raise Invalid(problem)

    return parse


def _siret_or(other: Callable[[str], str | None], problem: str) -> Callable[[Any], str]:
    def parse(cell: Any) -> str:
        if not isinstance(cell, str):
            raise Invalid(problem)
        if len(cell) == 14 and cell.isascii() and cell.isdigit():
            return cell
        value = other(cell)
        if value is None:
            raise Invalid(problem)
        return value

    return parse


def _vat_text(cell: str) -> str | None:
    upper = cell.upper()
    return upper if re.fullmatch(EU_VAT_PATTERN, upper) else None


def _foreign_text(cell: str) -> str | None:
    return cell.upper() if re.search("[A-Za-z]", cell) else None


# ---------------------------------------------------------------- the project's types

TEXT = text()
TEXT_OR_NUMBER = text(numbers=True)
INTEGER = integer()
DECIMAL = decimal()
DATE = dates(FRENCH_DATE, ISO_DATE)
# Dates the warehouse requires to be plausible: a row outside is quarantined on loading.
PAST_DATE = dates(FRENCH_DATE, ISO_DATE, plausible_only=True)
PAST_MONTH = dates(
    ISO_MONTH, FRENCH_MONTH, plausible_only=True, problem=f"n'est pas un mois (AAAA-MM) {PLAUSIBLE_RANGE_TEXT}"
)
PAST_YEAR = plausible_year()
# French export habits: oui/non, O/N, 1/0, true/false in any case; an empty cell is no.
BOOLEAN = booleans(
    ("oui", "o", "1", "true"),
    ("non", "n", "0", "false"),
    problem="n'est pas un booléen (oui/non, O/N, 1/0, true/false)",
)
# A JSON questionnaire's answer: true, false, or null (not answered).
JSON_BOOLEAN = FieldType(
    parse=_json_boolean, problem="n'est pas un booléen (true, false ou null)", arrow_type=pa.bool_()
)
SIREN = FieldType(
    parse=_digits(9, "n'est pas un SIREN (9 chiffres)"),
    problem="n'est pas un SIREN (9 chiffres)",
    compact=True,
    vector=digits_only(9),
)
SIRET = FieldType(
    parse=_digits(14, "n'est pas un SIRET (14 chiffres)"),
    problem="n'est pas un SIRET (14 chiffres)",
    compact=True,
    vector=digits_only(14),
    flag=_fails_siret_check,
    vector_flag=siret_check_flag,
    flag_problem=SIRET_CHECK_PROBLEM,
)
# A bidder is a French establishment (SIRET) or a foreign company known by its EU VAT number.
_COMPANY_PROBLEM = f"n'est ni un SIRET (14 chiffres) ni un {EU_VAT_DESCRIPTION}"
COMPANY_IDENTIFIER = FieldType(
    parse=_siret_or(_vat_text, _COMPANY_PROBLEM),
    problem=_COMPANY_PROBLEM,
    compact=True,
    vector=siret_or(_vat_number),
    flag=_fails_siret_check,
    vector_flag=siret_check_flag,
    flag_problem=SIRET_CHECK_PROBLEM,
)
# A supplier paid by the finance software: a SIRET, or a foreign identifier (EU VAT number, Swiss
# IDE...) holding at least one letter, kept in upper case; digits of another length are a typo.
_SUPPLIER_PROBLEM = "n'est ni un SIRET (14 chiffres) ni un identifiant étranger (qui contient des lettres)"
SUPPLIER_IDENTIFIER = FieldType(
    parse=_siret_or(_foreign_text, _SUPPLIER_PROBLEM),
    problem=_SUPPLIER_PROBLEM,
    compact=True,
    vector=siret_or(_foreign_identifier),
    flag=_fails_siret_check,
    vector_flag=siret_check_flag,
    flag_problem=SIRET_CHECK_PROBLEM,
)
