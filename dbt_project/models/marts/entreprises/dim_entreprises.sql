select
    entreprise_id::text as entreprise_id,
    type_identifiant::text as type_identifiant,
    denomination::text as denomination,
    categorie_entreprise::text as categorie_entreprise,
    tranche_effectifs::text as tranche_effectifs,
    est_pme::boolean as est_pme,
    est_tpe::boolean as est_tpe,
    est_ess::boolean as est_ess,
    connue_sirene::boolean as connue_sirene
from {{ ref('int_entreprises__entreprises') }}
