-- One row per delivered inventory line (year x sector; every delivery).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as ges_enregistrement_cle,
    {{ surrogate_key(['annee', 'secteur']) }} as ges_cle,
    _load_id,
    _source_file,
    _record_number,
    annee,
    secteur,
    emissions_ktco2e
from {{ source('referentiels', 'referentiels_ges_territoire') }}
