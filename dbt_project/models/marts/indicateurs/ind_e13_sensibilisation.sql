-- Engagement 13 (TPE/PME), from the register: companies made aware (quantite, else
-- nb_participants, of SENSIBILISATION rows) and downloads of the tools (TELECHARGEMENT rows).
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ carrier_only(indicator_rows(
    'e13_nb_entreprises_sensibilisees', ['registre.activites'], 'activites',
    "sum(coalesce(fait.quantite, fait.nb_participants)) filter (where fait.type_activite = 'SENSIBILISATION')"), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e13_nb_telechargements_outils', ['registre.activites'], 'activites',
    "sum(fait.quantite) filter (where fait.type_activite = 'TELECHARGEMENT')"), motif) }}
{% endcall %}
