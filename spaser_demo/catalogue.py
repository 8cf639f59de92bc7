"""What the three collectivités buy: purchase families with real CPV codes, and the trades of the
companies that answer them.

A family fixes the consultation's categorie and segment, its CCAG, its amounts and durations and
the trade of its bidders. The categorie is the CPV division's one (45 travaux, 03-44 and 48
fournitures, others services) except for the copier lease, which buyers class as a service although
its CPV is a supply: it exercises the warehouse rule "the linked lot's categorie wins over the CPV".
"""

from __future__ import annotations

from dataclasses import dataclass

TRAVAUX, FOURNITURES, SERVICES = "travaux", "fournitures", "services"
CATEGORIES = (TRAVAUX, FOURNITURES, SERVICES)


@dataclass(frozen=True)
class Trade:
    key: str
    naf_codes: tuple[str, ...]  # activitePrincipaleEtablissement (NAF rév. 2)
    name_stems: tuple[str, ...]  # words company names are made of
    locality: dict[str, float]  # how likely a bidder of this trade comes from each territory


LOCAL = {"agglo": 3.0, "departement": 2.0, "region": 1.5, "france": 0.8, "etranger": 0.0, "inconnu": 1.0}
REGIONAL = {"agglo": 1.5, "departement": 1.2, "region": 2.0, "france": 1.8, "etranger": 0.0, "inconnu": 1.0}
NATIONAL = {"agglo": 0.8, "departement": 0.6, "region": 1.5, "france": 3.0, "etranger": 1.0, "inconnu": 1.0}
SOCIAL = {"agglo": 4.0, "departement": 2.0, "region": 0.3, "france": 0.0, "etranger": 0.0, "inconnu": 0.0}

TRADES = {
    trade.key: trade
    for trade in (
        Trade(
            "btp_batiment",
            ("4120B", "4399C", "4321A", "4322A", "4332A", "4334Z", "4391B"),
            (
                "Bâtiment",
                "Constructions",
                "Maçonnerie",
                "Menuiserie",
                "Électricité",
                "Plomberie",
                "Peinture",
                "Charpente",
            ),
            LOCAL,
        ),
        Trade(
            "btp_voirie",
            ("4211Z", "4221Z", "4299Z", "4312A"),
            ("Travaux Publics", "Routes", "Terrassement", "Réseaux", "Enrobés", "VRD"),
            LOCAL,
        ),
        Trade(
            "fournitures_generales",
            ("4649Z", "4690Z", "4762Z", "4642Z"),
            ("Bureautique", "Fournitures", "Papeterie", "Équipement", "Hygiène"),
            NATIONAL,
        ),
        Trade(
            "numerique_materiel",
            ("4651Z", "4652Z", "4666Z", "5829C"),
            ("Informatique", "Systèmes", "Digital", "Réseaux Numériques", "Logiciels"),
            NATIONAL,
        ),
        Trade("vehicules", ("4511Z", "4519Z"), ("Automobiles", "Véhicules", "Utilitaires", "Motors"), REGIONAL),
        Trade(
            "alimentaire",
            ("4632A", "4631Z", "4633Z", "1071C", "4639B"),
            ("Primeurs", "Viandes", "Laiterie", "Boulangerie", "Saveurs", "Produits Frais"),
            REGIONAL,
        ),
        Trade("mobilier", ("4665Z", "3101Z", "3109B"), ("Mobilier", "Agencement", "Aménagement"), NATIONAL),
        Trade("energie", ("3514Z", "4671Z"), ("Énergies", "Carburants", "Électricité Verte"), NATIONAL),
        Trade("proprete", ("8121Z", "8122Z"), ("Propreté", "Nettoyage", "Services Net", "Hygiène Services"), LOCAL),
        Trade("espaces_verts", ("8130Z", "0130Z"), ("Paysages", "Espaces Verts", "Jardins", "Pépinières"), LOCAL),
        Trade(
            "maintenance",
            ("4322B", "3312Z", "4329A", "4321A"),
            ("Maintenance", "Thermique", "Ascenseurs", "Sécurité Incendie", "Climatisation"),
            REGIONAL,
        ),
        Trade("ingenierie", ("7111Z", "7112B"), ("Architectes", "Ingénierie", "Bureau d'Études", "Atelier"), REGIONAL),
        Trade("conseil", ("7022Z", "7112B", "7120B"), ("Conseil", "Études", "Stratégies", "Expertise"), NATIONAL),
        Trade(
            "numerique_services",
            ("6202A", "6201Z", "6311Z", "6110Z"),
            ("Numérique", "Solutions", "Data", "Cloud", "Télécom"),
            NATIONAL,
        ),
        Trade(
            "communication",
            ("1812Z", "7311Z", "7410Z", "8230Z"),
            ("Imprimerie", "Communication", "Graphisme", "Événements"),
            REGIONAL,
        ),
        Trade("restauration", ("5629A", "5621Z"), ("Restauration", "Traiteur", "Cuisine"), REGIONAL),
        Trade("transport", ("4939A", "4939B"), ("Transports", "Autocars", "Voyages"), LOCAL),
        Trade("securite", ("8010Z", "8020Z"), ("Sécurité", "Surveillance", "Gardiennage"), REGIONAL),
        Trade("dechets", ("3811Z", "3821Z", "3832Z"), ("Environnement", "Recyclage", "Collecte"), REGIONAL),
        Trade("formation", ("8559A", "8559B"), ("Formation", "Compétences", "Académie"), NATIONAL),
        Trade("assurance", ("6512Z", "6622Z"), ("Assurances", "Mutuelle", "Courtage"), NATIONAL),
        Trade("garage", ("4520A", "4520B"), ("Garage", "Auto Services", "Carrosserie"), LOCAL),
        # Structures d'insertion (ACI, EI) and the secteur adapté (ESAT, EA): local associations.
        Trade(
            "insertion",
            ("8899B", "8130Z", "8121Z"),
            ("Chantier d'Insertion", "Tremplin", "Passerelle", "Solidarité"),
            SOCIAL,
        ),
        Trade("adapte", ("8810C", "8130Z", "9601A"), ("ESAT", "Entreprise Adaptée", "Atelier Protégé"), SOCIAL),
    )
}


