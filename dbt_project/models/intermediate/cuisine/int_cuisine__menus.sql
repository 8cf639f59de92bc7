-- Current version of each menu (date, site, service): the latest delivery wins (later file, then
-- later line). The menus file names no buyer: the menus are the central kitchen's, attributed to
-- its collectivité (var cuisine_centrale_siren, the one place it is set).
select
    menu_cle,
    '{{ var("cuisine_centrale_siren") }}'::text as acheteur_siren,
    date_menu,
    extract(year from date_menu)::integer as annee,
    site,
    service,
    nb_repas,
    vegetarien,
    _source_file as source_fichier
from (
    select
        menus.*,
        row_number()
            over (
                partition by menus.menu_cle order by menus._load_id desc, menus._record_number desc
            )
            as rang
    from {{ ref('stg_cuisine__menus') }} as menus
) as versions
where rang = 1
