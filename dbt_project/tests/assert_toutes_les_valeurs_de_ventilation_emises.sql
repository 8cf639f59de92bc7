-- Shared rules: every value of a ventilation is emitted for every indicator x perimetre x year,
-- and every perimetre gets the same years as TOUS.
with lignes as (
    select
        indicateur_id,
        perimetre,
        annee,
        count(*) as nb_lignes
    from {{ ref('fct_indicateurs') }}
    group by indicateur_id, perimetre, annee
),

attendu as (
    select
        indicateurs.id as indicateur_id,
        coalesce(case
            {% for indicateur_id, mesures in mesures_of_indicator().items() -%}
            when indicateurs.id = '{{ indicateur_id }}' then {{ mesures | length }}
            {% endfor -%}
        end,
        case indicateurs.ventilation
            {% for key in [
                'categorie_achat', 'territoire', 'taille', 'mesure', 'type_instance', 'public_cible',
                'type_produit_acquis', 'secteur', 'type_structure'
            ] -%}
            when '{{ key }}' then {{ ventilation_values(key) | length }}
            {% endfor -%}
            when
                'categorie_achat,territoire'
                then {{ ventilation_values('categorie_achat_territoire') | length }}
            else 1
        end) as nb_lignes
    from {{ ref('indicateurs') }} as indicateurs
),

annees_tous as (
    select
        indicateur_id,
        annee
    from lignes
    where perimetre = 'TOUS'
)

select
    lignes.indicateur_id,
    lignes.perimetre,
    lignes.annee,
    'ventilation incomplète' as probleme
from lignes
inner join attendu on lignes.indicateur_id = attendu.indicateur_id
where lignes.nb_lignes <> attendu.nb_lignes

union all

select
    annees_tous.indicateur_id,
    perimetres.perimetre,
    annees_tous.annee,
    'année manquante' as probleme
from annees_tous
cross join {{ ref('int_indicateurs__perimetres') }} as perimetres
left join lignes
    on annees_tous.indicateur_id = lignes.indicateur_id
    and perimetres.perimetre = lignes.perimetre
    and annees_tous.annee = lignes.annee
where lignes.indicateur_id is null
