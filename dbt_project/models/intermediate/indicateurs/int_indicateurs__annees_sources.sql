-- Years with data in each source (catalogue source names), all buyers together: an indicator gets
-- a row for every year with data in any of its sources. The years and their rules are those of
-- int_indicateurs__annees_sources_acheteurs, buyer by buyer.
select distinct {{ surrogate_key(['source', 'annee']) }} as source_annee_cle, source, annee
from {{ ref('int_indicateurs__annees_sources_acheteurs') }}
