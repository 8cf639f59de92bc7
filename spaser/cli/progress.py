"""What `spaser run` shows: one line per step as it ends, then the summary; the rest goes to night.log.

Airflow, dbt and Great Expectations write to the process's standard output and error, some through
logging, some straight to the file descriptors (progress bars, subprocesses). While the night runs,
descriptors 1 and 2 point to ``$SPASER_HOME/runs/<night>/night.log``; the progress lines go to a
copy of the original terminal taken before, through rich (colours on a terminal, plain text in CI).
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from spaser.pipeline.night import failure_reason

STEP_LABELS = {
    "prepare_warehouse": "Préparation de l'entrepôt",
    "validate_raw": "Contrôles des données brutes",
    "dbt_seed": "dbt seed",
    "dbt_staging": "dbt staging",
    "dbt_intermediate": "dbt intermediate",
    "dbt_marts": "dbt marts",
    "validate_marts": "Porte qualité des marts",
    "publish": "Publication des marts",
    "grant_access": "Droits de lecture",
    "export_indicateurs": "Exports des indicateurs",
    "build_site": "Tableau de bord et rapports",
}
LABEL_WIDTH = 34  # referentiels/sirene_unites_legales


def step_label(step: str, result: dict | None = None) -> str:
    if step.startswith("extract_"):
        # The source's own name (marches/decp), which the task id spells with an underscore.
        return (result or {}).get("source") or step.removeprefix("extract_")
    return STEP_LABELS.get(step, step)


def step_details(step: str, result: dict) -> str:
    """What the step did, in a few figures, from the dict it returned."""
    if step.startswith("extract_"):
        files = result["fichiers"]
        already = sum(f["statut"] == "deja_charge" for f in files)
        parts = [
            _count(len(files), "fichier")
            + (f" (dont {already} déjà chargé{'s' if already > 1 else ''})" if already else ""),
            _count(sum(f["nb_charges"] for f in files), "ligne"),
            f"{_number(sum(f['nb_quarantaine'] for f in files))} en quarantaine",
            _count(sum(f["statut"] == "rejete" for f in files), "rejeté"),
        ]
        return " · ".join(parts)
    if step.startswith("validate_"):
        suites = result["suites"]
        failures = sum(suite["nb_echecs"] for suite in suites)
        return " · ".join(
            [
                _count(len(suites), "suite"),
                _count(sum(suite["nb_expectations"] for suite in suites), "attente"),
                _count(failures, "échec"),
            ]
        )
    if step.startswith("dbt_"):
        by_type: dict[str, int] = {}
        for node in result["nodes"]:
            by_type[node["type"]] = by_type.get(node["type"], 0) + 1
        names = {
            "seed": "seed",
            "model": "modèle",
            "test": "test",
            "unit_test": "test unitaire",
            "snapshot": "snapshot",
        }
        return " · ".join(_count(n, names.get(kind, kind)) for kind, n in sorted(by_type.items(), key=_dbt_order))
    if step == "prepare_warehouse":
        outside = len(result["hors_perimetre"])
        return f"dépôt {result['inbox']}" + (f" · {_count(outside, 'élément')} hors périmètre" if outside else "")
    if step == "publish":
        return f"publiés le {result['publie_le']}"
    if step == "grant_access":
        granted = ", ".join(result["roles_accordes"]) or "aucun rôle"
        missing = result["roles_manquants"]
        return granted + (f" · rôles à créer par l'administrateur : {', '.join(missing)}" if missing else "")
    if step == "export_indicateurs":
        return (
            f"{_count(result['nb_indicateurs'], 'indicateur')} · {_count(result['nb_valeurs'], 'valeur')} (CSV, JSON)"
        )
    if step == "build_site":
        return f"{_count(result['nb_pages'], 'page')} · {result['accueil']}"
    return ""


def _dbt_order(item: tuple[str, int]) -> int:
    order = ["seed", "model", "snapshot", "test", "unit_test"]
    return order.index(item[0]) if item[0] in order else len(order)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _count(n: int, noun: str) -> str:
    # A French noun and its adjective both take the plural: « tests unitaires ».
    return f"{_number(n)} {' '.join(word + 's' for word in noun.split()) if n > 1 else noun}"


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".", ",")
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class ProgressView:
    """The console side of a night: header, a line per ended step, the failure, the summary."""

    def __init__(self, terminal: io.TextIOBase, follower: LogFollower | None = None):
        self.console = Console(file=terminal, highlight=False, soft_wrap=True, emoji=False, markup=False)
        self.follower = follower
        self.started = time.monotonic()
        self.failures: dict[str, str] = {}
        self._spinner = Spinner("dots")
        self._ended = 0

    def print(self, text: str | Text = "", style: str | None = None) -> None:
        if self.follower is None or self.follower.stopped:
            self.console.print(text, style=style)
            return
        with self.follower.lock:
            self.follower.drain()
            self.console.print(text, style=style)

    @contextmanager
    def running(self) -> Iterator[None]:
        """A spinner on a terminal while steps run (none in CI logs, none under --verbose)."""
        if not self.console.is_terminal or self.follower is not None:
            yield
            return
        # Live's default would send sys.stdout and sys.stderr to the console: they go to night.log.
        with Live(self, console=self.console, transient=True, redirect_stdout=False, redirect_stderr=False):
            yield

    def __rich__(self) -> Spinner:
        elapsed = format_seconds(time.monotonic() - self.started)
        ended = f"{_count(self._ended, 'étape')} terminée{'s' if self._ended > 1 else ''}"
        self._spinner.update(text=f"Nuit en cours — {ended} à {elapsed}")
        return self._spinner

    def step_ended(self, step: str, seconds: float, result: dict | None, failure: BaseException | None) -> None:
        elapsed = time.monotonic() - self.started
        minutes, secs = divmod(int(elapsed), 60)
        line = Text()
        line.append(f"{minutes:02d}:{secs:02d} ", style="dim")
        if failure is None:
            line.append("✓ ", style="green")
            line.append(f"{step_label(step, result):<{LABEL_WIDTH}}  ", style="bold")
            line.append(step_details(step, result or {}))
        else:
            reason = failure_reason(failure)
            self.failures[step] = reason
            line.append("✗ ", style="bold red")
            line.append(f"{step_label(step):<{LABEL_WIDTH}}  ", style="bold red")
            line.append(reason.splitlines()[0], style="red")
        line.append(f"  ({format_seconds(seconds)})", style="dim")
        self._ended += 1
        self.print(line)

    def summary(self, summary: dict, summary_path: Path) -> None:
        verdict = Text("SUCCÈS", style="bold green") if summary["succes"] else Text("ÉCHEC", style="bold red")
        self.print()
        self.print(
            Text.assemble(
                f"Résumé de la nuit {summary['run_id']} — ",
                verdict,
                f" en {format_seconds(time.monotonic() - self.started)}",
                style="bold",
            )
        )
        for line in summary_lines(summary):
            self.print(line)
        self.print(f"  Résumé complet : {summary_path}")

    def failure(self, failures: dict[str, str], log_path: Path) -> None:
        """The failing steps (key "": the night as a whole) and their reasons in full, last, where the eye lands."""
        self.print()
        for step, reason in failures.items():
            where = f"à l'étape {step_label(step)} ({step})" if step else "de la nuit"
            self.print(f"Échec {where} :", style="bold red")
            for line in reason.splitlines():
                self.print(f"  {line}")
        self.print(f"Journal complet de la nuit : {log_path}")


def summary_lines(summary: dict) -> list[str]:
    """The night's figures, from the summary the `summary` task wrote (spaser.pipeline.night.summarize)."""
    files = summary["fichiers"]
    lines = [
        f"  Fichiers : {files['charges']} chargé(s), {files['deja_charges']} déjà chargé(s), {files['rejetes']} rejeté(s)"
        + (f", {files['deja_rejetes']} déjà rejeté(s) (non relus)" if files.get("deja_rejetes") else ""),
        f"  Lignes chargées : {_number(summary['lignes_chargees'])} ; en quarantaine : "
        f"{_number(summary['lignes_en_quarantaine'])} ; signalements : {_number(summary['signalements'])}",
    ]
    lines += [f"    rejeté : {rejected['fichier']} — {rejected['message']}" for rejected in summary["fichiers_rejetes"]]
    lines += [f"    non lu : {message}" for message in summary.get("fichiers_non_lus", [])]
    lines += [
        f"  Contrôles {name} : {gate['nb_controles'] - gate['nb_echecs']} réussi(s), {gate['nb_echecs']} en échec"
        for name, gate in summary["controles"].items()
    ]
    if summary.get("indicateurs"):
        lines.append(
            f"  Indicateurs : {summary['indicateurs']['nb_indicateurs']} indicateur(s), "
            f"{_number(summary['indicateurs']['nb_valeurs'])} valeur(s) publiée(s)"
        )
    if summary["etapes_non_executees"]:
        lines.append("  Étapes non exécutées : " + ", ".join(summary["etapes_non_executees"]))
    lines += duration_lines(summary.get("durees_etapes") or {})
    lines.append(
        f"  Sorties : {summary['sorties']['exports']} ; rapports qualité : {summary['sorties']['site_qualite']}"
    )
    return lines


