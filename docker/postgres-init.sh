#!/usr/bin/env bash
# Creates the two databases of the production shape: Airflow's metadata and the warehouse.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
create role airflow login password '${AIRFLOW_DB_PASSWORD}';
create database airflow owner airflow;
create role spaser login password '${SPASER_DB_PASSWORD}';
create database spaser owner spaser;
SQL
