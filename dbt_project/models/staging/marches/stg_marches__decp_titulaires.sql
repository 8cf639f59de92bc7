-- One row per titulaire listed by a DECP marché record: those of the record itself
-- (modification_rang 0) and those of each of its modifications (modification_rang >= 1).
with titulaire_lists as (
    select
        _load_id,
        _record_number,
        0 as modification_rang,
        titulaires_json
    from {{ ref('stg_marches__decp_contrats') }}
    where type_contrat = 'marche'

    union all

    select
        _load_id,
        _record_number,
        modification_rang,
        titulaires_json
    from {{ ref('stg_marches__decp_modifications') }}
),

titulaires as (
    select
        liste._load_id,
        liste._record_number,
        liste.modification_rang,
        element.rang,
        {{ json_unwrap('element.value', 'titulaire') }} as titulaire
    from titulaire_lists as liste
    cross join
        lateral jsonb_array_elements({{ json_list('liste.titulaires_json') }})
        with ordinality as element (value, rang)
)

select
    {{ surrogate_key(['_load_id', '_record_number', 'modification_rang', 'rang']) }}
        as decp_titulaire_cle,
    {{ surrogate_key(['_load_id', '_record_number']) }} as decp_enregistrement_cle,
    _load_id,
    _record_number,
    modification_rang,
    rang::integer as rang,
    titulaire ->> 'id' as titulaire_id,
    titulaire ->> 'typeIdentifiant' as type_identifiant
from titulaires
