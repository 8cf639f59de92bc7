-- Engagement 3 (sourcing). Lots closed in the year by date_cloture; marchés by dateNotification.
-- e03_nb_nouveaux_fournisseurs: distinct current titulaires (every member of a group, keyed by
-- SIREN) of the perimetre's marchés notified in the year that were titulaire of no marché of the
-- same perimetre notified in an earlier year. It is NULL when the perimetre has no marché notified
-- before the year (its first year of history, or a year before it): every supplier would be "new".
{% call withhold_failing_values() %}
with lots_clos as (
    {{ per_perimetre(ref('fct_lots'), 'annee_cloture') }}
    where fait.statut in ('attribue', 'infructueux', 'sans_suite')
),

marches as (
    {{ per_perimetre(ref('fct_marches'), 'annee_notification') }}
),

titulaires as (
    select distinct titulaire.perimetre, titulaire.annee, titulaire.entreprise_id
    from ({{ per_perimetre(ref('int_marches__titulaires_courants'), 'annee_notification') }}) as titulaire
    where titulaire.annee is not null
),

premiere_annee_titulaire as (
    select perimetre, entreprise_id, min(annee) as premiere_annee
    from titulaires
    group by perimetre, entreprise_id
),

premiere_annee_perimetre as (
    select perimetre, min(annee) as premiere_annee
    from marches
    where annee is not null
    group by perimetre
),

nouveaux_fournisseurs as (
    select
        'e03_nb_nouveaux_fournisseurs'::text as indicateur_id,
        grille.perimetre,
        grille.annee,
        '' as ventilation,
        case when grille.annee > historique.premiere_annee then count(nouveau.entreprise_id) end::numeric as valeur,
        null::numeric as numerateur,
        null::numeric as denominateur,
        case
            when historique.premiere_annee is null
                then 'aucun marché notifié pour ce périmètre : pas d''historique des titulaires'
            when grille.annee = historique.premiere_annee
                then 'première année de l''historique'
            when grille.annee < historique.premiere_annee
                then 'année antérieure au premier marché notifié du périmètre : pas d''historique'
        end as motif
    from ({{ indicator_grid(['marches.decp']) }}) as grille
    left join premiere_annee_perimetre as historique on historique.perimetre = grille.perimetre
    left join premiere_annee_titulaire as nouveau
        on nouveau.perimetre = grille.perimetre and nouveau.premiere_annee = grille.annee
    group by grille.perimetre, grille.annee, historique.premiere_annee
)

{{ indicator_rows(
    'e03_mp_infructueux_pct', ['marches.consultations'], 'lots_clos',
    "count(fait.lot_cle) filter (where fait.statut = 'infructueux')",
    'count(fait.lot_cle)',
    motif_denominateur_vide="dénominateur vide : aucun lot clôturé dans l'année (attribué, infructueux ou sans suite)") }}

union all

select * from nouveaux_fournisseurs

union all

{{ indicator_rows(
    'e03_nb_mp_variante', ['marches.decp', 'marches.consultations'], 'marches',
    'count(fait.marche_cle) filter (where fait.variantes_autorisees)') }}
{% endcall %}
