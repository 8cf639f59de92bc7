"""``ged/fop``: the GED's fiches opération, the purchase-strategy questionnaire of a consultation.

A file is a JSON array of objects or JSON lines (one object per line), read by the JSON record
reader (spaser/ingest/rows.py). Each object is validated on its own: ``acheteur_siret`` (14 digits),
``id_consultation`` (text, or a number) and ``date_validation`` (AAAA-MM-JJ, plausible) are
mandatory; the questionnaire answers are JSON booleans (or null: not answered); ``familles_agec``
is a list of AGEC product categories. Keys the contract does not know are kept, whole, in
``autres``. Business key (acheteur_siret, id_consultation): a later delivery replaces the fiche.
"""

from __future__ import annotations

from spaser.core.agec_declaration import PRODUCT_CATEGORIES
from spaser.ingest.fields import ISO_DATE, JSON_BOOLEAN, SIRET, TEXT, TEXT_OR_NUMBER, Field, code_list, dates
from spaser.ingest.rows import JsonRecordSource

QUESTIONS = (
    "sourcing_realise",
    "clause_insertion_etudiee",
    "clause_insertion_retenue",
    "egalite_fh_questionnee",
    "besoin_repense_egalite_fh",
    "clause_environnementale",
    "critere_environnemental",
    "cout_global",
    "critere_carbone",
    "label_exige",
    "exigence_sans_perturbateurs_endocriniens",
    "clause_reemploi_biosources",
)


class FichesOperationSource(JsonRecordSource):
    raw_table = "raw.ged_fop"
    key_fields = ("acheteur_siret", "id_consultation")
    fields = (
        Field("acheteur_siret", SIRET, mandatory=True),
        Field("id_consultation", TEXT_OR_NUMBER, mandatory=True),
        Field("date_validation", dates(ISO_DATE, plausible_only=True), mandatory=True),
        Field("segment", TEXT),
        *(Field(question, JSON_BOOLEAN) for question in QUESTIONS),
        Field(
            "familles_agec",
            code_list(
                PRODUCT_CATEGORIES, item_problem="n'est pas une catégorie AGEC (type_produit_acquis du schéma officiel)"
            ),
        ),
    )
    other_keys_column = "autres"
