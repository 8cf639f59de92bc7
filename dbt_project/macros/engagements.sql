{#- Building blocks of the engagement indicators fed by the GED, the insertion platform and the
    SPASER team's registers (issue "every remaining indicator"). -#}

{#- The current version of every record of a staging relation: the newest delivery wins on the
    business key (later load, then later record of the file). -#}
{% macro latest_version(relation, key_column) -%}
    select * from (
        select
            versions.*,
            row_number() over (
                partition by versions.{{ key_column }} order by versions._load_id desc, versions._record_number desc
            ) as version_rang
        from {{ relation }} as versions
    ) as ranked
    where ranked.version_rang = 1
{%- endmacro %}

{#- The SIREN of the collectivité carrying the SPASER and its service commun (Valence Romans Agglo):
    the register of the SPASER team and the territory's greenhouse-gas inventory have no buyer
    column; the catalogue reads their "Réalisation" lines as VRA's (indicateurs.yml header). -#}
{% macro siren_porteur_spaser() -%}'200068781'{%- endmacro %}

{#- Indicator rows computed from a source that belongs to the SPASER's carrier as a whole: only the
    carrier and TOUS have a value; every other perimetre gets NULL with the reason, rather than a
    misleading 0. -#}
{% macro carrier_only(rows, motif) -%}
    select
        lignes.indicateur_id,
        lignes.perimetre,
        lignes.annee,
        lignes.ventilation,
        case when lignes.perimetre in ({{ siren_porteur_spaser() }}, 'TOUS') then lignes.valeur end as valeur,
        case when lignes.perimetre in ({{ siren_porteur_spaser() }}, 'TOUS') then lignes.numerateur end as numerateur,
        case when lignes.perimetre in ({{ siren_porteur_spaser() }}, 'TOUS') then lignes.denominateur end as denominateur,
        case when lignes.perimetre in ({{ siren_porteur_spaser() }}, 'TOUS') then lignes.motif
            else '{{ motif | replace("'", "''") }}' end as motif
    from ({{ rows }}) as lignes
{%- endmacro %}

{#- Rows of a count or percentage computed without a ventilation, relabelled as one value of a
    `mesure` ventilation (indicators whose measures differ in kind: a count and a mean...). -#}
{% macro as_mesure(rows, mesure) -%}
    select indicateur_id, perimetre, annee, 'mesure={{ mesure }}'::text as ventilation,
        valeur, numerateur, denominateur, motif
    from ({{ rows }}) as lignes
{%- endmacro %}

{#- Marchés notifiés with the answers of their consultation's fiche opération (marché -> lot
    through fct_marches.id_consultation, then the fiche on (acheteur_siret, id_consultation));
    the answers are NULL for a marché without a linked fiche. -#}
{% macro marches_with_fiches() -%}
    select marches.*, fiches.cout_global, fiches.critere_carbone, fiches.clause_reemploi_biosources
    from {{ ref('fct_marches') }} as marches
    left join {{ ref('fct_fiches_operation') }} as fiches
        on fiches.acheteur_siret = marches.acheteur_id and fiches.id_consultation = marches.id_consultation
{%- endmacro %}

{#- Sources without years (reference data that locates or converts, never dated events): they
    cannot be "missing for a year", so they do not condition e02. -#}
{% macro sources_sans_annee() -%}
    {{ return(['referentiels.sirene', 'referentiels.ratios_monetaires', 'catalogue']) }}
{%- endmacro %}

{#- e02_indicateurs_automatises_pct, for every perimetre x year with data in any source:
    catalogue indicators computed for that perimetre and year from loaded source data / every
    catalogue indicator but e02 itself (it cannot judge itself). An indicator counts when
    - it has a row for the perimetre and year whose value is not NULL, or NULL only because a
      denominator is legitimately empty (motif "dénominateur vide ..."), and
    - every dated source of its catalogue entry has data in that year: a count that reads 0
      because a source stopped arriving is not "computed from loaded data".
    So the value falls when a source stops arriving, and when an indicator has no model at all. -#}
{% macro e02_indicateurs_automatises(valeurs) -%}
    select
        'e02_indicateurs_automatises_pct'::text as indicateur_id,
        grille.perimetre,
        grille.annee,
        ''::text as ventilation,
        {{ percentage('count(distinct automatises.indicateur_id)', 'max(catalogue.nb_indicateurs)') }} as valeur,
        count(distinct automatises.indicateur_id)::numeric as numerateur,
        max(catalogue.nb_indicateurs)::numeric as denominateur,
        null::text as motif
    from {{ ref('int_indicateurs__perimetres') }} as grille_perimetres
    cross join (select distinct annee from {{ ref('int_indicateurs__annees_sources') }}) as grille_annees
    cross join lateral (select grille_perimetres.perimetre, grille_annees.annee) as grille
    cross join (
        select count(*) as nb_indicateurs from {{ ref('indicateurs') }}
        where id <> 'e02_indicateurs_automatises_pct'
    ) as catalogue
    left join (
        select distinct valeurs.indicateur_id, valeurs.perimetre, valeurs.annee
        from {{ valeurs }} as valeurs
        inner join {{ ref('indicateurs') }} as indicateurs on indicateurs.id = valeurs.indicateur_id
        where (valeurs.valeur is not null or valeurs.motif like 'dénominateur vide%')
            and not exists (
                select 1
                from unnest(string_to_array(indicateurs.sources, ',')) as sources (source)
                where btrim(sources.source) not in (
                    {%- for source in sources_sans_annee() %}'{{ source }}'{% if not loop.last %}, {% endif %}{% endfor -%})
                    and not exists (
                        select 1 from {{ ref('int_indicateurs__annees_sources') }} as annees
                        where annees.source = btrim(sources.source) and annees.annee = valeurs.annee
                    )
            )
    ) as automatises
        on automatises.perimetre = grille.perimetre and automatises.annee = grille.annee
    group by grille.perimetre, grille.annee
{%- endmacro %}
