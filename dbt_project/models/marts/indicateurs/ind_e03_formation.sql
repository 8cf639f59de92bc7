-- Engagement 3 (sourcing, formation): agents trained (register, FORMATION rows, sum of
-- nb_participants) and consultations launched in the year whose fiche opération says sourcing.
-- A consultation's launch year: its fiche's annee_lancement (the consultation's earliest lot
-- launch; a fiche whose consultation was never launched counts in no year: int_ged__fiches_courantes).
{% call withhold_failing_values() %}
with activites as (
    {{ per_perimetre('(select activite.*, ' ~ siren_porteur_spaser() ~ ' as acheteur_siren from ' ~ ref('fct_activites') ~ ' as activite)', 'annee_activite') }}
),

fiches as (
    {{ per_perimetre(ref('fct_fiches_operation'), 'annee_lancement') }}
)

{{ carrier_only(indicator_rows(
    'e03_nb_agents_formes', ['registre.activites'], 'activites',
    "sum(fait.nb_participants) filter (where fait.type_activite = 'FORMATION')"), "registre tenu par l'équipe SPASER pour tout le service commun, porté par Valence Romans Agglo : pas de valeur par ville") }}

union all

{{ indicator_rows(
    'e03_nb_consultations_sourcing', ['ged.fop', 'marches.consultations'], 'fiches',
    'count(fait.consultation_cle) filter (where fait.sourcing_realise)') }}
{% endcall %}
