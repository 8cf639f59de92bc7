-- The half-yearly reliability report, one row per record to correct (rules and semester of a
-- record: int_fiabilisation__anomalies; sentences, owner system, indicators: regles_fiabilisation).
select
    anomalies.anomalie_cle::text as anomalie_cle,
    anomalies.semestre::text as semestre,
    anomalies.acheteur_siren::text as acheteur_siren,
    coalesce(collectivites.nom, anomalies.acheteur_siren)::text as acheteur_nom,
    anomalies.regle::text as regle,
    regles.ordre::integer as regle_ordre,
    regles.enonce::text as regle_enonce,
    regles.systeme_source::text as systeme_source,
    anomalies.enregistrement_cle::text as enregistrement_cle,
    anomalies.date_reference::date as date_reference,
    anomalies.detail::text as detail,
    anomalies.montant_ht::numeric as montant_ht,
    replace(regles.indicateurs, ' ', ', ')::text as indicateurs
from {{ ref('int_fiabilisation__anomalies') }} as anomalies
inner join {{ ref('regles_fiabilisation') }} as regles on anomalies.regle = regles.regle
left join
    {{ ref('collectivites') }} as collectivites
    on anomalies.acheteur_siren = collectivites.siren
