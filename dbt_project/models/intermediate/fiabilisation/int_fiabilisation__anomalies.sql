-- Half-yearly reliability report (SPASER engagement 2: « requête semestrielle pour suivi et
-- fiabilisation des indicateurs »): one row per record to correct in its source system and rule
-- it breaks. The rules' sentences, owner systems and affected indicators are the
-- regles_fiabilisation seed; here is how each is checked.
--
-- Semester of a record (semestre): the half-year of the date at which the defect arises, from the
-- record's own business date, never from the night that saw it (a late delivery lands in the
-- semester of its event, a rerun gives the same semesters):
--   a marché: its notification; a lot: its closing date, else its launch; a bid: its deposit, else
--   its lot's launch; a consultation: its first lot launch; a mandat: its date; a contract paid
--   without DECP: the mandat with which its payments reach the publication threshold; a contract
--   without payment: notification + delai_paiement_mois (the day the delay expires); insertion
--   hours: their month.
-- Grouped records (payments to another SIRET, an unknown payee, hours on an unknown contract) make
-- one row per key and semester: the key names what to correct, not each mandat line.
--
-- A rule is checked only for a buyer whose source system delivers what it compares with: a DECP
-- contract without lot only where the buyer's market software delivers lots, a consultation
-- without fiche only where its GED delivers fiches, a contract without payment only where the
-- buyer's mandats go past the delay, unknown to SIRENE only when a SIRENE extract is loaded,
-- DECP comparisons only for buyers that publish DECP. Otherwise every record would be "wrong"
-- because a source is not connected, which the night's file log already says.
-- Closed establishments: SIRENE's current state (etatAdministratifEtablissement = F).
with marches as (
    select * from {{ ref('int_marches__marches_courants') }}
),

lots as (
    select * from {{ ref('int_marches__lots_courants') }}
),

mandats as (
    select * from {{ ref('int_finance__mandats_lignes') }}
),

etablissements as (
    select * from {{ ref('int_entreprises__etablissements') }}
),

sirene_chargee as (
    select exists(select from etablissements) as chargee
),

-- DECP marchés by (SIREN, id_marche), as finance names them (fct_depenses links the same way).
marches_par_siren as (
    select distinct on (acheteur_siren, id_marche)
        acheteur_siren,
        id_marche,
        marche_cle,
        date_notification
    from marches
    order by acheteur_siren, id_marche, acheteur_id
),

acheteurs_decp as (
    select distinct acheteur_siren from marches
),

decp_sans_lot as (
    select
        'decp_sans_lot' as regle,
        marches.acheteur_siren,
        marches.marche_cle as enregistrement_cle,
        marches.date_notification as date_reference,
        'marché '
        || marches.id_marche
        || ' notifié le '
        || to_char(marches.date_notification, 'DD/MM/YYYY')
        || ' (' || coalesce(marches.objet, 'sans objet') || ')' as detail,
        marches.montant as montant_ht
    from marches
    where marches.id_consultation is null
        and exists (
            select from lots
            where lots.acheteur_siret = marches.acheteur_id
        )
),

lots_attribues as (
    select
        lots.*,
        coalesce(lots.date_cloture, lots.date_lancement) as date_reference
    from lots
    where lots.statut = 'attribue'
        and coalesce(lots.montant_estime_ht >= {{ var('seuil_publication_decp_ht') }}, true)
        and coalesce(lots.date_cloture, lots.date_lancement) is not null
),

lot_sans_id_marche as (
    select
        'lot_sans_id_marche' as regle,
        acheteur_siren,
        lot_cle as enregistrement_cle,
        date_reference,
        'consultation '
        || id_consultation
        || ', lot '
        || lot
        || ' attribué sans identifiant de marché ('
        || coalesce(objet, 'sans objet') || ')' as detail,
        montant_estime_ht as montant_ht
    from lots_attribues
    where id_marche is null
),

