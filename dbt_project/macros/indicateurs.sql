{#- Building blocks of the indicator marts. Every indicator mart returns
    (indicateur_id, perimetre, annee, ventilation, valeur, numerateur, denominateur, motif). -#}

{#- Facts of `relation` once under their buyer's SIREN and once under TOUS (every buyer
    together: distinct counts over TOUS are taken over all buyers, never summed). -#}
{% macro per_perimetre(relation, annee_column) -%}
    select fait.*, perimetres.perimetre, fait.{{ annee_column }} as annee
    from {{ relation }} as fait
    cross join lateral (values (fait.acheteur_siren), ('TOUS')) as perimetres (perimetre)
{%- endmacro %}

{#- The rows an indicator must have: every perimetre present in any loaded source x every year
    with data in one of the indicator's sources x every value of its ventilation. -#}
{% macro indicator_grid(sources, ventilation_key=none) -%}
    select perimetres.perimetre, annees.annee, ventilations.valeur_ventilation
    from {{ ref('int_indicateurs__perimetres') }} as perimetres
    cross join (
        select distinct annee from {{ ref('int_indicateurs__annees_sources') }}
        where source in ({% for source in sources %}'{{ source }}'{% if not loop.last %}, {% endif %}{% endfor %})
    ) as annees
    {% if ventilation_key -%}
    cross join (
        values {% for value in ventilation_values(ventilation_key) %}('{{ value | replace("'", "''") }}'){% if not loop.last %}, {% endif %}{% endfor %}
    ) as ventilations (valeur_ventilation)
    {%- else -%}
    cross join (values (null::text)) as ventilations (valeur_ventilation)
    {%- endif %}
{%- endmacro %}

{#- One indicator over its grid. `facts` is a relation (CTE) with perimetre and annee columns;
    `numerator` and `denominator` are aggregates over its rows `fait`, which may read the
    ventilation value as `grille.valeur_ventilation`. Without a denominator the indicator is a
    count (0, never NULL, when nothing qualifies); with one it is a percentage 0-100, NULL when
    the denominator is empty, `motif_denominateur_vide` saying why.
    `publie`: for an indicator that needs a field some sources do not publish (the DECP format
    2019 has no considérations nor marcheInnovant), a boolean over `fait` telling whether the fact
    carries it. The numerator and denominator are then expected to count only such facts, and
    where facts exist but none carries it the value is NULL with `motif_non_publie` — never a
    misleading 0. -#}
{% macro indicator_rows(indicateur_id, sources, facts, numerator, denominator=none, ventilation_key=none, motif_denominateur_vide=none, publie=none, motif_non_publie="non publié au format 2019 : aucun marché de l'année ne porte cette donnée") -%}
    {%- set non_publie = '(count(fait.perimetre) > 0 and not coalesce(bool_or(' ~ publie ~ '), false))' if publie else 'false' -%}
    select
        '{{ indicateur_id }}'::text as indicateur_id,
        grille.perimetre,
        grille.annee,
        {% if ventilation_key -%}
        '{{ ventilation_key }}=' || grille.valeur_ventilation
        {%- else -%}
        ''
        {%- endif %} as ventilation,
        {% if denominator -%}
        case when not {{ non_publie }} then
            {{ percentage('coalesce(' ~ numerator ~ ', 0)', 'coalesce(' ~ denominator ~ ', 0)') }}
        end as valeur,
        coalesce({{ numerator }}, 0)::numeric as numerateur,
        coalesce({{ denominator }}, 0)::numeric as denominateur,
        case
            when {{ non_publie }} then '{{ motif_non_publie | replace("'", "''") }}'
            when not coalesce({{ denominator }}, 0) > 0 then '{{ motif_denominateur_vide | replace("'", "''") }}'
        end as motif
        {%- else -%}
        case when not {{ non_publie }} then coalesce({{ numerator }}, 0) end::numeric as valeur,
        null::numeric as numerateur,
        null::numeric as denominateur,
        case when {{ non_publie }} then '{{ motif_non_publie | replace("'", "''") }}' end::text as motif
        {%- endif %}
    from ({{ indicator_grid(sources, ventilation_key) }}) as grille
    left join {{ facts }} as fait
        on fait.perimetre = grille.perimetre and fait.annee = grille.annee
    group by grille.perimetre, grille.annee, grille.valeur_ventilation
{%- endmacro %}

{#- Cumulative territory shares: agglo ⊂ departement ⊂ region ⊂ france; etranger and inconnu are
    classes of their own. True when a company located in `territoire` counts in class `classe`. -#}
{% macro in_territoire_class(territoire, classe) -%}
    (
        {{ territoire }} = {{ classe }}
        or (
            {{ classe }} in ('departement', 'region', 'france')
            and {{ territoire_rang(territoire) }} < {{ territoire_rang(classe) }}
        )
    )
{%- endmacro %}
