-- Raw layer: what the source systems delivered, validated record by record, with lineage.
-- Migrations 0001 to 0004 are the baseline: the DDL every night applied again before the
-- warehouse had migrations, idempotent (`if not exists`, `do` blocks that look before they
-- change), so that a warehouse created by any earlier version upgrades by applying them over what
-- it has; their `do` blocks move the older layouts on.
--
-- Every raw data table raw.<name> is a view over its rows, stored in raw_stockage.<name>, and
-- raw.fichiers. Each stored row carries its own lineage, _load_id (one per loaded file,
-- increasing in delivery order: night, then file name) and _record_number (1-based data record
-- of a CSV, 1-based record index of a JSON list); the view adds the lineage shared by every row
-- of a file, from its raw.fichiers row: _source_file, _file_sha256, _loaded_at. Storing those
-- once per file rather than once per row halves the bytes a raw row costs to write (a path and a
-- 64-character hash next to ~80 bytes of data): loading became about as fast as a plain COPY of
-- the file (benchmarks/bench_loader.py). Everything reads raw.<name>; only the loader writes
-- raw_stockage. The view is a left join: a stored row whose load is missing from raw.fichiers
-- would show an empty lineage, which the raw gate refuses, rather than vanish.
-- The resting default of _load_id (0004_vues_brutes.sql) makes a write without lineage fail.
-- The data tables have no foreign key onto raw.fichiers: checking it costs a lookup per row, a
-- third of a multi-million-line load, while _load_id is only ever written by the loader from the
-- raw.fichiers row it has just created, in the same transaction (the raw GX suite checks the
-- lineage anyway). raw.quarantaine and raw.signalements, a few rows per file, keep theirs.

create schema if not exists raw;
create schema if not exists raw_stockage;

-- Databases created before raw_stockage: their raw data tables, which held the file lineage on
-- every row, become the stored rows (the dropped values are those of raw.fichiers: same file,
-- same hash, same transaction), and the views below take their names.
do $$
declare
    data_table record;
begin
    for data_table in
        select c.table_name from information_schema.columns as c
        join information_schema.tables as t using (table_schema, table_name)
        where c.table_schema = 'raw' and c.column_name = '_source_file' and t.table_type = 'BASE TABLE'
    loop
        execute format('alter table raw.%I set schema raw_stockage', data_table.table_name);
        execute format('alter table raw_stockage.%I drop column _source_file, drop column _file_sha256,'
                       ' drop column _loaded_at', data_table.table_name);
    end loop;
end
$$;

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
    contenu      text                           -- the record as delivered (null: personal source)
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

-- The fingerprints of the pseudonymisation keys (spaser/ingest/pseudonymisation.py): the one in use
-- (retiree_le null) and those retired by `spaser cle renouveler`, with the reason.
create table if not exists raw.cles_pseudonymisation (
    empreinte   text primary key,
    adoptee_le  timestamptz not null default now(),
    retiree_le  timestamptz,
    motif       text not null
);

-- marches/decp: one row per loaded DECP record (marché or contrat-concession). `donnees` holds the
-- record as the extractor conformed it (spaser/ingest/decp.py): the declared fields in the structure of
-- the format 2024 (official wrappers included), repairs applied; staging reads its fields.
create table if not exists raw_stockage.marches_decp (
    _load_id        bigint not null,
    _record_number  integer not null,
    type_contrat    text not null check (type_contrat in ('marche', 'contrat-concession')),
    acheteur_id     text not null,              -- marche: acheteur.id; concession: autoriteConcedante.id
    id              text not null,
    date_publication_donnees date,
    donnees         jsonb not null
);
-- The DECP format the record was published in: '2024', or '2019' (arrêté du 22 mars 2019, mapped
-- into the 2024 structure; the fields it did not have are absent from `donnees`).
alter table raw_stockage.marches_decp add column if not exists format_decp text not null default '2024'
    check (format_decp in ('2019', '2024'));

