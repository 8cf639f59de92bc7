-- Engagement 11 (dynamique territoriale), from the register: partnership meetings and the
-- programme of actions, carried by the collectivité ("collectivite") or by partners (any other porteur).
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
)

{% set motif = "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville" %}

{{ carrier_only(indicator_rows(
    'e11_nb_reunions_partenariales', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'REUNION_PARTENARIALE')"), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e11_nb_actions_programmees', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'ACTION_PROGRAMME')"), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e11_nb_partenaires_impliques', ['registre.activites'], 'activites',
    "count(distinct lower(fait.porteur)) filter (where fait.type_activite = 'ACTION_PROGRAMME' and lower(fait.porteur) <> 'collectivite')"), motif) }}

union all

{{ carrier_only(indicator_rows(
    'e11_actions_portees_partenaires_pct', ['registre.activites'], 'activites',
    "count(fait.activite_cle) filter (where fait.type_activite = 'ACTION_PROGRAMME' and lower(fait.porteur) <> 'collectivite')",
    "count(fait.activite_cle) filter (where fait.type_activite = 'ACTION_PROGRAMME')",
    motif_denominateur_vide="dénominateur vide : aucune action programmée dans l'année"), motif) }}
{% endcall %}
