"""Tabular (CSV) sources: stream the file into PostgreSQL, then validate it there, set-based.

A tabular source declares its columns (``Column``: name as the standard spells it, type, whether
the header must have it, whether a value is mandatory). Loading one file:

1. the header line is read to sniff the separator (``;``, ``,`` or tab: the most frequent one) and
   to map the file's columns (any order, names compared case-insensitively) onto the declared
   ones — a missing required column rejects the file, an extra column is reported once;
2. the file's bytes are streamed unchanged into a temporary all-text table whose columns follow
   the header (``COPY ... FORMAT csv, HEADER, DELIMITER, ENCODING``), numbered by an identity
   column; Python never holds more than one chunk of the file;
3. a first statement casts every cell and inserts the good rows into the raw table with lineage;
   a second one casts again and keeps only the bad and the flagged rows, for one
   ``raw.quarantaine`` row per violation of every bad row and one ``raw.signalements`` row per
   non-blocking finding (a SIRET failing its check digit).

When COPY refuses the file (ragged rows, blank lines, bytes invalid in the detected encoding), the
file is re-read with Python's csv module into the same temporary table, malformed records marked
as such, so that step 3 quarantines them and still loads the good rows.

French export habits accepted: decimal comma or point (blanks as thousands separators), dates
JJ/MM/AAAA (or J/M/AAAA) or AAAA-MM-JJ, booleans oui/non, O/N, 1/0, true/false in any case, an
empty boolean meaning false. The casting rules are SQL functions of schema ``raw``
(``SQL_FUNCTIONS``, created by ``extract.loader.ensure_raw_schema``), written as single
expressions so that PostgreSQL inlines them into the validating query.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Iterator

import psycopg
from psycopg import sql

from extract.base import FileRejected

# Python codec -> PostgreSQL COPY encoding, for the two encodings French exports come in.
POSTGRES_ENCODINGS = {"utf-8": "UTF8", "cp1252": "WIN1252"}
ENCODING_LABELS = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}
DELIMITERS = (";", ",", "\t")
HEADER_MAX_BYTES = 1 << 20
COPY_CHUNK_BYTES = 1 << 20
HEADER_LINE = 1  # physical line of the header: data line N is record N - 1
MALFORMED_FIELD = "ligne"  # raw.quarantaine.champ of a record that could not be split into columns
BLANK_LINES_LISTED = 20

SQL_FUNCTIONS = r"""
create or replace function raw.texte_en_entier(texte text) returns integer
language sql immutable parallel safe as $$
    select case when texte ~ '^[+-]?[0-9]{1,9}$' then texte::integer end
$$;

-- Decimal comma or point; thousands separators are blanks, removed before the call.
create or replace function raw.texte_en_nombre(texte text) returns numeric
language sql immutable parallel safe as $$
    select case when texte ~ '^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$'
        then replace(texte, ',', '.')::numeric end
$$;

create or replace function raw.texte_en_booleen(texte text) returns boolean
language sql immutable parallel safe as $$
    select case lower(texte)
        when 'oui' then true when 'o' then true when '1' then true when 'true' then true
        when 'non' then false when 'n' then false when '0' then false when 'false' then false
    end
$$;

-- NULL unless (annee, mois, jour) is a real calendar date. make_date is only ever called on the
-- first day of a real month, so no input can raise an error (CASE arms whose condition folds to
-- false are dropped before their result is evaluated, even for constants).
create or replace function raw.date_si_valide(annee integer, mois integer, jour integer) returns date
language sql immutable parallel safe as $$
    select case when annee between 1 and 9999 and mois between 1 and 12 and jour between 1 and 31 then
        case when extract(month from make_date(annee, mois, 1) + (jour - 1)) = mois
            then make_date(annee, mois, 1) + (jour - 1) end
    end
$$;

create or replace function raw.texte_en_date(texte text) returns date
language sql immutable parallel safe as $$
    select case
        when texte ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$' then raw.date_si_valide(
            split_part(texte, '/', 3)::integer, split_part(texte, '/', 2)::integer, split_part(texte, '/', 1)::integer)
        when texte ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then raw.date_si_valide(
            substr(texte, 1, 4)::integer, substr(texte, 6, 2)::integer, substr(texte, 9, 2)::integer)
    end
