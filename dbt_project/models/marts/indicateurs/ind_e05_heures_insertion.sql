-- Engagement 5 (insertion), employment-platform side (insertion.heures, pseudonymised).
-- Perimetre: the buyer of the contract carrying the clause. "With hours in the year": a line of the
-- year with heures > 0. Distinct people are distinct pseudonyms; distinct companies are SIRENs,
-- located at their most local employing establishment of the year (cumulative territory classes).
-- Seniors: tranche_age is the age band on 1 January of the year of the hours (spaser/ingest/insertion.py).
-- Distinct people over a year need the person-level lines: read from intermediate, which only the
-- pipeline reads (the published fct_heures_insertion is aggregated per contract, company, month).
{% call withhold_failing_values() %}
with heures as (
    {{ per_perimetre(ref('int_insertion__heures_courantes'), 'annee_mois') }}
),

travaillees as (
    select * from heures where heures.heures > 0
),

contrats as (
    select distinct perimetre, annee_debut_contrat as annee, beneficiaire_pseudo, entreprise_siret, date_debut_contrat
    from ({{ per_perimetre(ref('int_insertion__heures_courantes'), 'annee_debut_contrat') }}) as contrat
    where annee_debut_contrat is not null
),

entreprises as (
    select perimetre, annee, entreprise_id, {{ territoire_at_rang('min(' ~ territoire_rang('territoire') ~ ')') }} as territoire
    from travaillees
    group by perimetre, annee, entreprise_id
),

sorties as (
    select distinct perimetre, annee_sortie as annee, beneficiaire_pseudo, sortie_type
    from ({{ per_perimetre(ref('int_insertion__heures_courantes'), 'annee_sortie') }}) as sortie
    where annee_sortie is not null and sortie_type is not null and sortie_type <> 'inconnue'
)

{{ indicator_rows(
    'e05_heures_insertion', ['insertion.heures'], 'heures',
    'sum(fait.heures)') }}

union all

{{ indicator_rows(
    'e05_nb_beneficiaires', ['insertion.heures'], 'travaillees',
    'count(distinct fait.beneficiaire_pseudo)') }}

union all

{{ indicator_rows(
    'e05_nb_contrats_signes', ['insertion.heures'], 'contrats',
    'count(fait.beneficiaire_pseudo)') }}

union all

{{ indicator_rows(
    'e05_nb_entreprises_insertion', ['insertion.heures'], 'entreprises',
    'count(fait.entreprise_id) filter (where ' ~ in_territoire_class('fait.territoire', 'grille.valeur_ventilation') ~ ')',
    ventilation_key='territoire') }}

union all

{{ indicator_rows(
    'e05_acces_emploi_durable_pct', ['insertion.heures'], 'sorties',
    "count(distinct fait.beneficiaire_pseudo) filter (where fait.sortie_type = 'emploi_durable')",
    'count(distinct fait.beneficiaire_pseudo)',
    motif_denominateur_vide="dénominateur vide : aucune sortie du dispositif de type connu dans l'année") }}

union all

{{ indicator_rows(
    'e05_public_feminin_pct', ['insertion.heures'], 'travaillees',
    "count(distinct fait.beneficiaire_pseudo) filter (where fait.sexe = 'F')",
    'count(distinct fait.beneficiaire_pseudo)',
    motif_denominateur_vide="dénominateur vide : aucun bénéficiaire avec des heures dans l'année") }}

union all

{{ indicator_rows(
    'e05_seniors_pct', ['insertion.heures'], 'travaillees',
    "count(distinct fait.beneficiaire_pseudo) filter (where fait.tranche_age = '50_ans_et_plus')",
    'count(distinct fait.beneficiaire_pseudo)',
    motif_denominateur_vide="dénominateur vide : aucun bénéficiaire avec des heures dans l'année") }}
{% endcall %}
