{#- Text surrogate key of a composite key: the parts joined by "|" (docs/ARCHITECTURE.md).
    A missing part becomes the empty string so that the key is never NULL. -#}
{% macro surrogate_key(columns) -%}
    concat_ws('|', {% for column in columns -%}
        coalesce(({{ column }})::text, '')
        {%- if not loop.last %}, {% endif %}
    {%- endfor %})
{%- endmacro %}

{#- Distinct companies are keyed by SIREN (the first 9 digits of a SIRET); an identifier that is
    not a SIRET (foreign VAT number, malformed id) is its own key, whole. -#}
{% macro entreprise_id(identifiant) -%}
    case when {{ is_siret(identifiant) }} then left({{ identifiant }}, 9) else {{ identifiant }} end
{%- endmacro %}

{#- A SIRET is 14 digits; the Luhn check is only a warning (raw.signalements), not a criterion. -#}
{% macro is_siret(identifiant) -%}
    coalesce({{ identifiant }} ~ '^[0-9]{14}$', false)
{%- endmacro %}

{#- How a company identifier is classified in the marts: SIRET (14 digits), TVA_UE (declared as
    an EU VAT number: "TVA" in DECP, "TVA_UE" in the bids), else autre (e.g. a malformed SIRET or
    an identifier of another register). -#}
{% macro type_identifiant_entreprise(identifiant, type_declare) -%}
    case
        when {{ is_siret(identifiant) }} then 'SIRET'
        when {{ type_declare }} in ('TVA', 'TVA_UE') then 'TVA_UE'
        else 'autre'
    end
{%- endmacro %}
