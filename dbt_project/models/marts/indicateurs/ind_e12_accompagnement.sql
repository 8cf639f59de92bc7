-- Engagement 12 (filières locales), from the register: technical support to companies
-- (ACCOMPAGNEMENT rows and their distinct companies) and workshops (ATELIER rows).
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ carrier_only(as_mesure(indicator_rows(
    'e12_nb_entreprises_accompagnees', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'ACCOMPAGNEMENT')"), 'accompagnements'), motif) }}

union all

{{ carrier_only(as_mesure(indicator_rows(
    'e12_nb_entreprises_accompagnees', ['registre.activites'], 'activites',
    "count(distinct fait.entreprise_siret) filter (where fait.type_activite = 'ACCOMPAGNEMENT')"), 'entreprises'), motif) }}

union all

{{ carrier_only(as_mesure(indicator_rows(
    'e12_nb_entreprises_accompagnees', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'ATELIER')"), 'ateliers'), motif) }}
{% endcall %}
