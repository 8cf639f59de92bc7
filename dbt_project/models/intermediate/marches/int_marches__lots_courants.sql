-- The current version of every consultation lot: deduplicated on its business key
-- (acheteur_siret, id_consultation, lot), the newest delivery winning (_load_id desc, then
-- _record_number desc: a later night, a later file in name order, a later line).
with versions as (
    select
        lot.*,
        row_number() over (
            partition by lot.lot_cle order by lot._load_id desc, lot._record_number desc
        ) as version_rang
    from {{ ref('stg_marches__lots') }} as lot
)

select
    lot_cle,
    acheteur_siret,
    left(acheteur_siret, 9) as acheteur_siren,
    id_consultation,
    lot,
    nb_lots,
    objet,
    categorie,
    segment,
    code_cpv,
    procedure,
    montant_estime_ht,
    maitrise_oeuvre,
    date_lancement,
    date_cloture,
    statut,
    variantes_autorisees,
    marche_reserve,
    marche_insertion,
    mpgp,
    id_marche,
    extract(year from date_lancement)::integer as annee_lancement,
    extract(year from date_cloture)::integer as annee_cloture,
    _source_file as source_fichier
from versions
where version_rang = 1
