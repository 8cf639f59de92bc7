-- SIRENE StockUniteLegale rows, every delivery; official field names become snake_case.
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as unite_legale_enregistrement_cle,
    _load_id,
    _record_number,
    siren,
    "denominationUniteLegale" as denomination_unite_legale,
    nullif("categorieEntreprise", '') as categorie_entreprise,
    nullif("trancheEffectifsUniteLegale", '') as tranche_effectifs_unite_legale,
    nullif("economieSocialeSolidaireUniteLegale", '') as economie_sociale_solidaire_unite_legale,
    "categorieJuridiqueUniteLegale" as categorie_juridique_unite_legale,
    "etatAdministratifUniteLegale" as etat_administratif_unite_legale
from {{ source('referentiels', 'sirene_unites_legales') }}
