"""Running dbt, one layer at a time, against the configured warehouse.

dbt runs in the step's own process through its programmatic entry point (``dbtRunner``): a
subprocess per layer paid dbt's import and start-up, a few seconds each, five times a night. The
connection reaches ``dbt_project/profiles.yml`` through environment variables set for the
invocation only (with every libpq parameter of the URL: see ``dbt_environment``); dbt's messages go to this module's logger (the task's log, the night's log).
Its artifacts and logs go under ``$SPASER_HOME/dbt`` so concurrent checkouts never share them;
they stay on the machine that ran the step: what a later step needs (the docs) is kept in the warehouse.

The project is parsed once per process (``_parse_once``): ``spaser run`` runs every layer in
one process, and each invocation starts from that parse instead of parsing again. Between
processes (one task per process under the scheduler) dbt's own partial parsing,
``target/partial_parse.msgpack``, saves most of a parse when the file is there and current; on a
worker that never parsed the project, or after a change, dbt parses in full: both are caches,
checked against what a parse depends on, never a requirement.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from spaser.core.catalogue import indicator_marts
from spaser.core.schemas import CANDIDATE_MARTS as CANDIDATE_MARTS_SCHEMA
from spaser.core.schemas import DBT_SCHEMA_VARIABLES
from spaser.core.schemas import PUBLISHED_MARTS as PUBLISHED_MARTS_SCHEMA
from spaser.core.settings import DBT_PROJECT_DIR, spaser_home
from spaser.db.warehouse import connect, connection_params
from spaser.pipeline.pilotage import record_docs, schema_docs
from spaser.quality import ecarts

log = logging.getLogger(__name__)

# The night's dbt steps, in order: (step name, dbt arguments). Cautious indirect selection keeps
# a test that also reads a later layer (e.g. a singular test over the marts) out of earlier layers.
LAYERS: dict[str, list[str]] = {
    "seed": ["seed"],
    "staging": ["build", "--select", "staging", "--indirect-selection", "cautious"],
    "intermediate": ["build", "--select", "intermediate", "--indirect-selection", "cautious"],
    "marts": ["build", "--select", "marts", "--indirect-selection", "cautious"],
}


class DbtFailed(RuntimeError):
    pass


@dataclass
class DbtLayerReport:
    layer: str
    success: bool
    nodes: list[dict] = field(default_factory=list)  # one per model/test/seed: name, type, status, message

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def failures(self) -> list[dict]:
        return [n for n in self.nodes if n["status"] not in ("success", "pass", "skipped")]


@dataclass
class DbtInvocation:
    success: bool
    output: str  # dbt's messages, as its console would have shown them


# The URL's libpq parameters that dbt-postgres's profile takes, with the variable profiles.yml
# reads each from: dbt passes connect_timeout and application_name itself (libpq's variables
# could not set them) and keepalives_idle has no libpq variable.
PROFILE_PARAMETERS = {
    "sslmode": "SPASER_PG_SSLMODE",
    "connect_timeout": "SPASER_PG_CONNECT_TIMEOUT",
    "keepalives_idle": "SPASER_PG_KEEPALIVES_IDLE",
    "application_name": "SPASER_PG_APPLICATION_NAME",
}
# The others reach dbt's psycopg2 through libpq's environment variables, which libpq reads for any
# parameter the connection call does not name (https://www.postgresql.org/docs/current/libpq-envars.html).
# The certificate paths go this way too although the profile has fields for them: an unset field
# would have to be an empty string, which dbt passes on and which hides libpq's own PGSSLROOTCERT.
LIBPQ_VARIABLES = {
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslcertmode": "PGSSLCERTMODE",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "require_auth": "PGREQUIREAUTH",
    "requirepeer": "PGREQUIREPEER",
    "krbsrvname": "PGKRBSRVNAME",
    "passfile": "PGPASSFILE",
    "client_encoding": "PGCLIENTENCODING",
}


def dbt_environment() -> dict[str, str]:
    """The variables profiles.yml and dbt_project.yml read, for the configured warehouse.

    Every parameter of the URL's query reaches dbt, through the profile or libpq's variables; one
    that can reach it neither way (``keepalives_interval``…) stops the step with its name rather
    than letting dbt connect without it.
    """
    params = connection_params()
    variables = {
        "SPASER_PG_HOST": params.host,
        "SPASER_PG_PORT": str(params.port),
        "SPASER_PG_USER": params.user,
        "SPASER_PG_PASSWORD": params.password,
        "SPASER_PG_DBNAME": params.dbname,
        **DBT_SCHEMA_VARIABLES,
        # The indicator marts fct_indicateurs unites, as the catalogue names them.
        "SPASER_INDICATOR_MARTS": ",".join(indicator_marts()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for name, value in params.parameters:
        variable = PROFILE_PARAMETERS.get(name) or LIBPQ_VARIABLES.get(name)
        if variable is None:
            raise DbtFailed(
                f"Paramètre « {name} » de SPASER_WAREHOUSE_URL : ni le profil dbt-postgres ni une variable "
                "d'environnement de libpq ne le transmettent à dbt ; le retirer de l'URL ou l'ajouter au profil."
            )
        variables[variable] = value
    return variables


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _artifact_dirs() -> tuple[Path, Path]:
    base = spaser_home() / "dbt"
    return base / "target", base / "logs"


def _find_flag_sources_lazily() -> None:
    """dbt-common names the source of each adapter behavior flag (the module that declared it) with
    ``inspect.stack()``, for every flag of every adapter registration — every invocation — even
    when the flag names its source (the default is computed first). ``inspect.stack()`` builds the
    whole stack before looking at it, reading the source lines of each frame and searching each
    frame's module among the thousands loaded: under Airflow's task runner, some eighty frames
    deep, that took more CPU than some layers' own work. Same answer here (the first module up the
    stack other than dbt-common's flags module), walking up from the caller and stopping there."""
    from dbt_common import behavior_flags

    def default_source() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            module = inspect.getmodule(frame)
            if module is not None and module.__name__ != behavior_flags.__name__:
                return module.__name__
            frame = frame.f_back
        return "Unknown"

    behavior_flags.BehaviorFlagRendered._default_source = staticmethod(default_source)


