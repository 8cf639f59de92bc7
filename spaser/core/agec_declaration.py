"""What the national AGEC declaration file must hold, as this project checks it.

The declaration of art. 58 of the loi AGEC (arrêté du 13 janvier 2025) is exchanged in the format
that data.gouv.fr publishes as the Table Schema ``schema-declaration-biens-reemploi-reutilisation-
recycle`` v0.1.0. The facts the project relies on — column names and order, types, required columns,
the SIRET pattern and the 17 product categories of the arrêté du 29 février 2024 — are written here
in the Table Schema's own vocabulary so that ``spaser.outputs.table_schema`` validates every exported file
against them. The test suite compares them with the published schema wherever a copy of it is at hand.
"""

from __future__ import annotations

VERSION = "v0.1.0"

# type_produit_acquis: the categories verbatim, accents and capitals as the national format spells
# them (« Equipements » without accent included), in its order.
PRODUCT_CATEGORIES = (
    "Produits textiles à l'exception des équipements de protection individuels",
    "Matériel informatique et téléphonie",
    "Matériel de reprographie et d'impression",
    "Consommables d'impression",
    "Papier",
    "Fournitures de bureau",
    "Engins de transport et pièces détachées",
    "Véhicules et pièces détachées",
    "Mobilier et aménagement d'intérieur",
    "Mobilier urbain",
    "Equipements de collecte de déchets",
    "Bocaux et flacons",
    "Articles et équipement sportifs",
    "Matériel d'entretien des espaces verts",
    "Bâtiments modulaires ou préfabriqués",
    "Gros électroménager, y compris appareils professionnels",
    "Jeux et jouets",
)


def _field(name: str, type_: str, required: bool = True, **constraints) -> dict:
    return {"name": name, "type": type_, "constraints": {"required": required, **constraints}}


DECLARATION_SCHEMA = {
    "name": "schema-declaration-biens-reemploi-reutilisation-recycle",
    "version": VERSION,
    "fields": [
        _field("annee", "year"),
        _field("siret", "string", pattern=r"^\d{14}$"),
        _field("raison_sociale", "string"),
        _field("type_produit_acquis", "string", enum=list(PRODUCT_CATEGORIES)),
        _field("montant_total", "number"),
        _field("montant_reemploi_et_reutilisation", "number"),
        _field("montant_produits_issus_don", "number"),
        _field("montant_produits_recycles", "number"),
        _field("commentaires", "string", required=False),
    ],
}
