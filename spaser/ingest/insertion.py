"""``insertion/heures``: insertion hours per beneficiary, contract and month (employment platform).

Personal data of people in difficulty. Nothing identifying reaches PostgreSQL:
- ``beneficiaire_id`` is replaced, in Python, by its keyed pseudonym ``beneficiaire_pseudo``
  (``spaser.ingest.pseudonymisation``);
- ``date_naissance`` only yields ``tranche_age``, the age band on 1 January of the year of the
  hours' month (the catalogue's "senior = aged 50 or more on 1 January of the year"), then is
  dropped;
- the source is declared personal (spaser.ingest.rows): no message, quarantine record or log line
  holds a cell value, and undeclared columns are dropped on reading;
- the key is checked against the warehouse's before the first file (``prepare``), see
  spaser.ingest.pseudonymisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from spaser.core.codes import SEXES, SORTIES_INSERTION, TRANCHES_AGE
from spaser.ingest.fields import DATE, PAST_MONTH, SIRET, TEXT, Field, RowRule, code, decimal, required_when
from spaser.ingest.pseudonymisation import Pseudonymiser, checked_key, pseudonymisation_key
from spaser.ingest.rows import RowSource

# Age bands on 1 January of the year of the hours: the indicators need "50 or more"; "under 26"
# is the other public the clauses target (jeunes).
UNDER_26, FROM_26_TO_49, SENIOR = TRANCHES_AGE
SENIOR_AGE = 50


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _plausible_birth(values: Mapping[str, Any]) -> str | None:
    birth, month = values["date_naissance"], values["mois"]
    if birth is None or month is None or 14 <= age_on(birth, month) <= 80:
        return None
    return "date de naissance invraisemblable pour un salarié en insertion"


def age_band(birth: date | None, year: int) -> str | None:
    if birth is None:
        return None
    age = age_on(birth, date(year, 1, 1))
    if age >= SENIOR_AGE:
        return SENIOR
    return UNDER_26 if age < 26 else FROM_26_TO_49


class InsertionHeuresSource(RowSource):
    raw_table = "raw.insertion_heures"
    file_patterns = ("*.csv", "*.xlsx")
    personal = True
    key_fields = (
        "acheteur_siret",
        "id_marche",
        "entreprise_siret",
        "beneficiaire_pseudo",
        "date_debut_contrat",
        "mois",
    )
    fields = (
        Field("acheteur_siret", SIRET, mandatory=True),
        Field("id_marche", TEXT),
        Field("entreprise_siret", SIRET, mandatory=True),
        Field("beneficiaire_id", TEXT, mandatory=True),
        Field("sexe", code(SEXES)),
        Field("date_naissance", DATE),
        Field("statut", TEXT),
        Field("contrat_type", TEXT),
        Field("date_debut_contrat", DATE),
        Field("mois", PAST_MONTH, mandatory=True),
        Field("heures", decimal(minimum=0), mandatory=True),
        Field("date_sortie", DATE),
        Field("sortie_type", code(SORTIES_INSERTION)),
    )
    rules = (
        required_when(
            "date_sortie", "sortie_type", None, "une sortie est typée (sortie_type) mais sa date est absente"
        ),
        RowRule("date_naissance", ("date_naissance", "mois"), _plausible_birth),
    )
    columns = (
        "acheteur_siret",
        "id_marche",
        "entreprise_siret",
        "beneficiaire_pseudo",
        "sexe",
        "tranche_age",
        "statut",
        "contrat_type",
        "date_debut_contrat",
        "mois",
        "heures",
        "date_sortie",
        "sortie_type",
    )

    def __init__(self, pseudonymiser: Pseudonymiser | None = None) -> None:
        self._given = pseudonymiser
        self.pseudonymiser = pseudonymiser

    def prepare(self, conn) -> None:
        # The key is read every night, not at import nor once per process: the registry's source
        # instance lives as long as the process, which may serve several SPASER_HOMEs.
        self.pseudonymiser = self._given or Pseudonymiser(checked_key(conn))

    def read(self, path):
        if self.pseudonymiser is None:  # read outside a night (no warehouse to check the key with)
            self.pseudonymiser = Pseudonymiser(pseudonymisation_key())
        return super().read(path)

    def to_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        raw = {name: values.get(name) for name in self.columns}
        identifier = values.get("beneficiaire_id")
        raw["beneficiaire_pseudo"] = self.pseudonymiser(identifier) if identifier else None
        month = values.get("mois")
        raw["tranche_age"] = age_band(values.get("date_naissance"), month.year) if month else None
        return raw
