{#- Values of each ventilation key of this slice, in catalogue order (indicateurs.yml). -#}
{% macro ventilation_values(key) -%}
    {%- set values = {
        'categorie_achat': ['travaux', 'fournitures', 'services'],
        'territoire': ['agglo', 'departement', 'region', 'france', 'etranger', 'inconnu'],
        'taille': ['pme', 'tpe'],
        'mesure': ['nombre', 'montant'],
        'famille_produits': ['VIANDES_VOLAILLES', 'PRODUITS_DE_LA_MER'],
    } -%}
    {{ return(values[key]) }}
{%- endmacro %}

{#- Position of a territoire class from the most local (1 = agglo) to inconnu: a company bidding
    from several establishments is located at the one with the smallest position. -#}
{% macro territoire_rang(territoire) -%}
    array_position({{ territoires_array() }}, {{ territoire }})
{%- endmacro %}

{% macro territoire_at_rang(rang) -%}
    ({{ territoires_array() }})[{{ rang }}]
{%- endmacro %}

{% macro territoires_array() -%}
    array[{% for value in ventilation_values('territoire') %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %}]::text[]
{%- endmacro %}

{#- Percentage 0-100, unrounded (trim_scale only drops the trailing zeros of numeric division);
    NULL (never 0) when the denominator is empty. -#}
{% macro percentage(numerator, denominator) -%}
    case when {{ denominator }} > 0 then trim_scale(100 * ({{ numerator }})::numeric / ({{ denominator }})) end
{%- endmacro %}
