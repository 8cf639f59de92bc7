# Production image: Airflow 3.3 with the SPASER project installed.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/spaser
USER airflow
RUN pip install --no-cache-dir "/opt/spaser"
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/spaser/dags
