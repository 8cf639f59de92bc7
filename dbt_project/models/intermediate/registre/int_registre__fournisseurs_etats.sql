-- The supplier register as it stood after each of its deliveries: for every load of the register,
-- the newest version of each siret delivered in that load or before (a correction file need only
-- carry the rows it changes). e12_nb_signataires_charte compares tonight's register with these
-- earlier states so that a correction never rewrites a past year silently.
with livraisons as (
    select
        _load_id,
        min(_source_file) as source_fichier
    from {{ ref('stg_registre__fournisseurs') }}
    group by _load_id
)

select
    livraisons._load_id as etat_load_id,
    livraisons.source_fichier as etat_fichier,
    versions.siret,
    versions.date_signature_charte
from livraisons
cross join lateral (
    select distinct on (fournisseurs.siret)
        fournisseurs.siret,
        fournisseurs.date_signature_charte
    from {{ ref('stg_registre__fournisseurs') }} as fournisseurs
    where fournisseurs._load_id <= livraisons._load_id
    order by fournisseurs.siret asc, fournisseurs._load_id desc, fournisseurs._record_number desc
) as versions
