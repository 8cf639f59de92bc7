-- The current fiche opération of every consultation, with the consultation's launch: a
-- consultation is launched on the earliest date_lancement of its lots in the market software.
-- annee_lancement is NULL while no lot of the consultation has been launched (or the consultation
-- is not in the market software's export): the indicators that read it count consultations
-- "launched in the year", and a validated fiche is not a launch, so such a fiche counts in no year
-- until the launch appears (issue 16). annee_validation dates the GED's own delivery.
with courantes as (
    {{ latest_version(ref('stg_ged__fiches_operation'), 'consultation_cle') }}
),

consultations as (
    select
        acheteur_siret,
        id_consultation,
        min(date_lancement) as date_lancement
    from {{ ref('int_marches__lots_courants') }}
    group by acheteur_siret, id_consultation
)

select
    courantes.consultation_cle,
    courantes.acheteur_siret,
    left(courantes.acheteur_siret, 9) as acheteur_siren,
    courantes.id_consultation,
    courantes.date_validation,
    consultations.date_lancement,
    extract(year from consultations.date_lancement)::integer as annee_lancement,
    extract(year from courantes.date_validation)::integer as annee_validation,
    courantes.segment,
    courantes.sourcing_realise,
    courantes.clause_insertion_etudiee,
    courantes.clause_insertion_retenue,
    courantes.egalite_fh_questionnee,
    courantes.besoin_repense_egalite_fh,
    courantes.clause_environnementale,
    courantes.critere_environnemental,
    courantes.cout_global,
    courantes.critere_carbone,
    courantes.label_exige,
    courantes.exigence_sans_perturbateurs_endocriniens,
    courantes.clause_reemploi_biosources,
    courantes.familles_agec,
    courantes.autres,
    courantes._source_file as source_fichier
from courantes
left join consultations
    on courantes.acheteur_siret = consultations.acheteur_siret
    and courantes.id_consultation = consultations.id_consultation
