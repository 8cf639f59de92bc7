-- The current entry of every supplier of the register: newest delivery per siret.
select distinct on (siret)
    siret,
    nom,
    structure_inclusive,
    date_signature_charte,
    circuit_court,
    _load_id,
    _source_file
from {{ ref('stg_registre__fournisseurs') }}
order by siret asc, _load_id desc, _record_number desc
