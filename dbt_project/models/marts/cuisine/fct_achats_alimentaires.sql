-- One row per food purchase of the central kitchen, with its ma-cantine EGALIM group.
select
    achat_cle::text as achat_cle,
    acheteur_siren::text as acheteur_siren,
    siret::text as siret,
    cantine_id::text as cantine_id,
    date_achat::date as date_achat,
    annee::integer as annee_achat,
    description::text as description,
    fournisseur::text as fournisseur,
    prix_ht::numeric as prix_ht,
    famille_produits::text as famille_produits,
    array_to_string(caracteristiques, ',')::text as caracteristiques,
    groupe_egalim::text as groupe_egalim,
    (groupe_egalim is not null)::boolean as est_egalim,
    est_local::boolean as est_local,
    est_circuit_court::boolean as est_circuit_court,
    est_france::boolean as est_france,
    est_europe::boolean as est_europe,
    definition_local::text as definition_local,
    definition_local_km::integer as definition_local_km,
    source_fichier::text as source_fichier
from {{ ref('int_cuisine__achats') }}
