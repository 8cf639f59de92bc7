{#- The highest _load_id already in an incremental model, as a literal.

    An incremental night reads the rows delivered after it. Written as a literal (read with
    run_query when the model runs) rather than as a subquery: PostgreSQL then estimates from its
    statistics that few rows qualify and reads them through the _load_id index, where a subquery's
    unknown value makes it assume a third of the table and scan all of it (measured ×100: 13-18 s
    instead of well under a second per model). -#}
{% macro max_load_id(relation) -%}
    {%- if execute -%}
        {{ return(run_query("select coalesce(max(_load_id), 0) from " ~ relation).columns[0].values()[0]) }}
    {%- endif -%}
    {{ return(0) }}
{%- endmacro %}

{#- The first load of the latest night (raw.fichiers), as a literal; 0 on a full refresh.

    The spend tables hold the whole history (tens of millions of lines at ×100): their key tests
    read only the rows delivered by the latest night, through the `__livraisons_de_la_nuit__`
    token of a test's `where` (see get_where_subquery). Over the whole table the key is enforced
    by PostgreSQL itself, with the unique index every incremental model creates; a full refresh
    tests everything. -#}
{% macro first_load_id_of_latest_night() -%}
    {%- if execute and not flags.FULL_REFRESH -%}
        {%- set query -%}
            select coalesce(min(load_id), 0) from {{ source('extraction', 'fichiers') }}
            where run_id = (select run_id from {{ source('extraction', 'fichiers') }} order by load_id desc limit 1)
        {%- endset -%}
        {{ return(run_query(query).columns[0].values()[0]) }}
    {%- endif -%}
    {{ return(0) }}
{%- endmacro %}

{#- dbt's own macro, plus the `__livraisons_de_la_nuit__` token (rows whose _load_id belongs to
    the latest night, see first_load_id_of_latest_night). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__livraisons_de_la_nuit__' in where -%}
            {%- set where = where | replace('__livraisons_de_la_nuit__',
                                            '_load_id >= ' ~ first_load_id_of_latest_night()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- ANALYZE an incremental model built from scratch in this run (first build or full refresh:
    only ANALYZE writes column statistics), so that the models built next in the same run plan
    with them. After a night merged into years of history the statistics barely move and
    autovacuum keeps them up to date: analysing the spend lines every night cost seconds at ×100
    for nothing. Used as a post_hook; renders nothing when the statistics exist. -#}
{% macro analyze_if_rebuilt(relation) -%}
    {%- if execute -%}
        {%- set query -%}
            select not exists (select from pg_stats where schemaname = '{{ relation.schema }}'
                                                       and tablename = '{{ relation.identifier }}')
        {%- endset -%}
        {%- if run_query(query).columns[0].values()[0] -%}
            analyze {{ relation }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
