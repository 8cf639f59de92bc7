-- The current version of every event of the SPASER team's register.
with courantes as (
    {{ latest_version(ref('stg_registre__activites'), 'activite_cle') }}
)

select
    activite_cle,
    date_activite,
    extract(year from date_activite)::integer as annee_activite,
    type_activite,
    libelle,
    public_cible,
    porteur,
    nb_participants,
    quantite,
    taux,
    entreprise_siret,
    _source_file as source_fichier
from courantes
