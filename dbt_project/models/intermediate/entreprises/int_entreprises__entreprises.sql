-- Every company of the market data (current titulaires and bidders), keyed by SIREN, or by the
-- whole identifier when it is not a SIRET. Unknown and foreign companies are neither PME nor TPE
-- (and stay in every denominator). connue_sirene: the SIREN is in either SIRENE extract.
with identifiants as (
    select
        entreprise_id,
        type_identifiant
    from {{ ref('int_marches__titulaires_courants') }}
    union
    select
        entreprise_id,
        {{ type_identifiant_entreprise('soumissionnaire_id', 'type_identifiant') }}
    from {{ ref('int_marches__offres_courantes') }}
),

-- One class per company: SIRET first, then TVA_UE (the same identifier may be declared "TVA" in
-- DECP but not recognised elsewhere).
entreprises as (
    select
        entreprise_id,
        (array['SIRET', 'TVA_UE', 'autre'])[
            min(array_position(array['SIRET', 'TVA_UE', 'autre'], type_identifiant))
        ]
            as type_identifiant
    from identifiants
    group by entreprise_id
),

etablissements as (
    select distinct siren from {{ ref('int_entreprises__etablissements') }}
)

select
    entreprises.entreprise_id,
    entreprises.type_identifiant,
    unites_legales.denomination_unite_legale as denomination,
    unites_legales.categorie_entreprise,
    unites_legales.tranche_effectifs_unite_legale as tranche_effectifs,
    coalesce(unites_legales.est_pme, false) as est_pme,
    coalesce(unites_legales.est_tpe, false) as est_tpe,
    coalesce(unites_legales.est_ess, false) as est_ess,
    (unites_legales.siren is not null or etablissements.siren is not null) as connue_sirene
from entreprises
left join {{ ref('int_entreprises__unites_legales') }} as unites_legales
    on entreprises.type_identifiant = 'SIRET' and entreprises.entreprise_id = unites_legales.siren
left join etablissements
    on entreprises.type_identifiant = 'SIRET' and entreprises.entreprise_id = etablissements.siren
