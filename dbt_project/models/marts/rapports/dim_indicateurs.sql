-- The indicator catalogue as users read it: definition and sources next to every indicator, and
-- whether the SPASER feeds it to the Donut budget debate.
select
    catalogue.id::text as indicateur_id,
    nullif(catalogue.engagement, '')::text as engagement,
    catalogue.libelle::text as libelle,
    catalogue.unite::text as unite,
    nullif(catalogue.ventilation, '')::text as ventilation,
    catalogue.definition::text as definition,
    catalogue.sources::text as sources,
    (donut.indicateur_id is not null)::boolean as est_donut
from {{ ref('indicateurs') }} as catalogue
left join {{ ref('indicateurs_donut') }} as donut on catalogue.id = donut.indicateur_id
