{#- Custom schemas are used verbatim (staging, intermediate, marts_candidat, referentiels, named in
    spaser/core/schemas.py) rather than dbt's default "<target schema>_<custom schema>": the schemas are
    a contract with the extractors, the GX gate and the publish step (docs/ARCHITECTURE.md). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
