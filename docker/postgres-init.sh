#!/usr/bin/env bash
# Creates the two databases of the production shape: Airflow's metadata and the warehouse.
# The passwords reach psql as variables, quoted by psql (:'name'): a quote in one cannot break the SQL.
set -euo pipefail
: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD manquant}" "${SPASER_DB_PASSWORD:?SPASER_DB_PASSWORD manquant}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v airflow_password="$AIRFLOW_DB_PASSWORD" -v spaser_password="$SPASER_DB_PASSWORD" <<'SQL'
create role airflow login password :'airflow_password';
create database airflow owner airflow;
create role spaser login password :'spaser_password';
create database spaser owner spaser;
SQL
