-- Engagement 5 (insertion), DECP side: marchés notifiés dans l'année by dateNotification.
-- considération sociale = "Clause sociale", "Critère social" or "Marché réservé". Counted over the
-- contracts that publish their considérations (not the format 2019): NULL with a motif when none does.
{% call withhold_failing_values() %}
with marches as (
    {{ per_perimetre(ref('fct_marches'), 'annee_notification') }}
)

{{ indicator_rows(
    'e05_mp_clause_sociale_pct', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.clause_sociale)',
    'count(fait.marche_cle) filter (where fait.considerations_publiees)',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}

union all

{{ indicator_rows(
    'e05_nb_mp_clause_sociale', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.clause_sociale)',
    publie='fait.considerations_publiees') }}

union all

{{ indicator_rows(
    'e05_mp_clause_sociale_par_categorie_pct', ['marches.decp', 'marches.consultations'], 'marches',
    'count(fait.marche_cle) filter (where fait.clause_sociale and fait.categorie_achat = grille.valeur_ventilation)',
    'count(fait.marche_cle) filter (where fait.clause_sociale)',
    ventilation_key='categorie_achat',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché avec clause sociale notifié dans l'année") }}

union all

{{ indicator_rows(
    'e05_mp_fournitures_clause_insertion_pct', ['marches.decp', 'marches.consultations'], 'marches',
    "count(fait.marche_cle) filter (where fait.categorie_achat = 'fournitures' and fait.clause_sociale)",
    "count(fait.marche_cle) filter (where fait.categorie_achat = 'fournitures' and fait.considerations_publiees)",
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché de fournitures notifié dans l'année") }}

union all

{{ indicator_rows(
    'e05_mp_consideration_sociale_pct', ['marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.consideration_sociale)',
    'count(fait.marche_cle) filter (where fait.considerations_publiees)',
    publie='fait.considerations_publiees',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}
{% endcall %}
