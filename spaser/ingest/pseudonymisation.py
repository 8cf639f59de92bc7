"""Keyed pseudonymisation of the people in the insertion scheme (RGPD: minimisation).

The employment platform's ``beneficiaire_id`` is already pseudonymous, but the platform can link it
back to a person. It is therefore re-pseudonymised at extraction with HMAC-SHA256 under a secret
key that only the warehouse holds: the same person keeps the same pseudonym night after night (the
indicators count distinct people across months and contracts), while nobody holding the warehouse
tables — or the platform's ids without the key — can link a pseudonym to a person.

Key rules:
- the key comes from ``SPASER_PSEUDONYMISATION_KEY`` (production: a secret of the deployment) or,
  failing that, from ``$SPASER_HOME/secrets/pseudonymisation.key``, created on first use with
  KEY_BYTES random bytes (hexadecimal), owner-only (0600, folder 0700), atomically: written to a
  temporary file, synced, then linked under its name — a crash or a concurrent reader never sees
  a partial key, and two first uses at once never keep two keys. It is never in the repository;
- a key shorter than MINIMUM_KEY_LENGTH bytes (an empty file included) stops the insertion source;
- the key's fingerprint (an HMAC of a fixed text under the key: it does not reveal the key) is
  stored in the warehouse (``raw.cles_pseudonymisation``) at first use; a night whose key has
  another fingerprint — the environment one night, the file the next, or a lost file re-created —
  stops the insertion source rather than silently giving every person a second pseudonym;
- changing the key is an explicit act: ``spaser cle renouveler --motif "…"`` (see ``renew_key``).
  Pseudonyms before and after a change are not linked.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from spaser.core.settings import spaser_home
from spaser.ingest.base import SourceUnavailable

KEY_ENVIRONMENT_VARIABLE = "SPASER_PSEUDONYMISATION_KEY"
KEY_FILE = Path("secrets") / "pseudonymisation.key"
KEY_BYTES = 32
MINIMUM_KEY_LENGTH = 32
FINGERPRINT_TEXT = b"spaser:empreinte-de-cle"


def key_file() -> Path:
    return spaser_home() / KEY_FILE


def _checked(key: bytes, origin: str) -> bytes:
    if len(key) < MINIMUM_KEY_LENGTH:
        raise SourceUnavailable(
            f"clé de pseudonymisation refusée ({origin}) : {len(key)} octet(s), au moins {MINIMUM_KEY_LENGTH} "
            "sont requis. Source insertion non chargée ; voir « Clé de pseudonymisation » dans le README."
        )
    return key


def _write_new_key(path: Path) -> None:
    """A new random key under ``path`` unless one is already there (never replaced)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic and, unlike rename, never over a key already there
        except FileExistsError:
            pass
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        temporary.unlink(missing_ok=True)


def pseudonymisation_key() -> bytes:
    """The secret key: the environment variable, else the key file (created on first use);
    raise SourceUnavailable when it is too short."""
    configured = os.environ.get(KEY_ENVIRONMENT_VARIABLE)
    if configured is not None:
        return _checked(configured.encode("utf-8"), KEY_ENVIRONMENT_VARIABLE)
    path = key_file()
    if not path.exists():
        _write_new_key(path)
    return _checked(path.read_text(encoding="ascii").strip().encode("ascii"), str(path))


def key_fingerprint(key: bytes) -> str:
    return hmac.new(key, FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def checked_key(conn) -> bytes:
    """The key, once its fingerprint is the warehouse's (stored at first use); raise
    SourceUnavailable for another key."""
    key = pseudonymisation_key()
    fingerprint = key_fingerprint(key)
    with conn.transaction():
        conn.execute("lock table raw.cles_pseudonymisation in exclusive mode")
        current = conn.execute("select empreinte from raw.cles_pseudonymisation where retiree_le is null").fetchone()
        if current is None:
            conn.execute(
                "insert into raw.cles_pseudonymisation (empreinte, motif) values (%s, %s)",
                (fingerprint, "première utilisation"),
            )
        elif current[0] != fingerprint:
            raise SourceUnavailable(
                "clé de pseudonymisation différente de celle de l'entrepôt (empreinte "
                f"{fingerprint[:12]}… au lieu de {current[0][:12]}…) : source insertion non chargée, chaque "
                "personne recevrait un second pseudonyme. Remettre la clé d'origine, ou changer de clé "
                'explicitement : spaser cle renouveler --motif "…".'
            )
    return key


def renew_key(conn, motif: str) -> str:
    """Adopt a new key: with ``SPASER_PSEUDONYMISATION_KEY`` set, the key it holds; otherwise a new
    random key file (the old one kept beside it, suffixed with its fingerprint). The old
    fingerprint is retired with the reason; return the new fingerprint."""
    if os.environ.get(KEY_ENVIRONMENT_VARIABLE) is None:
        path = key_file()
        if path.exists():
            old = path.read_bytes().strip()
            path.rename(path.with_name(f"{path.name}.{key_fingerprint(old)[:12]}.ancienne"))
        _write_new_key(path)
    fingerprint = key_fingerprint(pseudonymisation_key())
    with conn.transaction():
        conn.execute("lock table raw.cles_pseudonymisation in exclusive mode")
        conn.execute("update raw.cles_pseudonymisation set retiree_le = now() where retiree_le is null")
        conn.execute(
            "insert into raw.cles_pseudonymisation (empreinte, motif) values (%s, %s)"
            " on conflict (empreinte) do update set retiree_le = null, adoptee_le = now(), motif = excluded.motif",
            (fingerprint, motif),
        )
    return fingerprint


class Pseudonymiser:
    """HMAC-SHA256 of an identifier under the warehouse's key, as 64 hexadecimal characters."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.strip().encode("utf-8"), hashlib.sha256).hexdigest()
