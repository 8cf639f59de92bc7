-- raw.<name> over every stored table raw_stockage.<name>, and the resting default of its
-- _load_id (0002_brut.sql says why). A migration that adds a table to raw_stockage, or a column
-- to one, ends with
--     call raw_stockage.actualiser_vues();
-- which sets up what the new table or column needs and leaves the rest alone (tests/test_migrations.py
-- checks that every stored table has its view and its default).
create or replace procedure raw_stockage.actualiser_vues()
language plpgsql
as $procedure$
declare
    stored record;
begin
    -- raw.<name>: the stored rows with the lineage of their file, but for the loads set aside.
    -- Created when missing, when the stored table gained a column (appended at the end of the
    -- view, which `create or replace view` allows) or when the view predates the loads set aside;
    -- otherwise left alone, so that no lock is taken here.
    for stored in
        select t.table_name,
               string_agg(format('stored.%I', c.column_name), ', ' order by c.ordinal_position)
                   filter (where c.column_name not in ('_load_id', '_record_number')) as data_columns,
               count(*) + 3 as view_width
        from information_schema.tables as t
        join information_schema.columns as c using (table_schema, table_name)
        where t.table_schema = 'raw_stockage' and t.table_type = 'BASE TABLE'
        group by t.table_name
    loop
        if (select count(*) from information_schema.columns
            where table_schema = 'raw' and table_name = stored.table_name) <> stored.view_width
           or not exists (select 1 from pg_views where schemaname = 'raw' and viewname = stored.table_name
                          and definition like '%chargements_ecartes%') then
            execute format(
                'create or replace view raw.%1$I as select stored._load_id, fichier.fichier as _source_file,'
                ' fichier.sha256 as _file_sha256, stored._record_number, fichier.charge_le as _loaded_at, %2$s'
                ' from raw_stockage.%1$I as stored left join raw.fichiers as fichier on fichier.load_id = stored._load_id'
                ' where not exists (select from qualite.chargements_ecartes as ecarte where ecarte.load_id = stored._load_id)',
                stored.table_name, stored.data_columns);
        end if;
    end loop;

    -- The resting default of _load_id. It is constant within a file: the tabular loader COPYs
    -- only the data columns and _record_number, and for the time of a file's load replaces this
    -- default by the file's load id as a literal (spaser/ingest/tabular.py, _file_load_id_default).
    -- Writers that send _load_id explicitly (the record sources) are unaffected. The resting
    -- default is the safety net: a write that forgets the lineage fails loudly rather than storing
    -- rows without it: current_setting (without missing_ok) raises while the setting was never set
    -- in the session, and once a transaction has reset it to '' the nullif breaks the not-null
    -- constraint. The expression is spelt as PostgreSQL normalises it (information_schema.columns),
    -- so that a default already in place is found and left alone.
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
$procedure$;

call raw_stockage.actualiser_vues();
