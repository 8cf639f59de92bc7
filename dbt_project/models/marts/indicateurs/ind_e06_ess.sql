-- Engagement 6 (ESS, secteur adapté). A marché is en cours in year Y when notified on or before
-- 31/12/Y and ending (dateNotification + current dureeMois calendar months) on or after 01/01/Y;
-- a marché without dateNotification or dureeMois cannot be placed in time and is not counted.
{% call withhold_failing_values() %}
with annees as (
    select distinct annee from {{ ref('int_indicateurs__annees_sources') }}
),

marches_en_cours as (
    select marche.*, annees.annee as annee_en_cours
    from {{ ref('fct_marches') }} as marche
    inner join annees
        on marche.date_notification <= make_date(annees.annee, 12, 31)
        and marche.date_fin >= make_date(annees.annee, 1, 1)
),

en_cours as (
    {{ per_perimetre('marches_en_cours', 'annee_en_cours') }}
)

{{ indicator_rows(
    'e06_nb_marches_reserves_en_cours', ['marches.decp', 'marches.consultations'], 'en_cours',
    'count(fait.marche_cle) filter (where fait.marche_reserve or fait.lot_marche_reserve)') }}

union all

{{ indicator_rows(
    'e06_nb_marches_insertion_en_cours', ['marches.decp', 'marches.consultations'], 'en_cours',
    'count(fait.marche_cle) filter (where fait.lot_marche_insertion)') }}
{% endcall %}
