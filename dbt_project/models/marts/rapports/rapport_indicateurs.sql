-- A table, not a view: what users read is materialised inside the swapped schema, so that nothing
-- published changes unless the gate passed (a view would read the live referentiels seeds, which
-- every night's `dbt seed` rewrites before the gate, and `dbt seed --full-refresh` would drop it).
-- The stable relation behind the dashboard and the finance (Donut) export: one row per indicator x
-- engagement x perimetre x year (2022 baseline onwards) x ventilation, with its axe, the
-- target in force for that year (objectif), the gap to it and the progress status (avancement).
--
-- Progress rule, for the row's year Y (written the same way on the dashboard):
-- * reference: the SPASER's 2022 figure (realisation_2022), else the computed 2022 value, else
--   the series' first computed year (reference_annee says which year).
-- * objectif of year Y: the catalogue value for sens >=, <= and =; the reference for "hausse"
--   (compared strictly: the value must exceed it); reference x (1 + N/100) for
--   "+N % par rapport à 2022", only when the reference is of 2022 (the SPASER's or the computed
--   2022 value): with no 2022 figure there is no objective, and objectif_motif says why, rather
--   than a base year the SPASER did not choose; last year's value + N for "+N points par an"
--   (percentage points: e10_agec_famille_pct's « progression de 5 % par an sur chaque famille »
--   reads as 5 points of share a year, the only reading that moves a family starting at 0 %
--   towards the AGEC decree's thresholds, themselves shares of the family's spend).
-- * avancement: controle_en_echec when the granular gate withheld the value
--   (fct_indicateurs.statut; derniere_valeur_validee is the last value published for the row);
--   pas_de_donnees when the value (or the reference its objectif needs) is missing;
--   sans_objectif when the SPASER sets no target; atteint when the value meets the objectif;
--   otherwise en_retard when the deadline is reached (Y >= echeance, or a yearly target);
--   otherwise en_bonne_voie when the value is at least on the straight line from the reference
--   (reference_annee) to the objectif (echeance), else en_retard.
with valeurs as (
    select * from {{ ref('fct_indicateurs') }}
    where annee >= 2022
),

engagements_des_indicateurs as (
    select
        catalogue.id as indicateur_id,
        trim(numeros.numero)::integer as engagement
    from {{ ref('indicateurs') }} as catalogue
    cross join lateral unnest(
        case when coalesce(catalogue.engagement, '') = '' then array[null::text]
            else string_to_array(catalogue.engagement, ',')
        end
    ) as numeros (numero)
),

premieres_valeurs as (
    select distinct on (indicateur_id, perimetre, ventilation)
        indicateur_id,
        perimetre,
        ventilation,
        annee,
        valeur
    from valeurs
    where valeur is not null
    order by indicateur_id, perimetre, ventilation, annee
),

references_et_precedentes as (
    select
        valeurs.*,
        case
            when valeurs.realisation_2022 is not null then valeurs.realisation_2022
            when valeurs_2022.valeur is not null then valeurs_2022.valeur
            else premieres_valeurs.valeur
        end as reference_valeur,
        case
            when valeurs.realisation_2022 is not null or valeurs_2022.valeur is not null then 2022
            else premieres_valeurs.annee
        end as reference_annee,
        precedentes.valeur as valeur_annee_precedente
    from valeurs
    left join valeurs as valeurs_2022
        on valeurs.indicateur_id = valeurs_2022.indicateur_id
        and valeurs.perimetre = valeurs_2022.perimetre
        and valeurs.ventilation = valeurs_2022.ventilation and valeurs_2022.annee = 2022
    left join valeurs as precedentes
        on valeurs.indicateur_id = precedentes.indicateur_id
        and valeurs.perimetre = precedentes.perimetre
        and valeurs.ventilation = precedentes.ventilation and precedentes.annee = valeurs.annee - 1
    left join premieres_valeurs
        on valeurs.indicateur_id = premieres_valeurs.indicateur_id
        and valeurs.perimetre = premieres_valeurs.perimetre
        and valeurs.ventilation = premieres_valeurs.ventilation
),

objectifs as (
    select
        *,
        case
            when cible_sens in ('>=', '<=', '=') then cible_valeur
            when cible_sens = 'hausse' then reference_valeur
            when cible_sens ~ '^\+[0-9]+ % par rapport à 2022$' and reference_annee = 2022
                then reference_valeur
                    * (1 + substring(cible_sens from '^\+([0-9]+)')::numeric / 100)
            when cible_sens ~ '^\+[0-9]+ points par an'
                then valeur_annee_precedente + substring(cible_sens from '^\+([0-9]+)')::numeric
        end as objectif,
        case
            when cible_sens in ('>=', '<=', '=') then cible_sens
            when cible_sens = 'hausse' then '>'
            when cible_sens ~ '^\+[0-9]+ (% par rapport à 2022$|points par an)' then '>='
        end as comparaison,
        case when cible_annee ~ '^[0-9]{4}$' then cible_annee::integer end as echeance,
        case
            -- IS DISTINCT FROM in parentheses: sqlfluff 4.5 cannot parse it bare in a WHEN
            when cible_sens ~ '^\+[0-9]+ % par rapport à 2022$'
                and (reference_annee is distinct from 2022)
                then 'pas d''objectif : aucune valeur 2022 pour ce périmètre, base de « '
                    || cible_sens
                    || ' »'
            when cible_sens ~ '^\+[0-9]+ points par an' and valeur_annee_precedente is null
                then 'pas d''objectif : aucune valeur l''année précédente, base de « '
                    || cible_sens
                    || ' »'
        end as objectif_motif
    from references_et_precedentes
),

trajectoires as (
    select
        *,
        reference_valeur + (objectif - reference_valeur)
        * (annee - reference_annee)::numeric / nullif(echeance - reference_annee, 0) as attendu
    from objectifs
)

select
    {{ surrogate_key([
        'trajectoires.indicateur_id', "coalesce(engagements_des_indicateurs.engagement::text, '')",
        'trajectoires.perimetre', 'trajectoires.annee', 'trajectoires.ventilation'
    ]) }}::text as rapport_cle,
    coalesce(engagements.axe, 'chiffres_cles')::text as axe,
    engagements_des_indicateurs.engagement::integer as engagement,
    engagements.libelle::text as engagement_libelle,
    trajectoires.indicateur_id::text as indicateur_id,
    trajectoires.libelle::text as libelle,
    trajectoires.unite::text as unite,
    trajectoires.perimetre::text as perimetre,
    coalesce(
        collectivites.nom, case when trajectoires.perimetre = 'TOUS' then 'Service commun' end,
        trajectoires.perimetre
    )::text as perimetre_nom,
    trajectoires.annee::integer as annee,
    trajectoires.ventilation::text as ventilation,
    trajectoires.valeur::numeric as valeur,
    trajectoires.numerateur::numeric as numerateur,
    trajectoires.denominateur::numeric as denominateur,
    trajectoires.realisation_2022::numeric as realisation_2022,
    trajectoires.reference_valeur::numeric as reference_valeur,
    trajectoires.reference_annee::integer as reference_annee,
    trajectoires.cible_valeur::numeric as cible_valeur,
    trajectoires.cible_sens::text as cible_sens,
    trajectoires.cible_annee::text as cible_annee,
    trajectoires.objectif::numeric as objectif,
    trajectoires.objectif_motif::text as objectif_motif,
    (trajectoires.valeur - trajectoires.objectif)::numeric as ecart_objectif,
    trajectoires.derniere_valeur_validee::numeric as derniere_valeur_validee,
    (case
        when trajectoires.statut = 'controle_en_echec' then 'controle_en_echec'
        when trajectoires.valeur is null then 'pas_de_donnees'
        when trajectoires.cible_sens is null then 'sans_objectif'
        when trajectoires.objectif is null then 'pas_de_donnees'
        when (trajectoires.comparaison = '>=' and trajectoires.valeur >= trajectoires.objectif)
            or (trajectoires.comparaison = '<=' and trajectoires.valeur <= trajectoires.objectif)
            or (trajectoires.comparaison = '=' and trajectoires.valeur = trajectoires.objectif)
            or (trajectoires.comparaison = '>' and trajectoires.valeur > trajectoires.objectif)
            then 'atteint'
        when
            trajectoires.echeance is null or trajectoires.annee >= trajectoires.echeance
            then 'en_retard'
        when (
            trajectoires.comparaison in ('>=', '>') and trajectoires.valeur >= trajectoires.attendu
        )
        or (trajectoires.comparaison = '<=' and trajectoires.valeur <= trajectoires.attendu)
        or (
            trajectoires.comparaison = '='
            and abs(trajectoires.valeur - trajectoires.objectif)
            <= abs(trajectoires.attendu - trajectoires.objectif)
        )
            then 'en_bonne_voie'
        else 'en_retard'
    end)::text as avancement,
    (trajectoires.comparaison is not null or trajectoires.cible_sens is null)::boolean
        as regle_cible_reconnue,
    trajectoires.motif::text as motif
from trajectoires
inner join
    engagements_des_indicateurs
    on trajectoires.indicateur_id = engagements_des_indicateurs.indicateur_id
left join
    {{ ref('engagements') }} as engagements
    on engagements_des_indicateurs.engagement = engagements.engagement
left join
    {{ ref('collectivites') }} as collectivites
    on trajectoires.perimetre = collectivites.siren