@dataclass(frozen=True)
class Family:
    key: str
    categorie: str
    segment: str
    trade: str
    cpv: tuple[tuple[str, str], ...]  # (code, lot label): the lots a consultation of this family has
    objects: tuple[str, ...]  # consultation subjects; {lieu} is replaced by a place of the buyer
    amount_range: tuple[float, float]  # montant HT of one lot, euros
    durations: tuple[int, ...]  # dureeMois, renewals included
    ccag: str
    forme_prix: str
    accord_cadre: bool = False  # executed by bons de commande
    maitrise_oeuvre: bool = False
    multi_lot_share: float = 0.0  # share of consultations divided into several lots
    weight: float = 1.0  # frequency among the families of its categorie
    marche_insertion: bool = False
    marche_reserve: bool = False
    food_origin: bool = False  # origineUE / origineFrance are reported (arrêté of 22 Dec 2022)


FAMILIES = {
    family.key: family
    for family in (
        # ------------------------------------------------------------------ travaux
        Family(
            "batiment",
            TRAVAUX,
            "batiment",
            "btp_batiment",
            (
                ("45262522", "Gros œuvre - maçonnerie"),
                ("45421000", "Menuiseries extérieures"),
                ("45310000", "Électricité courants forts et faibles"),
                ("45330000", "Plomberie - sanitaires"),
                ("45331000", "Chauffage - ventilation"),
                ("45442100", "Peinture - revêtements"),
                ("45261000", "Charpente - couverture"),
                ("45111100", "Désamiantage - démolition"),
            ),
            (
                "Réhabilitation de l'école {lieu}",
                "Rénovation énergétique du gymnase {lieu}",
                "Extension de la médiathèque {lieu}",
                "Restructuration du groupe scolaire {lieu}",
                "Mise en accessibilité de la mairie annexe {lieu}",
                "Construction d'une crèche {lieu}",
            ),
            (15_000, 650_000),
            (4, 6, 8, 10, 12),
            "Travaux",
            "Forfaitaire",
            multi_lot_share=0.55,
            weight=5,
        ),
        Family(
            "entretien_batiments",
            TRAVAUX,
            "batiment",
            "btp_batiment",
            (("45453000", "Travaux de remise en état"), ("45442100", "Peinture"), ("45421000", "Menuiserie")),
            ("Travaux d'entretien des bâtiments {lieu}", "Petits travaux de second œuvre {lieu}"),
            (8_000, 180_000),
            (12, 24, 36, 48),
            "Travaux",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.3,
            weight=2,
        ),
        Family(
            "voirie",
            TRAVAUX,
            "infrastructure",
            "btp_voirie",
            (
                ("45233140", "Travaux routiers"),
                ("45233141", "Entretien de la voirie"),
                ("45232410", "Assainissement"),
                ("45316110", "Éclairage public"),
                ("45112700", "Aménagement paysager"),
            ),
            (
                "Réfection de la voirie {lieu}",
                "Aménagement de la place {lieu}",
                "Création d'une piste cyclable {lieu}",
                "Travaux d'assainissement {lieu}",
                "Renouvellement de l'éclairage public {lieu}",
                "Aménagement d'une zone d'activités {lieu}",
            ),
            (20_000, 1_800_000),
            (3, 6, 9, 12, 24, 48),
            "Travaux",
            "Unitaire",
            multi_lot_share=0.3,
            weight=4,
        ),
        # ------------------------------------------------------------------ fournitures
        Family(
            "fournitures_bureau",
            FOURNITURES,
            "fournitures_moyens_generaux",
            "fournitures_generales",
            (
                ("30192000", "Fournitures de bureau"),
                ("30197630", "Papier d'impression"),
                ("39830000", "Produits d'entretien"),
                ("18100000", "Vêtements de travail"),
                ("18830000", "Chaussures de protection"),
            ),
            (
                "Fournitures de bureau et consommables",
                "Produits d'entretien et d'hygiène",
                "Vêtements de travail et équipements de protection individuelle",
            ),
            (6_000, 250_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.4,
            weight=4,
        ),
        Family(
            "informatique",
            FOURNITURES,
            "numerique",
            "numerique_materiel",
            (
                ("30213000", "Ordinateurs personnels"),
                ("30232110", "Imprimantes laser"),
                ("32250000", "Téléphones mobiles"),
                ("48000000", "Logiciels"),
            ),
            (
                "Acquisition de matériel informatique",
                "Équipement numérique des écoles",
                "Licences logicielles et progiciels métiers",
            ),
            (10_000, 400_000),
            (12, 24, 36, 48),
            "Techniques de l'information et de la communication",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.35,
            weight=3,
        ),
        Family(
            "vehicules",
            FOURNITURES,
            "vehicules",
            "vehicules",
            (
                ("34144900", "Véhicules électriques"),
                ("34110000", "Voitures particulières"),
                ("34136000", "Camionnettes"),
            ),
            ("Acquisition de véhicules de service", "Renouvellement de la flotte de véhicules utilitaires"),
            (25_000, 450_000),
            (6, 12),
            "Fournitures courantes et services",
            "Forfaitaire",
            multi_lot_share=0.3,
            weight=1.5,
        ),
        Family(
            "alimentaire",
            FOURNITURES,
            "restauration",
            "alimentaire",
            (
                ("15110000", "Viandes"),
                ("15500000", "Produits laitiers"),
                ("03221000", "Légumes frais"),
                ("03222000", "Fruits frais"),
                ("15811000", "Pain et viennoiseries"),
            ),
            ("Denrées alimentaires pour la cuisine centrale", "Produits frais pour la restauration scolaire"),
            (15_000, 350_000),
            (12, 24, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.7,
            weight=3,
            food_origin=True,
        ),
        Family(
            "mobilier",
            FOURNITURES,
            "fournitures_moyens_generaux",
            "mobilier",
            (
                ("39130000", "Mobilier de bureau"),
                ("39160000", "Mobilier scolaire"),
                ("37535200", "Équipements de terrain de jeux"),
            ),
            ("Mobilier des bâtiments {lieu}", "Aires de jeux {lieu}"),
            (8_000, 200_000),
            (6, 12, 24),
            "Fournitures courantes et services",
            "Unitaire",
            multi_lot_share=0.3,
            weight=2,
        ),
        Family(
            "energie",
            FOURNITURES,
            "energie",
            "energie",
            (("09310000", "Électricité"), ("09134100", "Gazole")),
            ("Fourniture d'électricité des bâtiments", "Fourniture de carburants"),
            (150_000, 1_500_000),
            (24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            weight=0.6,
        ),
        Family(
            "vegetaux",
            FOURNITURES,
            "espaces_verts",
            "espaces_verts",
            (("03451000", "Plantes"), ("03452000", "Arbres")),
            ("Fourniture de végétaux pour le fleurissement", "Arbres d'alignement {lieu}"),
            (5_000, 90_000),
            (12, 24),
            "Fournitures courantes et services",
            "Unitaire",
            multi_lot_share=0.3,
            weight=1,
        ),
        # ------------------------------------------------------------------ services
        Family(
            "location_copieurs",
            SERVICES,
            "numerique",
            "numerique_materiel",
            (("30121100", "Photocopieurs"),),
            ("Location et maintenance de photocopieurs multifonctions",),
            (20_000, 180_000),
            (48, 60),
            "Fournitures courantes et services",
            "Mixte",
            weight=0.5,
        ),
        Family(
            "nettoyage",
            SERVICES,
            "proprete",
            "proprete",
            (
                ("90919200", "Nettoyage de bureaux"),
                ("90911200", "Nettoyage de bâtiments"),
                ("90911300", "Nettoyage de vitres"),
            ),
            ("Nettoyage des locaux {lieu}", "Entretien ménager des écoles", "Nettoyage des vitreries"),
            (10_000, 400_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Mixte",
            multi_lot_share=0.4,
            weight=3,
        ),
        Family(
            "espaces_verts",
            SERVICES,
            "espaces_verts",
            "espaces_verts",
            (
                ("77310000", "Entretien des espaces verts"),
                ("77211400", "Abattage et élagage"),
                ("77313000", "Entretien des parcs"),
            ),
            ("Entretien des espaces verts {lieu}", "Élagage des arbres d'alignement", "Entretien des parcs {lieu}"),
            (8_000, 300_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.3,
            weight=3,
        ),
        Family(
            "maintenance",
            SERVICES,
            "batiment",
            "maintenance",
            (
                ("50750000", "Entretien des ascenseurs"),
                ("50720000", "Maintenance du chauffage"),
                ("50413200", "Maintenance des équipements incendie"),
                ("50710000", "Maintenance des installations électriques"),
            ),
            (
                "Maintenance des installations techniques des bâtiments",
                "Exploitation des chaufferies",
                "Maintenance des ascenseurs et portes automatiques",
            ),
            (8_000, 500_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Mixte",
            multi_lot_share=0.4,
            weight=3,
        ),
        Family(
            "maitrise_oeuvre",
            SERVICES,
            "batiment",
            "ingenierie",
            (("71221000", "Maîtrise d'œuvre bâtiment"), ("71322000", "Maîtrise d'œuvre infrastructure")),
            (
                "Maîtrise d'œuvre pour la réhabilitation de l'école {lieu}",
                "Maîtrise d'œuvre de l'aménagement de la place {lieu}",
                "Maîtrise d'œuvre de la construction d'une crèche {lieu}",
            ),
            (15_000, 450_000),
            (24, 36, 48),
            "Maitrise d'œuvre",
            "Forfaitaire",
            maitrise_oeuvre=True,
            weight=2,
        ),
        Family(
            "etudes",
            SERVICES,
            "prestations_intellectuelles",
            "conseil",
            (
                ("71241000", "Études de faisabilité"),
                ("79411000", "Conseil en gestion"),
                ("90712000", "Planification environnementale"),
                ("71317210", "Coordination SPS"),
                ("71631000", "Contrôle technique"),
            ),
            (
                "Étude de programmation {lieu}",
                "Assistance à maîtrise d'ouvrage",
                "Mission de coordination SPS",
                "Mission de contrôle technique",
                "Étude du plan climat air énergie",
            ),
            (5_000, 200_000),
            (6, 12, 24, 36),
            "Prestations intellectuelles",
            "Forfaitaire",
            weight=3,
        ),
        Family(
            "numerique_services",
            SERVICES,
            "numerique",
            "numerique_services",
            (
                ("72267000", "Maintenance de logiciels"),
                ("72212000", "Développement d'applications"),
                ("72400000", "Services Internet"),
                ("64210000", "Téléphonie et transmission de données"),
            ),
            (
                "Maintenance du progiciel financier",
                "Refonte du site internet",
                "Services de télécommunications",
                "Hébergement et infogérance",
            ),
            (10_000, 500_000),
            (12, 24, 36, 48),
            "Techniques de l'information et de la communication",
            "Mixte",
            multi_lot_share=0.3,
            weight=3,
        ),
        Family(
            "communication",
            SERVICES,
            "communication",
            "communication",
            (
                ("79810000", "Impression"),
                ("79341000", "Publicité"),
                ("79952000", "Organisation d'événements"),
                ("79822500", "Conception graphique"),
            ),
            (
                "Impression du magazine d'information",
                "Organisation des événements de la saison culturelle",
                "Campagne de communication",
                "Conception graphique des supports",
            ),
            (5_000, 180_000),
            (12, 24, 36),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.3,
            weight=3,
        ),
        Family(
            "restauration",
            SERVICES,
            "restauration",
            "restauration",
            (("55523100", "Restauration scolaire"), ("55520000", "Traiteur")),
            ("Prestations de traiteur pour les réceptions", "Restauration des accueils de loisirs"),
            (10_000, 600_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            weight=2,
        ),
        Family(
            "transport",
            SERVICES,
            "transport",
            "transport",
            (("60130000", "Transport de passagers"), ("60140000", "Transport occasionnel")),
            ("Transport des élèves vers les équipements sportifs", "Transports occasionnels en autocar"),
            (10_000, 400_000),
            (12, 24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            multi_lot_share=0.3,
            weight=2,
        ),
        Family(
            "securite",
            SERVICES,
            "securite",
            "securite",
            (("79713000", "Gardiennage"), ("79714000", "Surveillance")),
            ("Gardiennage des bâtiments {lieu}", "Surveillance des manifestations"),
            (10_000, 300_000),
            (12, 24, 36),
            "Fournitures courantes et services",
            "Unitaire",
            weight=1.5,
        ),
        Family(
            "dechets",
            SERVICES,
            "dechets",
            "dechets",
            (("90511000", "Collecte des déchets"), ("90513000", "Traitement des déchets")),
            ("Collecte et traitement des déchets des services", "Enlèvement des dépôts sauvages"),
            (20_000, 900_000),
            (24, 36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            weight=1.5,
        ),
        Family(
            "formation",
            SERVICES,
            "ressources_humaines",
            "formation",
            (("80500000", "Formation"), ("80530000", "Formation professionnelle")),
            (
                "Formation des agents à la conduite d'engins",
                "Formations hygiène et sécurité",
                "Formation aux achats responsables",
            ),
            (3_000, 90_000),
            (12, 24, 36),
            "Fournitures courantes et services",
            "Forfaitaire",
            weight=2,
        ),
        Family(
            "assurance",
            SERVICES,
            "assurances",
            "assurance",
            (("66516000", "Responsabilité civile"), ("66510000", "Dommages aux biens")),
            ("Contrats d'assurance de la collectivité",),
            (20_000, 300_000),
            (48, 60),
            "Fournitures courantes et services",
            "Forfaitaire",
            multi_lot_share=0.8,
            weight=0.6,
        ),
        Family(
            "entretien_vehicules",
            SERVICES,
            "vehicules",
            "garage",
            (("50110000", "Entretien des véhicules"),),
            ("Entretien et réparation des véhicules légers", "Entretien des poids lourds"),
            (8_000, 150_000),
            (12, 24, 36),
            "Fournitures courantes et services",
            "Unitaire",
            accord_cadre=True,
            weight=1.5,
        ),
        # Contracts whose very object is professional insertion (marchés d'insertion, CCP art. R2123-1)
        Family(
            "insertion",
            SERVICES,
            "espaces_verts",
            "insertion",
            (("77310000", "Entretien des espaces naturels"), ("77312000", "Désherbage"), ("90910000", "Nettoyage")),
            (
                "Insertion professionnelle par l'entretien des espaces naturels {lieu}",
                "Chantier d'insertion : entretien des berges",
                "Insertion professionnelle par le nettoyage urbain",
            ),
            (30_000, 250_000),
            (24, 36, 48),
            "Fournitures courantes et services",
            "Forfaitaire",
            weight=0,
            marche_insertion=True,
        ),
        # Contracts reserved to the secteur adapté and structures d'insertion (CCP art. L2113-12 and -13)
        Family(
            "reserve",
            SERVICES,
            "espaces_verts",
            "adapte",
            (("77310000", "Entretien des espaces verts"), ("98310000", "Blanchisserie"), ("79571000", "Mise sous pli")),
            (
                "Entretien des espaces verts réservé aux ESAT et entreprises adaptées",
                "Blanchisserie des vêtements de travail (marché réservé)",
                "Mise sous pli des courriers (marché réservé)",
            ),
            (20_000, 150_000),
            (36, 48),
            "Fournitures courantes et services",
            "Unitaire",
            weight=0,
            marche_reserve=True,
        ),
    )
}


def families_of(categorie: str) -> list[Family]:
    """The families drawn for ordinary contracts of a categorie (insertion and reserved ones are planned)."""
    return [family for family in FAMILIES.values() if family.categorie == categorie and family.weight > 0]


PLACES = {
    "200068781": (
        "de Valence",
        "de Romans-sur-Isère",
        "de Bourg-lès-Valence",
        "de Chabeuil",
        "d'Étoile-sur-Rhône",
        "de Portes-lès-Valence",
        "de Bourg-de-Péage",
        "de Saint-Marcel-lès-Valence",
        "de Malissard",
        "de Montélier",
    ),
    "212603625": (
        "Fontbarlettes",
        "du Plan",
        "de Valensolles",
        "du centre-ville",
        "Polygone",
        "Chamberlière",
        "des Baumes",
        "Jean Jaurès",
    ),
    "212602817": (
        "de la Monnaie",
        "Jules Nadi",
        "des Récollets",
        "Saint-Nicolas",
        "de la Presle",
        "Jean Vilar",
        "des Ors",
    ),
}