# The summary's step times, in two lines: the night's phases, then dbt's layers and the last steps.
DURATION_LINES = (
    ("  Durées : ", ("prepare_warehouse", "extract_", "validate_raw", "dbt_", "validate_marts")),
    (
        "    ",
        (
            "dbt_seed",
            "dbt_staging",
            "dbt_intermediate",
            "dbt_marts",
            "publish",
            "grant_access",
            "export_indicateurs",
            "build_site",
        ),
    ),
)
DURATION_NAMES = {
    "prepare_warehouse": "préparation",
    "extract_": "extraction",
    "validate_raw": "contrôles bruts",
    "dbt_": "dbt",
    "validate_marts": "porte qualité",
    "publish": "publication",
    "grant_access": "droits",
    "export_indicateurs": "exports",
    "build_site": "tableau de bord",
}


def duration_lines(durations: dict[str, float]) -> list[str]:
    """How long the night's steps took (``durees_etapes`` of the summary): a name ending with ``_``
    stands for all the steps it starts (their sum: the 15 extractions, the four dbt layers)."""
    lines = []
    for start, names in DURATION_LINES:
        parts = []
        for name in names:
            steps = [step for step in durations if step == name or (name.endswith("_") and step.startswith(name))]
            if not steps:
                continue
            label = DURATION_NAMES.get(name) or step_label(name)
            extra = f" ({len(steps)} sources)" if name == "extract_" else ""
            parts.append(f"{label} {format_seconds(sum(durations[step] for step in steps))}{extra}")
        if parts:
            lines.append(start + " · ".join(parts))
    return lines


