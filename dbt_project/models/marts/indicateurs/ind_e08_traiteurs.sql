-- Engagement 8, catering: spend on catering (M57 account 6257, or a linked contract whose CPV
-- starts with 5552) with suppliers flagged circuit_court in the supplier register / all catering
-- spend, net of cancellations, year of date_mandat.
{% call withhold_failing_values() %}
with depenses as (
    {{ per_perimetre(ref('fct_depenses'), 'annee_mandat') }}
)

{{ indicator_rows(
    'e08_traiteurs_circuit_court_pct', ['finance.mandats', 'registre.fournisseurs', 'marches.decp'], 'depenses',
    'sum(fait.montant_ht) filter (where fait.est_restauration and fait.circuit_court)',
    'sum(fait.montant_ht) filter (where fait.est_restauration)',
    motif_denominateur_vide="dénominateur vide : aucune dépense de restauration (traiteur) dans l'année") }}
{% endcall %}
