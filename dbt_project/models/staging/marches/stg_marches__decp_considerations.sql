-- One row per value of considerationsSociales / considerationsEnvironnementales of a DECP record.
with considerations as (
    select
        contrat._load_id,
        contrat._record_number,
        domaine.domaine,
        element.value #>> '{}' as consideration,
        element.rang
    from {{ source('marches', 'marches_decp') }} as contrat
    cross join
        lateral (
            values
            ('sociale', contrat.donnees -> 'considerationsSociales' -> 'considerationSociale'),
            (
                'environnementale',
                contrat.donnees
                -> 'considerationsEnvironnementales'
                -> 'considerationEnvironnementale'
            )
        ) as domaine (domaine, liste)
    cross join
        lateral jsonb_array_elements({{ json_list('domaine.liste') }})
        with ordinality as element (value, rang)
)

select
    {{ surrogate_key(['_load_id', '_record_number', 'domaine', 'rang']) }}
        as decp_consideration_cle,
    {{ surrogate_key(['_load_id', '_record_number']) }} as decp_enregistrement_cle,
    _load_id,
    _record_number,
    domaine,
    rang::integer as rang,
    consideration
from considerations
