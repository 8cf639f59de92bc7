-- Years with data in each source (catalogue source names), per buyer: the perimetre (SIREN) whose
-- records the source holds for that year. int_indicateurs__annees_sources gives the same years all
-- buyers together; e02_indicateurs_automatises_pct reads this one, a source having delivered for
-- a perimetre and a year only when it holds records of that perimetre dated in that year.
-- Years come from the dates that drive the indicators: DECP marchés by dateNotification (current
-- versions; concessions are not marchés and feed no indicator), consultation lots by
-- date_lancement and date_cloture, bids by date_depot. Reference data (SIRENE) has no year.
-- No year before a source's first complete year (issue 16): a date that only dates a fact of the
-- source (a contract's start, an exit, a fiche's validation) never opens a year the source does not
-- report on, which would publish a partial count (0 hours in 2019 because a contract started then)
-- as a real value. Insertion hours are reported by month: the source's years start with the year
-- of its first month of hours (the marts gate expects a row for every year of hours,
-- fct_heures_insertion.annee_mois). Fiches opération report consultations by launch year.
-- The SPASER team's registers and the territory's inventory name no buyer: their years belong to
-- the SPASER's carrier (Valence Romans Agglo).
with premiere_annee_insertion as (
    select min(annee_mois) as premiere_annee from {{ ref('int_insertion__heures_courantes') }}
),

annees_insertion as (
    select
        acheteur_siren,
        annee_mois as annee
    from {{ ref('int_insertion__heures_courantes') }}
    union
    select
        acheteur_siren,
        annee_debut_contrat
    from {{ ref('int_insertion__heures_courantes') }}
    union
    select
        acheteur_siren,
        annee_sortie
    from {{ ref('int_insertion__heures_courantes') }}
),

premiere_annee_fiches as (
    select min(annee_lancement) as premiere_annee from {{ ref('int_ged__fiches_courantes') }}
),

annees as (
    select
        'marches.decp' as source,
        acheteur_siren as perimetre,
        annee_notification as annee
    from {{ ref('int_marches__marches_courants') }}
    union
    select
        'marches.consultations' as source,
        acheteur_siren,
        annee_lancement
    from {{ ref('int_marches__lots_courants') }}
    union
    select
        'marches.consultations' as source,
        acheteur_siren,
        annee_cloture
    from {{ ref('int_marches__lots_courants') }}
    union
    select
        'marches.offres' as source,
        acheteur_siren,
        annee_depot
    from {{ ref('int_marches__offres_courantes') }}
    union
    -- Central kitchen: purchases by their date, menus by theirs.
    select
        'cuisine.achats' as source,
        acheteur_siren,
        annee
    from {{ ref('int_cuisine__achats') }}
    union
    select
        'cuisine.menus' as source,
        acheteur_siren,
        annee
    from {{ ref('int_cuisine__menus') }}

    -- insertion hours by month, contracts by their start, exits by their date, from the first
    -- complete year of hours on
    union
    select
        'insertion.heures' as source,
        acheteur_siren,
        annee
    from annees_insertion
    where annee >= (select premiere_annee_insertion.premiere_annee from premiere_annee_insertion)
    union
    select
        'registre.activites' as source,
        {{ siren_porteur_spaser() }} as perimetre,
        annee_activite
    from {{ ref('int_registre__activites_courantes') }}
    union
    select
        'registre.agec' as source,
        acheteur_siren,
        annee
    from {{ ref('int_registre__agec_courantes') }}
    -- fiches opération by the launch year of their consultation, and by their validation year
    -- (a fiche validated but not yet launched is still a delivery of the GED) from the first
    -- launch year on
    union
    select
        'ged.fop' as source,
        acheteur_siren,
        annee_lancement
    from {{ ref('int_ged__fiches_courantes') }}
    union
    select
        'ged.fop' as source,
        acheteur_siren,
        annee_validation
    from {{ ref('int_ged__fiches_courantes') }}
    where annee_validation
        >= coalesce(
            (select premiere_annee_fiches.premiere_annee from premiere_annee_fiches),
            annee_validation
        )
    union
    select
        'referentiels.ges_territoire' as source,
        {{ siren_porteur_spaser() }} as perimetre,
        annee
    from {{ ref('int_referentiels__ges_territoire_courant') }}
    union
    -- Finance: mandats by year of date_mandat (purchase accounts or not), receipts by date_titre;
    -- the supplier register by year of charter signature (the years of the charter indicator; the
    -- register itself is a state, not dated events: e02 asks only that it be loaded).
    select
        'finance.mandats' as source,
        collectivite_siren,
        annee
    from {{ ref('int_finance__depenses') }}
    where nb_lignes > 0
    union
    select
        'finance.titres' as source,
        collectivite_siren,
        annee
    from {{ ref('int_finance__titres_courants') }}
    union
    select
        'registre.fournisseurs' as source,
        {{ siren_porteur_spaser() }} as perimetre,
        extract(year from date_signature_charte)::integer as annee
    from {{ ref('int_registre__fournisseurs_courants') }}
)

select
    {{ surrogate_key(['source', 'perimetre', 'annee']) }} as source_perimetre_annee_cle,
    source,
    perimetre,
    annee
from annees
where annee is not null and perimetre is not null