-- marches/consultations: one row per lot (contract in sources.md).
create table if not exists raw_stockage.marches_consultations (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.marches_offres (
    _load_id        bigint not null,
    _record_number  integer not null,
    acheteur_siret  text not null,
    id_consultation text not null,
    lot             integer not null,
    soumissionnaire_siret text not null,
    type_identifiant text not null,             -- 'SIRET' or 'TVA_UE': see below
    groupement      boolean not null,
    date_depot      date,
    retenue         boolean not null,
    exclusion_motif text,
    demande_motifs_rejet boolean not null
);

-- type_identifiant is not delivered: the loader derives it from the bidder's identifier, one of
-- two literals (spaser.ingest.tabular.company_identifier_kind), and the raw gate checks its values
-- every night. A CHECK here cost 8 % of the load of the largest market-software export
-- (benchmarks/bench_loader.py); databases created with it lose it.
do $$
begin
    if exists (select 1 from pg_constraint where conrelid = 'raw_stockage.marches_offres'::regclass
               and conname = 'marches_offres_type_identifiant_check') then
        alter table raw_stockage.marches_offres drop constraint marches_offres_type_identifiant_check;
    end if;
end
$$;

-- referentiels/sirene_etablissements: INSEE SIRENE StockEtablissement extract (official names).
create table if not exists raw_stockage.sirene_etablissements (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.sirene_unites_legales (
    _load_id        bigint not null,
    _record_number  integer not null,
    "siren"                               text not null,
    "denominationUniteLegale"             text,
    "categorieEntreprise"                 text,
    "trancheEffectifsUniteLegale"         text,
    "economieSocialeSolidaireUniteLegale" text,
    "categorieJuridiqueUniteLegale"       text,
    "etatAdministratifUniteLegale"        text
);

-- Databases created before the data tables lost their foreign keys: drop them, looking them up
-- first so that an up-to-date database takes no lock on the tables. Only the stored data tables'
-- (before the migrations, the nights ran this without that restriction and also dropped those of
-- the qualite tables, which 0003_qualite.sql puts back).
do $$
declare
    foreign_key record;
begin
    for foreign_key in
        select conrelid::regclass as data_table, conname
        from pg_constraint
        where contype = 'f' and confrelid = 'raw.fichiers'::regclass
          and connamespace = 'raw_stockage'::regnamespace
    loop
        execute format('alter table %s drop constraint %I', foreign_key.data_table, foreign_key.conname);
    end loop;
end
$$;

-- cuisine/achats: one row per valid food purchase of the central kitchen, in the ma-cantine import
-- format (spaser/ingest/cuisine.py). `caracteristiques` is ma-cantine's list: EGALIM labels, FRANCE,
-- EUROPE, CIRCUIT_COURT, LOCAL (the current format's four columns merged, as the platform does).
create table if not exists raw_stockage.cuisine_achats (
    _load_id        bigint not null,
    _record_number  integer not null,
    format          text not null check (format in ('actuel', 'ancien')),
    siret           text,                       -- the kitchen's SIRET (files whose first column is siret)
    cantine_id      text,                       -- ma-cantine's canteen id (files whose first column is cantine_id)
    description     text not null,
    fournisseur     text,                       -- optional since ma-cantine's 2026 import rules
    date            date not null,
    prix_ht         numeric not null,
    famille_produits text not null,
    caracteristiques text[] not null,
    definition_local text,
    definition_local_km integer,
    check ((siret is null) <> (cantine_id is null))
);
-- Databases created under the earlier rules, when the supplier was mandatory.
alter table raw_stockage.cuisine_achats alter column fournisseur drop not null;

-- cuisine/menus: one row per menu served (date, site, service).
create table if not exists raw_stockage.cuisine_menus (
    _load_id        bigint not null,
    _record_number  integer not null,
    date            date not null,
    site            text not null,
    service         text not null,
    nb_repas        integer not null,
    vegetarien      boolean not null
);

-- insertion/heures: one row per beneficiary, contract and month. Pseudonymised at extraction
-- (spaser/ingest/insertion.py): the platform's beneficiaire_id and the birth date never reach PostgreSQL;
-- beneficiaire_pseudo is their keyed HMAC-SHA256, tranche_age the age band on 1 January of the
-- year of `mois`.
create table if not exists raw_stockage.insertion_heures (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.registre_activites (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.registre_agec (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.ged_fop (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.referentiels_ges_territoire (
    _load_id        bigint not null,
    _record_number  integer not null,
    annee           integer not null,
    secteur         text not null,
    emissions_ktco2e numeric not null
);

-- finance/mandats: one row per delivered payment-order line (contract in sources.md). Negative
-- montant_ht = a cancellation. The _load_id index serves the incremental spend models (only the
-- lines delivered after the last build are read); .
create table if not exists raw_stockage.finance_mandats (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create index if not exists finance_mandats_load_id on raw_stockage.finance_mandats (_load_id);

-- finance/titres: one row per delivered receipt.
create table if not exists raw_stockage.finance_titres (
    _load_id        bigint not null,
    _record_number  integer not null,
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
create table if not exists raw_stockage.registre_fournisseurs (
    _load_id        bigint not null,
    _record_number  integer not null,
    siret           text not null,
    nom             text,
    structure_inclusive text check (structure_inclusive in ('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'EA', 'EATT', 'ESAT')),
    date_signature_charte date,
    circuit_court   boolean not null
);
