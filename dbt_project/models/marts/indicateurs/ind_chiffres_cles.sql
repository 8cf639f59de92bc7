-- Chiffres clés: marchés notifiés by year of dateNotification; bidders by year of date_depot.
-- A bidder is a distinct company (SIREN; the whole identifier when not a SIRET), excluded bids
-- included, located at its most local bidding establishment among its bids of the perimetre and
-- year; shares by territoire are cumulative (agglo ⊂ departement ⊂ region ⊂ france), etranger
-- and inconnu their own classes, all in the denominator.
{% call withhold_failing_values() %}
with marches as (
    {{ per_perimetre(ref('fct_marches'), 'annee_notification') }}
),

soumissionnaires as (
    select
        offre.perimetre,
        offre.annee,
        offre.entreprise_id,
        {{ territoire_at_rang('min(' ~ territoire_rang('offre.territoire') ~ ')') }} as territoire
    from ({{ per_perimetre(ref('fct_offres'), 'annee_depot') }}) as offre
    group by offre.perimetre, offre.annee, offre.entreprise_id
)

{{ indicator_rows('k_nb_marches', ['marches.decp'], 'marches', 'count(fait.marche_cle)') }}

union all

{{ indicator_rows(
    'k_marches_par_categorie_pct', ['marches.decp', 'marches.consultations'], 'marches',
    'count(fait.marche_cle) filter (where fait.categorie_achat = grille.valeur_ventilation)',
    'count(fait.marche_cle)',
    ventilation_key='categorie_achat',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année") }}

union all

{{ indicator_rows(
    'k_soumissionnaires_territoire_pct', ['marches.offres', 'referentiels.sirene'], 'soumissionnaires',
    'count(fait.entreprise_id) filter (where ' ~ in_territoire_class('fait.territoire', 'grille.valeur_ventilation') ~ ')',
    'count(fait.entreprise_id)',
    ventilation_key='territoire',
    motif_denominateur_vide="dénominateur vide : aucune offre déposée dans l'année") }}
{% endcall %}
