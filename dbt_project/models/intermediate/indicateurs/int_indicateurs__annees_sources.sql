-- Years with data in each source (catalogue source names), all buyers together: an indicator gets
-- a row for every year with data in any of its sources. Years come from the dates that drive the
-- indicators: DECP marchés by dateNotification (current versions; concessions
-- are not marchés and feed no indicator), consultation lots by
-- date_lancement and date_cloture, bids by date_depot. Reference data (SIRENE) has no year.
with annees as (
    select 'marches.decp' as source, annee_notification as annee
    from {{ ref('int_marches__marches_courants') }}
    union
    select 'marches.consultations', annee_lancement from {{ ref('int_marches__lots_courants') }}
    union
    select 'marches.consultations', annee_cloture from {{ ref('int_marches__lots_courants') }}
    union
    select 'marches.offres', annee_depot from {{ ref('int_marches__offres_courantes') }}
    union
    -- Central kitchen: purchases by their date, menus by theirs.
    select 'cuisine.achats', annee from {{ ref('int_cuisine__achats') }}
    union
    select 'cuisine.menus', annee from {{ ref('int_cuisine__menus') }}

    -- insertion hours by month, contracts by their start, exits by their date
    union
    select 'insertion.heures', annee_mois from {{ ref('int_insertion__heures_courantes') }}
    union
    select 'insertion.heures', annee_debut_contrat from {{ ref('int_insertion__heures_courantes') }}
    union
    select 'insertion.heures', annee_sortie from {{ ref('int_insertion__heures_courantes') }}
    union
    select 'registre.activites', annee_activite from {{ ref('int_registre__activites_courantes') }}
    union
    select 'registre.agec', annee from {{ ref('int_registre__agec_courantes') }}
    -- fiches opération by the launch year of their consultation (else their validation year)
    union
    select 'ged.fop', annee_lancement from {{ ref('int_ged__fiches_courantes') }}
    union
    select 'referentiels.ges_territoire', annee from {{ ref('int_referentiels__ges_territoire_courant') }}
    union
    -- Finance: mandats by year of date_mandat (purchase accounts or not), receipts by date_titre;
    -- the supplier register by year of charter signature.
    select 'finance.mandats', annee from {{ ref('int_finance__depenses') }} where nb_lignes > 0
    union
    select 'finance.titres', annee from {{ ref('int_finance__titres_courants') }}
    union
    select 'registre.fournisseurs', extract(year from date_signature_charte)::integer
    from {{ ref('int_finance__fournisseurs_courants') }}
)

select {{ surrogate_key(['source', 'annee']) }} as source_annee_cle, source, annee
from annees
where annee is not null
