-- One row per delivered supplier of the register (every delivery).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as fournisseur_enregistrement_cle,
    _load_id,
    _source_file,
    _record_number,
    siret,
    nom,
    structure_inclusive,
    date_signature_charte,
    circuit_court
from {{ source('registre', 'registre_fournisseurs') }}
