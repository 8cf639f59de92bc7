{{ config(
    materialized='incremental',
    unique_key='depense_cle',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook='{{ analyze_if_rebuilt(this) }}',
    indexes=[
        {'columns': ['depense_cle'], 'unique': true},
        {'columns': ['_load_id']},
    ],
) }}
-- post_hook: statistics when the table is built from scratch (see macros/incremental.sql).
-- Spend net of cancellations per group (collectivité, year of date_mandat, payee, M57 account,
-- contract): the grain every spend indicator reads. Incremental: only the groups touched by the
-- lines replaced since the last build are recomputed — the groups of those lines now and every
-- group they belonged to before (depense_cles_precedentes) — from int_finance__mandats_lignes
-- through its depense_cle index. A group left without lines is kept with nb_lignes = 0 and a zero
-- amount so that delete+insert replaces its former total; fct_depenses leaves it out.
{% if is_incremental() -%}
with nouvelles as (
    select
        depense_cle,
        depense_cles_precedentes
    from {{ ref('int_finance__mandats_lignes') }}
    where _load_id > {{ max_load_id(this) }}
),

touchees as (
    select depense_cle from nouvelles
    union
    select unnest(depense_cles_precedentes) from nouvelles
),

{% else -%}
with
{% endif -%}
agregees as (
    select
        depense_cle,
        collectivite_siren,
        annee,
        tiers_id,
        compte_nature,
        id_marche,
        max(tiers_nom) as tiers_nom,
        sum(montant_ht) as montant_ht,
        count(*)::integer as nb_lignes,
        max(_load_id) as _load_id
    from {{ ref('int_finance__mandats_lignes') }}
    {% if is_incremental() -%}
    where depense_cle in (select touchees.depense_cle from touchees)
    {%- endif %}
    group by depense_cle, collectivite_siren, annee, tiers_id, compte_nature, id_marche
)

select * from agregees
{% if is_incremental() -%}
union all
select
    anciennes.depense_cle,
    anciennes.collectivite_siren,
    anciennes.annee,
    anciennes.tiers_id,
    anciennes.compte_nature,
    anciennes.id_marche,
    anciennes.tiers_nom,
    0::numeric as montant_ht,
    0 as nb_lignes,
    anciennes._load_id
from {{ this }} as anciennes
where anciennes.depense_cle in (select touchees.depense_cle from touchees)
    -- not exists, not "not in": an anti-join, where "not in" rescanned the recomputed groups
    -- for every touched group (quadratic: seconds for one day of mandats at ×100)
    and not exists (
        select from agregees
        where agregees.depense_cle = anciennes.depense_cle
    )
{%- endif %}
