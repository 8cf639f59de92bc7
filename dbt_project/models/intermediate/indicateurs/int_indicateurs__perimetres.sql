-- Every perimetre of the indicators: the SIREN (first 9 characters of the buyer SIRET) of every
-- buyer present in any loaded source of this slice, plus TOUS (every buyer together).
with acheteurs as (
    select acheteur_id as acheteur_siret from {{ ref('stg_marches__decp_contrats') }}
    union
    select acheteur_siret from {{ ref('stg_marches__lots') }}
    union
    select acheteur_siret from {{ ref('stg_marches__offres') }}
)

select distinct left(acheteur_siret, 9) as perimetre from acheteurs
-- The central kitchen: its purchases' SIREN, and its collectivité for menus and cantine_id files.
union
select acheteur_siren from {{ ref('int_cuisine__achats') }}
union
select acheteur_siren from {{ ref('int_cuisine__menus') }}
union
select 'TOUS'