lot_marche_absent_decp as (
    select
        'lot_marche_absent_decp' as regle,
        lots_attribues.acheteur_siren,
        lots_attribues.lot_cle as enregistrement_cle,
        lots_attribues.date_reference,
        'consultation '
        || lots_attribues.id_consultation
        || ', lot '
        || lots_attribues.lot
        || ' : marché '
        || lots_attribues.id_marche || ' absent des DECP' as detail,
        lots_attribues.montant_estime_ht as montant_ht
    from lots_attribues
    where lots_attribues.id_marche is not null
        and lots_attribues.acheteur_siren in (
            select acheteurs_decp.acheteur_siren from acheteurs_decp
        )
        and not exists (
            select from marches
            where marches.acheteur_id = lots_attribues.acheteur_siret
                and marches.id_marche = lots_attribues.id_marche
        )
),

offres as (
    select
        offre.*,
        coalesce(offre.date_depot, lot.date_lancement) as date_reference
    from {{ ref('int_marches__offres_courantes') }} as offre
    left join lots as lot on offre.lot_cle = lot.lot_cle
),

-- The bid's current delivery carries the loader's check-digit warning on its identifier.
offres_invalides as (
    select offres.*
    from offres
    where exists (
            select from {{ ref('stg_extraction__signalements') }} as signalement
            where signalement.load_id = offres._load_id
                and signalement.source = 'marches/offres'
                and signalement.champ = 'soumissionnaire_siret'
                and signalement.cle = concat_ws(
                    '|', offres.acheteur_siret, offres.id_consultation,
                    offres.lot::text, offres.soumissionnaire_id
                )
        )
),

offre_identifiant_invalide as (
    select
        'offre_identifiant_invalide' as regle,
        acheteur_siren,
        offre_cle as enregistrement_cle,
        date_reference,
        'consultation ' || id_consultation || ', lot ' || lot || ' : SIRET ' || soumissionnaire_id
        || ' invalide (clé de contrôle)' as detail,
        null::numeric as montant_ht
    from offres_invalides
    where date_reference is not null
),

consultations as (
    select
        acheteur_siret,
        acheteur_siren,
        id_consultation,
        min(date_lancement) as date_lancement,
        min(objet) as objet
    from lots
    group by acheteur_siret, acheteur_siren, id_consultation
),

fiches as (
    select * from {{ ref('int_ged__fiches_courantes') }}
),

consultation_sans_fiche as (
    select
        'consultation_sans_fiche' as regle,
        consultations.acheteur_siren,
        {{ surrogate_key(['consultations.acheteur_siret', 'consultations.id_consultation']) }}
            as enregistrement_cle,
        consultations.date_lancement as date_reference,
        'consultation ' || consultations.id_consultation || ' lancée le '
        || to_char(consultations.date_lancement, 'DD/MM/YYYY') || ' sans fiche opération' as detail,
        null::numeric as montant_ht
    from consultations
    where consultations.date_lancement is not null
        and exists (
            select from fiches
            where fiches.acheteur_siret = consultations.acheteur_siret
        )
        and not exists (
            select from fiches
            where fiches.acheteur_siret = consultations.acheteur_siret
                and fiches.id_consultation = consultations.id_consultation
        )
),

-- Payments by contract reference, in date order: the running total says when the publication
-- threshold is reached (cancellations, negative, count at their date).
paiements_contrat as (
    select
        collectivite_siren as acheteur_siren,
        id_marche,
        date_mandat,
        sum(montant_ht) over (
            partition by collectivite_siren, id_marche order by date_mandat, mandat_cle
        ) as cumul_ht,
        sum(montant_ht) over (partition by collectivite_siren, id_marche) as total_ht
    from mandats
    where id_marche is not null
),

paiement_sans_decp as (
    select
        'paiement_sans_decp' as regle,
        paiements.acheteur_siren,
        {{ surrogate_key(['paiements.acheteur_siren', 'paiements.id_marche']) }}
            as enregistrement_cle,
        min(paiements.date_mandat) as date_reference,
        'marché ' || paiements.id_marche || ' : ' || round(max(paiements.total_ht), 2)::text
        || ' € HT payés, absent des DECP' as detail,
        max(paiements.total_ht) as montant_ht
    from paiements_contrat as paiements
    where paiements.cumul_ht >= {{ var('seuil_publication_decp_ht') }}
        and paiements.total_ht >= {{ var('seuil_publication_decp_ht') }}
        and paiements.acheteur_siren in (select acheteurs_decp.acheteur_siren from acheteurs_decp)
        and not exists (
            select from marches_par_siren as marche
            where marche.acheteur_siren = paiements.acheteur_siren
                and marche.id_marche = paiements.id_marche
        )
    group by paiements.acheteur_siren, paiements.id_marche
),

