select
    lot.lot_cle::text as lot_cle,
    lot.acheteur_siret::text as acheteur_siret,
    lot.acheteur_siren::text as acheteur_siren,
    lot.id_consultation::text as id_consultation,
    lot.lot::integer as lot,
    lot.nb_lots::integer as nb_lots,
    lot.objet::text as objet,
    lot.categorie::text as categorie,
    lot.segment::text as segment,
    lot.code_cpv::text as code_cpv,
    lot.procedure::text as procedure,
    lot.montant_estime_ht::numeric as montant_estime_ht,
    lot.maitrise_oeuvre::boolean as maitrise_oeuvre,
    lot.date_lancement::date as date_lancement,
    lot.date_cloture::date as date_cloture,
    lot.statut::text as statut,
    lot.variantes_autorisees::boolean as variantes_autorisees,
    lot.marche_reserve::boolean as marche_reserve,
    lot.marche_insertion::boolean as marche_insertion,
    lot.mpgp::boolean as mpgp,
    lot.id_marche::text as id_marche,
    lot.annee_lancement::integer as annee_lancement,
    lot.annee_cloture::integer as annee_cloture,
    marche.marche_cle::text as marche_cle,
    lot.source_fichier::text as source_fichier
from {{ ref('int_marches__lots_courants') }} as lot
left join {{ ref('int_marches__marches_courants') }} as marche
    on lot.acheteur_siret = marche.acheteur_id and lot.id_marche = marche.id_marche
