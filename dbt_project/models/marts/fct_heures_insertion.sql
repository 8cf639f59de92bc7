-- Insertion hours, one row per beneficiary (pseudonym), contract and month. No direct identifier:
-- the platform's id and the birth date never reached the warehouse (extract/insertion.py).
select
    heure_cle::text as heure_cle,
    acheteur_siret::text as acheteur_siret,
    acheteur_siren::text as acheteur_siren,
    id_marche::text as id_marche,
    entreprise_siret::text as entreprise_siret,
    entreprise_id::text as entreprise_id,
    territoire::text as territoire,
    beneficiaire_pseudo::text as beneficiaire_pseudo,
    sexe::text as sexe,
    tranche_age::text as tranche_age,
    statut::text as statut,
    contrat_type::text as contrat_type,
    date_debut_contrat::date as date_debut_contrat,
    annee_debut_contrat::integer as annee_debut_contrat,
    mois::date as mois,
    annee_mois::integer as annee_mois,
    heures::numeric as heures,
    date_sortie::date as date_sortie,
    annee_sortie::integer as annee_sortie,
    sortie_type::text as sortie_type,
    source_fichier::text as source_fichier
from {{ ref('int_insertion__heures_courantes') }}
