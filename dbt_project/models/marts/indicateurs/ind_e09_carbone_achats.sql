-- Engagement 9: carbon footprint of purchases by the monetary-ratio method, in tCO2e: spend of
-- the year (net of cancellations) x the kgCO2e-per-euro factor of its categorie_achat
-- (ratios_monetaires seed, replaceable), / 1000.
{% call withhold_failing_values() %}
with depenses as (
    {{ per_perimetre(ref('fct_depenses'), 'annee_mandat') }}
)

{{ indicator_rows(
    'e09_empreinte_carbone_achats_tco2e', ['finance.mandats'], 'depenses',
    'sum(fait.emissions_kgco2e) filter (where fait.categorie_achat = grille.valeur_ventilation) / 1000',
    ventilation_key='categorie_achat') }}
{% endcall %}
