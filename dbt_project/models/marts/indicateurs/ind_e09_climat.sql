-- Engagement 9 (climat, santé). The territory's greenhouse-gas inventory (referentiels,
-- ges_territoire) belongs to the agglomeration's territory: VRA and TOUS carry it, the cities get
-- NULL with the reason; a sector missing from a year's inventory is NULL (not measured), never 0.
-- Marchés with a carbon criterion and consultations under a label / without endocrine disruptors
-- come from the fiches opération.
{% call withhold_failing_values() %}
with inventaire as (
    select ges.annee as annee_inventaire, ges.secteur, ges.emissions_ktco2e, {{ siren_porteur_spaser() }} as acheteur_siren
    from {{ ref('fct_ges_territoire') }} as ges
),

emissions as (
    {{ per_perimetre('inventaire', 'annee_inventaire') }}
),

marches as (
    {{ per_perimetre('(' ~ marches_with_fiches() ~ ')', 'annee_notification') }}
),

fiches as (
    {{ per_perimetre(ref('fct_fiches_operation'), 'annee_lancement') }}
),

ges_rows as (
    {{ indicator_rows(
        'e09_ges_territoire_ktco2e', ['referentiels.ges_territoire'], 'emissions',
        'sum(fait.emissions_ktco2e) filter (where fait.secteur = grille.valeur_ventilation)',
        ventilation_key='secteur') }}
),

ges_secteurs_mesures as (
    select distinct annee_inventaire as annee, 'secteur=' || secteur as ventilation from inventaire
),

ges_mesures as (
    select
        ges_rows.indicateur_id, ges_rows.perimetre, ges_rows.annee, ges_rows.ventilation,
        case when mesures.ventilation is not null then ges_rows.valeur end as valeur,
        ges_rows.numerateur, ges_rows.denominateur,
        case when mesures.ventilation is null then 'secteur absent de l''inventaire de l''année' end as motif
    from ges_rows
    left join ges_secteurs_mesures as mesures
        on mesures.annee = ges_rows.annee and mesures.ventilation = ges_rows.ventilation
)

{{ carrier_only('select * from ges_mesures',
    "inventaire des émissions du territoire de l'agglomération : pas de valeur par ville") }}

union all

{{ indicator_rows(
    'e09_nb_mp_critere_carbone', ['ged.fop', 'marches.consultations', 'marches.decp'], 'marches',
    'count(fait.marche_cle) filter (where fait.critere_carbone)') }}

union all

{{ indicator_rows(
    'e09_nb_consultations_label', ['ged.fop'], 'fiches',
    'count(fait.consultation_cle) filter (where fait.label_exige)') }}

union all

{{ indicator_rows(
    'e09_nb_consultations_sans_pe', ['ged.fop'], 'fiches',
    'count(fait.consultation_cle) filter (where fait.exigence_sans_perturbateurs_endocriniens)') }}
{% endcall %}