def _common_arguments() -> list[str]:
    target_dir, log_dir = _artifact_dirs()
    return [
        "--quiet",
        "--no-use-colors",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(log_dir),
    ]


def _parse_key(environment: dict[str, str]) -> str:
    """What a parse depends on: dbt's version, the project's files and the variables the profile
    and the project read (the warehouse among them: nodes carry its database name)."""
    from dbt.version import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        relative = path.relative_to(DBT_PROJECT_DIR)
        # dbt's own output, should someone run dbt by hand in the project folder.
        if path.is_file() and relative.parts[0] not in ("target", "logs"):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(sorted(environment.items())).encode())
    return digest.hexdigest()


# The last parse of this process: its key, the manifest in dbt's partial-parse format, and the
# parsed manifest itself until an invocation takes it. Each invocation gets a manifest no other
# one used, the next ones a copy decoded the way dbt reads target/partial_parse.msgpack: what one
# compiles (the compiled SQL written into manifest.json, which the dbt docs publish) never leaks
# into the next, exactly as when each parsed on its own.
_parsed: tuple[str, bytes] | None = None
_unused_manifest = None


# A parse of the project running in a process of its own (start_parse_aside), which leaves dbt's
# partial-parse file in the target folder: waited for before this process parses.
_parse_aside: subprocess.Popen | None = None


def start_parse_aside() -> None:
    """Parse the project in another process, on the machine's other core, while this one runs the
    night's first steps (``spaser run``: every step in this process). A full parse is the largest
    fixed cost of the dbt steps; the first of them then only reads the parse dbt saved
    (target/partial_parse.msgpack), which dbt checks against the project, the profile and its
    version before using it. If anything prevents the parse aside, the dbt step parses itself."""
    global _parse_aside
    try:
        environment = dbt_environment()
    except Exception:  # the dbt step meets the same problem, and reports it
        log.debug("Analyse du projet dbt en parallèle non lancée", exc_info=True)
        return
    _parse_aside = subprocess.Popen(
        [sys.executable, "-c", f"from {__name__} import parse_project; parse_project()"],
        env={**os.environ, **environment},
    )


def stop_parse_aside() -> None:
    """End the parse aside if it still runs (a night stopped before its dbt steps)."""
    global _parse_aside
    if _parse_aside is not None:
        _parse_aside.terminate()
        _parse_aside.wait()
        _parse_aside = None