$$;
"""

# Blanks are trimmed around every cell; identifiers and numbers are read without their inner
# blanks too, because exports group digits ("212 603 625 00011", "1 234,50") with ordinary or
# non-breaking spaces. Messages quote the cell as delivered (trimmed).
BLANKS = "E' \\t\\r\\n\\u00a0\\u202f'"
_TRIMMED = "nullif(btrim({cell}, " + BLANKS + "), '')"
_COMPACTED = "translate({text}, " + BLANKS + ", '')"


@dataclass(frozen=True)
class ColumnType:
    """How a delivered cell becomes a typed raw value, as SQL templates.

    ``cast`` turns ``{v}`` — the cell, trimmed, NULL when empty — into the typed value, NULL when
    the text is not valid; ``problem`` ends the French message « x » <problem>. ``flag`` is a
    condition on the typed value ``{x}`` of a loaded row that deserves a signalement.
    """

    cast: str
    problem: str = ""
    compact: bool = False
    when_empty: str | None = None  # value stored for an empty cell (booleans: false)
    flag: str | None = None
    flag_problem: str = ""


SIRET_CHECK_PROBLEM = "ne respecte pas la clé de contrôle d'un SIRET (Luhn) ; enregistrement chargé"

TEXT = ColumnType(cast="{v}")
INTEGER = ColumnType(cast="raw.texte_en_entier({v})", problem="n'est pas un nombre entier", compact=True)
DECIMAL = ColumnType(
    cast="raw.texte_en_nombre({v})", problem="n'est pas un nombre (virgule ou point décimal)", compact=True
)
DATE = ColumnType(cast="raw.texte_en_date({v})", problem="n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ)")
BOOLEAN = ColumnType(
    cast="raw.texte_en_booleen({v})",
    problem="n'est pas un booléen (oui/non, O/N, 1/0, true/false)",
    when_empty="false",
)
# length + '^[0-9]+$' is twice as fast in PostgreSQL as a bounded repetition such as [0-9]{14}.
SIREN = ColumnType(cast="case when length({v}) = 9 and {v} ~ '^[0-9]+$' then {v} end", problem="n'est pas un SIREN (9 chiffres)", compact=True)
SIRET = ColumnType(
    cast="case when length({v}) = 14 and {v} ~ '^[0-9]+$' then {v} end",
    problem="n'est pas un SIRET (14 chiffres)",
    compact=True,
    flag="not raw.siret_valide({x})",
    flag_problem=SIRET_CHECK_PROBLEM,
)
# A bidder is a French establishment (SIRET) or a foreign company known by its EU VAT number:
# two letters (the country) then 2 to 13 letters or digits.
COMPANY_IDENTIFIER = ColumnType(
    cast="case when length({v}) = 14 and {v} ~ '^[0-9]+$' or upper({v}) ~ '^[A-Z]{{2}}[A-Z0-9]{{2,13}}$' "
    "then upper({v}) end",
    problem="n'est ni un SIRET (14 chiffres) ni un numéro de TVA intracommunautaire "
    "(2 lettres puis 2 à 13 lettres ou chiffres)",
    compact=True,
    flag="{x} ~ '^[0-9]+$' and not raw.siret_valide({x})",
    flag_problem=SIRET_CHECK_PROBLEM,
)


def enumeration(*values: str) -> ColumnType:
    """A code from a closed list; compared and stored in lower case, as the contract spells them."""
    listed = ", ".join(f"'{value}'" for value in values)
    return ColumnType(
        cast=f"case when lower({{v}}) in ({listed}) then lower({{v}}) end",
        problem=f"n'est pas une valeur autorisée ({', '.join(values)})",
    )


@dataclass(frozen=True)
class Column:
    name: str  # raw-table column and header name, as the contract spells it
    type: ColumnType = TEXT
    required: bool = True  # the header must have it (else the file is rejected)
    mandatory: bool = False  # every row must give a value (else the row is quarantined)


class TabularSource:
    """A CSV source validated set-based in PostgreSQL (see the module docstring)."""

    source: ClassVar[str]
    raw_table: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    key_columns: ClassVar[tuple[str, ...]]  # business key, shown in raw.quarantaine.cle
    # Raw-table columns computed from the typed values: SQL templates over {column_name}.
    derived_columns: ClassVar[dict[str, str]] = {}
    file_patterns: ClassVar[tuple[str, ...]] = ("*.csv",)


# ---------------------------------------------------------------- reading the header


@dataclass(frozen=True)
class CsvLayout:
    encoding: str  # Python codec: 'utf-8' or 'cp1252'
    delimiter: str
    header: tuple[str, ...]  # the file's column names, as delivered (BOM and blanks removed)


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line (``,`` for a single column)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_layout(path: Path, encoding: str) -> CsvLayout:
    with path.open("rb") as stream:
        first_line = stream.readline(HEADER_MAX_BYTES)
    if not first_line.strip():
        raise FileRejected("fichier vide : aucune ligne d'en-tête")
    if not first_line.endswith(b"\n") and len(first_line) == HEADER_MAX_BYTES:
        raise FileRejected("en-tête illisible : la première ligne dépasse 1 Mo, ce n'est pas un fichier CSV")
    text = first_line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    delimiter = sniff_delimiter(text)
    header = tuple(name.strip() for name in next(csv.reader([text], delimiter=delimiter)))
    return CsvLayout(encoding=encoding, delimiter=delimiter, header=header)


@dataclass(frozen=True)
class ColumnMapping:
    """Declared column -> position in the file (1-based), and the file's columns nobody reads."""

    positions: dict[str, int]
    extra: tuple[str, ...]


