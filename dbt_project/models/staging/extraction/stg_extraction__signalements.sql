-- One row per format warning on a loaded record (e.g. a SIRET failing its check digit).
select
    {{ surrogate_key(['load_id', 'enregistrement', 'champ', 'message']) }} as signalement_cle,
    load_id,
    source,
    fichier,
    enregistrement,
    cle,
    champ,
    message
from {{ source('extraction', 'signalements') }}
