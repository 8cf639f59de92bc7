-- The long indicator table every export reads: the indicator marts joined to the catalogue.
-- realisation_2022: the SPASER document's figure for the same perimetre and ventilation.
-- cible: the catalogue target, on the rows the SPASER means (issue 16):
-- - perimetre: the one the catalogue names, else the one the SPASER document names
--   (cibles_lecture_spaser: objectives of the Agglo alone), else every perimetre;
-- - ventilation: a target naming a ventilation value lands on that row (or on the row the SPASER
--   measures it on: cibles_lecture_spaser); a target of the whole indicator lands on its total row
--   (ventilation '') when the indicator has one — « 2 communications / an » is the total of the
--   five audiences, not 2 for each — and on every row only when there is no total, i.e. when the
--   target is set per class (e10_agec_famille_pct: « 5 % par an sur chaque famille d'achats »).
-- statut: 'controle_en_echec' when the granular gate withheld the value
-- (macros/controles_valeurs.sql), else 'calcule' when valeur is not NULL, else 'pas_de_donnees'
-- with the motif.
-- derniere_valeur_validee: on a withheld row, the value the last publication validated for the
-- same row (read from the published schema while the candidate is built; NULL on a first
-- publication), so the dashboard keeps showing it, flagged.
{#- The published table, found in the catalog: with dbt 1.11, adapter.get_relation returns None for
    a relation of a schema the project does not build (marts), although it exists. -#}
{%- set colonnes_publiees = [] -%}
{%- if execute -%}
    {%- set colonnes_publiees = run_query(
        "select column_name from information_schema.columns where table_schema = '"
        ~ env_var('SPASER_PUBLISHED_SCHEMA') ~ "' and table_name = '" ~ this.identifier ~ "'"
    ).columns[0].values() | list -%}
{%- endif -%}
{%- set publiees = api.Relation.create(
    database=this.database, schema=env_var('SPASER_PUBLISHED_SCHEMA'), identifier=this.identifier
) if colonnes_publiees else none -%}
{#- The indicator marts: those the catalogue names (spaser/core/catalogue/indicateurs.yml,
    key `mart`), passed by spaser/pipeline/dbt.py in SPASER_INDICATOR_MARTS. -#}
{%- set indicator_marts = env_var('SPASER_INDICATOR_MARTS').split(',') %}
with valeurs_marts as (
    {% for mart in indicator_marts -%}
    select
        indicateur_id,
        perimetre,
        annee,
        ventilation,
        valeur,
        numerateur,
        denominateur,
        motif
    from {{ ref(mart) }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
),

-- e02 is computed last, from the catalogue, the sources' deliveries and tonight's values of every
-- other indicator (macro e02_indicateurs_automatises: its numerateur is the count of indicators
-- followed and automated, its denominateur the indicators that apply to the perimetre).
e02 as (
    {{ e02_indicateurs_automatises('valeurs_marts') }}
),

valeurs as (
    select * from valeurs_marts
    union all
    select * from e02
),

valeurs_et_totaux as (
    select
        *,
        bool_or(ventilation = '') over (partition by indicateur_id) as a_une_ligne_totale
    from valeurs
),

{% set lectures = cibles_lecture_spaser() -%}
cibles as (
    select
        cibles.indicateur_id,
        case
            {%- for indicateur_id, lecture in lectures.items() %}
            {%- for catalogue_value, row_value in (lecture.ventilation or {}).items() %}
            when cibles.indicateur_id = '{{ indicateur_id }}'
                and cibles.ventilation = '{{ catalogue_value }}'
                then '{{ row_value }}'
            {%- endfor %}{% endfor %}
            else nullif(cibles.ventilation, '')
        end as ventilation,
        coalesce(
            nullif(cibles.perimetre, ''),
            case cibles.indicateur_id
                {%- for indicateur_id, lecture in lectures.items() if lecture.perimetre %}
                when '{{ indicateur_id }}' then {{ lecture.perimetre }}
                {%- endfor %}
            end
        ) as perimetre,
        cibles.valeur,
        cibles.sens,
        cibles.annee
    from {{ ref('indicateurs_cibles') }} as cibles
)

select
    {{ surrogate_key([
        'valeurs.indicateur_id', 'valeurs.perimetre', 'valeurs.annee', 'valeurs.ventilation'
    ]) }}::text
        as indicateur_cle,
    valeurs.indicateur_id::text as indicateur_id,
    indicateurs.engagement::text as engagement,
    indicateurs.libelle::text as libelle,
    valeurs.perimetre::text as perimetre,
    valeurs.annee::integer as annee,
    valeurs.ventilation::text as ventilation,
    valeurs.valeur::numeric as valeur,
    valeurs.numerateur::numeric as numerateur,
    valeurs.denominateur::numeric as denominateur,
    indicateurs.unite::text as unite,
    realisations.valeur::numeric as realisation_2022,
    cibles.valeur::numeric as cible_valeur,
    cibles.sens::text as cible_sens,
    cibles.annee::text as cible_annee,
    (case
        when valeurs.motif like '{{ motif_controle_en_echec() }}%' then 'controle_en_echec'
        when valeurs.valeur is not null then 'calcule'
        else 'pas_de_donnees'
    end)::text as statut,
    valeurs.motif::text as motif,
    (case when valeurs.motif like '{{ motif_controle_en_echec() }}%'
            then
                {%- if publiees is not none %}
        case when publiees.statut = 'calcule' then publiees.valeur
        {%- if 'derniere_valeur_validee' in colonnes_publiees %}
             else publiees.derniere_valeur_validee
        {%- endif %} end
        {%- else %} null
        {%- endif %}
    end)::numeric as derniere_valeur_validee
from valeurs_et_totaux as valeurs
inner join {{ ref('indicateurs') }} as indicateurs on valeurs.indicateur_id = indicateurs.id
left join {{ ref('indicateurs_realisation_2022') }} as realisations
    on valeurs.indicateur_id = realisations.indicateur_id
    and valeurs.perimetre = realisations.perimetre
    and coalesce(realisations.ventilation, '') = valeurs.ventilation
left join cibles
    on valeurs.indicateur_id = cibles.indicateur_id
    and (
        valeurs.ventilation = cibles.ventilation
        or (
            cibles.ventilation is null
            and (valeurs.ventilation = '' or not valeurs.a_une_ligne_totale)
        )
    )
    and coalesce(cibles.perimetre, valeurs.perimetre) = valeurs.perimetre
{%- if publiees is not none %}
left join {{ publiees }} as publiees
    on publiees.indicateur_id = valeurs.indicateur_id
    and publiees.perimetre = valeurs.perimetre
    and publiees.annee = valeurs.annee
    and publiees.ventilation = valeurs.ventilation
{%- endif %}
