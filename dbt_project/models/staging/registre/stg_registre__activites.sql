-- One row per delivered register event (every delivery; deduplication is intermediate's job).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as activite_enregistrement_cle,
    {{ surrogate_key(['"date"', '"type"', 'libelle', 'porteur', 'entreprise_siret']) }}
        as activite_cle,
    _load_id,
    _source_file,
    _record_number,
    date as date_activite,
    type as type_activite,
    libelle,
    public_cible,
    nullif(porteur, '') as porteur,
    nb_participants,
    quantite,
    taux,
    entreprise_siret
from {{ source('registre', 'registre_activites') }}
