{#- The half-year a date belongs to, as the reliability report names it: 2025-S1 (January to
    June) or 2025-S2 (July to December). -#}
{% macro semestre(date_expression) -%}
    (extract(year from {{ date_expression }})::integer::text
        || case when extract(month from {{ date_expression }}) <= 6 then '-S1' else '-S2' end)
{%- endmacro %}
