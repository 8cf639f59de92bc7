-- One row per delivered AGEC statement (official declaration columns; every delivery).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as agec_enregistrement_cle,
    {{ surrogate_key(['annee', 'siret', 'type_produit_acquis', 'fournisseur_siret']) }} as agec_cle,
    _load_id,
    _source_file,
    _record_number,
    annee,
    siret,
    raison_sociale,
    type_produit_acquis,
    montant_total,
    montant_reemploi_et_reutilisation,
    montant_produits_issus_don,
    montant_produits_recycles,
    commentaires,
    fournisseur_siret
from {{ source('registre', 'registre_agec') }}
