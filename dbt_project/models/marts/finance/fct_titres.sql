-- Receipts, current version of every titre; est_encheres: a sale on the auction site.
select
    titre_cle::text as titre_cle,
    collectivite_siren::text as acheteur_siren,
    exercice::integer as exercice,
    numero_titre::text as numero_titre,
    date_titre::date as date_titre,
    annee::integer as annee_titre,
    tiers_nom::text as tiers_nom,
    compte_nature::text as compte_nature,
    objet::text as objet,
    montant_ht::numeric as montant_ht,
    origine::text as origine,
    (coalesce(origine, '') = 'encheres')::boolean as est_encheres,
    _source_file::text as source_fichier
from {{ ref('int_finance__titres_courants') }}
