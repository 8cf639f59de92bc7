"""The users' dashboard: a static French site under ``$SPASER_HOME/site``, rebuilt at the end of every night.

It reads only the published marts (``rapport_indicateurs``, ``dim_indicateurs``, ``dim_engagements``,
``fct_marches``) and the quality history, so it shows whatever indicators exist and grows with them.
Pages: ``index.html`` (by axe), ``engagement-NN.html`` and ``chiffres-cles.html`` (one card per
indicator: values from 2022, target, status, chart, definition, sources, quality badge),
``detail-<indicateur>.html`` (the contracts behind a value), ``qualite-des-donnees.html``,
``fiabilisation.html`` (the half-yearly reliability report's rules and counts); GX Data
Docs stay under ``qualite/`` (written by the gate) and dbt docs go under ``dbt/``.
Charts are inline SVG drawn here; the only script is ``assets/spaser.js`` (perimeter choice):
no CDN, the site works offline.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from spaser.core.catalogue import drill_downs
from spaser.core.faults import fault_point
from spaser.core.files import staged_directory
from spaser.core.settings import COLLECTIVITES, PERIMETRE_TOUS

ASSETS_DIR = Path(__file__).parent / "site_assets"
# The perimeter switch: the service commun first (the SPASER's own scope), then the collectivités.
PERIMETRES = {PERIMETRE_TOUS: "Service commun (tous les acheteurs)", **COLLECTIVITES}
AXES = {
    "transversal": "Axe transversal",
    "social": "Axe social",
    "environnemental": "Axe environnemental",
    "economique": "Axe économique",
    "chiffres_cles": "Chiffres clés",
}
AVANCEMENTS = {
    "atteint": "atteint",
    "en_bonne_voie": "en bonne voie",
    "en_retard": "en retard",
    "pas_de_donnees": "pas de données",
    "sans_objectif": "sans objectif chiffré",
    "controle_en_echec": "contrôle qualité en échec",
}
# Written on every page; the rule itself lives in dbt_project/models/marts/rapports/rapport_indicateurs.sql.
REGLE_AVANCEMENT = (
    "<p><strong>Comment le statut est établi</strong> (pour chaque année ; le statut affiché est celui de la "
    "dernière année publiée).</p><ul>"
    "<li><em>Référence</em> : la réalisation 2022 imprimée dans le SPASER ; à défaut la valeur calculée pour 2022 ; "
    "à défaut la première année calculée.</li>"
    "<li><em>Objectif de l'année</em> : la cible du SPASER (≥, ≤ ou =) ; pour « hausse », dépasser la référence ; "
    "pour « +N % par rapport à 2022 », valeur 2022 × (1 + N %), et pas d'objectif quand 2022 manque (jamais une "
    "autre année de base) ; pour « +N points par an », la valeur de l'année précédente + N points.</li>"
    "<li><em>Où s'appliquent les cibles</em> : les cibles du SPASER propres à l'Agglo (doublement des marchés "
    "réservés et d'insertion, traiteurs de l'Agglo) ne portent que sur Valence Romans Agglo ; « 2 communications "
    "/ an » porte sur le total des publics ; « 2 projets phares d'ici 2025 » sur le cumul des chantiers.</li>"
    "<li><em>Réemploi AGEC</em> : la « progression de 5 % par an sur chaque famille d'achats » du SPASER est lue "
    "comme +5 points de part par an et par famille (une hausse relative de 5 % laisserait à 0 % une famille partie "
    "de 0 %, alors que le décret fixe des parts minimales à atteindre).</li>"
    "<li><strong>atteint</strong> : l'objectif est tenu.</li>"
    "<li><strong>en retard</strong> : objectif non tenu alors que l'échéance est atteinte (ou que la cible est "
    "annuelle), ou, avant l'échéance, valeur en deçà de la droite qui va de la référence à l'objectif à "
    "l'échéance.</li>"
    "<li><strong>en bonne voie</strong> : avant l'échéance, valeur au moins sur cette droite.</li>"
    "<li><strong>pas de données</strong> : pas de valeur cette année (dénominateur vide, source non livrée) ou "
    "pas de référence pour mesurer l'objectif ; <strong>sans objectif chiffré</strong> : le SPASER ne fixe pas de "
    "cible, la valeur est suivie.</li>"
    "<li><strong>contrôle qualité en échec</strong> : une valeur calculée cette nuit enfreint un contrôle (pourcentage "
    "hors de [0, 100], nombre, numérateur ou dénominateur négatif, par exemple après des annulations de mandats "
    "supérieures aux mandats de l'année) ; l'indicateur est retenu pour ce périmètre et cette année, les autres "
    "sont publiés ; la dernière valeur validée reste affichée, marquée ⚠.</li></ul>"
)
# The records behind a value: the published contracts that an indicator counts (its numerator, or
# the count itself), as the indicator marts filter them; the catalogue's `detail` declares them.
DRILL_DOWNS = drill_downs()
# e02's rows carry the count the SPASER names (« nombre d'indicateurs suivis et automatisés ») in
# numerateur and the indicators that apply to the perimetre in denominateur: shown beside the share.
AUTOMATISATION = "e02_indicateurs_automatises_pct"
REGLE_AUTOMATISATION = (
    "Entre parenthèses : le nombre d'indicateurs suivis et automatisés, sur le nombre d'indicateurs qui "
    "s'appliquent au périmètre. Un indicateur compte pour un périmètre et une année quand chacune de ses "
    "sources a livré pour ce périmètre et cette année (pour le service commun : pour chaque acheteur "
    "qu'elle couvre ; l'inventaire GES, publié avec deux ans de retard, n'est pas compté manquant pendant "
    "ce délai) et que chacune de ses valeurs est calculée ou vide faute de dénominateur."
)

PALETTE = ("#004a6e", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")


@dataclass
class Series:
    """One indicator x perimetre x ventilation, its rows ordered by year."""

    ventilation: str
    rows: list[dict] = field(default_factory=list)

    @property
    def latest(self) -> dict:
        return self.rows[-1]


@dataclass
class Indicator:
    indicateur_id: str
    libelle: str
    unite: str
    definition: str
    sources: str
    axe: str
    engagements: list[int | None]
    series: dict[str, list[Series]] = field(default_factory=dict)  # perimetre -> series

    @property
    def first_row(self) -> dict:
        return next(iter(self.series.values()))[0].rows[0]


# ---------------------------------------------------------------------------- reading


def _fetch(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _indicators(conn: psycopg.Connection) -> dict[str, Indicator]:
    catalogue = {row["indicateur_id"]: row for row in _fetch(conn, "select * from marts.dim_indicateurs")}
    rows = _fetch(
        conn,
        """
        select * from marts.rapport_indicateurs
        where perimetre = any(%s)
        order by indicateur_id, engagement nulls first, perimetre, ventilation, annee
    """,
        (list(PERIMETRES),),
    )
    indicators: dict[str, Indicator] = {}
    series_index: dict[tuple, Series] = {}
    for row in rows:
        identifier = row["indicateur_id"]
        entry = catalogue[identifier]
        indicator = indicators.setdefault(
            identifier,
            Indicator(
                indicateur_id=identifier,
                libelle=row["libelle"],
                unite=row["unite"],
                definition=entry["definition"],
                sources=entry["sources"] or "",
                axe=row["axe"],
                engagements=[],
            ),
        )
        if row["engagement"] not in indicator.engagements:
            indicator.engagements.append(row["engagement"])
        if row["engagement"] != indicator.engagements[0]:
            continue  # the rows of a second engagement repeat the first one's values
        key = (identifier, row["perimetre"], row["ventilation"])
        if key not in series_index:
            series_index[key] = Series(row["ventilation"])
            indicator.series.setdefault(row["perimetre"], []).append(series_index[key])
        series_index[key].rows.append(row)
    return indicators


@dataclass
class QualityState:
    run_id: str | None
    published_at: datetime | None
    suites: list[dict]  # the latest run's validations

    def inputs_of(self, sources: str) -> list[dict]:
        """The raw-table validations of an indicator's catalogue sources (e.g. marches.decp -> raw.marches_decp)."""
        prefixes = []
        for source in filter(None, (s.strip() for s in sources.split(","))):
            system, _, name = source.partition(".")
            prefixes.append(f"raw.{name}" if system == "referentiels" else f"raw.{system}_{name}")
        return [s for s in self.suites if s["couche"] == "raw" and s["table_name"].startswith(tuple(prefixes))]


