-- One row per delivered mandat line (every delivery; the newest per business key wins in
-- intermediate). tiers_id: the payee's SIRET or foreign identifier, NULL when not given.
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as mandat_enregistrement_cle,
    {{ surrogate_key([
        'collectivite_siren', 'exercice', 'numero_bordereau', 'numero_mandat', 'ligne'
    ]) }} as mandat_cle,
    _load_id,
    _source_file,
    _record_number,
    collectivite_siren,
    exercice,
    budget,
    numero_bordereau,
    numero_mandat,
    ligne,
    date_mandat,
    tiers_siret as tiers_id,
    tiers_nom,
    compte_nature,
    fonction,
    montant_ht,
    montant_ttc,
    nullif(id_marche, '') as id_marche
from {{ source('finance', 'finance_mandats') }}
