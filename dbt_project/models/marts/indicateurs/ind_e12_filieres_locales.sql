-- Engagement 12 (filières locales): bids by year of date_depot.
{% call withhold_failing_values() %}
with offres as (
    {{ per_perimetre(ref('fct_offres'), 'annee_depot') }}
)

{{ indicator_rows(
    'e12_nb_offres_groupements', ['marches.offres'], 'offres',
    'count(fait.offre_cle) filter (where fait.groupement)') }}
{% endcall %}
