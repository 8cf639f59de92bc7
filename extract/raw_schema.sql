-- Raw layer: what the source systems delivered, validated record by record, with lineage.
-- Idempotent: applied at the start of every night. Every data table carries the same lineage
-- columns: _load_id (one per loaded file, increasing in delivery order: night, then file name),
-- _source_file, _file_sha256, _record_number (1-based data line of a CSV, 1-based record index
-- of a JSON list), _loaded_at. The defaults of _load_id, _source_file and _file_sha256 (the
-- per-file lineage the tabular loader does not send on every row) are set, on every table of
-- this file, by extract/raw_lineage_defaults.sql, applied right after it.
-- The data tables have no foreign key onto raw.fichiers: checking it costs a lookup per row, a
-- third of a multi-million-line load, while _load_id is only ever written by the loader from the
-- raw.fichiers row it has just created, in the same transaction (the raw GX suite checks the
-- lineage anyway). raw.quarantaine and raw.signalements, a few rows per file, keep theirs.

create schema if not exists raw;

-- One row per file seen in an inbox. A file is identified by its sha256: a file already loaded
-- is not loaded again (statut 'deja_charge' is reported for the night but not stored twice).
create table if not exists raw.fichiers (
    load_id        bigserial primary key,
    run_id         text not null,              -- the night (Airflow run id or CLI run id)
    source         text not null,              -- e.g. 'marches/decp'
    fichier        text not null,              -- path relative to the inbox
    sha256         text not null,
    statut         text not null check (statut in ('charge', 'rejete')),
    message        text,                        -- why a rejected file was rejected
    nb_enregistrements integer not null default 0,
    nb_charges     integer not null default 0,
    nb_quarantaine integer not null default 0,
    nb_signalements integer not null default 0,
    charge_le      timestamptz not null default now()
);
create unique index if not exists fichiers_sha256_charge
    on raw.fichiers (source, sha256) where statut = 'charge';

-- One row per violation of a quarantined record: every violation is listed.
create table if not exists raw.quarantaine (
    load_id      bigint not null references raw.fichiers (load_id),
    source       text not null,
    fichier      text not null,
    enregistrement integer not null,            -- line (CSV) or record index (JSON)
    cle          text,                          -- business key when it could be read
    champ        text not null,                 -- field (JSON path or column name)
    message      text not null,                 -- French, for the data team
    contenu      text                           -- the record as delivered
);

-- Non-blocking findings (e.g. an identifier failing the SIRET Luhn check): the record is loaded.
create table if not exists raw.signalements (
    load_id      bigint not null references raw.fichiers (load_id),
    source       text not null,
    fichier      text not null,
    enregistrement integer not null,
    cle          text,
    champ        text not null,
    message      text not null
);

-- marches/decp: one row per valid DECP 2024 record (marché or contrat-concession). The record is
-- kept whole, as delivered (official wrappers included), in `donnees`; staging reads its fields.
create table if not exists raw.marches_decp (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    type_contrat    text not null check (type_contrat in ('marche', 'contrat-concession')),
    acheteur_id     text not null,              -- marche: acheteur.id; concession: autoriteConcedante.id
    id              text not null,
    date_publication_donnees date,
    donnees         jsonb not null
);

-- marches/consultations: one row per lot (contract in sources.md).
create table if not exists raw.marches_consultations (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    acheteur_siret  text not null,
    id_consultation text not null,
    lot             integer not null,
    nb_lots         integer,
    objet           text,
    categorie       text,
    segment         text,
    code_cpv        text,
    procedure       text,
    montant_estime_ht numeric,
    maitrise_oeuvre boolean not null,
    date_lancement  date,
    date_cloture    date,
    statut          text,
    variantes_autorisees boolean not null,
    marche_reserve  boolean not null,
    marche_insertion boolean not null,
    mpgp            boolean not null,
    id_marche       text
);

-- marches/offres: one row per bid on a lot.
create table if not exists raw.marches_offres (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    acheteur_siret  text not null,
    id_consultation text not null,
    lot             integer not null,
    soumissionnaire_siret text not null,
    type_identifiant text not null check (type_identifiant in ('SIRET', 'TVA_UE')),
    groupement      boolean not null,
    date_depot      date,
    retenue         boolean not null,
    exclusion_motif text,
    demande_motifs_rejet boolean not null
);

-- referentiels/sirene_etablissements: INSEE SIRENE StockEtablissement extract (official names).
create table if not exists raw.sirene_etablissements (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    "siren"                          text not null,
    "siret"                          text not null,
    "codeCommuneEtablissement"       text,
    "etatAdministratifEtablissement" text,
    "etablissementSiege"             boolean,
    "trancheEffectifsEtablissement"  text,
    "activitePrincipaleEtablissement" text,
    "denominationUsuelleEtablissement" text
);

-- referentiels/sirene_unites_legales: INSEE SIRENE StockUniteLegale extract (official names).
create table if not exists raw.sirene_unites_legales (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    "siren"                               text not null,
    "denominationUniteLegale"             text,
    "categorieEntreprise"                 text,
    "trancheEffectifsUniteLegale"         text,
    "economieSocialeSolidaireUniteLegale" text,
    "categorieJuridiqueUniteLegale"       text,
    "etatAdministratifUniteLegale"        text
);

-- Databases created before the data tables lost their foreign keys: drop them, looking them up
-- first so that a night on an up-to-date database takes no lock on the tables.
do $$
declare
    foreign_key record;
begin
    for foreign_key in
        select conrelid::regclass as data_table, conname
        from pg_constraint
        where contype = 'f' and confrelid = 'raw.fichiers'::regclass
          and conrelid in ('raw.marches_decp'::regclass, 'raw.marches_consultations'::regclass,
                           'raw.marches_offres'::regclass, 'raw.sirene_etablissements'::regclass,
                           'raw.sirene_unites_legales'::regclass)
    loop
        execute format('alter table %s drop constraint %I', foreign_key.data_table, foreign_key.conname);
    end loop;
