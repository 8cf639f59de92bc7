-- Engagement 4 (communication): COMMUNICATION rows of the register by public_cible, and their
-- total (ventilation ''), on which the SPASER's « 2 communications / an à minima » is measured.
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ carrier_only(indicator_rows(
    'e04_nb_actions_communication', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'COMMUNICATION' and fait.public_cible = grille.valeur_ventilation)",
    ventilation_key='public_cible'), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e04_nb_actions_communication', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'COMMUNICATION')"), motif) }}
{% endcall %}
