-- AGEC statements (loi AGEC art. 58), one row per year, buyer, product category and supplier.
-- Summed over suppliers per (annee, acheteur_siret, type_produit_acquis) they are the legal
-- yearly declaration (`spaser export agec`).
select
    agec_cle::text as agec_cle,
    annee::integer as annee,
    acheteur_siret::text as acheteur_siret,
    acheteur_siren::text as acheteur_siren,
    raison_sociale::text as raison_sociale,
    type_produit_acquis::text as type_produit_acquis,
    montant_total::numeric as montant_total,
    montant_reemploi_et_reutilisation::numeric as montant_reemploi_et_reutilisation,
    montant_produits_issus_don::numeric as montant_produits_issus_don,
    montant_produits_recycles::numeric as montant_produits_recycles,
    commentaires::text as commentaires,
    fournisseur_siret::text as fournisseur_siret,
    _load_id::bigint as chargement_id,
    _record_number::integer as enregistrement,
    source_fichier::text as source_fichier
from {{ ref('int_registre__agec_courantes') }}
