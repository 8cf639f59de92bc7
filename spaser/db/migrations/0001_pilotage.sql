-- The nights' own bookkeeping (spaser/pipeline/pilotage.py), and the record of the migrations applied to
-- the warehouse (spaser/db/migrations/__init__.py), which starts here.

create schema if not exists pilotage;

-- The night that holds the warehouse: one row at most (the lock rule: spaser/pipeline/pilotage.py).
create table if not exists pilotage.nuit_en_cours (
    verrou            boolean primary key default true check (verrou),  -- one row at most
    run_id            text not null,
    commencee_le      timestamptz not null default now(),
    derniere_activite timestamptz not null default now()
);

-- How each step of each night ended; a step rerun under the same run id overwrites its row.
create table if not exists pilotage.etapes (
    run_id     text not null,
    etape      text not null,
    statut     text not null check (statut in ('reussie', 'echec')),
    motif      text,                                  -- the French reason of a failure
    termine_le timestamptz not null default now(),
    primary key (run_id, etape)
);

-- How long the step's last run took (its function, under the night lock), for the summary; added
-- to the table that warehouses of the nights before the migrations already hold.
alter table pilotage.etapes add column if not exists duree_secondes double precision;

-- What the marts gate validated for a night, which publication checks in its own transaction.
create table if not exists pilotage.candidats_valides (
    run_id     text primary key,
    empreinte  text not null,                         -- spaser.publish.swap.candidate_fingerprint
    valide_le  timestamptz not null default now()
);

-- dbt's manifest and catalog of a marts schema (spaser/pipeline/pilotage.py, record_docs): written by the
-- step that builds the candidate, read by the one that builds the site, which may run on another
-- machine (CeleryExecutor: tasks share nothing through local files). Keyed by the schema's oid,
-- which its renames keep: the docs follow the candidate into marts at publication, and into
-- marts_precedent (and back) without a write.
create table if not exists pilotage.documentation_dbt (
    schema_oid oid primary key,                       -- pg_namespace.oid of the marts schema described
    manifest   text not null,                         -- dbt's manifest.json and catalog.json, as generated
    catalog    text not null,
    generee_le timestamptz not null default now()
);

-- One row per migration applied, with the checksum of its file as applied: an applied migration
-- is never edited (a changed file is refused), a change of the schema is a new migration.
create table if not exists pilotage.migrations (
    version      integer primary key,
    nom          text not null,                       -- the file, e.g. 0001_pilotage.sql
    empreinte    text not null,                       -- sha256 of the file's text
    appliquee_le timestamptz not null default now()
);
