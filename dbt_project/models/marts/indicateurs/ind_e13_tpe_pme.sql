-- Engagement 13 (TPE/PME). Bids by date_depot, marchés by dateNotification, lots and
-- consultations by date_lancement. Bidders are distinct companies (SIREN), excluded bids included.
-- TPE/PME of the first current titulaire; mesure=montant weighs marchés by their current montant.
-- A consultation (acheteur_siret, id_consultation) is launched at its earliest lot date_lancement,
-- is formalised when one of its lots has a formalised procedure, and is allotie when nb_lots > 1.
{% call withhold_failing_values() %}
with offres as (
    {{ per_perimetre(ref('fct_offres'), 'annee_depot') }}
),

soumissionnaires as (
    select distinct perimetre, annee, entreprise_id, est_pme, est_tpe from offres
),

marches as (
    {{ per_perimetre(ref('fct_marches'), 'annee_notification') }}
),

lots_simplifiables as (
    {{ per_perimetre(ref('fct_lots'), 'annee_lancement') }}
    where fait.montant_estime_ht < 40000
        and not fait.maitrise_oeuvre
        and fait.segment is distinct from 'prestations_intellectuelles'
),

consultations as (
    select
        acheteur_siren,
        acheteur_siret,
        id_consultation,
        extract(year from min(date_lancement))::integer as annee_lancement,
        bool_or(procedure in ('appel_offres_ouvert', 'appel_offres_restreint', 'procedure_negociee', 'dialogue_competitif'))
            as formalisee,
        coalesce(max(nb_lots) > 1, false) as allotie
    from {{ ref('fct_lots') }}
    group by acheteur_siren, acheteur_siret, id_consultation
),

consultations_formalisees as (
    {{ per_perimetre('consultations', 'annee_lancement') }}
    where fait.formalisee
)

{{ indicator_rows(
    'e13_nb_tpe_pme_soumissionnaires', ['marches.offres', 'referentiels.sirene'], 'soumissionnaires',
    "count(distinct fait.entreprise_id) filter (where case grille.valeur_ventilation when 'pme' then fait.est_pme else fait.est_tpe end)",
    ventilation_key='taille') }}

union all

{{ indicator_rows(
    'e13_mp_attribues_tpe_pme_pct', ['marches.decp', 'referentiels.sirene'], 'marches',
    "case grille.valeur_ventilation when 'nombre' then count(fait.marche_cle) filter (where fait.titulaire_principal_est_pme)"
    ~ " else sum(fait.montant) filter (where fait.titulaire_principal_est_pme) end",
    "case grille.valeur_ventilation when 'nombre' then count(fait.marche_cle) else sum(fait.montant) end",
    ventilation_key='mesure',
    motif_denominateur_vide="dénominateur vide : aucun marché notifié dans l'année (ou montant total nul)") }}

union all

{{ indicator_rows(
    'e13_nb_courriers_reserves', ['marches.offres'], 'offres',
    'count(fait.offre_cle) filter (where not fait.retenue and fait.demande_motifs_rejet)') }}

union all

{{ indicator_rows(
    'e13_procedure_simplifiee_moins_40k_pct', ['marches.consultations'], 'lots_simplifiables',
    "count(fait.lot_cle) filter (where fait.procedure in ('bon_de_commande', 'lettre_consultation'))",
    'count(fait.lot_cle)',
    motif_denominateur_vide="dénominateur vide : aucun lot de moins de 40 000 € HT (hors MOE et PI) lancé dans l'année") }}

union all

{{ indicator_rows(
    'e13_allotissement_pct', ['marches.consultations'], 'consultations_formalisees',
    'count(fait.id_consultation) filter (where fait.allotie)',
    'count(fait.id_consultation)',
    motif_denominateur_vide="dénominateur vide : aucune consultation formalisée lancée dans l'année") }}
{% endcall %}
