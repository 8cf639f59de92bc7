"""Command line of the SPASER warehouse (``spaser --help``)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from spaser.config import demo_inbox_dir, spaser_home


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spaser", description="Entrepôt de données du SPASER de Valence Romans Agglo")
    commands = parser.add_subparsers(title="commandes")

    run = commands.add_parser("run", help="exécute une nuit complète (le DAG spaser_nightly via dag.test())")
    run.add_argument("--inbox", type=Path, help="dossier de dépôt ; par défaut, le jeu de démonstration")
    run.set_defaults(handler=_run)

    export = commands.add_parser("export", help="exporte les données publiées")
    exports = export.add_subparsers(title="exports")
    indicateurs = exports.add_parser("indicateurs", help="valeurs des indicateurs publiés")
    indicateurs.add_argument("--format", choices=("csv", "json"), default="csv")
    indicateurs.add_argument("--output", type=Path, help="fichier de sortie (défaut : sortie standard)")
    indicateurs.add_argument("--annee", type=int, help="limiter à une année")
    indicateurs.set_defaults(handler=_export_indicateurs)
    agec = exports.add_parser("agec", help="déclaration annuelle AGEC (art. 58) au format national, un fichier par acheteur")
    agec.add_argument("--annee", type=int, required=True, help="année civile des dépenses")
    agec.add_argument("--output", type=Path, help="dossier de sortie (défaut : $SPASER_HOME/exports/agec)")
    agec.set_defaults(handler=_export_agec)

    donut = exports.add_parser("donut", help="indicateurs pour le débat d'orientation budgétaire (Donut)")
    donut.add_argument("--annee", type=int, required=True, help="dernière année exportée (depuis 2022)")
    donut.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    donut.add_argument("--output", type=Path, help="fichier de sortie (défaut : $SPASER_HOME/exports/donut_AAAA.xlsx|csv)")
    donut.set_defaults(handler=_export_donut)

    roles = commands.add_parser("roles", help="crée les rôles spaser_lecteur / spaser_auditeur et leurs droits")
    roles.add_argument("--sql", action="store_true", help="affiche le SQL de création des rôles (pour l'administrateur)")
    roles.set_defaults(handler=_roles)

    quarantaine = commands.add_parser("quarantaine", help="liste les enregistrements en quarantaine et leurs motifs")
    quarantaine.add_argument("--source", help="par exemple marches/decp")
    quarantaine.add_argument("--run", help="limiter à une nuit (run id)")
    quarantaine.add_argument("--limite", type=int, default=200, help="nombre maximal de lignes affichées")
    quarantaine.set_defaults(handler=_quarantaine)

    cle = commands.add_parser("cle", help="clé de pseudonymisation des données d'insertion")
    cles = cle.add_subparsers(title="actions")
    renouveler = cles.add_parser(
        "renouveler", help="adopte une nouvelle clé (celle de SPASER_PSEUDONYMISATION_KEY, sinon un nouveau "
                           "fichier de clé) : les pseudonymes d'avant et d'après ne sont plus reliés")
    renouveler.add_argument("--motif", required=True, help="raison du changement, conservée dans l'entrepôt")
    renouveler.set_defaults(handler=_renew_key)

    demo = commands.add_parser("demo", help="écrit le dossier de dépôt de démonstration")
    demo.add_argument("--output", type=Path, help="dossier cible (défaut : $SPASER_HOME/demo_inbox)")
    demo.set_defaults(handler=_demo)

    ui = commands.add_parser("ui", help="démarre l'interface Airflow locale (airflow standalone)")
    ui.set_defaults(handler=_ui)
    return parser


def _run(args: argparse.Namespace) -> int:
    from extract.loader import QUIET_SECONDS_SETTING
    from spaser.airflow_setup import configure_airflow_environment, migrate_metadata_database

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    configure_airflow_environment()
    inbox = args.inbox
    if inbox is None:
        from spaser.demo import write_demo_inbox

        inbox = demo_inbox_dir()
        write_demo_inbox(inbox)
        # Written this very moment, by this process: nothing is still being delivered.
        os.environ[QUIET_SECONDS_SETTING] = "0"
        print(f"Jeu de démonstration écrit dans {inbox}")
    print("Préparation de la base de métadonnées Airflow…")
    migrate_metadata_database()

    dag = _load_nightly_dag()
    print(f"Nuit lancée sur {Path(inbox).resolve()}")
    dag_run = dag.test(run_conf={"inbox": str(Path(inbox).resolve())})
    summary_path = spaser_home() / "derniere_nuit.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else None
    if summary is None or summary.get("run_id") != dag_run.run_id:
        print(f"La nuit {dag_run.run_id} s'est terminée sans résumé (état : {dag_run.state}).")
        return 1
    print(_format_summary(summary))
    return 0 if summary["succes"] and str(dag_run.state) == "success" else 1


def _load_nightly_dag():
    from airflow.dag_processing.dagbag import DagBag

    from spaser.config import DAGS_DIR

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise SystemExit("Erreur d'import du DAG : " + json.dumps(bag.import_errors, ensure_ascii=False))
    return bag.dags["spaser_nightly"]


def _format_summary(summary: dict) -> str:
    lines = [
        "",
        f"Résumé de la nuit {summary['run_id']} — {'SUCCÈS' if summary['succes'] else 'ÉCHEC'}",
        f"  Fichiers : {summary['fichiers']['charges']} chargé(s), "
        f"{summary['fichiers']['deja_charges']} déjà chargé(s), {summary['fichiers']['rejetes']} rejeté(s), "
        f"{summary['fichiers']['deja_rejetes']} déjà rejeté(s) (non relus)",
        f"  Lignes chargées : {summary['lignes_chargees']} ; en quarantaine : {summary['lignes_en_quarantaine']} ; "
        f"signalements : {summary['signalements']}",
    ]
    for rejected in summary["fichiers_rejetes"]:
        lines.append(f"    rejeté : {rejected['fichier']} — {rejected['message']}")
    for message in summary["fichiers_non_lus"]:
        lines.append(f"    non lu : {message}")
    for name, gate in summary["controles"].items():
        lines.append(
            f"  Contrôles {name} : {gate['nb_controles'] - gate['nb_echecs']} réussi(s), {gate['nb_echecs']} en échec"
        )
    if summary.get("indicateurs"):
        lines.append(
            f"  Indicateurs : {summary['indicateurs']['nb_indicateurs']} indicateur(s), "
            f"{summary['indicateurs']['nb_valeurs']} valeur(s) publiée(s)"
        )
    for step, message in summary["etapes_en_echec"].items():
        lines.append(f"  ÉCHEC {step} : {message}")
    if summary["etapes_non_executees"]:
        lines.append("  Étapes non exécutées : " + ", ".join(summary["etapes_non_executees"]))
    lines.append(f"  Sorties : {summary['sorties']['exports']} ; rapports qualité : {summary['sorties']['site_qualite']}")
    lines.append(f"  Résumé complet : {spaser_home() / 'derniere_nuit.json'}")
    return "\n".join(lines)


def _export_indicateurs(args: argparse.Namespace) -> int:
    from spaser.export import fetch_indicateurs, write_indicateurs
    from spaser.warehouse import connect

    with connect() as conn:
        rows = fetch_indicateurs(conn, args.annee)
    write_indicateurs(rows, args.format, args.output)
    if args.output:
        print(f"{len(rows)} valeur(s) écrite(s) dans {args.output}", file=sys.stderr)
    return 0


def _export_donut(args: argparse.Namespace) -> int:
    from spaser.config import exports_dir
    from spaser.donut import write_donut
    from spaser.warehouse import connect

    output = args.output or exports_dir() / f"donut_{args.annee}.{args.format}"
    with connect() as conn:
        result = write_donut(conn, args.annee, args.format, output)
    print(f"{result['nb_lignes']} ligne(s) écrite(s) dans {output}", file=sys.stderr)
    return 0


def _roles(args: argparse.Namespace) -> int:
    from spaser.access import grant_access, roles_ddl
    from spaser.warehouse import connect

    if args.sql:
        print(roles_ddl())
        return 0
    with connect() as conn:
        result = grant_access(conn)
    print(f"Droits de lecture accordés à : {', '.join(result['roles_accordes']) or 'aucun rôle'}")
    if result["roles_manquants"]:
        print(f"Rôles absents (le compte n'a pas le droit CREATEROLE) : {', '.join(result['roles_manquants'])} ; "
              "faites exécuter `spaser roles --sql` par l'administrateur.", file=sys.stderr)
        return 1
    return 0

def _export_agec(args: argparse.Namespace) -> int:
    from spaser.agec import export_declarations
    from spaser.config import exports_dir
    from spaser.warehouse import connect

    output = args.output or exports_dir() / "agec"
    with connect() as conn:
        results = export_declarations(conn, args.annee, output)
    if not results:
        print(f"Aucune déclaration AGEC publiée pour {args.annee}.", file=sys.stderr)
        return 1
    status = 0
    for path, errors in results.items():
        if errors:
            status = 1
            print(f"{path.name} : non conforme au schéma national, fichier non livré :", file=sys.stderr)
            for error in errors:
                print(f"  {error}", file=sys.stderr)
        else:
            print(f"{path} : conforme au schéma national de déclaration AGEC v0.1.0", file=sys.stderr)
    return status


def _quarantaine(args: argparse.Namespace) -> int:
    from spaser.quarantine import fetch_quarantine, format_quarantine
    from spaser.warehouse import connect

    with connect() as conn:
        rows = fetch_quarantine(conn, source=args.source, run_id=args.run, limit=args.limite)
    print(format_quarantine(rows))
    return 0


def _renew_key(args: argparse.Namespace) -> int:
    from extract.base import SourceUnavailable
    from extract.loader import ensure_raw_schema
    from extract.pseudonymisation import renew_key
    from spaser.warehouse import connect

    with connect() as conn:
        ensure_raw_schema(conn)
        try:
            fingerprint = renew_key(conn, args.motif)
        except SourceUnavailable as refusal:
            print(refusal, file=sys.stderr)
            return 1
    print(f"Nouvelle clé de pseudonymisation adoptée (empreinte {fingerprint[:12]}…). Les pseudonymes déjà "
          "chargés restent ceux de l'ancienne clé : ils ne sont pas reliés aux nouveaux.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from spaser.demo import write_demo_inbox

    target = args.output or demo_inbox_dir()
    summary = write_demo_inbox(target)
    print(f"Jeu de démonstration écrit dans {target}")
    print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    return 0


def _ui(args: argparse.Namespace) -> int:
    from spaser.airflow_setup import configure_airflow_environment

    configure_airflow_environment()
    print("Interface Airflow : http://localhost:8080 (identifiants affichés par airflow standalone)")
    venv_bin = Path(sys.executable).parent
    # standalone starts its components as `airflow ...` subprocesses: they must find this venv's.
    os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(str(venv_bin / "airflow"), [str(venv_bin / "airflow"), "standalone"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
