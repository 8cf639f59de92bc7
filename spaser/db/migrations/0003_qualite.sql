-- Schema qualite: loads set aside, the quality gate's history and the auditors' views.

create schema if not exists qualite;

-- Loads set aside by an operator (`spaser chargement ecarter`, spaser/quality/ecarts.py): the raw views
-- (0004_vues_brutes.sql) leave their rows out, so they leave everything downstream; the journal
-- keeps every setting aside and restoring, with its reason, for the auditors. A journal row not
-- yet taken into account by a build makes the next night rebuild the incremental models from
-- scratch.
create table if not exists qualite.chargements_ecartes (
    load_id     bigint primary key references raw.fichiers (load_id),
    motif       text not null check (btrim(motif) <> ''),
    ecarte_par  text not null,
    ecarte_le   timestamptz not null default now()
);
create table if not exists qualite.journal_chargements_ecartes (
    id          bigserial primary key,
    load_id     bigint not null references raw.fichiers (load_id),
    action      text not null check (action in ('ecarte', 'retabli')),
    motif       text not null check (btrim(motif) <> ''),
    par         text not null,
    le          timestamptz not null default now(),
    reconstruit boolean not null default false
);
-- Before the migrations, every night but the first dropped these two foreign keys (the raw schema's
-- clean-up of the data tables' keys, 0002_brut.sql, then took every key onto raw.fichiers): put
-- them back where they are missing. Every load set aside was checked to exist when it was.
do $$
begin
    if not exists (select from pg_constraint where conrelid = 'qualite.chargements_ecartes'::regclass and contype = 'f') then
        alter table qualite.chargements_ecartes
            add constraint chargements_ecartes_load_id_fkey foreign key (load_id) references raw.fichiers (load_id);
    end if;
    if not exists (select from pg_constraint where conrelid = 'qualite.journal_chargements_ecartes'::regclass
                   and contype = 'f') then
        alter table qualite.journal_chargements_ecartes
            add constraint journal_chargements_ecartes_load_id_fkey foreign key (load_id) references raw.fichiers (load_id);
    end if;
end
$$;

-- The history of every validation of the quality gate (spaser/quality/gate.py): a rerun of the same
-- night replaces that night's rows of the layer.
create table if not exists qualite.validations (
    validation_id   bigserial primary key,
    run_id          text not null,
    valide_le       timestamptz not null default now(),
    couche          text not null check (couche in ('raw', 'marts')),
    suite           text not null,
    table_name      text not null,
    succes          boolean not null,
    nb_expectations integer not null,
    nb_echecs       integer not null,
    echecs          jsonb not null default '[]'::jsonb,
    rapport         text  -- GX page of this validation, relative to site/qualite/
);
create index if not exists validations_run on qualite.validations (run_id, couche);
-- Loads whose rows a raw validation read (see validate_raw); null: the table whole.
alter table qualite.validations add column if not exists premier_load_id bigint,
                                add column if not exists dernier_load_id bigint;

-- Read by the auditors' role (spaser/publish/access.py): the failed expectations one row each, and the
-- quarantine and the signalements as counts, never the records themselves.
create or replace view qualite.attentes_en_echec as
select v.validation_id, v.run_id, v.valide_le, v.couche, v.suite, v.table_name,
       echec ->> 'expectation' as attente, echec ->> 'column' as colonne,
       (echec ->> 'unexpected_count')::bigint as nb_lignes_en_ecart, echec ->> 'summary' as resume
from qualite.validations as v
cross join lateral jsonb_array_elements(v.echecs) as echec;

create or replace view qualite.quarantaine_par_source as
select f.run_id, q.source, q.champ, q.message as motif,
       count(distinct (q.load_id, q.enregistrement)) as nb_enregistrements, count(*) as nb_violations
from raw.quarantaine as q
inner join raw.fichiers as f on f.load_id = q.load_id
group by f.run_id, q.source, q.champ, q.message;

create or replace view qualite.signalements_par_source as
select f.run_id, s.source, s.champ, s.message as motif,
       count(distinct (s.load_id, s.enregistrement)) as nb_enregistrements, count(*) as nb_signalements
from raw.signalements as s
inner join raw.fichiers as f on f.load_id = s.load_id
group by f.run_id, s.source, s.champ, s.message;