def map_columns(source: TabularSource, header: tuple[str, ...]) -> ColumnMapping:
    declared = {column.name.lower(): column.name for column in source.columns}
    positions: dict[str, int] = {}
    extra = []
    for position, name in enumerate(header, start=1):
        column_name = declared.get(name.lower())
        if column_name is None:
            extra.append(name)
        elif column_name in positions:
            raise FileRejected(f"en-tête invalide : la colonne « {column_name} » apparaît deux fois")
        else:
            positions[column_name] = position
    missing = [column.name for column in source.columns if column.required and column.name not in positions]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"colonne{plural} obligatoire{plural} absente{plural} de l'en-tête : {', '.join(missing)} "
            f"(en-tête lu : {', '.join(header)})"
        )
    return ColumnMapping(positions=positions, extra=tuple(extra))


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class FileLineage:
    load_id: int
    source: str
    fichier: str  # path relative to the inbox
    sha256: str


@dataclass
class LoadCounts:
    nb_enregistrements: int = 0
    nb_charges: int = 0
    nb_quarantaine: int = 0
    nb_signalements: int = 0
    message: str | None = None  # how the file was read, when it is worth telling


STAGING_TABLE = "pg_temp.delivered_rows"


def load_tabular_file(
    conn: psycopg.Connection, source: TabularSource, path: Path, encoding: str, lineage: FileLineage
) -> LoadCounts:
    """Load one CSV file of ``source`` inside the caller's transaction; raise FileRejected."""
    layout = read_layout(path, encoding)
    mapping = map_columns(source, layout.header)
    _create_staging_table(conn, len(layout.header))
    fallback = None
    try:
        with conn.transaction():
            _copy_file(conn, path, layout)
    except psycopg.DataError as error:
        fallback = _parse_with_python(conn, path, layout, lineage, copy_error=error)
    counts = _validate_and_insert(conn, source, mapping, layout, lineage)
    counts.nb_signalements += _report_extra_columns(conn, mapping, lineage)
    if fallback:
        counts.message = fallback.message
        counts.nb_signalements += fallback.nb_signalements
    return counts


def _staging_columns(count: int) -> list[str]:
    return [f"c{position}" for position in range(1, count + 1)]


def _create_staging_table(conn: psycopg.Connection, column_count: int) -> None:
    cells = ", ".join(f"{name} text" for name in _staging_columns(column_count))
    conn.execute(f"drop table if exists {STAGING_TABLE}")
    # _line and _malformed are only filled by the Python fallback; COPY leaves them NULL and the
    # physical line is then the record number + 1 (exact unless a quoted cell spans lines).
    conn.execute(
        f"create temporary table delivered_rows ("
        f"_record_number integer generated by default as identity, _line integer, "
        f"_malformed text, _delivered text, {cells}) on commit drop"
    )


