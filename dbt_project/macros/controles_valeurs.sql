{#- The granular part of the publication gate (issue 15): the rules an indicator's values obey.
    A source anomaly that breaks one of them — typically a net negative spend after cancellations
    (« annulations ») exceeding the year's mandats in a class — withholds that indicator only: every
    row of its (indicateur_id, perimetre, annee) is published with valeur, numerateur and
    denominateur NULL and the motif « contrôle qualité en échec : <rule> (<computed value>) », while
    every other indicator publishes. Withholding the whole (indicator, perimetre, year) rather than
    the one failing ventilation row keeps the published classes of a year consistent with each
    other (shares that add up, a total that matches its classes).
    What still blocks the night are structural checks: keys, contracts, completeness, row counts
    (dbt tests and spaser/quality/suites.py). -#}

{% macro motif_controle_en_echec() -%}
    contrôle qualité en échec : {# one prefix, read back by fct_indicateurs to set statut #}
{%- endmacro %}

{#- Wraps the body of an indicator mart (`{% call withhold_failing_values() %} … {% endcall %}`):
    the body's rows, each (indicator, perimetre, year) withheld when one of its rows breaks a rule.
    Rules, by the catalogue's unit: a percentage lies in [0, 100] over a numerator and a denominator
    that are not negative; any other unit (count, euros, hours, emissions) is not negative. -#}
{% macro withhold_failing_values() -%}
with calcule as (
{{ caller() }}
),

controles as (
    select
        calcule.*,
        case
            when indicateurs.unite = 'pourcentage' and calcule.denominateur < 0 then 'dénominateur négatif'
            when indicateurs.unite = 'pourcentage' and calcule.numerateur < 0 then 'numérateur négatif'
            when indicateurs.unite = 'pourcentage' and (calcule.valeur < 0 or calcule.valeur > 100)
                then 'pourcentage hors de [0, 100]'
            when indicateurs.unite is distinct from 'pourcentage' and calcule.valeur < 0 then 'valeur négative'
        end as regle_en_echec,
        case when indicateurs.unite = 'pourcentage' and calcule.denominateur < 0 then calcule.denominateur
             when indicateurs.unite = 'pourcentage' and calcule.numerateur < 0 then calcule.numerateur
             else calcule.valeur end as valeur_en_echec
    from calcule
    left join {{ ref('indicateurs') }} as indicateurs on indicateurs.id = calcule.indicateur_id
),

groupes_en_echec as (
    select distinct on (indicateur_id, perimetre, annee)
        indicateur_id,
        perimetre,
        annee,
        '{{ motif_controle_en_echec() }}' || regle_en_echec || ' (' || replace(trim_scale(round(valeur_en_echec, 2))::text, '.', ',')
        || case when ventilation <> '' then ', ' || ventilation else '' end || ')' as motif
    from controles
    where regle_en_echec is not null
    order by indicateur_id, perimetre, annee, ventilation
)

select
    controles.indicateur_id,
    controles.perimetre,
    controles.annee,
    controles.ventilation,
    case when groupes_en_echec.motif is null then controles.valeur end as valeur,
    case when groupes_en_echec.motif is null then controles.numerateur end as numerateur,
    case when groupes_en_echec.motif is null then controles.denominateur end as denominateur,
    coalesce(groupes_en_echec.motif, controles.motif) as motif
from controles
left join groupes_en_echec
    on groupes_en_echec.indicateur_id = controles.indicateur_id
    and groupes_en_echec.perimetre = controles.perimetre
    and groupes_en_echec.annee = controles.annee
{%- endmacro %}
