{{ config(
    materialized='incremental',
    unique_key='mandat_cle',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook='{{ analyze_if_rebuilt(this) }}',
    indexes=[
        {'columns': ['mandat_cle'], 'unique': true},
        {'columns': ['_load_id']},
        {'columns': ['depense_cle']},
    ],
) }}
-- post_hook: statistics when the table is built from scratch (see macros/incremental.sql).
-- The current version of every mandat line: newest delivery per business key (later night, then
-- later file, then later line). Incremental: a night reads only the lines delivered since the last
-- build (_load_id above the table's highest, a literal served by raw's _load_id index) and replaces
-- the earlier versions of their keys (delete+insert on mandat_cle), so a re-delivered correction
-- replaces the line instead of adding to it. See _finance__models.yml for the whole design.
-- A cancellation (negative montant_ht) counts in the year of its own date_mandat, as the source
-- contract says (date_mandat drives the year), even when it cancels a mandat of an earlier year:
-- the line names no mandat it cancels, and restating a closed year would silently rewrite figures
-- already published. A year whose cancellations exceed its mandats in a class can then be net
-- negative: the indicators it breaks are withheld for that year (macros/controles_valeurs.sql),
-- never the night.
with livrees as (
    select *
    from {{ ref('stg_finance__mandats') }}
    {% if is_incremental() -%}
    where _load_id > {{ max_load_id(this) }}
    {%- endif %}
),

dernieres as (
    select distinct on (mandat_cle)
        mandat_cle,
        {{ surrogate_key([
            'collectivite_siren', 'extract(year from date_mandat)', 'tiers_id', 'compte_nature', 'id_marche'
        ]) }} as depense_cle,
        collectivite_siren,
        exercice,
        numero_bordereau,
        numero_mandat,
        ligne,
        date_mandat,
        extract(year from date_mandat)::integer as annee,
        tiers_id,
        tiers_nom,
        compte_nature,
        id_marche,
        montant_ht,
        _load_id,
        _record_number
    from livrees
    order by mandat_cle asc, _load_id desc, _record_number desc
)

select
    dernieres.*,
    {% if is_incremental() -%}
    -- Every spend group the line belonged to before tonight: int_finance__depenses recomputes them.
    array(
        select distinct groupe
        from unnest(precedente.depense_cles_precedentes || precedente.depense_cle) as groupe
        where groupe is not null and groupe <> dernieres.depense_cle
    )
    {%- else -%}
    array[]::text[]
    {%- endif %} as depense_cles_precedentes
from dernieres
{% if is_incremental() -%}
left join {{ this }} as precedente on dernieres.mandat_cle = precedente.mandat_cle
{%- endif %}
