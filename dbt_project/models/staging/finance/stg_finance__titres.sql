-- One row per delivered receipt (every delivery). origine is compared in lower case.
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as titre_enregistrement_cle,
    {{ surrogate_key(['collectivite_siren', 'exercice', 'numero_titre']) }} as titre_cle,
    _load_id,
    _source_file,
    _record_number,
    collectivite_siren,
    exercice,
    numero_titre,
    date_titre,
    tiers_nom,
    compte_nature,
    objet,
    montant_ht,
    lower(origine) as origine
from {{ source('finance', 'finance_titres') }}
