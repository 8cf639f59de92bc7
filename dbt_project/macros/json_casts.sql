{#- Typed reads of DECP JSON values. The extractor has validated every record against the official
    schema, but a value of the wrong JSON type must read as NULL rather than abort the whole view. -#}
{% macro json_number(json_value) -%}
    case when jsonb_typeof({{ json_value }}) = 'number' then ({{ json_value }})::text::numeric end
{%- endmacro %}

{% macro json_boolean(json_value) -%}
    case when jsonb_typeof({{ json_value }}) = 'boolean' then ({{ json_value }})::text::boolean end
{%- endmacro %}

{#- DECP dates are "AAAA-MM-JJ" (the schema's pattern is not anchored, so a time or zone suffix
    may follow and is ignored). -#}
{% macro json_date(json_value) -%}
    case when {{ json_value }} #>> '{}' ~ '^\d{4}-\d{2}-\d{2}'
        then left({{ json_value }} #>> '{}', 10)::date end
{%- endmacro %}

{#- DECP lists are wrapped: {"titulaires": [{"titulaire": {...}}]}, {"considerationsSociales":
    {"considerationSociale": [...]}}. These return the list itself, unwrapped elements included. -#}
{% macro json_list(json_value) -%}
    case when jsonb_typeof({{ json_value }}) = 'array' then {{ json_value }} else '[]'::jsonb end
{%- endmacro %}

{% macro json_unwrap(element, wrapper_key) -%}
    coalesce({{ element }} -> '{{ wrapper_key }}', {{ element }})
{%- endmacro %}
