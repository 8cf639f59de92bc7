-- Engagement 8 (environnement), central kitchen side: EGALIM shares of the year's food purchases
-- (value, prix_ht) computed with ma-cantine's rules (int_cuisine__achats: one EGALIM group per
-- purchase, bio first), LOCAL / CIRCUIT_COURT shares counted independently, and the share of
-- vegetarian meals (menus weighted by nb_repas).
-- Régional: LOCAL defined as REGION, DEPARTEMENT, COMMUNE or PAT; agglo: COMMUNE (commune et/ou
-- intercommunalité) or PAT (catalogue definitions). A LOCAL purchase defined by KM, left undefined
-- (ma-cantine allows it since 2026) or, loaded earlier, AUTRE is local but neither régional nor
-- agglo: the distance says nothing about the territory.
{% call withhold_failing_values() %}
with achats as (
    {{ per_perimetre(ref('fct_achats_alimentaires'), 'annee_achat') }}
),

menus as (
    {{ per_perimetre(ref('fct_menus'), 'annee_menu') }}
)

{%- set total = 'sum(fait.prix_ht)' %}
{%- set motif = "dénominateur vide : aucun achat alimentaire daté de l'année" %}

{{ indicator_rows('e08_alim_bio_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.groupe_egalim = 'bio')", total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_siqo_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.groupe_egalim = 'siqo')", total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_egalim_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.est_egalim)", total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_viandes_poissons_egalim_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.famille_produits = grille.valeur_ventilation and fait.est_egalim)",
    "sum(fait.prix_ht) filter (where fait.famille_produits = grille.valeur_ventilation)",
    ventilation_key='famille_produits',
    motif_denominateur_vide="dénominateur vide : aucun achat de cette famille daté de l'année") }}

union all

{{ indicator_rows('e08_alim_local_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.est_local)", total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_circuit_court_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.est_circuit_court)", total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_regional_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.est_local and fait.definition_local in ('REGION', 'DEPARTEMENT', 'COMMUNE', 'PAT'))",
    total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_alim_agglo_pct', ['cuisine.achats'], 'achats',
    "sum(fait.prix_ht) filter (where fait.est_local and fait.definition_local in ('COMMUNE', 'PAT'))",
    total, motif_denominateur_vide=motif) }}

union all

{{ indicator_rows('e08_menus_vegetariens_pct', ['cuisine.menus'], 'menus',
    'sum(fait.nb_repas) filter (where fait.vegetarien)', 'sum(fait.nb_repas)',
    motif_denominateur_vide="dénominateur vide : aucun repas servi dans l'année") }}
{% endcall %}