def _quality(conn: psycopg.Connection) -> QualityState:
    if not _table_exists(conn, "qualite", "validations"):
        return QualityState(None, None, [])
    published = _fetch(
        conn,
        """
        select run_id, max(valide_le) as valide_le from qualite.validations where couche = 'marts'
        group by run_id having bool_and(succes) order by max(valide_le) desc limit 1
    """,
    )
    if not published:
        return QualityState(None, None, [])
    run_id = published[0]["run_id"]
    suites = _fetch(conn, "select * from qualite.validations where run_id = %s order by couche, suite", (run_id,))
    return QualityState(run_id, published[0]["valide_le"], suites)


def _table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return (
        conn.execute(
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s", (schema, table)
        ).fetchone()
        is not None
    )


# ---------------------------------------------------------------------------- formatting


def _number(value: Decimal | None, unite: str = "") -> str:
    if value is None:
        return "—"
    rounded = round(float(value), 2)
    text = f"{rounded:,.2f}".replace(",", "\u202f").replace(".", ",").rstrip("0").rstrip(",")
    return text + (" %" if unite == "pourcentage" else "")


def _cible(row: dict) -> str:
    sens = row["cible_sens"]
    if not sens:
        return "aucune cible chiffrée"
    echeance = "chaque année" if row["cible_annee"] == "chaque_annee" else f"échéance {row['cible_annee']}"
    if sens in (">=", "<=", "="):
        symbol = {">=": "≥", "<=": "≤", "=": "="}[sens]
        return f"{symbol} {_number(row['cible_valeur'], row['unite'])} ({echeance})"
    return f"{sens} ({echeance})"