def parse_project() -> None:
    """The parse aside itself, in its own process, its environment already dbt's."""
    from dbt.cli.main import dbtRunner

    dbtRunner().invoke(["parse", "--no-write-json", *_common_arguments()])


def _parse_once(environment: dict[str, str], callbacks: list):
    """The dbtRunner result of parsing the project, or None when this process already parsed it as
    it is now, with ``environment`` (``dbt_environment``, in effect)."""
    global _parsed, _unused_manifest, _parse_aside
    from dbt.cli.main import dbtRunner
    from dbt.parser.manifest import extended_mashumaro_encoder

    key = _parse_key(environment)
    if _parsed is not None and _parsed[0] == key:
        return None
    _parsed = _unused_manifest = None
    if _parse_aside is not None:
        _parse_aside.wait()
        _parse_aside = None
    # --no-write-json: manifest.json is written by the invocations that run something, as before;
    # target/partial_parse.msgpack, dbt's cache for the next processes, is written all the same.
    result = dbtRunner(callbacks=callbacks).invoke(["parse", "--no-write-json", *_common_arguments()])
    if result.success:
        _parsed, _unused_manifest = (key, result.result.to_msgpack(extended_mashumaro_encoder)), result.result
    return result


def _fresh_manifest():
    """The parsed manifest if no invocation used it yet, else a copy of it as parsed."""
    global _unused_manifest
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    manifest, _unused_manifest = _unused_manifest, None
    if manifest is None:
        manifest = Manifest.from_msgpack(_parsed[1], decoder=extended_mashumuro_decoder)
        manifest.build_flat_graph()
    manifest.metadata.generated_at = datetime.now(UTC).replace(tzinfo=None)
    return manifest


def run_dbt(arguments: list[str], write_manifest: bool = True) -> DbtInvocation:
    """Run dbt with ``arguments``. ``write_manifest=False``: target/manifest.json (and dbt's graph
    files) are not rewritten, a second or two of serialising the whole project that only the marts
    build needs (``generate_candidate_docs``); run_results.json is written all the same."""
    from dbt.cli.main import dbtRunner

    messages: list[str] = []

    def keep(event) -> None:
        # What dbt's console shows (info and above), logged here once: dbt's own console
        # output is silenced by --quiet, which leaves these callbacks untouched.
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            messages.append(event.info.msg)
            log.log(logging.WARNING if event.info.level != "info" else logging.INFO, "%s", event.info.msg)

    log.info("dbt %s", " ".join(arguments))
    _find_flag_sources_lazily()
    environment = dbt_environment()
    with _environment(environment):
        result = _parse_once(environment, [keep])
        if result is None or result.success:
            manifest = _fresh_manifest()

            def stamp(event) -> None:
                # The artifacts it writes name this invocation, as a manifest dbt parsed itself does.
                manifest.metadata.invocation_id = event.info.invocation_id

            options = [] if write_manifest else ["--no-write-json"]
            result = dbtRunner(manifest=manifest, callbacks=[stamp, keep]).invoke(
                [*arguments, *options, *_common_arguments()]
            )
            if not write_manifest and hasattr(result.result, "write"):
                # As dbt writes it when it writes its JSON artifacts.
                result.result.write(str(_artifact_dirs()[0] / "run_results.json"))
    if result.exception is not None:
        messages.append(f"{type(result.exception).__name__} : {result.exception}")
        log.warning("%s", messages[-1])
    return DbtInvocation(success=result.success, output="\n".join(messages))


def build_layer(layer: str) -> DbtLayerReport:
    """Build one layer (models and their tests); raise DbtFailed with the failing nodes named.

    The intermediate layer is rebuilt from scratch (--full-refresh) after a load was set aside or
    restored (spaser/quality/ecarts.py): its incremental models read only new loads, so they would keep
    the rows of a load set aside, or miss those of a load restored."""
    arguments = LAYERS[layer]
    pending: list[int] = []
    if layer == "intermediate":
        with connect() as conn:
            pending = ecarts.rebuild_pending(conn)
        if pending:
            arguments = [*arguments, "--full-refresh"]
    # The docs publish the manifest of the marts build (generate_candidate_docs).
    invocation = run_dbt(arguments, write_manifest=layer == "marts")
    report = DbtLayerReport(layer=layer, success=invocation.success, nodes=_read_run_results())
    if not report.success:
        failing = "; ".join(f"{n['name']} ({n['status']}) : {n['message']}" for n in report.failures)
        raise DbtFailed(f"dbt a échoué sur la couche {layer} : " + (failing or invocation.output[-2000:]))
    if pending:
        with connect() as conn:
            ecarts.mark_rebuilt(conn, pending)
    return report


