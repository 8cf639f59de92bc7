"""Command line of the SPASER warehouse (``spaser --help``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC
from pathlib import Path

from spaser.core.errors import NightStepFailed
from spaser.core.settings import demo_inbox_dir, last_night_summary, runs_dir

EXIT_PUBLISHED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CODES_HELP = (
    "codes de sortie :\n"
    f"  {EXIT_PUBLISHED}  nuit réussie, indicateurs publiés\n"
    f"  {EXIT_FAILED}  nuit en échec : l'étape, le motif et le chemin du journal sont affichés\n"
    f"  {EXIT_USAGE}  mauvaise utilisation de la commande (option inconnue, argument manquant)"
)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except NightStepFailed as refusal:
        # Our own refusals (a night running, a migration refused…) are messages, not tracebacks.
        print(refusal, file=sys.stderr)
        return EXIT_FAILED
    finally:
        _announce_embedded_warehouse()


def _announce_embedded_warehouse() -> None:
    from spaser.db.warehouse import embedded_pgdata, embedded_server_left_running

    if embedded_server_left_running():
        print(f"Le PostgreSQL embarqué ({embedded_pgdata()}) reste démarré ; `spaser arret` l'arrête.", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spaser", description="Entrepôt de données du SPASER de Valence Romans Agglo")
    commands = parser.add_subparsers(title="commandes")

    run = commands.add_parser(
        "run",
        help="exécute une nuit complète (le DAG spaser_nightly via dag.test())",
        description="Exécute une nuit complète : une ligne par étape terminée, puis le résumé.\n"
        "Les journaux complets d'Airflow, dbt et Great Expectations vont dans\n"
        "$SPASER_HOME/runs/<nuit>/night.log.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--inbox", type=Path, help="dossier de dépôt ; par défaut, le jeu de démonstration")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="affiche aussi les journaux complets (Airflow, dbt, Great Expectations) pendant la nuit",
    )
    run.set_defaults(handler=_run)

    export = commands.add_parser("export", help="exporte les données publiées")
    exports = export.add_subparsers(title="exports")
    indicateurs = exports.add_parser("indicateurs", help="valeurs des indicateurs publiés")
    indicateurs.add_argument("--format", choices=("csv", "json"), default="csv")
    indicateurs.add_argument("--output", type=Path, help="fichier de sortie (défaut : sortie standard)")
    indicateurs.add_argument("--annee", type=int, help="limiter à une année")
    indicateurs.set_defaults(handler=_export_indicateurs)
    agec = exports.add_parser(
        "agec", help="déclaration annuelle AGEC (art. 58) au format national, un fichier par acheteur"
    )
    agec.add_argument("--annee", type=int, required=True, help="année civile des dépenses")
    agec.add_argument("--output", type=Path, help="dossier de sortie (défaut : $SPASER_HOME/exports/agec)")
    agec.set_defaults(handler=_export_agec)

    donut = exports.add_parser("donut", help="indicateurs pour le débat d'orientation budgétaire (Donut)")
    donut.add_argument("--annee", type=int, required=True, help="dernière année exportée (depuis 2022)")
    donut.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    donut.add_argument(
        "--output", type=Path, help="fichier de sortie (défaut : $SPASER_HOME/exports/donut_AAAA.xlsx|csv)"
    )
    donut.set_defaults(handler=_export_donut)

    fiabilisation = commands.add_parser(
        "fiabilisation",
        help="rapport semestriel de fiabilisation : les enregistrements à corriger dans les systèmes sources",
        description="Rapport semestriel de fiabilisation des indicateurs (engagement 2 du SPASER), lu dans les\n"
        "données publiées : pour chaque acheteur, les enregistrements du semestre et des précédents\n"
        "encore à corriger, avec leur clé, la règle enfreinte, les indicateurs affectés et le système\n"
        "propriétaire ; les comptes par règle et leur tendance d'un semestre au suivant.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fiabilisation.add_argument(
        "--semestre", required=True, help="semestre du rapport, AAAA-S1 ou AAAA-S2 (ex. 2025-S2)"
    )
    fiabilisation.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    fiabilisation.add_argument(
        "--output", type=Path, help="fichier de sortie (défaut : $SPASER_HOME/exports/fiabilisation_AAAA-SN.xlsx|csv)"
    )
    fiabilisation.set_defaults(handler=_fiabilisation)

    roles = commands.add_parser("roles", help="crée les rôles spaser_lecteur / spaser_auditeur et leurs droits")
    roles.add_argument(
        "--sql", action="store_true", help="affiche le SQL de création des rôles (pour l'administrateur)"
    )
    roles.set_defaults(handler=_roles)

    publication = commands.add_parser("publication", help="publication des marts (retour arrière)")
    publications = publication.add_subparsers(title="actions")
    restaurer = publications.add_parser(
        "restaurer",
        help="remet en place à l'instant la publication précédente (gardée une nuit dans marts_precedent) ; "
        "la publication actuelle prend sa place : relancer la commande l'annule",
    )
    restaurer.set_defaults(handler=_restore_publication)

    quarantaine = commands.add_parser("quarantaine", help="liste les enregistrements en quarantaine et leurs motifs")
    quarantaine.add_argument("--source", help="par exemple marches/decp")
    quarantaine.add_argument("--run", help="limiter à une nuit (run id)")
    quarantaine.add_argument("--limite", type=int, default=200, help="nombre maximal de lignes affichées")
    quarantaine.add_argument(
        "--signalements",
        action="store_true",
        help="liste plutôt les enregistrements chargés avec signalements (écarts au format à corriger par la source)",
    )
    quarantaine.set_defaults(handler=_quarantaine)

    cle = commands.add_parser("cle", help="clé de pseudonymisation des données d'insertion")
    cles = cle.add_subparsers(title="actions")
    renouveler = cles.add_parser(
        "renouveler",
        help="adopte une nouvelle clé (celle de SPASER_PSEUDONYMISATION_KEY, sinon un nouveau "
        "fichier de clé) : les pseudonymes d'avant et d'après ne sont plus reliés",
    )
    renouveler.add_argument("--motif", required=True, help="raison du changement, conservée dans l'entrepôt")
    renouveler.set_defaults(handler=_renew_key)

    chargement = commands.add_parser(
        "chargement", help="écarte un chargement de tout ce qui en dérive, ou l'y remet (tracé pour les auditeurs)"
    )
    chargements = chargement.add_subparsers(title="actions")
    for action, handler, help_text in (
        (
            "ecarter",
            _set_load_aside,
            "retire un fichier chargé (numéro de raw.fichiers.load_id) des indicateurs "
            "et des contrôles, dès la prochaine nuit",
        ),
        ("retablir", _restore_load, "annule l'écart d'un chargement : il compte de nouveau dès la prochaine nuit"),
    ):
        parser_of_action = chargements.add_parser(action, help=help_text)
        parser_of_action.add_argument(
            "load_id", type=int, help="numéro du chargement (spaser chargement journal, raw.fichiers)"
        )
        parser_of_action.add_argument("--motif", required=True, help="raison, conservée et montrée aux auditeurs")
        parser_of_action.set_defaults(handler=handler)
    chargements.add_parser("journal", help="les chargements écartés et rétablis, avec leurs motifs").set_defaults(
        handler=_load_journal
    )
    liste = chargements.add_parser("liste", help="les derniers fichiers chargés et leur numéro de chargement")
    liste.add_argument("--source", help="par exemple finance/mandats")
    liste.add_argument("--limite", type=int, default=50, help="nombre maximal de lignes affichées")
    liste.set_defaults(handler=_list_loads)

    demo = commands.add_parser("demo", help="écrit le dossier de dépôt de démonstration")
    demo.add_argument("--output", type=Path, help="dossier cible (défaut : $SPASER_HOME/demo_inbox)")
    demo.set_defaults(handler=_demo)

    ui = commands.add_parser(
        "ui",
        help="démarre l'interface Airflow locale (ordonnanceur, dag-processor, serveur d'API) ; Ctrl-C arrête tout",
    )
    ui.add_argument("--port", type=int, help="port de l'interface (défaut : AIRFLOW__API__PORT ou 8080)")
    ui.set_defaults(handler=_ui)

    arret = commands.add_parser("arret", help="arrête le PostgreSQL embarqué de l'entrepôt ($SPASER_HOME/pgdata)")
    arret.set_defaults(handler=_arret)
    return parser


def _run(args: argparse.Namespace) -> int:
    from datetime import datetime

    from spaser.cli.airflow_setup import configure_airflow_environment
    from spaser.cli.progress import LogFollower, ProgressView, output_to_log
    from spaser.pipeline.dbt import stop_parse_aside
    from spaser.pipeline.night import failure_reason, observing_steps, run_dir
    from spaser.pipeline.pilotage import release_night_of

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s : %(message)s")
    demo = args.inbox is None
    inbox = (demo_inbox_dir() if demo else args.inbox).resolve()
    # Airflow logs from its import on, before the night's run id (hence its folder) is known: the
    # log starts under a provisional name and moves into the night's folder, still open.
    log_path = runs_dir() / f"demarrage-{os.getpid()}.log"
    terminal = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace", buffering=1)
    with terminal, output_to_log(log_path):
        # Airflow's console logs end up in night.log, a file: no colour codes in it.
        os.environ.setdefault("AIRFLOW__LOGGING__COLORED_CONSOLE_LOG", "False")
        configure_airflow_environment()
        from airflow.models.dagrun import DagRun
        from airflow.utils.types import DagRunType

        # dag.test() derives the run id from the logical date the same way.
        when = datetime.now(UTC)
        run_id = DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=when, run_after=when)
        run_dir(run_id).mkdir(parents=True, exist_ok=True)
        log_path = log_path.replace(run_dir(run_id) / "night.log")
        follower = LogFollower(log_path, terminal.fileno()) if args.verbose else None
        view = ProgressView(terminal, follower)
        view.print(f"Nuit {run_id} — dossier de dépôt : {inbox}" + (" (jeu de démonstration)" if demo else ""))
        view.print(f"Journal complet : {log_path}")
        if follower is not None:
            follower.start()
        try:
            with observing_steps(view.step_ended), view.running():
                dag_run = _run_night(inbox, demo, when)
            failure = None
        except Exception as error:
            logging.getLogger("spaser.cli.main").exception("La nuit n'a pas pu s'exécuter")
            dag_run, failure = None, f"la nuit n'a pas pu s'exécuter : {failure_reason(error)}"
        finally:
            if follower is not None:
                follower.stop()
            # This night ends with this process, even interrupted (Ctrl-C) before its summary.
            release_night_of(run_id)
            stop_parse_aside()
        return _report_night(view, dag_run, failure, log_path)


def _report_night(view, dag_run, failure: str | None, log_path: Path) -> int:
    """The summary the night wrote, then what failed if anything did; the exit code."""
    summary_path = last_night_summary()
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else None
    if summary is not None and dag_run is not None and summary.get("run_id") == dag_run.run_id:
        view.summary(summary, summary_path)
        if summary["succes"] and str(dag_run.state) == "success":
            return EXIT_PUBLISHED
        failures = summary["etapes_en_echec"] or {"": f"état de la nuit dans Airflow : {dag_run.state}"}
    else:
        state = dag_run.state if dag_run is not None else "non démarrée"
        failures = {**view.failures, "": failure or f"la nuit s'est terminée sans résumé (état : {state})"}
    view.failure(failures, log_path)
    return EXIT_FAILED


def _run_night(inbox: Path, demo: bool, when):
    from spaser.cli.airflow_setup import migrate_metadata_database
    from spaser.pipeline.dbt import start_parse_aside

    # The night runs in this process: dbt parses its project meanwhile, in another.
    start_parse_aside()
    if demo:
        from spaser.ingest.loader import QUIET_SECONDS_SETTING
        from spaser_demo import write_demo_inbox

        write_demo_inbox(inbox)
        # Written this very moment, by this process: nothing is still being delivered.
        os.environ[QUIET_SECONDS_SETTING] = "0"
    migrate_metadata_database()
    return _load_nightly_dag().test(logical_date=when, run_after=when, run_conf={"inbox": str(inbox)})


def _load_nightly_dag():
    from airflow.dag_processing.dagbag import DagBag

    from spaser.core.settings import DAGS_DIR

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise NightStepFailed("Erreur d'import du DAG : " + json.dumps(bag.import_errors, ensure_ascii=False))
    return bag.dags["spaser_nightly"]


def _export_indicateurs(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.outputs.export import fetch_indicateurs, write_indicateurs

    with connect() as conn:
        rows = fetch_indicateurs(conn, args.annee)
    write_indicateurs(rows, args.format, args.output)
    if args.output:
        print(f"{len(rows)} valeur(s) écrite(s) dans {args.output}", file=sys.stderr)
    return 0


def _export_donut(args: argparse.Namespace) -> int:
    from spaser.core.settings import exports_dir
    from spaser.db.warehouse import connect
    from spaser.outputs.donut import write_donut

    output = args.output or exports_dir() / f"donut_{args.annee}.{args.format}"
    with connect() as conn:
        result = write_donut(conn, args.annee, args.format, output)
    print(f"{result['nb_lignes']} ligne(s) écrite(s) dans {output}", file=sys.stderr)
    return 0


def _fiabilisation(args: argparse.Namespace) -> int:
    from spaser.core.settings import exports_dir
    from spaser.db.warehouse import connect
    from spaser.outputs.fiabilisation import parse_semestre, write_report

    try:
        semestre = parse_semestre(args.semestre)
    except ValueError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    output = args.output or exports_dir() / f"fiabilisation_{semestre}.{args.format}"
    output.parent.mkdir(parents=True, exist_ok=True)
    with connect() as conn:
        result = write_report(conn, semestre, args.format, output)
    print(f"{result['nb_anomalies']} enregistrement(s) à corriger écrit(s) dans {output}", file=sys.stderr)
    return 0


def _roles(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.publish.access import grant_access, roles_ddl

    if args.sql:
        print(roles_ddl())
        return 0
    with connect() as conn:
        result = grant_access(conn)
    print(f"Droits de lecture accordés à : {', '.join(result['roles_accordes']) or 'aucun rôle'}")
    if result["roles_manquants"]:
        print(
            f"Rôles absents (le compte n'a pas le droit CREATEROLE) : {', '.join(result['roles_manquants'])} ; "
            "faites exécuter `spaser roles --sql` par l'administrateur.",
            file=sys.stderr,
        )
        return 1
    if result["membres_non_limites"]:
        print(
            "Membres des rôles de lecture sans limite d'inactivité en transaction (le compte ne peut pas les "
            f"modifier) : {', '.join(result['membres_non_limites'])} ; faites exécuter `spaser roles --sql` "
            "par l'administrateur.",
            file=sys.stderr,
        )
        return 1
    return 0


def _restore_publication(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import running_night
    from spaser.publish.access import grant_published
    from spaser.publish.swap import (
        PREVIOUS_SCHEMA,
        CandidateMissing,
        PublicationLocked,
        in_swap_transaction,
        published_night,
        restore_previous,
    )

    def swap(conn) -> list[str]:
        left_behind = restore_previous(conn)
        grant_published(conn)
        return left_behind

    with connect() as conn:
        running = running_night(conn)
        if running is not None:
            print(
                f"La nuit {running} est en cours : la publication ne change pas pendant une nuit. "
                "Relancez la commande quand elle sera terminée.",
                file=sys.stderr,
            )
            return 1
        try:
            left_behind = in_swap_transaction(conn, swap)
        except (CandidateMissing, PublicationLocked) as refusal:
            print(refusal, file=sys.stderr)
            return 1
        restored, kept = published_night(conn), published_night(conn, PREVIOUS_SCHEMA)
    print(
        f"Publication restaurée : marts tient à nouveau la publication de la nuit {restored or 'inconnue'} ; "
        f"celle de la nuit {kept or 'inconnue'} est gardée dans {PREVIOUS_SCHEMA} "
        "(`spaser publication restaurer` à nouveau la remet en place)."
    )
    for view in left_behind:
        print(f"Vue {view} : ne s'applique pas à la publication restaurée, elle lit encore l'autre.", file=sys.stderr)
    return 0


def _export_agec(args: argparse.Namespace) -> int:
    from spaser.core.settings import exports_dir
    from spaser.db.warehouse import connect
    from spaser.outputs.agec import export_declarations

    output = args.output or exports_dir() / "agec"
    with connect() as conn:
        results = export_declarations(conn, args.annee, output)
    if not results:
        print(f"Aucune déclaration AGEC publiée pour {args.annee}.", file=sys.stderr)
        return 1
    status = 0
    for path, declaration in results.items():
        if declaration.errors:
            status = 1
            print(f"{path.name} : non conforme au schéma national, fichier non livré :", file=sys.stderr)
            for error in declaration.errors:
                print(f"  {error}", file=sys.stderr)
        else:
            print(f"{path} : conforme au schéma national de déclaration AGEC v0.1.0", file=sys.stderr)
        if declaration.formula_cells:
            print(
                f"{path.name} : attention, cellule(s) qu'un tableur exécuterait comme une formule ; "
                "importer le fichier en colonnes Texte, ne pas l'ouvrir par double-clic :",
                file=sys.stderr,
            )
            for cell in declaration.formula_cells:
                print(f"  {cell}", file=sys.stderr)
    return status


def _quarantaine(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.quality.quarantine import (
        count_signaled_records,
        fetch_quarantine,
        fetch_signalements,
        format_quarantine,
        format_signalements,
    )

    with connect() as conn:
        if args.signalements:
            print(format_signalements(fetch_signalements(conn, source=args.source, run_id=args.run, limit=args.limite)))
            return 0
        rows = fetch_quarantine(conn, source=args.source, run_id=args.run, limit=args.limite)
        signaled = count_signaled_records(conn, source=args.source, run_id=args.run)
    print(format_quarantine(rows))
    if signaled:
        print(
            f"\n{signaled} enregistrement(s) chargé(s) avec signalements (ils comptent ; écarts au format à "
            "corriger par la source) : spaser quarantaine --signalements"
        )
    return 0


def _renew_key(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.ingest.base import SourceUnavailable
    from spaser.ingest.pseudonymisation import renew_key
    from spaser.pipeline.pilotage import upgrade_warehouse

    with connect() as conn:
        upgrade_warehouse(conn)
        try:
            fingerprint = renew_key(conn, args.motif)
        except SourceUnavailable as refusal:
            print(refusal, file=sys.stderr)
            return 1
    print(
        f"Nouvelle clé de pseudonymisation adoptée (empreinte {fingerprint[:12]}…). Les pseudonymes déjà "
        "chargés restent ceux de l'ancienne clé : ils ne sont pas reliés aux nouveaux."
    )
    return 0


def _set_load_aside(args: argparse.Namespace) -> int:
    from spaser.quality.ecarts import set_aside

    return _change_load(
        set_aside,
        args,
        "écarté : il ne compte plus dans les contrôles bruts dès maintenant, "
        "ni dans les indicateurs dès la prochaine nuit",
    )


def _restore_load(args: argparse.Namespace) -> int:
    from spaser.quality.ecarts import restore

    return _change_load(restore, args, "rétabli : il compte de nouveau dès la prochaine nuit")


def _change_load(action, args: argparse.Namespace, outcome: str) -> int:
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import upgrade_warehouse
    from spaser.quality.ecarts import EcartRefused

    with connect() as conn:
        upgrade_warehouse(conn)
        try:
            load = action(conn, args.load_id, args.motif)
        except EcartRefused as refusal:
            print(f"Refusé : {refusal}.", file=sys.stderr)
            return EXIT_USAGE
    print(
        f"Chargement {load.load_id} ({load.source}, {load.fichier}, nuit {load.run_id}, "
        f"{load.nb_charges or 0} ligne(s)) {outcome}. Motif : {args.motif.strip()}"
    )
    return 0


def _list_loads(args: argparse.Namespace) -> int:
    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import upgrade_warehouse

    with connect() as conn:
        upgrade_warehouse(conn)
        rows = conn.execute(
            "select f.load_id, f.run_id, f.source, f.fichier, f.nb_charges,"
            " exists (select from qualite.chargements_ecartes e where e.load_id = f.load_id)"
            " from raw.fichiers as f where f.statut = 'charge' and (%(source)s::text is null or f.source = %(source)s)"
            " order by f.load_id desc limit %(limite)s",
            {"source": args.source, "limite": args.limite},
        ).fetchall()
    if not rows:
        print("Aucun fichier chargé.")
    for load_id, run_id, source, fichier, nb_charges, set_aside in rows:
        print(
            f"{load_id:>8}  {run_id}  {source}  {fichier}  {nb_charges or 0} ligne(s)"
            + ("  [écarté]" if set_aside else "")
        )
    return 0


def _load_journal(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from spaser.db.warehouse import connect
    from spaser.pipeline.pilotage import upgrade_warehouse
    from spaser.quality.ecarts import journal

    PARIS = ZoneInfo("Europe/Paris")

    with connect() as conn:
        upgrade_warehouse(conn)
        entries = journal(conn)
    if not entries:
        print("Aucun chargement écarté.")
    for entry in entries:
        print(
            f"{entry['le'].astimezone(PARIS):%d/%m/%Y %H:%M} {entry['action']:8} chargement {entry['load_id']} "
            f"({entry['source']}, {entry['fichier']}, nuit {entry['run_id']}) par {entry['par']} : {entry['motif']}"
            + (" (écarté à ce jour)" if entry["ecarte"] else "")
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from spaser_demo import write_demo_inbox

    target = args.output or demo_inbox_dir()
    summary = write_demo_inbox(target)
    print(f"Jeu de démonstration écrit dans {target}")
    print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    return 0


def _ui(args: argparse.Namespace) -> int:
    from spaser.cli.ui import serve

    return serve(args.port)


def _arret(args: argparse.Namespace) -> int:
    from spaser.core.settings import configured_warehouse_url
    from spaser.db.warehouse import embedded_pgdata, stop_embedded_server

    if configured_warehouse_url():
        print("L'entrepôt est le serveur de SPASER_WAREHOUSE_URL : aucun PostgreSQL embarqué à arrêter.")
    elif stop_embedded_server():
        print(f"PostgreSQL embarqué arrêté ({embedded_pgdata()}).")
    else:
        print(f"Aucun PostgreSQL embarqué en marche ({embedded_pgdata()}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
