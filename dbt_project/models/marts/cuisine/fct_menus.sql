-- One row per menu served by the central kitchen (current version of each date, site, service).
select
    menu_cle::text as menu_cle,
    acheteur_siren::text as acheteur_siren,
    date_menu::date as date_menu,
    annee::integer as annee_menu,
    site::text as site,
    service::text as service,
    nb_repas::integer as nb_repas,
    vegetarien::boolean as vegetarien,
    source_fichier::text as source_fichier
from {{ ref('int_cuisine__menus') }}
