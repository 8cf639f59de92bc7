-- Food purchases with their EGALIM group, computed with ma-cantine's rules: a purchase counts
-- once, in the first group it belongs to — bio > SIQO (LABEL_ROUGE, AOCAOP, IGP, STG) > other
-- EGALIM labels (HVE, PECHE_DURABLE, RUP, FERMIER, COMMERCE_EQUITABLE) > EXTERNALITES /
-- PERFORMANCE. FRANCE, EUROPE, CIRCUIT_COURT and LOCAL are information, counted independently.
-- Perimetre: the SIREN of the kitchen's SIRET; a `cantine_id` file names ma-cantine's internal
-- canteen number, which no public register links to a SIREN: its purchases are the central
-- kitchen's, attributed to its collectivité (var cuisine_centrale_siren, the one place it is set).
select
    achat_cle,
    coalesce(left(siret, 9), '{{ var("cuisine_centrale_siren") }}') as acheteur_siren,
    siret,
    cantine_id,
    description,
    fournisseur,
    date_achat,
    extract(year from date_achat)::integer as annee,
    prix_ht,
    famille_produits,
    caracteristiques,
    case
        when 'BIO' = any(caracteristiques) then 'bio'
        when caracteristiques && array['LABEL_ROUGE', 'AOCAOP', 'IGP', 'STG'] then 'siqo'
        when
            caracteristiques
            && array['HVE', 'PECHE_DURABLE', 'RUP', 'FERMIER', 'COMMERCE_EQUITABLE']
            then 'egalim_autres'
        when
            caracteristiques && array['EXTERNALITES', 'PERFORMANCE']
            then 'externalites_performance'
    end as groupe_egalim,
    'LOCAL' = any(caracteristiques) as est_local,
    'CIRCUIT_COURT' = any(caracteristiques) as est_circuit_court,
    'FRANCE' = any(caracteristiques) as est_france,
    'EUROPE' = any(caracteristiques) as est_europe,
    definition_local,
    definition_local_km,
    _source_file as source_fichier
from {{ ref('stg_cuisine__achats') }}
