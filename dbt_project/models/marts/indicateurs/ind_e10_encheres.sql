-- Engagement 10: yearly revenue of the auction site, sum of montant_ht of the current receipts
-- with origine encheres, by year of date_titre.
{% call withhold_failing_values() %}
with titres as (
    {{ per_perimetre(ref('fct_titres'), 'annee_titre') }}
)

{{ indicator_rows(
    'e10_recette_encheres_eur', ['finance.titres'], 'titres',
    'sum(fait.montant_ht) filter (where fait.est_encheres)') }}
{% endcall %}
