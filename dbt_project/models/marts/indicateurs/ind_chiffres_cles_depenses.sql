-- Chiffres clés, spend side: purchase spend (fct_depenses: net of cancellations, purchase accounts
-- only, year of date_mandat) by territoire of the paid establishment. Territory shares are
-- cumulative (agglo ⊂ departement ⊂ region ⊂ france); etranger (foreign identifier) and inconnu
-- (no identifier, or a SIRET absent from SIRENE) are shares of their own, in every denominator.
{% call withhold_failing_values() %}
with depenses as (
    {{ per_perimetre(ref('fct_depenses'), 'annee_mandat') }}
),

par_categorie as (
    {{ indicator_rows(
        'k_depenses_categorie_territoire_pct', ['finance.mandats', 'marches.decp'], 'depenses',
        "sum(fait.montant_ht) filter (where fait.categorie_achat = split_part(grille.valeur_ventilation, '|', 1)"
        ~ " and " ~ in_territoire_class('fait.territoire', "split_part(grille.valeur_ventilation, '=', 2)") ~ ")",
        "sum(fait.montant_ht) filter (where fait.categorie_achat = split_part(grille.valeur_ventilation, '|', 1))",
        ventilation_key='categorie_achat_territoire',
        motif_denominateur_vide="dénominateur vide : aucune dépense d'achat de cette catégorie dans l'année") }}
)

{{ indicator_rows(
    'k_depenses_territoire_pct', ['finance.mandats'], 'depenses',
    'sum(fait.montant_ht) filter (where ' ~ in_territoire_class('fait.territoire', 'grille.valeur_ventilation') ~ ')',
    'sum(fait.montant_ht)',
    ventilation_key='territoire',
    motif_denominateur_vide="dénominateur vide : aucune dépense d'achat dans l'année") }}

union all

-- The two-key ventilation is computed under the key categorie_achat_territoire (see
-- ventilations.sql); its pairs are written as the catalogue spells them.
select
    indicateur_id, perimetre, annee,
    replace(ventilation, 'categorie_achat_territoire=', 'categorie_achat=') as ventilation,
    valeur, numerateur, denominateur, motif
from par_categorie
{% endcall %}
