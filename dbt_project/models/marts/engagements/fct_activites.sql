-- The SPASER team's register: one row per event (current version).
select
    activite_cle::text as activite_cle,
    date_activite::date as date_activite,
    annee_activite::integer as annee_activite,
    type_activite::text as type_activite,
    libelle::text as libelle,
    public_cible::text as public_cible,
    porteur::text as porteur,
    nb_participants::integer as nb_participants,
    quantite::integer as quantite,
    taux::numeric as taux,
    entreprise_siret::text as entreprise_siret,
    source_fichier::text as source_fichier
from {{ ref('int_registre__activites_courantes') }}
