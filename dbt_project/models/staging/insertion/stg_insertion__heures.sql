-- One row per delivered line of insertion hours (every delivery; deduplication is intermediate's
-- job).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as heure_enregistrement_cle,
    {{ surrogate_key([
        'acheteur_siret', 'id_marche', 'entreprise_siret', 'beneficiaire_pseudo', 'date_debut_contrat',
        'mois'
    ]) }} as heure_cle,
    _load_id,
    _source_file,
    _record_number,
    acheteur_siret,
    nullif(id_marche, '') as id_marche,
    entreprise_siret,
    beneficiaire_pseudo,
    sexe,
    tranche_age,
    statut,
    contrat_type,
    date_debut_contrat,
    mois,
    heures,
    date_sortie,
    nullif(sortie_type, '') as sortie_type
from {{ source('insertion', 'insertion_heures') }}