def generate_candidate_docs() -> None:
    """dbt's manifest and catalog of tonight's candidate marts, taken while the candidate exists.

    Generated with the build's own settings, dbt reuses the build's parse; generating them after
    publication, with the marts schema changed, cost a full parse of the project and another at
    the next night's first step. ``write_docs_site`` publishes them under the published names.
    """
    # --no-compile: the catalog needs the relations, not the compiled SQL of every node, which
    # cost more than the catalog itself; the marts' compiled SQL is in the manifest of the build.
    invocation = run_dbt(["docs", "generate", "--no-compile"])
    if not invocation.success:
        raise DbtFailed("dbt docs generate a échoué : " + invocation.output[-2000:])
    # Kept in the warehouse, not in this machine's target folder: the site is built by another
    # task, perhaps on another worker.
    target_dir, _ = _artifact_dirs()
    with connect() as conn:
        record_docs(
            conn,
            CANDIDATE_MARTS_SCHEMA,
            (target_dir / "manifest.json").read_text(encoding="utf-8"),
            (target_dir / "catalog.json").read_text(encoding="utf-8"),
        )


def write_docs_site(conn: psycopg.Connection, target_site: Path) -> Path:
    """The dbt docs of the published marts as one page readable offline, from those recorded for
    the candidate they were (``generate_candidate_docs``).

    The page embeds manifest and catalog the way ``dbt docs generate --static`` does: the plain
    index.html fetches them, which browsers refuse for pages opened from disk (file://).
    ``build_site`` points ``target_site`` into its staging folder, moved into the site once whole.
    """
    from dbt.task.docs import DOCS_INDEX_FILE_PATH  # the page dbt docs generate copies into target/

    recorded = schema_docs(conn, PUBLISHED_MARTS_SCHEMA)
    if recorded is None:
        raise DbtFailed(
            "Documentation dbt des marts publiés absente de l'entrepôt (pilotage.documentation_dbt) : "
            "elle est enregistrée par l'étape dbt_marts ; relancer la nuit."
        )
    manifest, catalog = (json.loads(text) for text in recorded)
    _rename_candidate_schema(manifest, catalog)
    manifest_text, catalog_text = json.dumps(manifest), json.dumps(catalog)
    target_site.mkdir(parents=True, exist_ok=True)
    page = Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8")
    page = page.replace('"MANIFEST.JSON INLINE DATA"', manifest_text).replace(
        '"CATALOG.JSON INLINE DATA"', catalog_text
    )
    (target_site / "index.html").write_text(page, encoding="utf-8")
    (target_site / "manifest.json").write_text(manifest_text, encoding="utf-8")
    (target_site / "catalog.json").write_text(catalog_text, encoding="utf-8")
    return target_site / "index.html"


def _rename_candidate_schema(manifest: dict, catalog: dict) -> None:
    """What users read lives in the published schema: the candidate's relations under their
    published names (schema, relation and compiled SQL, which dbt renders with quoted names)."""
    quoted_candidate, quoted_published = f'"{CANDIDATE_MARTS_SCHEMA}".', f'"{PUBLISHED_MARTS_SCHEMA}".'
    for node in manifest["nodes"].values():
        if node.get("schema") != CANDIDATE_MARTS_SCHEMA:
            continue
        node["schema"] = PUBLISHED_MARTS_SCHEMA
        for key in ("relation_name", "compiled_code"):
            if node.get(key):
                node[key] = node[key].replace(quoted_candidate, quoted_published)
    for node in catalog["nodes"].values():
        if node["metadata"].get("schema") == CANDIDATE_MARTS_SCHEMA:
            node["metadata"]["schema"] = PUBLISHED_MARTS_SCHEMA


def _read_run_results() -> list[dict]:
    target_dir, _ = _artifact_dirs()
    path = target_dir / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text(encoding="utf-8"))
    return [
        {
            "name": r["unique_id"].split(".", 2)[-1],
            "type": r["unique_id"].split(".", 1)[0],
            "status": str(r["status"]),
            "message": r.get("message") or "",
            "seconds": round(r.get("execution_time") or 0.0, 2),
        }
        for r in results["results"]
    ]
