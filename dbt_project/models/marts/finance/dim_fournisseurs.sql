-- The supplier register (current entry per establishment), as the SPASER team keeps it.
select
    siret::text as siret,
    left(siret, 9)::text as siren,
    nom::text as nom,
    structure_inclusive::text as structure_inclusive,
    date_signature_charte::date as date_signature_charte,
    extract(year from date_signature_charte)::integer as annee_signature_charte,
    circuit_court::boolean as circuit_court,
    _source_file::text as source_fichier
from {{ ref('int_registre__fournisseurs_courants') }}
