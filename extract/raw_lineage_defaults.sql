-- Lineage default of the stored raw rows, applied after raw_schema.sql (so that every table,
-- whoever appended it, is covered). Idempotent: a default already in place is left alone, so a
-- night takes no lock here once the database is migrated.
--
-- _load_id is constant within a file: the tabular loader COPYs only the data columns and
-- _record_number, and for the time of a file's load replaces this default by the file's load id
-- as a literal (extract/tabular.py, _file_load_id_default). Writers that send _load_id
-- explicitly (the record sources) are unaffected. The resting default is the safety net: a write
-- that forgets the lineage fails loudly rather than storing rows without it: current_setting
-- (without missing_ok) raises while the setting was never set in the session, and once a
-- transaction has reset it to '' the nullif breaks the not-null constraint.
-- The expression is spelt as PostgreSQL normalises it (information_schema.columns), so that the
-- comparison below finds it in place.
do $$
declare
    stored record;
begin
    for stored in
        select c.table_name
        from information_schema.columns as c
        where c.table_schema = 'raw_stockage' and c.column_name = '_load_id'
          and c.column_default is distinct from '(NULLIF(current_setting(''spaser.load_id''::text), ''''::text))::bigint'
    loop
        execute format('alter table raw_stockage.%I alter column _load_id set default'
                       ' nullif(current_setting(''spaser.load_id''), '''')::bigint', stored.table_name);
    end loop;
end
$$;
