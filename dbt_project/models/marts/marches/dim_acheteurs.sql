-- Every buyer SIRET of the market data (DECP marchés and concessions, lots, bids): the same
-- buyers as the indicator perimetres. Its name: the collectivité's (collectivites seed), else
-- the SIRENE unité légale's, else the establishment's usual name.
with acheteurs as (
    select acheteur_id as acheteur_siret from {{ ref('stg_marches__decp_contrats') }}
    union
    select acheteur_siret from {{ ref('stg_marches__lots') }}
    union
    select acheteur_siret from {{ ref('stg_marches__offres') }}
)

select
    acheteurs.acheteur_siret::text as acheteur_siret,
    left(acheteurs.acheteur_siret, 9)::text as acheteur_siren,
    coalesce(
        collectivites.nom,
        unites_legales.denomination_unite_legale,
        etablissements.denomination_usuelle_etablissement
    )::text as acheteur_nom
from acheteurs
left join {{ ref('collectivites') }} as collectivites
    on collectivites.siren = left(acheteurs.acheteur_siret, 9)
left join {{ ref('int_entreprises__unites_legales') }} as unites_legales
    on unites_legales.siren = left(acheteurs.acheteur_siret, 9)
left join {{ ref('int_entreprises__etablissements') }} as etablissements
    on acheteurs.acheteur_siret = etablissements.siret