def _copy_file(conn: psycopg.Connection, path: Path, layout: CsvLayout) -> None:
    statement = sql.SQL(
        "copy {table} ({columns}) from stdin (format csv, header true, delimiter {delimiter}, encoding {encoding})"
    ).format(
        table=sql.SQL(STAGING_TABLE),
        columns=sql.SQL(", ").join(map(sql.Identifier, _staging_columns(len(layout.header)))),
        delimiter=sql.Literal(layout.delimiter),
        encoding=sql.Literal(POSTGRES_ENCODINGS[layout.encoding]),
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy, path.open("rb") as stream:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            copy.write(chunk)


def _describe_copy_error(error: psycopg.DataError) -> str:
    line = re.search(r"line (\d+)", error.diag.context or "")
    where = f"ligne {line.group(1)} : " if line else ""
    return f"{where}{error.diag.message_primary or error}"


def _decoded_lines(stream, encoding: str, undecodable: set[int]) -> Iterator[str]:
    """The file's lines as text; lines with bytes invalid in ``encoding`` (or NUL) are noted."""
    for number, raw_line in enumerate(stream, start=1):
        try:
            text = raw_line.decode(encoding)
            if "\x00" in text:
                raise UnicodeDecodeError(encoding, raw_line, 0, 1, "NUL")
        except UnicodeDecodeError:
            undecodable.add(number)
            text = raw_line.decode(encoding, errors="replace").replace("\x00", "\ufffd")
        yield text.lstrip("\ufeff") if number == 1 else text


@dataclass(frozen=True)
class FallbackOutcome:
    message: str
    nb_signalements: int


def _parse_with_python(
    conn: psycopg.Connection, path: Path, layout: CsvLayout, lineage: FileLineage, copy_error: psycopg.DataError
) -> FallbackOutcome:
    """Re-read a file COPY refused; malformed records are staged as such, blank lines reported."""
    width = len(layout.header)
    columns = ["_record_number", "_line", "_malformed", "_delivered", *_staging_columns(width)]
    statement = sql.SQL("copy {table} ({columns}) from stdin").format(
        table=sql.SQL(STAGING_TABLE), columns=sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    undecodable: set[int] = set()  # only lines of invalid bytes: bounded by the defects
    blank_lines: list[int] = []
    blank_count = malformed_count = record_number = 0
    encoding_label = ENCODING_LABELS[layout.encoding]
    with path.open("rb") as stream, conn.cursor() as cursor, cursor.copy(statement) as copy:
        reader = csv.reader(_decoded_lines(stream, layout.encoding, undecodable), delimiter=layout.delimiter)
        next(reader, None)  # the header, already read
        last_line = reader.line_num
        while True:
            try:
                fields = next(reader)
                defect = None
            except StopIteration:
                break
            except csv.Error as error:
                fields, defect = [], f"ligne illisible en CSV ({error})"
            first_line, last_line = last_line + 1, reader.line_num
            undecodable_here = sorted(line for line in undecodable if first_line <= line <= last_line)
            undecodable.difference_update(undecodable_here)
            if not fields and defect is None:
                blank_count += 1
                if len(blank_lines) < BLANK_LINES_LISTED:
                    blank_lines.append(first_line)
                continue
            record_number += 1
            if defect is None and undecodable_here:
                defect = f"octets invalides pour l'encodage {encoding_label} (caractère remplacé par « \ufffd »)"
            elif defect is None and len(fields) != width:
                defect = f"{len(fields)} champ(s) au lieu des {width} de l'en-tête"
            if defect is None:
                copy.write_row([record_number, first_line, None, None, *fields])
            else:
                malformed_count += 1
                # The cells that could be split are staged too, so that the business key is shown.
                cells = (fields + [None] * width)[:width]
                delivered = layout.delimiter.join(fields)
                copy.write_row([record_number, first_line, f"ligne {first_line} : {defect}", delivered, *cells])
    if blank_count:
        shown = ", ".join(map(str, blank_lines)) + (", ..." if blank_count > len(blank_lines) else "")
        conn.execute(
            "insert into raw.signalements (load_id, source, fichier, enregistrement, champ, message)"
            " values (%s, %s, %s, %s, %s, %s)",
            (lineage.load_id, lineage.source, lineage.fichier, blank_lines[0], MALFORMED_FIELD,
             f"{blank_count} ligne(s) vide(s) ignorée(s) : {shown}"),
        )
    if record_number and malformed_count == record_number:
        raise FileRejected(
            f"fichier illisible : aucune des {record_number} ligne(s) de données n'a la forme de l'en-tête "
            f"(COPY : {_describe_copy_error(copy_error)})"
        )
    return FallbackOutcome(
        message=(
            f"lecture de secours ligne à ligne, COPY ayant refusé le fichier ({_describe_copy_error(copy_error)}) : "
            f"{malformed_count} ligne(s) mal formée(s) mise(s) en quarantaine, "
            f"{blank_count} ligne(s) vide(s) ignorée(s)"
        ),
        nb_signalements=1 if blank_count else 0,
    )


def _report_extra_columns(conn: psycopg.Connection, mapping: ColumnMapping, lineage: FileLineage) -> int:
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into raw.signalements (load_id, source, fichier, enregistrement, champ, message)"
            " values (%s, %s, %s, %s, %s, %s)",
            [
                (lineage.load_id, lineage.source, lineage.fichier, HEADER_LINE, name or "(sans nom)",
                 f"colonne « {name} » non prévue par le format de la source : ignorée")
                for name in mapping.extra
            ],
        )
    return len(mapping.extra)


# ---------------------------------------------------------------- set-based validation


def _literal(conn: psycopg.Connection, value) -> str:
    return sql.Literal(value).as_string(conn)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Cell:
    """One declared column inside the validating query: aliases of its text and typed value."""

    column: Column
    index: int

    @property
    def text(self) -> str:
        return f"v{self.index}"

    @property
    def value(self) -> str:
        return f"x{self.index}"

    def typed_value(self) -> str:
        """SQL: the typed value of the cell text. Identifiers and numbers are read without their
        inner blanks; as a cast that succeeds never reads a blank, it is first tried on the text as
        is and the blanks are removed only when it fails — a rare cell, and a costly ``translate``."""
        cast = self.column.type.cast
        if not self.column.type.compact:
            return cast.format(v=self.text)
        return f"coalesce({cast.format(v=self.text)}, {cast.format(v=_COMPACTED.format(text=self.text))})"

    def is_valid(self) -> str:
        if self.column.mandatory:
            return f"{self.value} is not null"
        return f"({self.text} is null or {self.value} is not null)"

    def violation_message(self, conn: psycopg.Connection) -> str | None:
        """SQL: the French message of this cell's violation, NULL when the cell is valid."""
        name = _literal(conn, self.column.name)
        # A malformed record has one violation, its shape: its cells are not judged one by one.
        arms = ["when _malformed is not null then null"]
        if self.column.mandatory:
            arms.append(
                f"when {self.text} is null then format('ligne %s, colonne %s : valeur obligatoire manquante', line, {name})"
            )
        if self.column.type.problem:
            problem = _literal(conn, self.column.type.problem)
            arms.append(
                f"when {self.text} is not null and {self.value} is null then "
                f"format('ligne %s, colonne %s : « %s » %s', line, {name}, {self.text}, {problem})"
            )
        return f"case {' '.join(arms)} end" if len(arms) > 1 else None

    def flag_condition(self) -> str | None:
        if self.column.type.flag is None:
            return None
        return f"({self.value} is not null and {self.column.type.flag.format(x=self.value)})"

    def flag_message(self, conn: psycopg.Connection) -> str | None:
        column_type = self.column.type
        condition = self.flag_condition()
        if condition is None:
            return None
        return (
            f"case when {condition} then "
            f"format('ligne %s, colonne %s : « %s » %s', line, {_literal(conn, self.column.name)}, "
            f"{self.value}, {_literal(conn, column_type.flag_problem)}) end"
        )


def _validate_and_insert(
    conn: psycopg.Connection,
    source: TabularSource,
    mapping: ColumnMapping,
    layout: CsvLayout,
    lineage: FileLineage,
) -> LoadCounts:
    """Two scans of the staged rows, each casting every cell once.

    The first inserts the good rows, typed, into the raw table and nothing else: no CTE shared by
    several inserts, whose million-row tuplestore cost more than the casts. The second keeps only
    the bad and the flagged rows — usually a handful — and writes their violations and findings.
    """
    cells = [_Cell(column, index) for index, column in enumerate(source.columns, start=1)]
    by_name = {cell.column.name: cell for cell in cells}
    cell_columns = [f"c{position}" for position in range(1, len(layout.header) + 1)]

    def staged(cell: _Cell) -> str:
        position = mapping.positions.get(cell.column.name)
        return _TRIMMED.format(cell=f"t.c{position}") if position else "null::text"

    def typed_rows(carried: list[str]) -> str:
        """Every staged row with its cell texts (v1...) and typed values (x1...). Each level is an
        optimisation fence (offset 0) so that a text or a value used several times is computed once."""
        texts = ", ".join(f"{staged(cell)} as {cell.text}" for cell in cells)
        values = ", ".join(f"{cell.typed_value()} as {cell.value}" for cell in cells)
        return (
            f"select m.*, {values} from ("
            f"select {', '.join(['t._record_number', 't._malformed', *carried, texts])} "
            f"from {STAGING_TABLE} t offset 0) m"
        )

    validity = " and ".join(["_malformed is null", *(cell.is_valid() for cell in cells)])

    def typed(cell: _Cell) -> str:
        # An empty cell may mean "false"; a column the file does not have means "not delivered".
        when_empty = cell.column.type.when_empty
        if when_empty and cell.column.name in mapping.positions:
            return f"coalesce({cell.value}, {when_empty})"
        return cell.value

    raw_columns = [*(cell.column.name for cell in cells), *source.derived_columns]
    raw_values = [typed(cell) for cell in cells] + [
        template.format(**{name: cell.value for name, cell in by_name.items()})
        for template in source.derived_columns.values()
    ]
    with conn.cursor() as cursor:
        cursor.execute(
            f"insert into {source.raw_table}"
            f" (_load_id, _source_file, _file_sha256, _record_number, {', '.join(map(_quoted, raw_columns))})"
            f" select {_literal(conn, lineage.load_id)}, {_literal(conn, lineage.fichier)},"
            f" {_literal(conn, lineage.sha256)}, r._record_number, {', '.join(raw_values)}"
            f" from ({typed_rows([])} offset 0) r where {validity}"
        )
        loaded = cursor.rowcount

    flag_conditions = [condition for cell in cells if (condition := cell.flag_condition()) is not None]
    delivered = "array_to_string(array[{}], {}, '')".format(
        ", ".join(cell_columns), _literal(conn, layout.delimiter)
    )
    carried = [f"coalesce(t._line, t._record_number + {HEADER_LINE}) as line", "t._delivered",
               *(f"t.{name}" for name in cell_columns)]
    # The flag conditions (the SIRET check digit) are only worth computing on the rows that load.
    problems = (
        f"select f.*, case when not valid then coalesce(_delivered, {delivered}) end as contenu from ("
        f"select c.*, valid and ({' or '.join(flag_conditions) or 'false'}) as flagged from ("
        f"select r.*, {validity} as valid from ({typed_rows(carried)} offset 0) r offset 0) c offset 0) f "
        f"where not valid or flagged"
    )
    key = " || '|' || ".join(f"coalesce({by_name[name].text}, '')" for name in source.key_columns)
    lineage_values = ", ".join(_literal(conn, value) for value in (lineage.load_id, lineage.source, lineage.fichier))

    violations = {MALFORMED_FIELD: "_malformed"}
    violations.update(
        (cell.column.name, message) for cell in cells if (message := cell.violation_message(conn)) is not None
    )
    flags = {cell.column.name: message for cell in cells if (message := cell.flag_message(conn)) is not None}

    def per_field(messages: dict[str, str]) -> str:
        # unnest, not VALUES: a lateral VALUES list recompiles its expressions for every row.
        names = ", ".join(_literal(conn, name) for name in messages)
        return f"unnest(array[{names}]::text[], array[{', '.join(messages.values())}]::text[]) as v (champ, message)"

    statement = f"""
        with problems as materialized ({problems}),
        quarantined as (
            insert into raw.quarantaine (load_id, source, fichier, enregistrement, cle, champ, message, contenu)
            select {lineage_values}, c.line, {key}, v.champ, v.message, c.contenu
            from problems c cross join lateral {per_field(violations)}
            where not c.valid and v.message is not null
            returning enregistrement
        ),
        flagged as (
            insert into raw.signalements (load_id, source, fichier, enregistrement, cle, champ, message)
            select {lineage_values}, c.line, {key}, v.champ, v.message
            from problems c cross join lateral {per_field(flags or {"": "null"})}
            where c.flagged and v.message is not null
            returning 1
        )
        select (select count(distinct enregistrement) from quarantined), (select count(*) from flagged)
    """
    quarantined, flagged = conn.execute(statement).fetchone()
    return LoadCounts(
        nb_enregistrements=loaded + quarantined,
        nb_charges=loaded,
        nb_quarantaine=quarantined,
        nb_signalements=flagged,
    )