class LogFollower:
    """`tail -f` of night.log onto the terminal, for --verbose: whole lines only, so that a
    progress line never lands in the middle of a log line."""

    def __init__(self, log_path: Path, terminal_fd: int):
        self._log = log_path.open("rb")
        self._pending = b""
        self._terminal_fd = terminal_fd
        self._stop = threading.Event()
        self.lock = threading.Lock()  # held by whoever writes to the terminal
        self._thread = threading.Thread(target=self._follow, name="night-log-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def drain(self, final: bool = False) -> None:
        """Copy the complete lines logged so far (everything, when final); call with the lock held."""
        self._pending += self._log.read()
        end = len(self._pending) if final else self._pending.rfind(b"\n") + 1
        if end:
            os.write(self._terminal_fd, self._pending[:end])
            self._pending = self._pending[end:]

    def _follow(self) -> None:
        while not self._stop.wait(0.2):
            with self.lock:
                self.drain()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with self.lock:
            self.drain(final=True)
        self._log.close()


@contextmanager
def output_to_log(log_path: Path) -> Iterator[None]:
    """Send everything written to fd 1 and 2, to sys.stdout/sys.stderr and through console logging
    handlers, to ``log_path``.

    The descriptors cover subprocesses and direct writes. The Python streams are swapped too, and
    the console handlers moved, for when they did not write to fd 1 or 2 to begin with (an
    embedding program, pytest's capture): a handler keeps the stream it had when it was set up.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    old_streams = sys.stdout, sys.stderr
    for stream in old_streams:
        stream.flush()
    saved_fds = os.dup(1), os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    new_streams = tuple(open(fd, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False) for fd in (1, 2))
    sys.stdout, sys.stderr = new_streams
    moved = {handler: _set_stream(handler, new_streams[0]) for handler in _console_handlers()}
    try:
        yield
    finally:
        for stream in new_streams:
            stream.flush()
        sys.stdout, sys.stderr = old_streams
        for handler, stream in moved.items():
            _set_stream(handler, stream)
        # The handlers set up during the night (Airflow configures its logging on import) go to
        # the restored streams.
        for handler in _console_handlers():
            if handler.stream in new_streams:
                handler.setStream(old_streams[new_streams.index(handler.stream)])
        for fd, saved in zip((1, 2), saved_fds, strict=False):
            os.dup2(saved, fd)
            os.close(saved)
        for stream in new_streams:
            stream.close()


def _set_stream(handler: logging.StreamHandler, stream):
    """``handler.setStream``, for a handler whose stream may be closed already (one left by an
    earlier capture: setStream would flush it): returns the previous stream."""
    if getattr(handler.stream, "closed", False):
        previous, handler.stream = handler.stream, stream
        return previous
    return handler.setStream(stream)


def _console_handlers() -> list[logging.StreamHandler]:
    """The stream handlers of every logger but those writing to a file or to memory (caplog), and
    those following sys.stderr by themselves (logging.lastResort's kind)."""
    loggers = [
        logging.getLogger(),
        *(logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)),
    ]
    return list(
        dict.fromkeys(  # a handler may serve several loggers
            handler
            for logger in loggers
            for handler in logger.handlers
            if isinstance(handler, logging.StreamHandler)
            and not isinstance(handler, logging.FileHandler)
            and not isinstance(getattr(type(handler), "stream", None), property)
            and not isinstance(handler.stream, io.StringIO)
        )
    )