dernier_mandat as (
    select
        collectivite_siren as acheteur_siren,
        max(date_mandat) as date_mandat
    from mandats
    group by collectivite_siren
),

decp_sans_paiement as (
    select
        'decp_sans_paiement' as regle,
        marches.acheteur_siren,
        marches.marche_cle as enregistrement_cle,
        (
            marches.date_notification + make_interval(months => {{ var('delai_paiement_mois') }})
        )::date
            as date_reference,
        'marché '
        || marches.id_marche
        || ' notifié le '
        || to_char(marches.date_notification, 'DD/MM/YYYY')
        || ', aucun mandat au ' || to_char(dernier_mandat.date_mandat, 'DD/MM/YYYY') as detail,
        marches.montant as montant_ht
    from marches
    inner join dernier_mandat on marches.acheteur_siren = dernier_mandat.acheteur_siren
    where marches.date_notification + make_interval(months => {{ var('delai_paiement_mois') }})
        <= dernier_mandat.date_mandat
        and not exists (
            select from mandats
            where mandats.collectivite_siren = marches.acheteur_siren
                and mandats.id_marche = marches.id_marche
        )
),

titulaires as (
    select
        marche_cle,
        array_agg(titulaire_id order by rang) as titulaire_ids
    from {{ ref('int_marches__titulaires_courants') }}
    group by marche_cle
),

paiement_autre_siret as (
    select
        'paiement_autre_siret' as regle,
        mandats.collectivite_siren as acheteur_siren,
        {{ surrogate_key(['marche.marche_cle', 'mandats.tiers_id']) }} as enregistrement_cle,
        min(mandats.date_mandat) as date_reference,
        'marché '
        || marche.id_marche
        || ' : '
        || count(*)
        || ' mandat(s) payé(s) au SIRET '
        || mandats.tiers_id
        || ', titulaire(s) DECP ' || array_to_string(min(titulaires.titulaire_ids), ', ') as detail,
        sum(mandats.montant_ht) as montant_ht,
        {{ semestre('mandats.date_mandat') }} as semestre
    from mandats
    inner join marches_par_siren as marche
        on mandats.collectivite_siren = marche.acheteur_siren
        and mandats.id_marche = marche.id_marche
    inner join titulaires on marche.marche_cle = titulaires.marche_cle
    where {{ is_siret('mandats.tiers_id') }}
        and not mandats.tiers_id = any(titulaires.titulaire_ids)
    group by
        mandats.collectivite_siren, marche.marche_cle, marche.id_marche, mandats.tiers_id,
        {{ semestre('mandats.date_mandat') }}
),

-- SIRENE state of a SIRET: absent, or closed (F).
hors_sirene as (
    select
        identifiants.siret,
        case
            when etablissements.siret is null then 'absent de SIRENE' else
                'établissement fermé dans SIRENE'
        end
            as constat
    from (
        select titulaire_id as siret from {{ ref('int_marches__titulaires_courants') }}
        union
        select tiers_id from mandats
        union
        select soumissionnaire_id from offres
    ) as identifiants
    left join etablissements on identifiants.siret = etablissements.siret
    where {{ is_siret('identifiants.siret') }}
        and (select sirene_chargee.chargee from sirene_chargee)
        and (etablissements.siret is null or etablissements.etat_administratif_etablissement = 'F')
),

titulaire_hors_sirene as (
    select
        'titulaire_hors_sirene' as regle,
        marches.acheteur_siren,
        titulaire.marche_titulaire_cle as enregistrement_cle,
        marches.date_notification as date_reference,
        'marché '
        || marches.id_marche
        || ' : titulaire '
        || titulaire.titulaire_id
        || ' '
        || hors_sirene.constat
            as detail,
        marches.montant as montant_ht
    from {{ ref('int_marches__titulaires_courants') }} as titulaire
    inner join marches on titulaire.marche_cle = marches.marche_cle
    inner join hors_sirene on titulaire.titulaire_id = hors_sirene.siret
),

