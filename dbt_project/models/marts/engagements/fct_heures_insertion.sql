-- Insertion hours as the published marts show them: one row per contract (buyer and DECP id),
-- employing establishment and month — the hours and the number of people who worked them, never a
-- row per person. Pseudonymised lines are still personal data: they stay in
-- intermediate.int_insertion__heures_courantes, which only the pipeline reads (the readers'
-- roles see `marts` only, spaser/publish/access.py); the indicators that count distinct people
-- over a year read them there (ind_e05_heures_insertion).
select
    {{ surrogate_key(['acheteur_siret', 'id_marche', 'entreprise_siret', 'mois']) }}::text
        as heure_cle,
    acheteur_siret::text as acheteur_siret,
    acheteur_siren::text as acheteur_siren,
    id_marche::text as id_marche,
    entreprise_siret::text as entreprise_siret,
    entreprise_id::text as entreprise_id,
    territoire::text as territoire,
    mois::date as mois,
    annee_mois::integer as annee_mois,
    sum(heures)::numeric as heures,
    count(distinct beneficiaire_pseudo)::integer as nb_beneficiaires
from {{ ref('int_insertion__heures_courantes') }}
group by
    acheteur_siret,
    acheteur_siren,
    id_marche,
    entreprise_siret,
    entreprise_id,
    territoire,
    mois,
    annee_mois
