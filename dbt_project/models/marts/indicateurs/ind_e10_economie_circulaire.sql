-- Engagement 10 (économie circulaire).
-- AGEC (registre.agec, per buyer): for each of the 17 categories, (réemploi et réutilisation +
-- issus du don + recyclés) / montant_total of the year's statements; the mean is unweighted over
-- the categories present in the year (montant_total > 0), the Donut figure.
-- Works marchés with a reuse / bio-based clause (fiches opération); segments treated for a longer
-- life and exemplary works sites (register, VRA and TOUS only). Exemplary sites are counted per
-- year (mesure=nombre) and cumulated over the register's years up to the year
-- (mesure=nombre_cumule): « 2 projets phares d'ici 2025 » is measured on the cumulative count.
{% call withhold_failing_values() %}
with declarations as (
    select
        agec.acheteur_siren,
        agec.annee as annee_declaration,
        agec.type_produit_acquis,
        agec.montant_total,
        agec.montant_reemploi_et_reutilisation + agec.montant_produits_issus_don + agec.montant_produits_recycles
            as montant_vertueux
    from {{ ref('fct_declarations_agec') }} as agec
),

declarations_perimetre as (
    {{ per_perimetre('declarations', 'annee_declaration') }}
),

familles as (
    select
        perimetre, annee, type_produit_acquis,
        {{ percentage('sum(montant_vertueux)', 'sum(montant_total)') }} as part
    from declarations_perimetre
    group by perimetre, annee, type_produit_acquis
    having sum(montant_total) > 0
),

marches as (
    {{ per_perimetre('(' ~ marches_with_fiches() ~ ')', 'annee_notification') }}
),

activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
),

chantiers_cumules as (
    select chantiers.perimetre, annees.annee, chantiers.activite_cle
    from activites as chantiers
    inner join (
        select distinct annee from {{ ref('int_indicateurs__annees_sources') }} where source = 'registre.activites'
    ) as annees on chantiers.annee <= annees.annee
    where chantiers.type_activite = 'CHANTIER_REEMPLOI'
),

chantiers_taux as (
    select
        'e10_operations_reemploi'::text as indicateur_id,
        grille.perimetre,
        grille.annee,
        'mesure=taux_moyen'::text as ventilation,
        trim_scale(avg(fait.taux))::numeric as valeur,
        null::numeric as numerateur,
        null::numeric as denominateur,
        case when count(fait.taux) = 0 then 'dénominateur vide : aucun chantier de réemploi avec un taux dans l''année' end as motif
    from ({{ indicator_grid(['registre.activites']) }}) as grille
    left join activites as fait
        on fait.perimetre = grille.perimetre and fait.annee = grille.annee and fait.type_activite = 'CHANTIER_REEMPLOI'
    group by grille.perimetre, grille.annee
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ indicator_rows(
    'e10_agec_famille_pct', ['registre.agec'], 'declarations_perimetre',
    'sum(fait.montant_vertueux) filter (where fait.type_produit_acquis = grille.valeur_ventilation)',
    'sum(fait.montant_total) filter (where fait.type_produit_acquis = grille.valeur_ventilation)',
    ventilation_key='type_produit_acquis',
    motif_denominateur_vide="dénominateur vide : aucune dépense déclarée dans cette catégorie pour l'année") }}

union all

select
    'e10_agec_moyenne_pct'::text as indicateur_id,
    grille.perimetre,
    grille.annee,
    ''::text as ventilation,
    trim_scale(avg(fait.part))::numeric as valeur,
    -- an unweighted mean: numerateur = sum of the categories' shares, denominateur = their number
    coalesce(sum(fait.part), 0)::numeric as numerateur,
    count(fait.part)::numeric as denominateur,
    case when count(fait.part) = 0 then 'dénominateur vide : aucune catégorie AGEC déclarée avec un montant dans l''année' end as motif
from ({{ indicator_grid(['registre.agec']) }}) as grille
left join familles as fait on fait.perimetre = grille.perimetre and fait.annee = grille.annee
group by grille.perimetre, grille.annee

union all

{{ indicator_rows(
    'e10_mp_btp_reemploi_pct', ['marches.decp', 'ged.fop', 'marches.consultations'], 'marches',
    "count(fait.marche_cle) filter (where fait.categorie_achat = 'travaux' and fait.clause_reemploi_biosources)",
    "count(fait.marche_cle) filter (where fait.categorie_achat = 'travaux')",
    motif_denominateur_vide="dénominateur vide : aucun marché de travaux notifié dans l'année") }}

union all

{{ carrier_only(indicator_rows(
    'e10_nb_segments_duree_vie', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'SEGMENT_DUREE_VIE')"), motif) }}

union all

{{ carrier_only(as_mesure(indicator_rows(
    'e10_operations_reemploi', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'CHANTIER_REEMPLOI')"), 'nombre'), motif) }}

union all

{{ carrier_only(as_mesure(indicator_rows(
    'e10_operations_reemploi', ['registre.activites'], 'chantiers_cumules', 'count(fait.activite_cle)'),
    'nombre_cumule'), motif) }}

union all

{{ carrier_only('select * from chantiers_taux', motif) }}
{% endcall %}