def _status(avancement: str) -> str:
    return f'<span class="statut statut-{avancement}">{AVANCEMENTS[avancement]}</span>'


def _value_cell(row: dict, unite: str) -> str:
    """The year's value; for a value the quality control withheld, the last validated one, flagged."""
    if row["avancement"] != "controle_en_echec":
        return _number(row["valeur"], unite)
    shown = _number(row["derniere_valeur_validee"], unite) if row["derniere_valeur_validee"] is not None else "—"
    return (
        f'<span class="retenue" title="{html.escape(row["motif"] or "", quote=True)}">⚠ {shown}'
        "<small> (dernière valeur validée)</small></span>"
    )


def _ventilation_label(ventilation: str) -> str:
    return ", ".join(part.split("=", 1)[-1] for part in ventilation.split("|")) if ventilation else "valeur"


def _chart(series_list: list[Series], unite: str) -> str:
    """A line chart of the series over the years, with the year's objectif dashed when there is one."""
    width, height, left, right, top, bottom = 420, 180, 46, 110, 12, 24
    years = sorted({row["annee"] for series in series_list for row in series.rows})
    values = [
        float(row[c]) for s in series_list for row in s.rows for c in ("valeur", "objectif") if row[c] is not None
    ]
    if not years or not values:
        return '<p class="meta">Pas de valeur à représenter.</p>'
    low, high = min(0.0, min(values)), max(values)
    high = high if high > low else low + 1
    x_of = {year: left + (width - left - right) * (i / max(len(years) - 1, 1)) for i, year in enumerate(years)}

    def y_of(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / (high - low))

    parts = [
        f'<svg class="graphique" viewBox="0 0 {width} {height}" role="img" aria-label="Évolution annuelle">',
        f'<line x1="{left}" y1="{y_of(low):.1f}" x2="{width - right}" y2="{y_of(low):.1f}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{y_of(high) + 4:.1f}" text-anchor="end">{html.escape(_number(Decimal(str(high)), unite))}</text>',
        f'<text x="{left - 4}" y="{y_of(low):.1f}" text-anchor="end">{html.escape(_number(Decimal(str(low)), unite))}</text>',
    ]
    parts += [f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{year}</text>' for year, x in x_of.items()]
    for position, series in enumerate(series_list[: len(PALETTE)]):
        colour = PALETTE[position]
        points = [(x_of[r["annee"]], y_of(float(r["valeur"]))) for r in series.rows if r["valeur"] is not None]
        if points:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
            parts.append(f'<path class="courbe" d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        targets = [(x_of[r["annee"]], y_of(float(r["objectif"]))) for r in series.rows if r["objectif"] is not None]
        if targets:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(targets))
            parts.append(f'<path class="objectif" d="{path}" fill="none" stroke="{colour}" stroke-dasharray="4 3"/>')
        parts.append(
            f'<text x="{width - right + 6}" y="{top + 12 * position + 8}" fill="{colour}">'
            f"{html.escape(_ventilation_label(series.ventilation))[:20]}</text>"
        )
    if any(r["objectif"] is not None for s in series_list for r in s.rows):
        parts.append(f'<text x="{width - right + 6}" y="{height - bottom}">- - objectif</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------- pages


def _page(title: str, body: str, with_switch: bool = True) -> str:
    switch = ""
    if with_switch:
        buttons = "".join(
            f'<button type="button" data-choix-perimetre="{code}" aria-pressed="{str(code == PERIMETRE_TOUS).lower()}">'
            f"{html.escape(name)}</button>"
            for code, name in PERIMETRES.items()
        )
        switch = f'<div class="choix-perimetre" role="group" aria-label="Périmètre">Périmètre : {buttons}</div>'
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — SPASER Valence Romans Agglo</title>"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="assets/spaser.css">'
        '<script src="assets/spaser.js" defer></script></head><body>'
        "<header><strong>SPASER 2023-2026 — tableau de bord</strong><br><nav>"
        '<a href="index.html">Accueil</a><a href="chiffres-cles.html">Chiffres clés</a>'
        '<a href="qualite-des-donnees.html">Qualité des données</a><a href="qualite/index.html">Rapports de contrôle</a>'
        '<a href="fiabilisation.html">Fiabilisation des données</a>'
        '<a href="dbt/index.html">Documentation des données</a></nav></header>'
        f"<main><h1>{html.escape(title)}</h1>{switch}{body}</main></body></html>"
    )


def _by_perimetre(render) -> str:
    """One block per perimeter of the switch; the service commun is shown until the script runs."""
    return "".join(
        f'<div data-perimetre="{code}"{"" if code == PERIMETRE_TOUS else " hidden"}>{render(code)}</div>'
        for code in PERIMETRES
    )


def _quality_badge(indicator: Indicator, quality: QualityState) -> str:
    if quality.run_id is None:
        return '<p class="meta qualite-ko">Contrôles qualité : aucun historique.</p>'
    inputs = quality.inputs_of(indicator.sources)
    failed = [s["table_name"] for s in inputs if not s["succes"]]
    checked = ", ".join(sorted({s["table_name"] for s in inputs})) or "aucune table brute contrôlée"
    verdict = (
        f'<span class="qualite-ko">contrôles en échec : {html.escape(", ".join(failed))}</span>'
        if failed
        else '<span class="qualite-ok">✔ contrôles réussis</span>'
    )
    refreshed = (
        quality.published_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")
        if quality.published_at
        else "—"
    )
    return (
        f'<p class="meta badge-qualite">Qualité des données (nuit {html.escape(quality.run_id)}) : {verdict} '
        f"— entrées : {html.escape(checked)} ; actualisé le {refreshed}.</p>"
    )


def _cell(row: dict, indicator: Indicator) -> str:
    text = _value_cell(row, indicator.unite)
    if (
        indicator.indicateur_id == AUTOMATISATION
        and row["avancement"] != "controle_en_echec"
        and row["denominateur"] is not None
    ):
        text += f" ({_number(row['numerateur'])} / {_number(row['denominateur'])})"
    return text


def _indicator_card(indicator: Indicator, quality: QualityState) -> str:
    first = indicator.first_row

    def render(perimetre: str) -> str:
        series_list = indicator.series.get(perimetre)
        if not series_list:
            return '<p class="meta">Pas de données pour ce périmètre.</p>'
        years = sorted({row["annee"] for s in series_list for row in s.rows})
        head = "".join(f"<th>{year}</th>" for year in years)
        lines = []
        for series in series_list:
            by_year = {row["annee"]: row for row in series.rows}
            cells = "".join(f"<td>{_cell(by_year[y], indicator) if y in by_year else '—'}</td>" for y in years)
            latest = series.latest
            lines.append(
                f"<tr><td>{html.escape(_ventilation_label(series.ventilation))}</td>"
                f"<td>{_number(latest['realisation_2022'], indicator.unite)}</td>{cells}"
                f"<td>{html.escape(_cible(latest))}</td><td>{_status(latest['avancement'])}</td></tr>"
            )
        return (
            f"<table><thead><tr><th></th><th>SPASER 2022</th>{head}<th>Cible</th>"
            f"<th>Statut {years[-1]}</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
            f"{_chart(series_list, indicator.unite)}"
        )

    regle = (
        f'<p class="meta">{html.escape(REGLE_AUTOMATISATION)}</p>' if indicator.indicateur_id == AUTOMATISATION else ""
    )
    drill = ""
    if indicator.indicateur_id in DRILL_DOWNS:
        drill = (
            f'<p><a href="detail-{indicator.indicateur_id}.html">Voir les '
            f"{html.escape(DRILL_DOWNS[indicator.indicateur_id][0])} comptés</a></p>"
        )
    return (
        f'<section class="carte indicateur" id="{indicator.indicateur_id}">'
        f"<h3>{html.escape(indicator.libelle)}</h3>"
        f'<p class="meta">{html.escape(indicator.indicateur_id)} — unité : {html.escape(first["unite"])}</p>'
        f"{_by_perimetre(render)}{regle}"
        f"<details><summary>Définition et sources</summary><p>{html.escape(indicator.definition)}</p>"
        f"<p>Sources : {html.escape(indicator.sources)}</p></details>"
        f"{_quality_badge(indicator, quality)}{drill}</section>"
    )


def _home(engagements: list[dict], indicators: dict[str, Indicator]) -> str:
    sections = []
    for axe, axe_title in AXES.items():
        if axe == "chiffres_cles":
            continue
        cards = []
        for engagement in (e for e in engagements if e["axe"] == axe):
            members = [i for i in indicators.values() if engagement["engagement"] in i.engagements]

            def render(perimetre: str, members=members) -> str:
                items = []
                for indicator in members:
                    series_list = indicator.series.get(perimetre) or []
                    statuses = " ".join(_status(s.latest["avancement"]) for s in series_list[:1])
                    items.append(f"<li>{html.escape(indicator.libelle)} {statuses}</li>")
                return f"<ul>{''.join(items)}</ul>" if items else ""

            count = f"{len(members)} indicateur(s) publié(s)" if members else "aucun indicateur publié pour l'instant"
            cards.append(
                f'<div class="carte"><h3><a href="engagement-{engagement["engagement"]:02d}.html">'
                f"Engagement {engagement['engagement']} : {html.escape(engagement['libelle'])}</a></h3>"
                f'<p class="meta">{count}</p>{_by_perimetre(render) if members else ""}</div>'
            )
        sections.append(f'<section class="axe" id="axe-{axe}"><h2>{axe_title}</h2>{"".join(cards)}</section>')
    intro = (
        "<p>Suivi automatique des 13 engagements du SPASER 2023-2026 de Valence Romans Agglo, de la Ville de "
        "Valence et de la Ville de Romans-sur-Isère, à partir des données publiées chaque nuit.</p>"
    )
    return _page("Tableau de bord", intro + f'<div class="regle">{REGLE_AVANCEMENT}</div>' + "".join(sections))


def _engagement_page(title: str, members: list[Indicator], quality: QualityState) -> str:
    cards = "".join(_indicator_card(i, quality) for i in members) or "<p>Aucun indicateur publié pour l'instant.</p>"
    return _page(title, f'<div class="regle">{REGLE_AVANCEMENT}</div>{cards}')


def _drill_down_page(conn: psycopg.Connection, indicator: Indicator) -> str:
    label, column = DRILL_DOWNS[indicator.indicateur_id]
    # A boolean column of fct_marches named by the catalogue (none: every contract of the year).
    condition = sql.Identifier(column).as_string(conn) if column else "true"
    records = _fetch(
        conn,
        f"""
        select acheteur_siren, annee_notification, id_marche, objet, date_notification, montant, categorie_achat
        from marts.fct_marches where ({condition}) and annee_notification >= 2022
        order by annee_notification, date_notification, id_marche
    """,
    )

    def render(perimetre: str) -> str:
        chosen = [r for r in records if perimetre == PERIMETRE_TOUS or r["acheteur_siren"] == perimetre]
        blocks = []
        for year in sorted({r["annee_notification"] for r in chosen}):
            of_year = [r for r in chosen if r["annee_notification"] == year]
            lines = "".join(
                f"<tr><td>{html.escape(r['id_marche'])}</td><td>{html.escape(r['objet'] or '')}</td>"
                f"<td>{html.escape(PERIMETRES.get(r['acheteur_siren'], r['acheteur_siren']))}</td>"
                f"<td>{r['date_notification']}</td><td>{_number(r['montant'])}</td>"
                f"<td>{html.escape(r['categorie_achat'] or '')}</td></tr>"
                for r in of_year
            )
            blocks.append(
                f'<h3>{year} : <span class="nb-enregistrements">{len(of_year)}</span> {html.escape(label)}</h3>'
                "<table><thead><tr><th>Identifiant</th><th>Objet</th><th>Acheteur</th><th>Notification</th>"
                f"<th>Montant (€)</th><th>Catégorie</th></tr></thead><tbody>{lines}</tbody></table>"
            )
        return "".join(blocks) or "<p>Aucun marché.</p>"

    intro = (
        f"<p>Les {html.escape(label)} que compte l'indicateur « {html.escape(indicator.libelle)} » "
        f'(<a href="{_indicator_page(indicator)}#{indicator.indicateur_id}">retour</a>).</p>'
    )
    return _page(f"Détail : {indicator.libelle}", intro + _by_perimetre(render))


def _quality_page(conn: psycopg.Connection, quality: QualityState) -> str:
    parts = []
    if _table_exists(conn, "raw", "quarantaine"):
        since = _latest_files_since(conn)
        if since is not None:
            rows = _fetch(
                conn,
                """
                select q.source, q.champ, q.message, count(distinct (q.load_id, q.enregistrement)) as nb
                from raw.quarantaine as q inner join raw.fichiers as f on f.load_id = q.load_id
                where f.charge_le > %s group by 1, 2, 3 order by 1, 4 desc, 2
            """,
                (since,),
            )
            lines = "".join(
                f"<tr><td>{html.escape(r['source'])}</td><td>{html.escape(r['champ'])}</td>"
                f"<td>{html.escape(r['message'])}</td><td>{r['nb']}</td></tr>"
                for r in rows
            )
            parts.append(
                "<h2>Enregistrements mis en quarantaine (fichiers chargés depuis la publication précédente)</h2>"
                + (
                    f'<table id="quarantaine"><thead><tr><th>Source</th><th>Champ</th><th>Motif</th>'
                    f"<th>Enregistrements</th></tr></thead><tbody>{lines}</tbody></table>"
                    if rows
                    else "<p>Aucun enregistrement mis en quarantaine.</p>"
                )
                + '<p class="meta">Non chargés : un champ qu\'un indicateur utilise manque ou est inutilisable. '
                "Le détail des enregistrements : <code>spaser quarantaine</code>.</p>"
            )
            signaled = _fetch(
                conn,
                """
                select s.source, regexp_replace(s.champ, '\\[[0-9]+\\]', '', 'g') as champ,
                       count(distinct (s.load_id, s.enregistrement)) as nb, min(s.message) as exemple
                from raw.signalements as s inner join raw.fichiers as f on f.load_id = s.load_id
                where f.charge_le > %s group by 1, 2 order by 1, 3 desc, 2
            """,
                (since,),
            )
            lines = "".join(
                f"<tr><td>{html.escape(r['source'])}</td><td>{html.escape(r['champ'])}</td>"
                f"<td>{html.escape(r['exemple'])}</td><td>{r['nb']}</td></tr>"
                for r in signaled
            )
            parts.append(
                "<h2>Enregistrements chargés avec signalements</h2>"
                "<p>Ces enregistrements sont dans l'entrepôt et comptent dans les indicateurs ; leur export "
                "s'écarte du format sur un point qu'aucun indicateur n'utilise, ou qui a été réparé. "
                "La source doit corriger son export.</p>"
                + (
                    f'<table id="signalements"><thead><tr><th>Source</th><th>Champ</th><th>Exemple de message'
                    f"</th><th>Enregistrements</th></tr></thead><tbody>{lines}</tbody></table>"
                    if signaled
                    else "<p>Aucun signalement.</p>"
                )
                + '<p class="meta">Le détail : <code>spaser quarantaine --signalements</code>.</p>'
            )
    if _table_exists(conn, "raw", "fichiers"):
        parts.append(_rejected_files(conn))
    if _table_exists(conn, "marts", "fct_indicateurs"):
        parts.append(_withheld_indicators(conn))
    if _table_exists(conn, "qualite", "chargements_ecartes"):
        parts.append(_loads_set_aside(conn))
    failed = [s for s in quality.suites if not s["succes"]]
    lines = "".join(
        f"<tr><td>{html.escape(s['couche'])}</td><td>{html.escape(s['suite'])}</td>"
        f"<td><ul>{''.join('<li>' + html.escape(f['summary']) + '</li>' for f in s['echecs'])}</ul></td></tr>"
        for s in failed
    )
    parts.append(
        f"<h2>Contrôles en échec (nuit publiée {html.escape(quality.run_id or '—')})</h2>"
        + (
            f'<table id="controles-en-echec"><thead><tr><th>Couche</th><th>Suite</th><th>Attentes non satisfaites'
            f"</th></tr></thead><tbody>{lines}</tbody></table>"
            if failed
            else f"<p>Aucun : les {len(quality.suites)} suites de contrôle ont réussi.</p>"
        )
        + '<p>Historique complet et détail de chaque attente : <a href="qualite/index.html">rapports Great '
        "Expectations</a>.</p>"
    )
    return _page("Qualité des données", "".join(parts), with_switch=False)


def _latest_files_since(conn: psycopg.Connection) -> datetime | None:
    """The instant after which the latest files came in: the end of the last publication before the
    newest load (the beginning of time if none); None when no file is loaded. A night interrupted before it
    published, then rerun, loaded its files over both nights: they are all the latest files."""
    newest = conn.execute("select max(charge_le) from raw.fichiers where statut = 'charge'").fetchone()[0]
    if newest is None:
        return None
    previous = None
    if _table_exists(conn, "pilotage", "etapes"):
        previous = conn.execute(
            "select max(termine_le) from pilotage.etapes where etape = 'publish' and statut = 'reussie'"
            " and termine_le < %s",
            (newest,),
        ).fetchone()[0]
    return previous or datetime.min.replace(tzinfo=ZoneInfo("UTC"))


def _listing(title: str, intro: str, table_id: str, headers: list[str], rows: list[list[str]]) -> str:
    """A section of the quality page: its title, what it lists, then the table or « Aucun. ».
    Cells are given as text and escaped here."""
    head = "".join(f"<th>{html.escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    table = (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        if rows
        else "<p>Aucun.</p>"
    )
    return f"<h2>{html.escape(title)}</h2><p>{intro}</p>{table}"


def _withheld_indicators(conn: psycopg.Connection) -> str:
    """The indicators the granular gate withheld in the published night (macros/controles_valeurs.sql)."""
    rows = _fetch(
        conn,
        """
        select indicateur_id, perimetre, annee, min(motif) as motif,
               string_agg(coalesce(derniere_valeur_validee::text, '—'), ' ; ' order by ventilation) as validees
        from marts.fct_indicateurs where statut = 'controle_en_echec'
        group by indicateur_id, perimetre, annee order by indicateur_id, perimetre, annee
    """,
    )
    return _listing(
        "Indicateurs retenus par le contrôle qualité",
        "Une valeur calculée enfreint un contrôle : l'indicateur est publié vide pour ce périmètre et cette année, "
        "avec son motif ; les autres indicateurs sont publiés ; le tableau de bord affiche la dernière valeur "
        "validée, marquée ⚠.",
        "indicateurs-retenus",
        ["Indicateur", "Périmètre", "Année", "Motif", "Dernière(s) valeur(s) validée(s)"],
        [[r["indicateur_id"], r["perimetre"], str(r["annee"]), r["motif"], r["validees"]] for r in rows],
    )


def _loads_set_aside(conn: psycopg.Connection) -> str:
    """The loads an operator set aside (spaser/quality/ecarts.py): out of every indicator and check."""
    rows = _fetch(
        conn,
        """
        select e.load_id, f.source, f.fichier, f.run_id, e.motif, e.ecarte_par, e.ecarte_le
        from qualite.chargements_ecartes as e inner join raw.fichiers as f using (load_id) order by e.load_id
    """,
    )
    return _listing(
        "Chargements écartés",
        "Fichiers chargés puis écartés par l'équipe (<code>spaser chargement ecarter</code>) : ils restent dans "
        "l'entrepôt mais ne comptent ni dans les contrôles ni dans les indicateurs ; l'historique : "
        "<code>spaser chargement journal</code>.",
        "chargements-ecartes",
        ["Chargement", "Source", "Fichier", "Nuit", "Motif", "Par", "Le"],
        [
            [
                str(r["load_id"]),
                r["source"],
                r["fichier"],
                r["run_id"],
                r["motif"],
                r["ecarte_par"],
                f"{r['ecarte_le'].astimezone(ZoneInfo('Europe/Paris')):%d/%m/%Y %H:%M}",
            ]
            for r in rows
        ],
    )


TENDANCES = {"amelioration": "en amélioration", "degradation": "en dégradation", "stable": "stable"}
SEMESTRES_AFFICHES = 4


def _fiabilisation_page(conn: psycopg.Connection) -> str:
    """The half-yearly reliability report (SPASER engagement 2): each rule in one sentence, the
    counts of the last semesters per perimetre with their trend, the share of spend under a
    published contract. The records themselves: ``spaser fiabilisation --semestre AAAA-SN``."""
    rules = _fetch(
        conn, "select regle, systeme_source, enonce, indicateurs from referentiels.regles_fiabilisation order by ordre"
    )
    counts = _fetch(conn, "select * from marts.fct_fiabilisation_compteurs order by semestre")
    semesters = sorted({c["semestre"] for c in counts})[-SEMESTRES_AFFICHES:]
    by_key = {(c["perimetre"], c["regle"], c["semestre"]): c for c in counts}
    shares = _fetch(conn, "select * from marts.fct_fiabilisation_part_marches order by acheteur_siren, annee")
    rule_lines = "".join(
        f'<tr><td><code>{html.escape(r["regle"])}</code></td><td class="enonce-regle">{html.escape(r["enonce"])}</td>'
        f"<td>{html.escape(r['systeme_source'])}</td><td>{html.escape(r['indicateurs'].replace(' ', ', '))}</td></tr>"
        for r in rules
    )

    def render(perimetre: str) -> str:
        if not semesters:
            return "<p>Aucun enregistrement à corriger.</p>"
        lines = []
        for rule in rules:
            cells = [by_key.get((perimetre, rule["regle"], semester)) for semester in semesters]
            latest = cells[-1]
            trend = TENDANCES.get(latest["tendance"], "—") if latest else "—"
            lines.append(
                f"<tr><td><code>{html.escape(rule['regle'])}</code></td>"
                + "".join(f"<td>{c['nb_anomalies'] if c else '—'}</td>" for c in cells)
                + f"<td>{html.escape(trend)}</td></tr>"
            )
        head = "".join(f"<th>{html.escape(s)}</th>" for s in semesters)
        share_lines = "".join(
            f"<tr><td>{r['annee']}</td><td>{_number(r['montant_achats_ht'])}</td>"
            f"<td>{_number(r['montant_sous_marche_publie_ht'])}</td><td>{_number(r['part_sous_marche_publie_pct'], 'pourcentage')}</td></tr>"
            for r in shares
            if r["acheteur_siren"] == perimetre
        )
        share = (
            "<h3>Part des dépenses d'achat sous un marché publié</h3><table><thead><tr><th>Année</th>"
            "<th>Dépenses d'achat HT (€)</th><th>Sous marché publié HT (€)</th><th>Part</th></tr></thead>"
            f"<tbody>{share_lines}</tbody></table>"
            if share_lines
            else ""
        )
        return (
            f'<table class="compteurs-fiabilisation"><thead><tr><th>Règle</th>{head}<th>Tendance du dernier '
            f"semestre</th></tr></thead><tbody>{''.join(lines)}</tbody></table>{share}"
        )

    intro = (
        "<p>Requête semestrielle de suivi et de fiabilisation des indicateurs du SPASER (engagement 2) : les "
        "enregistrements à corriger dans les systèmes sources, par règle. Un enregistrement appartient au semestre "
        "de sa date (notification, clôture du lot, dépôt de l'offre, lancement, mandat, échéance du délai de "
        "paiement, mois des heures) ; le compte d'un semestre clos est celui relevé la première nuit après sa fin, "
        "la tendance le compare au semestre précédent.</p>"
        "<p>La liste des enregistrements, avec leur clé, la règle, les indicateurs affectés et le système à "
        "corriger : <code>spaser fiabilisation --semestre AAAA-SN</code> (classeur xlsx ou csv), ou la table "
        "<code>marts.fct_fiabilisation_anomalies</code>.</p>"
    )
    return _page(
        "Fiabilisation des données",
        intro + f'<h2>Les règles</h2><table id="regles-fiabilisation"><thead><tr><th>Règle</th><th>Énoncé</th>'
        f"<th>Système à corriger</th><th>Indicateurs affectés</th></tr></thead><tbody>{rule_lines}</tbody>"
        "</table><h2>Enregistrements à corriger par semestre</h2>" + _by_perimetre(render),
    )


def _rejected_files(conn: psycopg.Connection) -> str:
    """The files whose newest delivery under their name was rejected: a rejected content is not
    read again, so it stays listed until a different content is delivered under that name."""
    rows = _fetch(
        conn,
        """
        select source, fichier, run_id, message from (
            select distinct on (source, fichier) source, fichier, run_id, statut, message
            from raw.fichiers order by source, fichier, load_id desc) as newest
        where statut = 'rejete' order by source, fichier
    """,
    )
    lines = "".join(
        f"<tr><td>{html.escape(r['source'])}</td><td>{html.escape(r['fichier'])}</td>"
        f"<td>{html.escape(r['run_id'])}</td><td>{html.escape(r['message'] or '')}</td></tr>"
        for r in rows
    )
    return "<h2>Fichiers rejetés</h2>" + (
        f'<table id="fichiers-rejetes"><thead><tr><th>Source</th><th>Fichier</th><th>Nuit</th><th>Motif</th>'
        f"</tr></thead><tbody>{lines}</tbody></table>"
        '<p class="meta">Un fichier rejeté n\'est pas relu tant que son contenu ne change pas : '
        "déposer le fichier corrigé.</p>"
        if rows
        else "<p>Aucun fichier rejeté.</p>"
    )


def _indicator_page(indicator: Indicator) -> str:
    engagement = indicator.engagements[0]
    return "chiffres-cles.html" if engagement is None else f"engagement-{engagement:02d}.html"


# ---------------------------------------------------------------------------- build


def build_site(conn: psycopg.Connection, target: Path, write_dbt_docs: Callable[[Path], object] | None = None) -> dict:
    """Write the dashboard into ``target`` (the GX reports under target/qualite are left in place).

    Every page is written in a staging folder first and moved in only once all of them (and the
    dbt docs) are written (spaser/core/files.py): a failure leaves yesterday's site whole, a reader
    never finds it empty or half-written, and a page that disappeared is removed after the others
    are in place. ``write_dbt_docs`` writes the dbt documentation into the folder it is given
    (the pipeline passes it: the site does not run dbt).
    """
    indicators = _indicators(conn)
    engagements = _fetch(conn, "select * from marts.dim_engagements order by engagement")
    quality = _quality(conn)
    pages = {"index.html": _home(engagements, indicators)}
    for engagement in engagements:
        members = [i for i in indicators.values() if engagement["engagement"] in i.engagements]
        pages[f"engagement-{engagement['engagement']:02d}.html"] = _engagement_page(
            f"Engagement {engagement['engagement']} : {engagement['libelle']} ({AXES[engagement['axe']]})",
            members,
            quality,
        )
    key_figures = [i for i in indicators.values() if None in i.engagements]
    pages["chiffres-cles.html"] = _engagement_page("Chiffres clés", key_figures, quality)
    for identifier in DRILL_DOWNS:
        if identifier in indicators:
            pages[f"detail-{identifier}.html"] = _drill_down_page(conn, indicators[identifier])
    pages["qualite-des-donnees.html"] = _quality_page(conn, quality)
    if _table_exists(conn, "marts", "fct_fiabilisation_compteurs"):
        pages["fiabilisation.html"] = _fiabilisation_page(conn)
    with staged_directory(target, _written_here) as staging:
        shutil.copytree(ASSETS_DIR, staging / "assets")
        for name, text in pages.items():
            (staging / name).write_text(text, encoding="utf-8")
        fault_point("site_build")
        if write_dbt_docs is not None:
            write_dbt_docs(staging / "dbt")
    return {"accueil": str(target / "index.html"), "nb_pages": len(pages), "nb_indicateurs": len(indicators)}


def _written_here(relative: Path) -> bool:
    """The files of the site this build owns: its pages, assets and dbt docs, not the gate's qualite/."""
    top = relative.parts[0]
    return (len(relative.parts) == 1 and relative.suffix == ".html") or top in ("assets", "dbt")
