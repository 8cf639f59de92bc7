-- Share of purchase spend made under a published contract, per buyer and year of the mandats:
-- spend whose mandat names a current DECP marché of the same collectivité (fct_depenses.marche_cle)
-- over all purchase spend (fct_depenses: purchase accounts, net of cancellations).
select
    {{ surrogate_key(['acheteur_siren', 'annee_mandat']) }}::text as part_cle,
    acheteur_siren::text as acheteur_siren,
    annee_mandat::integer as annee,
    sum(montant_ht)::numeric as montant_achats_ht,
    coalesce(sum(montant_ht) filter (where marche_cle is not null), 0)::numeric
        as montant_sous_marche_publie_ht,
    (
        100 * coalesce(sum(montant_ht) filter (where marche_cle is not null), 0)
        / nullif(sum(montant_ht), 0)
    )::numeric as part_sous_marche_publie_pct
from {{ ref('fct_depenses') }}
group by acheteur_siren, annee_mandat
