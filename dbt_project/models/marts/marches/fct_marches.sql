with titulaires as (
    select
        titulaire.marche_cle,
        count(*) as nb_titulaires,
        (array_agg(titulaire.titulaire_id order by titulaire.rang))[1] as titulaire_principal_id,
        (array_agg(titulaire.entreprise_id order by titulaire.rang))[1]
            as titulaire_principal_entreprise_id
    from {{ ref('int_marches__titulaires_courants') }} as titulaire
    group by titulaire.marche_cle
)

select
    marche.marche_cle::text as marche_cle,
    marche.acheteur_id::text as acheteur_id,
    marche.acheteur_siren::text as acheteur_siren,
    marche.id_marche::text as id_marche,
    marche.nature::text as nature,
    marche.objet::text as objet,
    marche.code_cpv::text as code_cpv,
    marche.procedure::text as procedure,
    marche.date_notification::date as date_notification,
    marche.annee_notification::integer as annee_notification,
    marche.duree_mois::integer as duree_mois,
    marche.montant::numeric as montant,
    marche.date_fin::date as date_fin,
    marche.categorie_achat::text as categorie_achat,
    marche.clause_sociale::boolean as clause_sociale,
    marche.critere_social::boolean as critere_social,
    marche.marche_reserve::boolean as marche_reserve,
    marche.consideration_sociale::boolean as consideration_sociale,
    marche.clause_environnementale::boolean as clause_environnementale,
    marche.critere_environnemental::boolean as critere_environnemental,
    marche.consideration_environnementale::boolean as consideration_environnementale,
    marche.marche_innovant::boolean as marche_innovant,
    marche.considerations_publiees::boolean as considerations_publiees,
    marche.format_decp::text as format_decp,
    marche.systeme_acquisition_dynamique::boolean as systeme_acquisition_dynamique,
    titulaires.titulaire_principal_id::text as titulaire_principal_id,
    titulaires.titulaire_principal_entreprise_id::text as titulaire_principal_entreprise_id,
    coalesce(entreprise.est_pme, false)::boolean as titulaire_principal_est_pme,
    coalesce(titulaires.nb_titulaires, 0)::integer as nb_titulaires,
    marche.id_consultation::text as id_consultation,
    marche.lot::integer as lot,
    marche.variantes_autorisees::boolean as variantes_autorisees,
    marche.lot_marche_reserve::boolean as lot_marche_reserve,
    marche.lot_marche_insertion::boolean as lot_marche_insertion,
    marche.lot_mpgp::boolean as lot_mpgp,
    marche.source_fichier::text as source_fichier
from {{ ref('int_marches__marches_courants') }} as marche
left join titulaires on marche.marche_cle = titulaires.marche_cle
left join {{ ref('int_entreprises__entreprises') }} as entreprise
    on titulaires.titulaire_principal_entreprise_id = entreprise.entreprise_id
