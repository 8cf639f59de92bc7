-- SIRENE StockEtablissement rows, every delivery; official field names become snake_case.
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as etablissement_enregistrement_cle,
    _load_id,
    _record_number,
    siren,
    siret,
    "codeCommuneEtablissement" as code_commune_etablissement,
    "etatAdministratifEtablissement" as etat_administratif_etablissement,
    "etablissementSiege" as etablissement_siege,
    "trancheEffectifsEtablissement" as tranche_effectifs_etablissement,
    "activitePrincipaleEtablissement" as activite_principale_etablissement,
    "denominationUsuelleEtablissement" as denomination_usuelle_etablissement
from {{ source('referentiels', 'sirene_etablissements') }}
