-- Purchase spend per group (collectivité, year of date_mandat, payee, M57 account, contract), net
-- of cancellations, with everything the spend indicators read. Catalogue shared rules:
-- - only purchase accounts: the longest prefix of compte_nature in the m57_categories_achat seed
--   gives the account's category; an account without one is not a purchase and is left out;
-- - categorie_achat is the linked contract's when id_marche names a current DECP marché of the
--   same collectivité (SIREN of its acheteur.id), else the account's (a mandat whose id_marche
--   is unknown to DECP keeps its account's category: marche_cle stays empty);
-- - territoire of the paid establishment (SIRET) through SIRENE; a foreign identifier is
--   etranger, an empty one or a SIRET absent from SIRENE is inconnu: both stay in every total;
-- - catering (est_restauration): account 6257 (réceptions) or a linked contract with CPV 5552xxxx;
-- - type_structure: the register's structure_inclusive of the paid establishment, else ESS when
--   SIRENE says so for its SIREN (one class per supplier, the register first);
-- - kgco2e: montant_ht x the monetary emission factor of categorie_achat (ratios_monetaires seed).
with depenses as (
    select *
    from {{ ref('int_finance__depenses') }}
    where nb_lignes > 0
),

marches as (
    select distinct on (acheteur_siren, id_marche)
        acheteur_siren,
        id_marche,
        marche_cle,
        categorie_achat,
        code_cpv
    from {{ ref('int_marches__marches_courants') }}
    order by acheteur_siren, id_marche, acheteur_id
),

classees as (
    select
        depenses.*,
        marches.marche_cle,
        coalesce(marches.categorie_achat, compte.categorie_achat) as categorie_achat,
        (depenses.compte_nature like '6257%' or coalesce(marches.code_cpv like '5552%', false))
            as est_restauration,
        case
            when depenses.tiers_id is null then 'absent'
            when {{ is_siret('depenses.tiers_id') }} then 'SIRET'
            else 'etranger'
        end as type_identifiant
    from depenses
    cross join
        lateral (
            select m57.categorie_achat
            from {{ ref('m57_categories_achat') }} as m57
            where depenses.compte_nature like m57.prefixe_compte || '%'
            order by length(m57.prefixe_compte) desc
            limit 1
        ) as compte
    left join marches
        on depenses.collectivite_siren = marches.acheteur_siren
        and depenses.id_marche = marches.id_marche
)

select
    classees.depense_cle::text as depense_cle,
    classees.collectivite_siren::text as acheteur_siren,
    classees.annee::integer as annee_mandat,
    classees.tiers_id::text as tiers_id,
    classees.type_identifiant::text as type_identifiant,
    classees.tiers_nom::text as tiers_nom,
    classees.compte_nature::text as compte_nature,
    classees.id_marche::text as id_marche,
    classees.marche_cle::text as marche_cle,
    classees.categorie_achat::text as categorie_achat,
    classees.est_restauration::boolean as est_restauration,
    (case
        when classees.type_identifiant = 'etranger' then 'etranger'
        else coalesce(etablissements.territoire, 'inconnu')
    end)::text as territoire,
    coalesce(
        fournisseurs.structure_inclusive,
        case when unites_legales.est_ess then 'ESS' end
    )::text as type_structure,
    coalesce(fournisseurs.circuit_court, false)::boolean as circuit_court,
    classees.montant_ht::numeric as montant_ht,
    (classees.montant_ht * ratios.kgco2e_par_euro_ht)::numeric as emissions_kgco2e,
    classees.nb_lignes::integer as nb_lignes
from classees
left join {{ ref('int_entreprises__etablissements') }} as etablissements
    on classees.type_identifiant = 'SIRET' and classees.tiers_id = etablissements.siret
left join {{ ref('int_entreprises__unites_legales') }} as unites_legales
    on classees.type_identifiant = 'SIRET' and unites_legales.siren = left(classees.tiers_id, 9)
left join {{ ref('int_registre__fournisseurs_courants') }} as fournisseurs
    on classees.tiers_id = fournisseurs.siret
left join
    {{ ref('ratios_monetaires') }} as ratios
    on classees.categorie_achat = ratios.categorie_achat
