-- Engagement 1 (gouvernance), from the SPASER team's register (registre.activites). The register
-- belongs to the SPASER's carrier (VRA) and to TOUS; other perimetres get NULL with the reason.
-- e01_nb_referentiels is cumulative: every REFERENTIEL dated on or before 31/12 of the year.
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
),

referentiels_cumules as (
    select activites.perimetre, annees.annee, activites.activite_cle
    from activites
    inner join (select distinct annee from {{ ref('int_indicateurs__annees_sources') }}) as annees
        on annees.annee >= activites.annee_activite
    where activites.type_activite = 'REFERENTIEL'
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ carrier_only(indicator_rows(
    'e01_nb_instances', ['registre.activites'], 'activites',
    'count(fait.activite_cle) filter (where fait.type_activite = grille.valeur_ventilation)',
    ventilation_key='type_instance'), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e01_nb_referentiels', ['registre.activites'], 'referentiels_cumules',
    'count(fait.activite_cle)'), motif) }}
{% endcall %}
