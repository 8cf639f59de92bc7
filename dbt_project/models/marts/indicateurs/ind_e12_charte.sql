-- Engagement 12: companies that signed the sustainable-purchasing charter, cumulative: distinct
-- siret of the supplier register with date_signature_charte on or before 31/12 of the year. The
-- register belongs to the service commun and names no buyer: every perimetre gets the same count.
with annees as (
    select distinct annee from {{ ref('int_indicateurs__annees_sources') }}
    where source = 'registre.fournisseurs'
),

signataires as (
    select perimetres.perimetre, annees.annee, fournisseurs.siret
    from {{ ref('dim_fournisseurs') }} as fournisseurs
    inner join annees on fournisseurs.annee_signature_charte <= annees.annee
    cross join {{ ref('int_indicateurs__perimetres') }} as perimetres
)

{{ indicator_rows(
    'e12_nb_signataires_charte', ['registre.fournisseurs'], 'signataires',
    'count(distinct fait.siret)') }}
