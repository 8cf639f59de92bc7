-- The current titulaires of every current marché: the list of the modification with the highest
-- id that sets titulaires, else the record's own list (modification_rang 0). rang keeps the
-- delivered order: rang 1 is the "first titulaire" of the TPE/PME rule.
with listes as (
    select distinct on (titulaire.decp_enregistrement_cle)
        titulaire.decp_enregistrement_cle,
        titulaire.modification_rang
    from {{ ref('stg_marches__decp_titulaires') }} as titulaire
    left join {{ ref('stg_marches__decp_modifications') }} as modification
        on titulaire.decp_enregistrement_cle = modification.decp_enregistrement_cle
        and titulaire.modification_rang = modification.modification_rang
    order by
        titulaire.decp_enregistrement_cle asc,
        titulaire.modification_rang > 0 desc,
        modification.modification_id desc nulls last,
        titulaire.modification_rang desc
)

select
    {{ surrogate_key(['marche.marche_cle', 'titulaire.rang']) }} as marche_titulaire_cle,
    marche.marche_cle,
    marche.acheteur_siren,
    marche.annee_notification,
    titulaire.rang,
    titulaire.titulaire_id,
    {{ type_identifiant_entreprise('titulaire.titulaire_id', 'titulaire.type_identifiant') }}
        as type_identifiant,
    titulaire.type_identifiant as type_identifiant_decp,
    {{ entreprise_id('titulaire.titulaire_id') }} as entreprise_id
from {{ ref('int_marches__marches_courants') }} as marche
inner join listes on marche.decp_enregistrement_cle = listes.decp_enregistrement_cle
inner join {{ ref('stg_marches__decp_titulaires') }} as titulaire
    on listes.decp_enregistrement_cle = titulaire.decp_enregistrement_cle
    and listes.modification_rang = titulaire.modification_rang
