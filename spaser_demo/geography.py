"""Real communes (INSEE COG 2026 codes, as SIRENE's codeCommuneEtablissement spells them) where the
demo companies are located, grouped by the territory class the warehouse derives from them.

Embedded because the product must not read ../shared at run time; the test suite checks every code
against the COG and the agglomeration's composition. Weights make Valence and Romans the busiest
places, as they are in reality. Paris, Lyon and Marseille appear through their arrondissement codes
because that is what SIRENE uses.
"""

from __future__ import annotations

# (code, name, weight)
AGGLO_COMMUNES = (
    ("26362", "Valence", 30),
    ("26281", "Romans-sur-Isère", 14),
    ("26058", "Bourg-lès-Valence", 8),
    ("26252", "Portes-lès-Valence", 7),
    ("26057", "Bourg-de-Péage", 6),
    ("26064", "Chabeuil", 5),
    ("26313", "Saint-Marcel-lès-Valence", 4),
    ("26124", "Étoile-sur-Rhône", 4),
    ("26037", "Beaumont-lès-Valence", 3),
    ("26170", "Malissard", 3),
    ("26197", "Montélier", 3),
    ("26088", "Chatuzange-le-Goubet", 2),
    ("26323", "Saint-Paul-lès-Romans", 2),
    ("26218", "Mours-Saint-Eusèbe", 2),
    ("26004", "Alixan", 2),
    ("26084", "Châteauneuf-sur-Isère", 2),
)

DROME_OUTSIDE_AGGLO_COMMUNES = (
    ("26198", "Montélimar", 10),
    ("26108", "Crest", 6),
    ("26165", "Livron-sur-Drôme", 5),
    ("26166", "Loriol-sur-Drôme", 4),
    ("26347", "Tain-l'Hermitage", 4),
    ("26235", "Pierrelatte", 4),
    ("26333", "Saint-Vallier", 3),
    ("26113", "Die", 3),
    ("26220", "Nyons", 2),
    ("26301", "Saint-Donat-sur-l'Herbasse", 2),
    ("26325", "Saint-Rambert-d'Albon", 2),
    ("26114", "Dieulefit", 1),
)

REGION_OUTSIDE_DROME_COMMUNES = (
    ("69383", "Lyon 3e Arrondissement", 6),
    ("69387", "Lyon 7e Arrondissement", 5),
    ("69382", "Lyon 2e Arrondissement", 3),
    ("69386", "Lyon 6e Arrondissement", 3),
    ("69389", "Lyon 9e Arrondissement", 3),
    ("69381", "Lyon 1er Arrondissement", 2),
    ("69388", "Lyon 8e Arrondissement", 2),
    ("69266", "Villeurbanne", 3),
    ("69259", "Vénissieux", 3),
    ("69290", "Saint-Priest", 2),
    ("38185", "Grenoble", 6),
    ("38053", "Bourgoin-Jallieu", 2),
    ("07102", "Guilherand-Granges", 5),
    ("07281", "Saint-Péray", 3),
    ("07324", "Tournon-sur-Rhône", 3),
    ("07010", "Annonay", 3),
    ("07186", "Privas", 2),
    ("42218", "Saint-Étienne", 5),
    ("73065", "Chambéry", 2),
    ("38544", "Vienne", 2),
    ("63113", "Clermont-Ferrand", 3),
    ("01053", "Bourg-en-Bresse", 1),
)

FRANCE_OUTSIDE_REGION_COMMUNES = (
    ("75108", "Paris 8e Arrondissement", 5),
    ("75115", "Paris 15e Arrondissement", 4),
    ("75111", "Paris 11e Arrondissement", 3),
    ("75109", "Paris 9e Arrondissement", 3),
    ("75116", "Paris 16e Arrondissement", 2),
    ("75102", "Paris 2e Arrondissement", 2),
    ("75112", "Paris 12e Arrondissement", 2),
    ("13208", "Marseille 8e Arrondissement", 3),
    ("13202", "Marseille 2e Arrondissement", 2),
    ("84007", "Avignon", 4),
    ("30189", "Nîmes", 3),
    ("34172", "Montpellier", 4),
    ("31555", "Toulouse", 3),
    ("06088", "Nice", 2),
    ("33063", "Bordeaux", 2),
    ("44109", "Nantes", 2),
    ("59350", "Lille", 2),
    ("67482", "Strasbourg", 1),
    ("35238", "Rennes", 1),
    ("21231", "Dijon", 2),
    ("45234", "Orléans", 1),
    ("37261", "Tours", 1),
    ("57463", "Metz", 1),
    ("51454", "Reims", 1),
)

# Territory classes of French establishments, most local first (the warehouse's cumulative classes
# are agglo ⊂ departement ⊂ region ⊂ france; here each class excludes the more local ones).
COMMUNES_BY_TERRITORY = {
    "agglo": AGGLO_COMMUNES,
    "departement": DROME_OUTSIDE_AGGLO_COMMUNES,
    "region": REGION_OUTSIDE_DROME_COMMUNES,
    "france": FRANCE_OUTSIDE_REGION_COMMUNES,
}
FRENCH_TERRITORIES = tuple(COMMUNES_BY_TERRITORY)
# Bidders that are not located through SIRENE: an EU VAT number, or a SIRET missing from SIRENE.
FOREIGN = "etranger"
UNKNOWN = "inconnu"
TERRITORIES = FRENCH_TERRITORIES + (FOREIGN, UNKNOWN)

# Where the buyers' works and services are carried out (lieuExecution), by buyer SIREN.
EXECUTION_COMMUNES = {
    "200068781": tuple(code for code, _name, _weight in AGGLO_COMMUNES),
    "212603625": ("26362",),
    "212602817": ("26281",),
}