end
$$;

-- cuisine/achats: one row per valid food purchase of the central kitchen, in the ma-cantine import
-- format (extract/cantine.py). `caracteristiques` is ma-cantine's list: EGALIM labels, FRANCE,
-- EUROPE, CIRCUIT_COURT, LOCAL (the current format's four columns merged, as the platform does).
create table if not exists raw.cuisine_achats (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    format          text not null check (format in ('actuel', 'ancien')),
    siret           text,                       -- the kitchen's SIRET (files whose first column is siret)
    cantine_id      text,                       -- ma-cantine's canteen id (files whose first column is cantine_id)
    description     text not null,
    fournisseur     text not null,
    date            date not null,
    prix_ht         numeric not null,
    famille_produits text not null,
    caracteristiques text[] not null,
    definition_local text,
    definition_local_km integer,
    check ((siret is null) <> (cantine_id is null))
);

-- cuisine/menus: one row per menu served (date, site, service).
create table if not exists raw.cuisine_menus (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    date            date not null,
    site            text not null,
    service         text not null,
    nb_repas        integer not null,
    vegetarien      boolean not null
);

-- insertion/heures: one row per beneficiary, contract and month. Pseudonymised at extraction
-- (extract/insertion.py): the platform's beneficiaire_id and the birth date never reach PostgreSQL;
-- beneficiaire_pseudo is their keyed HMAC-SHA256, tranche_age the age band on 1 January of the
-- year of `mois`.
create table if not exists raw.insertion_heures (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    acheteur_siret  text not null,
    id_marche       text,
    entreprise_siret text not null,
    beneficiaire_pseudo text not null check (beneficiaire_pseudo ~ '^[0-9a-f]{64}$'),
    sexe            text check (sexe in ('F', 'M')),
    tranche_age     text check (tranche_age in ('moins_de_26_ans', 'de_26_a_49_ans', '50_ans_et_plus')),
    statut          text,
    contrat_type    text,
    date_debut_contrat date,
    mois            date not null,              -- first day of the month of the hours
    heures          numeric not null check (heures >= 0),
    date_sortie     date,
    sortie_type     text
);

-- registre/activites: the SPASER team's register, one row per event.
create table if not exists raw.registre_activites (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    "date"          date not null,
    "type"          text not null,
    libelle         text,
    public_cible    text,
    porteur         text,
    nb_participants integer,
    quantite        integer,
    taux            numeric,
    entreprise_siret text
);

-- registre/agec: AGEC statements (official declaration columns, plus the supplier).
create table if not exists raw.registre_agec (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    annee           integer not null,
    siret           text not null,
    raison_sociale  text,
    type_produit_acquis text not null,
    montant_total   numeric not null,
    montant_reemploi_et_reutilisation numeric not null,
    montant_produits_issus_don numeric not null,
    montant_produits_recycles numeric not null,
    commentaires    text,
    fournisseur_siret text
);

-- ged/fop: one fiche opération per consultation; unknown keys kept whole in `autres`.
create table if not exists raw.ged_fop (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    acheteur_siret  text not null,
    id_consultation text not null,
    date_validation date not null,
    segment         text,
    sourcing_realise boolean,
    clause_insertion_etudiee boolean,
    clause_insertion_retenue boolean,
    egalite_fh_questionnee boolean,
    besoin_repense_egalite_fh boolean,
    clause_environnementale boolean,
    critere_environnemental boolean,
    cout_global     boolean,
    critere_carbone boolean,
    label_exige     boolean,
    exigence_sans_perturbateurs_endocriniens boolean,
    clause_reemploi_biosources boolean,
    familles_agec   jsonb not null,
    autres          jsonb not null
);

-- referentiels/ges_territoire: the territory's yearly greenhouse-gas inventory by sector.
create table if not exists raw.referentiels_ges_territoire (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    annee           integer not null,
    secteur         text not null,
    emissions_ktco2e numeric not null
);

-- finance/mandats: one row per delivered payment-order line (contract in sources.md). Negative
-- montant_ht = a cancellation. The _load_id index serves the incremental spend models (only the
-- lines delivered after the last build are read); .
create table if not exists raw.finance_mandats (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    collectivite_siren text not null,
    exercice        integer not null,
    budget          text,
    numero_bordereau text not null,
    numero_mandat   text not null,
    ligne           integer not null,
    date_mandat     date not null,
    tiers_siret     text,                       -- SIRET, a foreign identifier (upper case), or NULL
    tiers_nom       text,
    compte_nature   text not null,
    fonction        text,
    montant_ht      numeric not null,
    montant_ttc     numeric,
    id_marche       text
);
create index if not exists finance_mandats_load_id on raw.finance_mandats (_load_id);

-- finance/titres: one row per delivered receipt.
create table if not exists raw.finance_titres (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    collectivite_siren text not null,
    exercice        integer not null,
    numero_titre    text not null,
    date_titre      date not null,
    tiers_nom       text,
    compte_nature   text,
    objet           text,
    montant_ht      numeric not null,
    origine         text
);

-- registre/fournisseurs: one row per delivered supplier of the SPASER team's register.
create table if not exists raw.registre_fournisseurs (
    _load_id        bigint not null,
    _source_file    text not null,
    _file_sha256    text not null,
    _record_number  integer not null,
    _loaded_at      timestamptz not null default now(),
    siret           text not null,
    nom             text,
    structure_inclusive text check (structure_inclusive in ('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'EA', 'EATT', 'ESAT')),
    date_signature_charte date,
    circuit_court   boolean not null
);
