-- One row per element of a DECP record's `modifications` list, in delivered order
-- (modification_rang). The values a modification does not set stay NULL.
with modifications as (
    select
        contrat._load_id,
        contrat._record_number,
        element.modification_rang,
        {{ json_unwrap('element.value', 'modification') }} as modification
    from {{ ref('stg_marches__decp_contrats') }} as contrat
    cross join
        lateral jsonb_array_elements({{ json_list('contrat.modifications_json') }})
        with ordinality as element (value, modification_rang)
)

select
    {{ surrogate_key(['_load_id', '_record_number', 'modification_rang']) }}
        as decp_modification_cle,
    {{ surrogate_key(['_load_id', '_record_number']) }} as decp_enregistrement_cle,
    _load_id,
    _record_number,
    modification_rang::integer as modification_rang,
    {{ json_number("modification -> 'id'") }}::integer as modification_id,
    {{ json_number("modification -> 'dureeMois'") }}::integer as duree_mois,
    {{ json_number("modification -> 'montant'") }} as montant,
    {{ json_date("modification -> 'dateNotificationModification'") }}
        as date_notification_modification,
    {{ json_date("modification -> 'datePublicationDonneesModification'") }}
        as date_publication_donnees_modification,
    modification -> 'titulaires' as titulaires_json
from modifications
