"""``python -m spaser.core.catalogue``: rewrite the catalogue seeds of the dbt project from indicateurs.yml."""

from spaser.core.catalogue import write_seeds
from spaser.core.settings import DBT_PROJECT_DIR

for path in write_seeds(DBT_PROJECT_DIR / "seeds"):
    print(f"seed écrite : {path}")
