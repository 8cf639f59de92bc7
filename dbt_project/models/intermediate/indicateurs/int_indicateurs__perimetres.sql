-- Every perimetre of the indicators: the SIREN (first 9 characters of the buyer SIRET) of every
-- buyer present in any loaded source of this slice, plus TOUS (every buyer together).
with acheteurs as (
    select acheteur_id as acheteur_siret from {{ ref('stg_marches__decp_contrats') }}
    union
    select acheteur_siret from {{ ref('stg_marches__lots') }}
    union
    select acheteur_siret from {{ ref('stg_marches__offres') }}
),

collectivites_finance as (
    select collectivite_siren from {{ ref('int_finance__depenses') }}
    union
    select collectivite_siren from {{ ref('stg_finance__titres') }}
)

select distinct left(acheteur_siret, 9) as perimetre from acheteurs
union
select collectivite_siren from collectivites_finance
union
select 'TOUS'
