-- Lineage defaults of the raw data tables, applied after raw_schema.sql (so that every table,
-- whoever appended it, is covered). Idempotent: a default already in place is left alone, so a
-- night takes no lock here once the database is migrated.
--
-- _load_id, _source_file and _file_sha256 are constant within a file: the tabular loader COPYs
-- only the data columns and _record_number, instead of sending about 100 bytes of the same
-- lineage on every row, and for the time of a file's load replaces these defaults by the file's
-- literals (extract/tabular.py, _file_lineage_defaults). Writers that send the lineage
-- explicitly (the record sources) are unaffected. These resting defaults are the safety net:
-- a write that forgets the lineage fails loudly rather than storing rows without it:
-- current_setting (without missing_ok) raises while the setting was never set in the session,
-- and once a transaction has reset it to '' the nullif breaks the not-null constraint.
-- The expressions are spelt as PostgreSQL normalises them (information_schema.columns), so that
-- the comparison below finds them in place.
do $$
declare
    lineage record;
begin
    for lineage in
        select c.table_name, c.column_name, wanted.expression
        from information_schema.columns c
        join (values
            ('_load_id', '(NULLIF(current_setting(''spaser.load_id''::text), ''''::text))::bigint'),
            ('_source_file', 'NULLIF(current_setting(''spaser.source_file''::text), ''''::text)'),
            ('_file_sha256', 'NULLIF(current_setting(''spaser.file_sha256''::text), ''''::text)')
        ) as wanted (column_name, expression) on wanted.column_name = c.column_name
        where c.table_schema = 'raw' and c.column_default is distinct from wanted.expression
    loop
        execute format('alter table raw.%I alter column %I set default %s',
                       lineage.table_name, lineage.column_name, lineage.expression);
    end loop;
end
$$;
