-- Count of tonight's anomalies per semester, perimetre (every buyer SIREN of the indicators, and
-- TOUS) and rule, zeros included: every semester from the earliest to the latest one holding an
-- anomaly. These counts follow the sources: a record corrected in its system leaves the count
-- of its semester. The counts as they stood when each semester closed are
-- int_fiabilisation__releves.
with anomalies as (
    select * from {{ ref('int_fiabilisation__anomalies') }}
),

debuts as (
    select
        make_date(
            left(semestre, 4)::integer, case when right(semestre, 1) = '1' then 1 else 7 end, 1
        )
            as debut
    from anomalies
),

semestres as (
    select
        {{ semestre('debut') }} as semestre,
        debut,
        (debut + interval '6 months')::date as fin
    from generate_series(
            (select min(debut) from debuts), (select max(debut) from debuts), interval '6 months'
        ) as serie (debut)
),

grille as (
    select
        semestres.semestre,
        semestres.debut,
        semestres.fin,
        perimetres.perimetre,
        regles.regle
    from semestres
    cross join {{ ref('int_indicateurs__perimetres') }} as perimetres
    cross join {{ ref('regles_fiabilisation') }} as regles
)

select
    {{ surrogate_key(['grille.semestre', 'grille.perimetre', 'grille.regle']) }} as compte_cle,
    grille.semestre,
    grille.debut,
    grille.fin,
    grille.perimetre,
    grille.regle,
    count(anomalies.anomalie_cle)::integer as nb_anomalies
from grille
left join anomalies
    on grille.semestre = anomalies.semestre
    and grille.regle = anomalies.regle
    and grille.perimetre in (anomalies.acheteur_siren, 'TOUS')
group by grille.semestre, grille.debut, grille.fin, grille.perimetre, grille.regle
