-- One row per loaded DECP record (marchés and contrats de concession, every version of every
-- contract), as the extractor conformed it into the structure of the format 2024: the JSON fields
-- become typed columns; no deduplication here. format_decp: '2024', or '2019' (arrêté du 22 mars
-- 2019), whose records lack the considérations, marcheInnovant and techniques of the 2024 format.
select
    {{ surrogate_key(['_load_id', '_record_number']) }} as decp_enregistrement_cle,
    _load_id,
    _source_file,
    _record_number,
    _loaded_at,
    type_contrat,
    acheteur_id,
    id as id_marche,
    date_publication_donnees,
    format_decp,
    donnees ->> 'nature' as nature,
    donnees ->> 'objet' as objet,
    donnees ->> 'codeCPV' as code_cpv,
    donnees ->> 'procedure' as procedure,
    donnees ->> 'ccag' as ccag,
    donnees ->> 'formePrix' as forme_prix,
    donnees ->> 'typeGroupementOperateurs' as type_groupement_operateurs,
    donnees ->> 'idAccordCadre' as id_accord_cadre,
    donnees -> 'lieuExecution' ->> 'code' as lieu_execution_code,
    donnees -> 'lieuExecution' ->> 'typeCode' as lieu_execution_type_code,
    array(
        select jsonb_array_elements_text({{ json_list("donnees -> 'techniques' -> 'technique'") }})
    ) as techniques,
    {{ json_boolean("donnees -> 'marcheInnovant'") }} as marche_innovant,
    {{ json_number("donnees -> 'offresRecues'") }}::integer as offres_recues,
    {{ json_number("donnees -> 'dureeMois'") }}::integer as duree_mois,
    {{ json_number("donnees -> 'montant'") }} as montant,
    {{ json_date("donnees -> 'dateNotification'") }} as date_notification,
    {{ json_date("donnees -> 'dateSignature'") }} as date_signature,
    {{ json_number("donnees -> 'valeurGlobale'") }} as valeur_globale,
    donnees -> 'titulaires' as titulaires_json,
    donnees -> 'modifications' as modifications_json
from {{ source('marches', 'marches_decp') }}
