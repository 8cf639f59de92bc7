-- Engagement 7 (non-discrimination): bids by year of date_depot.
{% call withhold_failing_values() %}
with offres as (
    {{ per_perimetre(ref('fct_offres'), 'annee_depot') }}
)

{{ indicator_rows(
    'e07_nb_interdictions_soumissionner', ['marches.offres'], 'offres',
    "count(fait.offre_cle) filter (where fait.exclusion_motif = 'interdiction_soumissionner')") }}
{% endcall %}
