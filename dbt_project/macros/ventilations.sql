{#- Values of each ventilation key of this slice, in catalogue order (indicateurs.yml). -#}
{% macro ventilation_values(key) -%}
    {%- set values = {
        'categorie_achat': ['travaux', 'fournitures', 'services'],
        'territoire': ['agglo', 'departement', 'region', 'france', 'etranger', 'inconnu'],
        'taille': ['pme', 'tpe'],
        'mesure': ['nombre', 'montant'],
        'famille_produits': ['VIANDES_VOLAILLES', 'PRODUITS_DE_LA_MER'],

        'type_instance': ['COPIL', 'COTECH', 'COSUI', 'GT'],
        'public_cible': ['interne', 'elus', 'institutionnels', 'professionnels', 'grand_public'],
        'type_produit_acquis': agec_categories(),
        'secteur': ['residentiel', 'tertiaire', 'transport_personnes', 'transport_marchandises', 'agriculture',
                    'dechets', 'industrie', 'branche_energie'],

        'type_structure': ['EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'EA', 'EATT', 'ESAT', 'ESS'],
    } -%}
    {#- Two-key ventilation (catalogue: [categorie_achat, territoire]): every category x every
        territory, written as the value of categorie_achat followed by the territoire pair, so that
        the mart renames the key to give "categorie_achat=travaux|territoire=agglo". -#}
    {%- set categories_territoires = [] -%}
    {%- for categorie in values['categorie_achat'] -%}
        {%- for territoire in values['territoire'] -%}
            {%- do categories_territoires.append(categorie ~ '|territoire=' ~ territoire) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do values.update({'categorie_achat_territoire': categories_territoires}) -%}
    {{ return(values[key]) }}
{%- endmacro %}

{#- Position of a territoire class from the most local (1 = agglo) to inconnu: a company bidding
    from several establishments is located at the one with the smallest position. -#}
{% macro territoire_rang(territoire) -%}
    array_position({{ territoires_array() }}, {{ territoire }})
{%- endmacro %}

{% macro territoire_at_rang(rang) -%}
    ({{ territoires_array() }})[{{ rang }}]
{%- endmacro %}

{% macro territoires_array() -%}
    array[{% for value in ventilation_values('territoire') %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %}]::text[]
{%- endmacro %}

{#- Percentage 0-100, unrounded (trim_scale only drops the trailing zeros of numeric division);
    NULL (never 0) when the denominator is empty. -#}
{% macro percentage(numerator, denominator) -%}
    case when {{ denominator }} > 0 then trim_scale(100 * ({{ numerator }})::numeric / ({{ denominator }})) end
{%- endmacro %}

{#- The 17 AGEC product categories, verbatim from the national declaration format (v0.1.0), in its
    order: the list spaser/core/agec_declaration.py declares (tests/test_catalogue_coverage.py checks
    that the two agree). -#}
{% macro agec_categories() -%}
    {{ return([
        "Produits textiles à l'exception des équipements de protection individuels",
        "Matériel informatique et téléphonie",
        "Matériel de reprographie et d'impression",
        "Consommables d'impression",
        "Papier",
        "Fournitures de bureau",
        "Engins de transport et pièces détachées",
        "Véhicules et pièces détachées",
        "Mobilier et aménagement d'intérieur",
        "Mobilier urbain",
        "Equipements de collecte de déchets",
        "Bocaux et flacons",
        "Articles et équipement sportifs",
        "Matériel d'entretien des espaces verts",
        "Bâtiments modulaires ou préfabriqués",
        "Gros électroménager, y compris appareils professionnels",
        "Jeux et jouets",
    ]) }}
{%- endmacro %}

{#- Indicators whose `mesure` values are their own (the shared 'mesure' list is nombre/montant). -#}
{% macro mesures_of_indicator() -%}
    {{ return({
        'e10_operations_reemploi': ['nombre', 'taux_moyen'],
        'e12_nb_entreprises_accompagnees': ['accompagnements', 'entreprises', 'ateliers'],
    }) }}
{%- endmacro %}
