-- The territory's greenhouse-gas inventory (PCAET BEGES), one row per year and sector.
select
    ges_cle::text as ges_cle,
    annee::integer as annee,
    secteur::text as secteur,
    emissions_ktco2e::numeric as emissions_ktco2e,
    source_fichier::text as source_fichier
from {{ ref('int_referentiels__ges_territoire_courant') }}
