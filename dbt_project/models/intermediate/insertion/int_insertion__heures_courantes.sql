-- The current version of every line of insertion hours (business key: buyer, contract, company,
-- beneficiary pseudonym, contract start, month), with its company's territory: located by the
-- employing establishment through SIRENE (inconnu when absent).
with courantes as (
    {{ latest_version(ref('stg_insertion__heures'), 'heure_cle') }}
)

select
    courantes.heure_cle,
    courantes.acheteur_siret,
    left(courantes.acheteur_siret, 9) as acheteur_siren,
    courantes.id_marche,
    courantes.entreprise_siret,
    {{ entreprise_id('courantes.entreprise_siret') }} as entreprise_id,
    coalesce(etablissements.territoire, 'inconnu') as territoire,
    courantes.beneficiaire_pseudo,
    courantes.sexe,
    courantes.tranche_age,
    courantes.statut,
    courantes.contrat_type,
    courantes.date_debut_contrat,
    extract(year from courantes.date_debut_contrat)::integer as annee_debut_contrat,
    courantes.mois,
    extract(year from courantes.mois)::integer as annee_mois,
    courantes.heures,
    courantes.date_sortie,
    extract(year from courantes.date_sortie)::integer as annee_sortie,
    courantes.sortie_type,
    courantes._source_file as source_fichier
from courantes
left join {{ ref('int_entreprises__etablissements') }} as etablissements
    on courantes.entreprise_siret = etablissements.siret
