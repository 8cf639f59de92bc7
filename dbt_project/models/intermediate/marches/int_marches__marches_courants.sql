-- The current version of every DECP marché (contrats de concession are not marchés):
-- * deduplicated on (acheteur.id, id): a contract published in both DECP formats keeps its
--   format 2024 record (the richer one: considérations, innovation); within a format the latest
--   datePublicationDonnees wins, on a tie the later delivery (_load_id desc, then _record_number
--   desc). Quarantined records never reach raw.marches_decp, so the last valid version stays
--   current;
-- * the considérations and marcheInnovant of a format 2019 record are NULL, not false: that
--   format did not publish them (considerations_publiees says which contracts carry them);
-- * montant and dureeMois are those of the modification with the highest id that sets them, else
--   the record's own; modifications never create a contract nor move dateNotification;
-- * linked to its consultation lot by (acheteur_siret, id_marche) = (acheteur.id, id);
-- * categorie_achat: the linked lot's categorie, else the CPV division (first two characters of
--   codeCPV, as text): 45 -> travaux, 03 to 44 and 48 -> fournitures, every other -> services.
with versions as (
    select
        contrat.*,
        row_number() over (
            partition by contrat.acheteur_id, contrat.id_marche
            order by
                contrat.format_decp = '2024' desc,
                contrat.date_publication_donnees desc nulls last,
                contrat._load_id desc, contrat._record_number desc
        ) as version_rang
    from {{ ref('stg_marches__decp_contrats') }} as contrat
    where contrat.type_contrat = 'marche'
),

courants as (
    select * from versions
    where version_rang = 1
),

montant_modifie as (
    select distinct on (decp_enregistrement_cle)
        decp_enregistrement_cle,
        montant
    from {{ ref('stg_marches__decp_modifications') }}
    where montant is not null
    order by decp_enregistrement_cle asc, modification_id desc nulls last, modification_rang desc
),

duree_modifiee as (
    select distinct on (decp_enregistrement_cle)
        decp_enregistrement_cle,
        duree_mois
    from {{ ref('stg_marches__decp_modifications') }}
    where duree_mois is not null
    order by decp_enregistrement_cle asc, modification_id desc nulls last, modification_rang desc
),

considerations as (
    select
        decp_enregistrement_cle,
        bool_or(consideration = 'Clause sociale') as clause_sociale,
        bool_or(consideration = 'Critère social') as critere_social,
        bool_or(consideration = 'Marché réservé') as marche_reserve,
        bool_or(consideration = 'Clause environnementale') as clause_environnementale,
        bool_or(consideration = 'Critère environnemental') as critere_environnemental
    from {{ ref('stg_marches__decp_considerations') }}
    group by decp_enregistrement_cle
),

-- A marché normally results from one lot; should several lots name the same marché, the first
-- one (id_consultation, lot) gives its consultation, lot and categorie, and a lot flag
-- (variantes, réservé, insertion, MPGP) holds when any of them has it.
lots_lies as (
    select
        acheteur_siret,
        id_marche,
        (array_agg(id_consultation order by id_consultation, lot))[1] as id_consultation,
        (array_agg(lot order by id_consultation, lot))[1] as lot,
        (array_agg(categorie order by id_consultation, lot))[1] as categorie,
        bool_or(variantes_autorisees) as variantes_autorisees,
        bool_or(marche_reserve) as marche_reserve,
        bool_or(marche_insertion) as marche_insertion,
        bool_or(mpgp) as mpgp
    from {{ ref('int_marches__lots_courants') }}
    where id_marche is not null
    group by acheteur_siret, id_marche
),

marches as (
    select
        {{ surrogate_key(['courants.acheteur_id', 'courants.id_marche']) }} as marche_cle,
        courants.decp_enregistrement_cle,
        courants.acheteur_id,
        left(courants.acheteur_id, 9) as acheteur_siren,
        courants.id_marche,
        courants.nature,
        courants.objet,
        courants.code_cpv,
        courants.procedure,
        courants.techniques,
        courants.date_notification,
        courants.date_publication_donnees,
        coalesce(duree_modifiee.duree_mois, courants.duree_mois) as duree_mois,
        coalesce(montant_modifie.montant, courants.montant) as montant,
        courants.format_decp,
        courants.format_decp = '2024' as considerations_publiees,
        courants.marche_innovant,
        {% for consideration in ['clause_sociale', 'critere_social', 'marche_reserve',
                                 'clause_environnementale', 'critere_environnemental'] -%}
        case
            when
                courants.format_decp = '2024'
                then coalesce(considerations.{{ consideration }}, false)
        end
            as {{ consideration }},
        {% endfor -%}
        lots_lies.id_consultation,
        lots_lies.lot,
        lots_lies.categorie as lot_categorie,
        coalesce(lots_lies.variantes_autorisees, false) as variantes_autorisees,
        coalesce(lots_lies.marche_reserve, false) as lot_marche_reserve,
        coalesce(lots_lies.marche_insertion, false) as lot_marche_insertion,
        coalesce(lots_lies.mpgp, false) as lot_mpgp,
        courants._source_file as source_fichier
    from courants
    left join
        montant_modifie
        on courants.decp_enregistrement_cle = montant_modifie.decp_enregistrement_cle
    left join
        duree_modifiee
        on courants.decp_enregistrement_cle = duree_modifiee.decp_enregistrement_cle
    left join
        considerations
        on courants.decp_enregistrement_cle = considerations.decp_enregistrement_cle
    left join lots_lies
        on courants.acheteur_id = lots_lies.acheteur_siret
        and courants.id_marche = lots_lies.id_marche
)

select
    marches.*,
    extract(year from marches.date_notification)::integer as annee_notification,
    -- DECP's dureeMois includes potential renewals: the end is notification + dureeMois calendar
    -- months.
    (marches.date_notification + make_interval(months => marches.duree_mois))::date as date_fin,
    case
        when
            marches.lot_categorie in ('travaux', 'fournitures', 'services')
            then marches.lot_categorie
        when left(marches.code_cpv, 2) = '45' then 'travaux'
        when
            left(marches.code_cpv, 2) between '03' and '44' or left(marches.code_cpv, 2) = '48'
            then 'fournitures'
        else 'services'
    end as categorie_achat,
    marches.clause_sociale
    or marches.critere_social
    or marches.marche_reserve as consideration_sociale,
    marches.clause_environnementale
    or marches.critere_environnemental as consideration_environnementale,
    'Système d''acquisition dynamique' = any(marches.techniques) as systeme_acquisition_dynamique
from marches
