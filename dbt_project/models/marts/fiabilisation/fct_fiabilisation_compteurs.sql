-- Counts per semester, perimetre and rule, and their trend from one semester to the next.
-- nb_anomalies_releve: the count the first night after the semester's end recorded
-- (int_fiabilisation__releves), NULL while the semester is running or before the history began;
-- nb_anomalies_restantes: tonight's count (corrections made since lower it). The trend compares
-- nb_anomalies (the recorded count, else tonight's) with the previous semester's: amelioration
-- when it falls, degradation when it rises, stable, NULL for the first semester.
with comptes as (
    select
        comptes.*,
        releves.nb_anomalies as nb_anomalies_releve,
        releves.releve_le,
        coalesce(releves.nb_anomalies, comptes.nb_anomalies) as nb_reference
    from {{ ref('int_fiabilisation__comptes') }} as comptes
    left join
        {{ ref('int_fiabilisation__releves') }} as releves
        on comptes.compte_cle = releves.compte_cle
),

suivis as (
    select
        comptes.*,
        lag(comptes.nb_reference)
            over (partition by comptes.perimetre, comptes.regle order by comptes.semestre)
            as nb_precedent
    from comptes
)

select
    suivis.compte_cle::text as compteur_cle,
    suivis.semestre::text as semestre,
    suivis.perimetre::text as perimetre,
    suivis.regle::text as regle,
    regles.ordre::integer as regle_ordre,
    regles.systeme_source::text as systeme_source,
    suivis.nb_reference::integer as nb_anomalies,
    suivis.nb_anomalies_releve::integer as nb_anomalies_releve,
    suivis.releve_le::date as releve_le,
    suivis.nb_anomalies::integer as nb_anomalies_restantes,
    suivis.nb_precedent::integer as nb_anomalies_semestre_precedent,
    (suivis.nb_reference - suivis.nb_precedent)::integer as evolution,
    (case
        when suivis.nb_precedent is null then null
        when suivis.nb_reference < suivis.nb_precedent then 'amelioration'
        when suivis.nb_reference > suivis.nb_precedent then 'degradation'
        else 'stable'
    end)::text as tendance
from suivis
inner join {{ ref('regles_fiabilisation') }} as regles on suivis.regle = regles.regle
