-- Shared rules: a percentage is within 0-100, and NULL exactly when its denominator is empty
-- (then a motif says why); a count is never NULL except where its indicator documents a motif.
-- A value carries a motif only to say that a correction of its source changed it since it was
-- first computed (e12_nb_signataires_charte, issue 16): never silently rewritten.
-- A row the granular gate withheld (statut controle_en_echec, macros/controles_valeurs.sql) is NULL
-- with its motif whatever its denominator.
select
    indicateur_id,
    perimetre,
    annee,
    ventilation,
    valeur,
    denominateur,
    motif
from {{ ref('fct_indicateurs') }}
where (unite = 'pourcentage' and (valeur < 0 or valeur > 100))
    or (
        unite = 'pourcentage'
        and statut <> 'controle_en_echec'
        and (valeur is null) <> (coalesce(denominateur, 0) = 0)
    )
    or (
        (statut = 'controle_en_echec')
        <> coalesce(motif like '{{ motif_controle_en_echec() }}%', false)
    )
    or (statut = 'controle_en_echec' and valeur is not null)
    or (valeur is null and motif is null)
    or (valeur is not null and motif is not null and motif not like 'valeur corrigée%')
