-- The current inventory value of every year and sector (a later delivery corrects a figure).
with courantes as (
    {{ latest_version(ref('stg_referentiels__ges_territoire'), 'ges_cle') }}
)

select
    ges_cle,
    annee,
    secteur,
    emissions_ktco2e,
    _source_file as source_fichier
from courantes
