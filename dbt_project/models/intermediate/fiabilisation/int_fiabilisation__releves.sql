{{ config(
    materialized='incremental',
    unique_key='compte_cle',
    incremental_strategy='append',
    on_schema_change='fail',
    full_refresh=false,
) }}
-- The history of the reliability report: each semester's counts as the first night after its end
-- saw them (releve_le), kept as they were. int_fiabilisation__comptes follows the sources, so
-- correcting old records lowers old counts; this table keeps what each semester delivered when it
-- closed, which is what the semester-to-semester trend compares (« is the data getting better? »).
-- A semester is recorded once: a night adds only the (semester, perimetre, rule) rows not yet
-- recorded, so a rerun or a second night of the same day never duplicates nor rewrites one;
-- full_refresh=false keeps the history through `dbt build --full-refresh`. A perimetre or a rule
-- that appears later is recorded at the first night that knows it.
select
    comptes.compte_cle,
    comptes.semestre,
    comptes.perimetre,
    comptes.regle,
    comptes.nb_anomalies,
    current_date as releve_le
from {{ ref('int_fiabilisation__comptes') }} as comptes
where comptes.fin <= current_date
{% if is_incremental() %}
and not exists (
    select from {{ this }} as releves
    where releves.compte_cle = comptes.compte_cle
)
{% endif %}
