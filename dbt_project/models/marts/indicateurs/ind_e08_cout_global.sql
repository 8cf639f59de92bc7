-- Engagement 8: marchés notifiés dans l'année whose consultation's fiche opération has
-- cout_global = true (marché -> lot through the consultation link of fct_marches, lot ->
-- consultation -> fiche on (acheteur_siret, id_consultation)). Marchés without a fiche count in
-- the denominator only.
{% call withhold_failing_values() %}
with marches as (
    {{ per_perimetre('(' ~ marches_with_fiches() ~ ')', 'annee_notification') }}
)

{{ indicator_rows(
    'e08_mp_cout_global_pct', ['marches.decp', 'marches.consultations', 'ged.fop'], 'marches',
    'count(fait.marche_cle) filter (where fait.cout_global)',
    'count(fait.marche_cle)',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}
{% endcall %}
