-- One row per delivered menu (every delivery; deduplication is intermediate's job).
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as menu_enregistrement_cle,
    {{ surrogate_key(['date', 'site', 'service']) }} as menu_cle,
    _load_id,
    _source_file,
    _record_number,
    date as date_menu,
    site,
    service,
    nb_repas,
    vegetarien
from {{ source('cuisine', 'cuisine_menus') }}