tiers_hors_sirene as (
    select
        'tiers_hors_sirene' as regle,
        mandats.collectivite_siren as acheteur_siren,
        {{ surrogate_key(['mandats.collectivite_siren', 'mandats.tiers_id']) }}
            as enregistrement_cle,
        min(mandats.date_mandat) as date_reference,
        'tiers ' || mandats.tiers_id || ' (' || coalesce(max(mandats.tiers_nom), 'sans nom') || ') '
        || min(hors_sirene.constat) || ' : ' || count(*) || ' mandat(s)' as detail,
        sum(mandats.montant_ht) as montant_ht,
        {{ semestre('mandats.date_mandat') }} as semestre
    from mandats
    inner join hors_sirene on mandats.tiers_id = hors_sirene.siret
    group by mandats.collectivite_siren, mandats.tiers_id, {{ semestre('mandats.date_mandat') }}
),

soumissionnaire_hors_sirene as (
    select
        'soumissionnaire_hors_sirene' as regle,
        offres.acheteur_siren,
        offres.offre_cle as enregistrement_cle,
        offres.date_reference,
        'consultation ' || offres.id_consultation || ', lot ' || offres.lot || ' : soumissionnaire '
        || offres.soumissionnaire_id || ' ' || hors_sirene.constat as detail,
        null::numeric as montant_ht
    from offres
    inner join hors_sirene on offres.soumissionnaire_id = hors_sirene.siret
    where offres.date_reference is not null
        and offres.offre_cle not in (select offres_invalides.offre_cle from offres_invalides)
),

heures_sans_decp as (
    select
        'heures_sans_decp' as regle,
        heures.acheteur_siren,
        {{ surrogate_key(['heures.acheteur_siret', 'heures.id_marche']) }} as enregistrement_cle,
        min(heures.mois) as date_reference,
        coalesce(
            'marché ' || heures.id_marche || ' inconnu des DECP',
            'heures sans identifiant de marché'
        )
        || ' : ' || round(sum(heures.heures), 1)::text || ' heure(s)' as detail,
        null::numeric as montant_ht,
        {{ semestre('heures.mois') }} as semestre
    from {{ ref('int_insertion__heures_courantes') }} as heures
    where heures.acheteur_siren in (select acheteurs_decp.acheteur_siren from acheteurs_decp)
        and not exists (
            select from marches
            where marches.acheteur_id = heures.acheteur_siret
                and marches.id_marche = heures.id_marche
        )
    group by
        heures.acheteur_siren,
        heures.acheteur_siret,
        heures.id_marche,
        {{ semestre('heures.mois') }}
),

-- Only format 2024 records publish considérations: a format 2019 contract cannot be judged.
clause_insertion_sans_clause_sociale as (
    select
        'clause_insertion_sans_clause_sociale' as regle,
        marches.acheteur_siren,
        marches.marche_cle as enregistrement_cle,
        marches.date_notification as date_reference,
        'marché ' || marches.id_marche || ' (consultation ' || marches.id_consultation
        || ') : clause d''insertion retenue dans la fiche, aucune clause sociale dans les DECP'
            as detail,
        marches.montant as montant_ht
    from marches
    inner join fiches
        on marches.acheteur_id = fiches.acheteur_siret
        and marches.id_consultation = fiches.id_consultation
    where fiches.clause_insertion_retenue
        and marches.considerations_publiees
        and not marches.clause_sociale
),

unitaires as (
    select * from decp_sans_lot
    union all
    select * from lot_sans_id_marche
    union all
    select * from lot_marche_absent_decp
    union all
    select * from offre_identifiant_invalide
    union all
    select * from consultation_sans_fiche
    union all
    select * from paiement_sans_decp
    union all
    select * from decp_sans_paiement
    union all
    select * from titulaire_hors_sirene
    union all
    select * from soumissionnaire_hors_sirene
    union all
    select * from clause_insertion_sans_clause_sociale
),

par_semestre as (
    select * from paiement_autre_siret
    union all
    select * from tiers_hors_sirene
    union all
    select * from heures_sans_decp
)

select
    {{ surrogate_key(['regle', 'semestre', 'enregistrement_cle']) }} as anomalie_cle,
    regle,
    semestre,
    acheteur_siren,
    enregistrement_cle,
    date_reference,
    detail,
    montant_ht
from (
    select
        unitaires.*,
        {{ semestre('unitaires.date_reference') }} as semestre
    from unitaires
    union all
    select * from par_semestre
) as anomalies
