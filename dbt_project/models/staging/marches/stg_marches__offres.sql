-- One row per delivered bid (every delivery; deduplication is intermediate's job).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as offre_enregistrement_cle,
    {{ surrogate_key(['acheteur_siret', 'id_consultation', 'lot', 'soumissionnaire_siret']) }}
        as offre_cle,
    {{ surrogate_key(['acheteur_siret', 'id_consultation', 'lot']) }} as lot_cle,
    _load_id,
    _source_file,
    _record_number,
    acheteur_siret,
    id_consultation,
    lot,
    soumissionnaire_siret as soumissionnaire_id,
    type_identifiant,
    groupement,
    date_depot,
    retenue,
    nullif(exclusion_motif, '') as exclusion_motif,
    demande_motifs_rejet
from {{ source('marches', 'marches_offres') }}
