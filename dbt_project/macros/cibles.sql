{#- How the SPASER document places the quantified objectives that the catalogue states without a
    perimetre or on the wrong ventilation (issue 16). The catalogue (equal to the team's spec) keeps
    the figures; this is where the warehouse reads which rows they apply to, with the SPASER's words.
    - perimetre: an objective of Valence Romans Agglo alone, not of every buyer nor of TOUS:
      e06 « doublement d'ici 2026 des marchés publics réservés en cours ... et marché d'insertion
      professionnelle en cours » doubles the Agglo's 2022 figures (1 and 13, read as VRA's);
      e08 « 100 % des prestations alimentaires (traiteurs) de l'Agglo ».
    - ventilation: the row a ventilated target is measured on, when it is not the catalogue key:
      e10 « 2 projets phares d'ici 2025 » counts the exemplary sites since the start of the SPASER,
      so it is measured on the cumulative count (mesure=nombre_cumule), not on one year's count. -#}
{% macro cibles_lecture_spaser() -%}
    {{ return({
        'e06_nb_marches_reserves_en_cours': {'perimetre': siren_porteur_spaser()},
        'e06_nb_marches_insertion_en_cours': {'perimetre': siren_porteur_spaser()},
        'e08_traiteurs_circuit_court_pct': {'perimetre': siren_porteur_spaser()},
        'e10_operations_reemploi': {'ventilation': {'mesure=nombre': 'mesure=nombre_cumule'}},
    }) }}
{%- endmacro %}
