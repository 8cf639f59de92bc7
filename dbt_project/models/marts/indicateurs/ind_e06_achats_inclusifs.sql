-- Engagement 6, spend side: purchase spend (euros HT, net of cancellations) with inclusive
-- structures of the supplier register, by structure_inclusive, and with ESS companies (SIRENE
-- economieSocialeSolidaireUniteLegale = O) not in the register as inclusive (type ESS). Each
-- supplier counts in one class only, its register class first, so the classes add up.
{% call withhold_failing_values() %}
with depenses as (
    {{ per_perimetre(ref('fct_depenses'), 'annee_mandat') }}
)

{{ indicator_rows(
    'e06_depenses_structures_inclusives_eur', ['finance.mandats', 'registre.fournisseurs'], 'depenses',
    'sum(fait.montant_ht) filter (where fait.type_structure = grille.valeur_ventilation)',
    ventilation_key='type_structure') }}
{% endcall %}
