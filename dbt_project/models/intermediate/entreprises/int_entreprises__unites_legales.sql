-- Size and ESS status of every SIRENE unité légale (latest delivered row per siren).
-- PME (TPE included): categorieEntreprise = PME; when it is empty, trancheEffectifsUniteLegale
-- below 250 employees (NN, 00, 01, 02, 03, 11, 12, 21, 22, 31); ETI and GE never.
-- TPE: a PME whose tranche is NN, 00, 01, 02 or 03.
with latest as (
    select distinct on (siren) *
    from {{ ref('stg_referentiels__sirene_unites_legales') }}
    order by siren asc, _load_id desc, _record_number desc
),

sized as (
    select
        latest.*,
        coalesce(
            latest.categorie_entreprise = 'PME'
            or (
                latest.categorie_entreprise is null
                and latest.tranche_effectifs_unite_legale in (
                    'NN', '00', '01', '02', '03', '11', '12', '21', '22', '31'
                )
            ),
            false
        ) as est_pme
    from latest
)

select
    siren,
    denomination_unite_legale,
    categorie_entreprise,
    tranche_effectifs_unite_legale,
    est_pme,
    est_pme
    and coalesce(tranche_effectifs_unite_legale in ('NN', '00', '01', '02', '03'), false)
        as est_tpe,
    coalesce(economie_sociale_solidaire_unite_legale = 'O', false) as est_ess,
    categorie_juridique_unite_legale,
    etat_administratif_unite_legale
from sized
