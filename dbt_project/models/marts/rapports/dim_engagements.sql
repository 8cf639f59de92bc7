-- The 13 engagements of the SPASER and their axe, published for the dashboard and BI tools.
select
    engagement::integer as engagement,
    axe::text as axe,
    libelle::text as libelle
from {{ ref('engagements') }}
