-- Engagement 8 (environnement), DECP side: marchés notifiés dans l'année by dateNotification.
-- considération environnementale = "Clause environnementale" or "Critère environnemental".
-- Innovant: marcheInnovant = true, or procedure "Dialogue compétitif", or technique
-- "Système d'acquisition dynamique", or a linked lot with mpgp = true. The format 2019 published
-- neither considérations nor marcheInnovant: these indicators count the contracts that carry them
-- and are NULL with a motif when none does (a 2019 contract with a competitive dialogue is still
-- counted innovative: what is known is counted).
{% call withhold_failing_values() %}
with marches as (
    {{ per_perimetre(ref('fct_marches'), 'annee_notification') }}
)

{{ indicator_rows(
    'e08_mp_clause_environnementale_pct', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.clause_environnementale)',
    'count(fait.marche_cle) filter (where fait.considerations_publiees)',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}

union all

{{ indicator_rows(
    'e08_mp_critere_environnemental_pct', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.critere_environnemental)',
    'count(fait.marche_cle) filter (where fait.considerations_publiees)',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}

union all

{{ indicator_rows(
    'e08_mp_consideration_environnementale_pct', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.consideration_environnementale)',
    'count(fait.marche_cle) filter (where fait.considerations_publiees)',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}

union all

{{ indicator_rows(
    'e08_nb_mp_innovants', ['marches.decp', 'marches.consultations'], 'marches',
    "count(fait.marche_cle) filter (where fait.marche_innovant or fait.procedure = 'Dialogue compétitif'"
    ~ " or fait.systeme_acquisition_dynamique or fait.lot_mpgp)",
    publie='fait.marche_innovant is not null') }}
{% endcall %}
