-- The current version of every AGEC statement (year, buyer, category, supplier).
with courantes as (
    {{ latest_version(ref('stg_registre__agec'), 'agec_cle') }}
)

select
    agec_cle,
    annee,
    siret as acheteur_siret,
    left(siret, 9) as acheteur_siren,
    raison_sociale,
    type_produit_acquis,
    montant_total,
    montant_reemploi_et_reutilisation,
    montant_produits_issus_don,
    montant_produits_recycles,
    commentaires,
    fournisseur_siret,
    _load_id,
    _record_number,
    _source_file as source_fichier
from courantes
