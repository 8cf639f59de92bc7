-- Years with data in each source (catalogue source names), all buyers together: an indicator gets
-- a row for every year with data in any of its sources. Years come from the dates that drive the
-- indicators: DECP marchés by dateNotification (current versions; concessions
-- are not marchés and feed no indicator), consultation lots by
-- date_lancement and date_cloture, bids by date_depot. Reference data (SIRENE) has no year.
-- No year before a source's first complete year (issue 16): a date that only dates a fact of the
-- source (a contract's start, an exit, a fiche's validation) never opens a year the source does not
-- report on, which would publish a partial count (0 hours in 2019 because a contract started then)
-- as a real value. Insertion hours are reported by month: the source's years start with the year
-- of its first month of hours (the marts gate expects a row for every year of hours,
-- fct_heures_insertion.annee_mois). Fiches opération report consultations by launch year.
with premiere_annee_insertion as (
    select min(annee_mois) as premiere_annee from {{ ref('int_insertion__heures_courantes') }}
),

annees_insertion as (
    select annee_mois as annee from {{ ref('int_insertion__heures_courantes') }}
    union
    select annee_debut_contrat from {{ ref('int_insertion__heures_courantes') }}
    union
    select annee_sortie from {{ ref('int_insertion__heures_courantes') }}
),

premiere_annee_fiches as (
    select min(annee_lancement) as premiere_annee from {{ ref('int_ged__fiches_courantes') }}
),

annees as (
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

    -- insertion hours by month, contracts by their start, exits by their date, from the first
    -- complete year of hours on
    union
    select 'insertion.heures', annee from annees_insertion
    where annee >= (select premiere_annee from premiere_annee_insertion)
    union
    select 'registre.activites', annee_activite from {{ ref('int_registre__activites_courantes') }}
    union
    select 'registre.agec', annee from {{ ref('int_registre__agec_courantes') }}
    -- fiches opération by the launch year of their consultation, and by their validation year
    -- (a fiche validated but not yet launched is still a delivery of the GED) from the first
    -- launch year on
    union
    select 'ged.fop', annee_lancement from {{ ref('int_ged__fiches_courantes') }}
    union
    select 'ged.fop', annee_validation from {{ ref('int_ged__fiches_courantes') }}
    where annee_validation >= coalesce((select premiere_annee from premiere_annee_fiches), annee_validation)
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
