-- One row per delivered food purchase (every delivery counts: the same file delivered twice is
-- loaded once by the loader, and ma-cantine itself has no purchase key either).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as achat_cle,
    _load_id,
    _source_file,
    _record_number,
    format,
    siret,
    cantine_id,
    description,
    fournisseur,
    date as date_achat,
    prix_ht,
    famille_produits,
    caracteristiques,
    definition_local,
    definition_local_km
from {{ source('cuisine', 'cuisine_achats') }}
