select
    marche_titulaire_cle::text as marche_titulaire_cle,
    marche_cle::text as marche_cle,
    rang::integer as rang,
    titulaire_id::text as titulaire_id,
    type_identifiant::text as type_identifiant,
    type_identifiant_decp::text as type_identifiant_decp,
    entreprise_id::text as entreprise_id
from {{ ref('int_marches__titulaires_courants') }}
