-- Territory of every SIRENE establishment (latest delivered row per siret), from its
-- codeCommuneEtablissement, as the most local class: agglo (a commune of the communes_agglo seed),
-- departement (the agglomeration's département), region (its région), france (any other commune).
-- département = first 2 characters of the commune code, 3 for 97x (Paris, Lyon and Marseille
-- arrondissement codes fall in their département); région through the departements seed.
-- An establishment without commune code cannot be located: inconnu, like a SIRET absent from
-- SIRENE.
with latest as (
    select distinct on (siret)
        siret,
        siren,
        nullif(code_commune_etablissement, '') as code_commune,
        denomination_usuelle_etablissement,
        etat_administratif_etablissement
    from {{ ref('stg_referentiels__sirene_etablissements') }}
    order by siret asc, _load_id desc, _record_number desc
),

located as (
    select
        latest.*,
        case
            when latest.code_commune like '97%' then left(latest.code_commune, 3) else
                left(latest.code_commune, 2)
        end
            as departement
    from latest
)

select
    located.siret,
    located.siren,
    located.denomination_usuelle_etablissement,
    located.etat_administratif_etablissement,
    located.code_commune,
    located.departement,
    departements.reg as region,
    case
        when located.code_commune is null then 'inconnu'
        when communes_agglo.insee_com is not null then 'agglo'
        when located.departement = '{{ var("departement_agglo") }}' then 'departement'
        when departements.reg = '{{ var("region_agglo") }}' then 'region'
        else 'france'
    end as territoire
from located
left join
    {{ ref('communes_agglo') }} as communes_agglo
    on located.code_commune = communes_agglo.insee_com
left join {{ ref('departements') }} as departements on located.departement = departements.dep
