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

{#- Sources the catalogue declares undated (datee: false: reference data, a register of current
    state, the catalogue itself), each with the relation that holds it: such a source has delivered,
    for every perimetre and year, when that relation is not empty. -#}
{% macro relations_sources_non_datees() -%}
    {{ return({
        'registre.fournisseurs': ref('int_registre__fournisseurs_courants'),
        'referentiels.sirene': ref('stg_referentiels__sirene_etablissements'),
        'referentiels.ratios_monetaires': ref('ratios_monetaires'),
        'catalogue': ref('indicateurs'),
    }) }}
{%- endmacro %}

{#- e02_indicateurs_automatises_pct, for every perimetre x year of the indicator grid (issue 16).
    Denominator: the catalogue indicators but e02 (it cannot judge itself) that apply to the
    perimetre (catalogue `perimetres`, seed indicateurs_perimetres; none named = every perimetre). Numerator, published as such
    (« nombre d'indicateurs suivis et automatisés »): those of them that count, i.e.
    - every source the indicator names has delivered for the perimetre and the year:
      * a dated source (catalogue `sources`, datee) when it holds records of that perimetre dated in
        that year (int_indicateurs__annees_sources_acheteurs); for TOUS, when it did for every
        buyer it reports on (a buyer it holds records of in any year): a total missing one buyer's
        delivery is not the total;
      * a source with a publication lag (retard_publication = N years): in the N latest years of
        the night's data, a year it has not reached yet is not published yet, not missing: a
        delivery of any of the N years before will do;
      * an undated source when it is loaded (relations_sources_non_datees);
      * the SPASER team's register, for one of its indicators, when it holds records of that
        indicator's own types (catalogue `registre`): a COPIL says nothing of downloads;
    - the indicator has rows there — none is expected while one of its sources is within its lag
      and has not reached the year — and every one of those rows has a value or is NULL only
      because a denominator is legitimately empty (motif "dénominateur vide ..."): one computed
      class beside empty ones is not a computed indicator.
    The latest year of the night's data is the latest year of any source. -#}
{% macro e02_indicateurs_automatises(valeurs) -%}
    with annees as (
        select distinct annee from {{ ref('int_indicateurs__annees_sources') }}
    ),

    derniere_annee as (
        select max(annee) as annee from annees
    ),

    applicables as (
        select indicateurs.id as indicateur_id, perimetres.perimetre, annees.annee
        from {{ ref('indicateurs') }} as indicateurs
        cross join {{ ref('int_indicateurs__perimetres') }} as perimetres
        cross join annees
        where indicateurs.id <> 'e02_indicateurs_automatises_pct'
            and (
                not exists (
                    select 1 from {{ ref('indicateurs_perimetres') }} as restreints
                    where restreints.indicateur_id = indicateurs.id
                )
                or exists (
                    select 1 from {{ ref('indicateurs_perimetres') }} as restreints
                    where restreints.indicateur_id = indicateurs.id and restreints.perimetre = perimetres.perimetre
                )
            )
    ),

    sources_des_indicateurs as (
        select distinct indicateurs.id as indicateur_id, btrim(noms.source) as source
        from {{ ref('indicateurs') }} as indicateurs
        cross join unnest(string_to_array(indicateurs.sources, ',')) as noms (source)
    ),

    livraisons_acheteurs as (
        select source, perimetre, annee from {{ ref('int_indicateurs__annees_sources_acheteurs') }}
    ),

    acheteurs_des_sources as (
        select distinct source, perimetre from livraisons_acheteurs
    ),

    livraisons as (
        select source, perimetre, annee from livraisons_acheteurs
        union all
        select sources.source, 'TOUS', annees.annee
        from (select distinct source from acheteurs_des_sources) as sources
        cross join annees
        where not exists (
            select 1 from acheteurs_des_sources as acheteurs
            where acheteurs.source = sources.source
                and not exists (
                    select 1 from livraisons_acheteurs as livrees
                    where livrees.source = acheteurs.source and livrees.perimetre = acheteurs.perimetre
                        and livrees.annee = annees.annee
                )
        )
    ),

    sources_non_datees_chargees as (
        {%- for source, relation in relations_sources_non_datees().items() %}
        select '{{ source }}'::text as source where exists (select 1 from {{ relation }})
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    etat_des_sources as (
        select
            applicables.indicateur_id,
            applicables.perimetre,
            applicables.annee,
            case
                when not declarees.datee
                    then exists (select 1 from sources_non_datees_chargees as chargees where chargees.source = declarees.source)
                else exists (
                    select 1 from livraisons
                    where livraisons.source = declarees.source and livraisons.perimetre = applicables.perimetre
                        and (livraisons.annee = applicables.annee
                            or (applicables.annee > derniere_annee.annee - declarees.retard_publication
                                and livraisons.annee between applicables.annee - declarees.retard_publication
                                    and applicables.annee))
                )
            end as a_livre,
            declarees.datee and applicables.annee > derniere_annee.annee - declarees.retard_publication
                and not exists (
                    select 1 from livraisons
                    where livraisons.source = declarees.source and livraisons.perimetre = applicables.perimetre
                        and livraisons.annee = applicables.annee
                ) as pas_encore_publiee
        from applicables
        cross join derniere_annee
        inner join sources_des_indicateurs as sources on sources.indicateur_id = applicables.indicateur_id
        inner join {{ ref('indicateurs_sources') }} as declarees on declarees.source = sources.source
    ),

    sources_par_indicateur as (
        select indicateur_id, perimetre, annee,
            bool_and(a_livre) as sources_livrees, bool_or(pas_encore_publiee) as source_pas_encore_publiee
        from etat_des_sources
        group by indicateur_id, perimetre, annee
    ),

    -- The team's register delivers type by type: an indicator of the register needs records of
    -- its own types (catalogue `registre`), dated in the year (cumul: on or before it).
    types_registre_livres as (
        select types.indicateur_id, annees.annee,
            bool_or(exists (
                select 1 from {{ ref('int_registre__activites_courantes') }} as activites
                where activites.type_activite = types.type_activite
                    and (activites.annee_activite = annees.annee
                        or (types.cumul and activites.annee_activite < annees.annee))
            )) as livres
        from {{ ref('indicateurs_types_registre') }} as types
        cross join annees
        group by types.indicateur_id, annees.annee
    ),

    lignes_par_indicateur as (
        select indicateur_id, perimetre, annee,
            bool_and(valeur is not null or motif like 'dénominateur vide%') as lignes_calculees
        from {{ valeurs }}
        group by indicateur_id, perimetre, annee
    ),

    jugements as (
        select
            applicables.perimetre,
            applicables.annee,
            coalesce(sources.sources_livrees, false)
                and coalesce(types_registre.livres, true)
                and coalesce(lignes.lignes_calculees, sources.source_pas_encore_publiee, false) as automatise
        from applicables
        left join types_registre_livres as types_registre
            on types_registre.indicateur_id = applicables.indicateur_id and types_registre.annee = applicables.annee
        left join sources_par_indicateur as sources
            on sources.indicateur_id = applicables.indicateur_id and sources.perimetre = applicables.perimetre
            and sources.annee = applicables.annee
        left join lignes_par_indicateur as lignes
            on lignes.indicateur_id = applicables.indicateur_id and lignes.perimetre = applicables.perimetre
            and lignes.annee = applicables.annee
    )

    select
        'e02_indicateurs_automatises_pct'::text as indicateur_id,
        perimetre,
        annee,
        ''::text as ventilation,
        {{ percentage('count(*) filter (where automatise)', 'count(*)') }} as valeur,
        (count(*) filter (where automatise))::numeric as numerateur,
        count(*)::numeric as denominateur,
        null::text as motif
    from jugements
    group by perimetre, annee
{%- endmacro %}
