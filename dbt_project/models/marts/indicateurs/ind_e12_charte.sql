-- Engagement 12: companies that signed the sustainable-purchasing charter, cumulative (target 100
-- by 2025): distinct siret of the supplier register with date_signature_charte on or before 31/12
-- of the year (issue 16).
-- - One row per year, without holes, from the first signature year to the warehouse's latest year
--   (the latest year with data in any source): a year without a new signature keeps the count.
-- - The register is the SPASER team's and names no buyer: Valence Romans Agglo and TOUS carry the
--   count, every other collectivité NULL with the reason (a count there would claim it signed).
-- - Decision on corrections: the value is the count as of each year's end read from tonight's
--   register, so that a corrected signature date (a typing error) is corrected everywhere; but the
--   correction is never silent: when an earlier state of the register (as delivered up to an earlier
--   file, int_registre__fournisseurs_etats) gave another count for that year, the motif says which
--   and how many, and the value published before stays readable there.
{% call withhold_failing_values() %}
with courant as (
    select max(etat_load_id) as etat_load_id from {{ ref('int_registre__fournisseurs_etats') }}
),

signatures_courantes as (
    select etats.siret, extract(year from etats.date_signature_charte)::integer as annee_signature
    from {{ ref('int_registre__fournisseurs_etats') }} as etats
    inner join courant on courant.etat_load_id = etats.etat_load_id
    where etats.date_signature_charte is not null
),

annees as (
    select generate_series(
        (select min(annee_signature) from signatures_courantes),
        greatest(
            (select max(annee_signature) from signatures_courantes),
            (select max(annee) from {{ ref('int_indicateurs__annees_sources') }})
        )
    )::integer as annee
),

comptes as (
    select
        etats.etat_load_id,
        etats.etat_fichier,
        annees.annee,
        count(distinct etats.siret) filter (
            where extract(year from etats.date_signature_charte) <= annees.annee
        ) as nb_signataires
    from {{ ref('int_registre__fournisseurs_etats') }} as etats
    cross join annees
    group by etats.etat_load_id, etats.etat_fichier, annees.annee
),

valeurs_courantes as (
    select comptes.annee, comptes.nb_signataires
    from comptes
    inner join courant on courant.etat_load_id = comptes.etat_load_id
),

-- For each year, the most recent earlier state of the register that counted differently.
revisions as (
    select distinct on (comptes.annee) comptes.annee, comptes.nb_signataires, comptes.etat_fichier
    from comptes
    inner join courant on comptes.etat_load_id < courant.etat_load_id
    inner join valeurs_courantes on valeurs_courantes.annee = comptes.annee
    where comptes.nb_signataires <> valeurs_courantes.nb_signataires
    order by comptes.annee, comptes.etat_load_id desc
),

lignes as (
    select
        'e12_nb_signataires_charte'::text as indicateur_id,
        perimetres.perimetre,
        valeurs_courantes.annee,
        ''::text as ventilation,
        valeurs_courantes.nb_signataires::numeric as valeur,
        null::numeric as numerateur,
        null::numeric as denominateur,
        case when revisions.annee is not null then
            'valeur corrigée par une livraison ultérieure du registre : ' || revisions.nb_signataires
            || ' signataire(s) au 31/12/' || revisions.annee || ' selon le registre livré jusqu''au fichier '
            || revisions.etat_fichier
        end::text as motif
    from valeurs_courantes
    cross join {{ ref('int_indicateurs__perimetres') }} as perimetres
    left join revisions on revisions.annee = valeurs_courantes.annee
)

{{ carrier_only('select * from lignes', "registre des fournisseurs tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville") }}
{% endcall %}
