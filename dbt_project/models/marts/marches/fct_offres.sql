-- territoire: the most local class of the bidding establishment; a non-SIRET identifier is
-- etranger, a SIRET absent from SIRENE is inconnu.
select
    offre.offre_cle::text as offre_cle,
    offre.lot_cle::text as lot_cle,
    offre.acheteur_siret::text as acheteur_siret,
    offre.acheteur_siren::text as acheteur_siren,
    offre.id_consultation::text as id_consultation,
    offre.lot::integer as lot,
    offre.soumissionnaire_id::text as soumissionnaire_id,
    offre.type_identifiant::text as type_identifiant,
    offre.entreprise_id::text as entreprise_id,
    (case
        when not {{ is_siret('offre.soumissionnaire_id') }} then 'etranger'
        else coalesce(etablissement.territoire, 'inconnu')
    end)::text as territoire,
    offre.annee_depot::integer as annee_depot,
    offre.date_depot::date as date_depot,
    offre.groupement::boolean as groupement,
    offre.retenue::boolean as retenue,
    offre.exclusion_motif::text as exclusion_motif,
    offre.demande_motifs_rejet::boolean as demande_motifs_rejet,
    coalesce(entreprise.est_pme, false)::boolean as est_pme,
    coalesce(entreprise.est_tpe, false)::boolean as est_tpe,
    offre.source_fichier::text as source_fichier
from {{ ref('int_marches__offres_courantes') }} as offre
left join {{ ref('int_entreprises__etablissements') }} as etablissement
    on offre.soumissionnaire_id = etablissement.siret
left join {{ ref('int_entreprises__entreprises') }} as entreprise
    on offre.entreprise_id = entreprise.entreprise_id
