-- The current version of every receipt: newest delivery per (collectivite_siren, exercice,
-- numero_titre). Receipts are few (hundreds a year): a table rebuilt every night.
select distinct on (titre_cle)
    titre_cle,
    collectivite_siren,
    exercice,
    numero_titre,
    date_titre,
    extract(year from date_titre)::integer as annee,
    tiers_nom,
    compte_nature,
    objet,
    montant_ht,
    origine,
    _load_id,
    _source_file
from {{ ref('stg_finance__titres') }}
order by titre_cle asc, _load_id desc, _record_number desc
