-- Every perimetre of the indicators: the SIREN (first 9 characters of the buyer SIRET) of every
-- buyer present in any loaded source of this slice, plus TOUS (every buyer together).
with acheteurs as (
    select acheteur_id as acheteur_siret from {{ ref('stg_marches__decp_contrats') }}
    union
    select acheteur_siret from {{ ref('stg_marches__lots') }}
    union
    select acheteur_siret from {{ ref('stg_marches__offres') }}
    union
    select acheteur_siret from {{ ref('stg_insertion__heures') }}
    union
    select acheteur_siret from {{ ref('stg_ged__fiches_operation') }}
    union
    select siret from {{ ref('stg_registre__agec') }}

),

collectivites_finance as (
    select collectivite_siren from {{ ref('int_finance__depenses') }}
    union
    select collectivite_siren from {{ ref('stg_finance__titres') }}
)

select distinct left(acheteur_siret, 9) as perimetre from acheteurs
-- The central kitchen: its purchases' SIREN, and its collectivité for menus and cantine_id files.
union
select acheteur_siren from {{ ref('int_cuisine__achats') }}
union
select acheteur_siren from {{ ref('int_cuisine__menus') }}
union
-- The SPASER team's registers and the territory's inventory belong to the SPASER's carrier (VRA).
select
    {{ siren_porteur_spaser() }}
where exists (select 1 from {{ ref('stg_registre__activites') }})
    or exists (select 1 from {{ ref('stg_registre__fournisseurs') }})
    or exists (select 1 from {{ ref('stg_referentiels__ges_territoire') }})
union
select collectivite_siren from collectivites_finance
union
select 'TOUS'
