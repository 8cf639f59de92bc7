-- Engagement 7 (égalité femmes-hommes), from the fiches opération. The percentage's base is every
-- consultation launched in the year in the market software (launch = earliest date_lancement of
-- its lots), with or without a fiche: a consultation without a fiche did not question the need.
-- The count reads the fiches alone, by their consultation's launch year (never their validation year).
{% call withhold_failing_values() %}
with consultations as (
    select
        lots.acheteur_siret,
        lots.acheteur_siren,
        lots.id_consultation,
        extract(year from min(lots.date_lancement))::integer as annee_lancement,
        bool_or(coalesce(fiches.egalite_fh_questionnee, false)) as egalite_fh_questionnee
    from {{ ref('fct_lots') }} as lots
    left join {{ ref('fct_fiches_operation') }} as fiches
        on fiches.acheteur_siret = lots.acheteur_siret and fiches.id_consultation = lots.id_consultation
    group by lots.acheteur_siret, lots.acheteur_siren, lots.id_consultation
),

consultations_lancees as (
    {{ per_perimetre('consultations', 'annee_lancement') }}
),

fiches as (
    {{ per_perimetre(ref('fct_fiches_operation'), 'annee_lancement') }}
)

{{ indicator_rows(
    'e07_egalite_fh_questionnee_pct', ['ged.fop', 'marches.consultations'], 'consultations_lancees',
    'count(fait.id_consultation) filter (where fait.egalite_fh_questionnee)',
    'count(fait.id_consultation)',
    motif_denominateur_vide="dénominateur vide : aucune consultation lancée dans l'année") }}

union all

{{ indicator_rows(
    'e07_nb_besoin_repense_egalite_fh', ['ged.fop'], 'fiches',
    'count(fait.consultation_cle) filter (where fait.besoin_repense_egalite_fh)') }}
{% endcall %}
