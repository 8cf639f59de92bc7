# Production image: Airflow 3.3 with the SPASER project installed.
FROM apache/airflow:3.3.2-python3.11
# .dockerignore keeps local state out of the build context: .spaser/ (embedded database,
# pseudonymisation key), .env, .venv, .git, outputs of runs and tests.
USER root
COPY --chown=airflow:root . /opt/spaser
USER airflow
# The verified dependency set (constraints.txt, as scripts/install.sh installs it), with the
# CeleryExecutor's provider (docker-compose.yml's celery profile). Editable: the code finds
# dbt_project/ and dags/ beside its package (spaser/core/settings.py, PROJECT_ROOT).
RUN pip install --no-cache-dir --constraint /opt/spaser/constraints.txt --editable "/opt/spaser[celery]"
# Then the code belongs to root: the airflow user that runs every service reads it, never changes it.
USER root
RUN chown -R root:root /opt/spaser && chmod -R a+rX,go-w /opt/spaser
USER airflow
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/spaser/dags
