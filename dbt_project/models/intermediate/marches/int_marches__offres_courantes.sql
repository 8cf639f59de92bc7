-- The current version of every bid: deduplicated on its business key (acheteur_siret,
-- id_consultation, lot, soumissionnaire_siret), the newest delivery winning.
with versions as (
    select
        offre.*,
        row_number() over (
            partition by offre.offre_cle order by offre._load_id desc, offre._record_number desc
        ) as version_rang
    from {{ ref('stg_marches__offres') }} as offre
)

select
    offre_cle,
    lot_cle,
    acheteur_siret,
    left(acheteur_siret, 9) as acheteur_siren,
    id_consultation,
    lot,
    soumissionnaire_id,
    type_identifiant,
    {{ entreprise_id('soumissionnaire_id') }} as entreprise_id,
    groupement,
    date_depot,
    extract(year from date_depot)::integer as annee_depot,
    retenue,
    exclusion_motif,
    demande_motifs_rejet,
    _source_file as source_fichier,
    _load_id
from versions
where version_rang = 1
