select
    load_id,
    run_id,
    source,
    fichier,
    sha256,
    statut,
    message,
    nb_enregistrements,
    nb_charges,
    nb_quarantaine,
    nb_signalements,
    charge_le
from {{ source('extraction', 'fichiers') }}
