"""Keyed pseudonymisation of the people in the insertion scheme (RGPD: minimisation).

The employment platform's ``beneficiaire_id`` is already pseudonymous, but the platform can link it
back to a person. It is therefore re-pseudonymised at extraction with HMAC-SHA256 under a secret
key that only the warehouse holds: the same person keeps the same pseudonym night after night (the
indicators count distinct people across months and contracts), while nobody holding the warehouse
tables — or the platform's ids without the key — can link a pseudonym to a person.

The key comes from ``SPASER_PSEUDONYMISATION_KEY`` (production: a secret of the deployment) or,
failing that, from ``$SPASER_HOME/secrets/pseudonymisation.key``, created on first use with
random bytes and owner-only permissions (0600, folder 0700). It is never in the repository.
Changing the key changes every pseudonym: history is then no longer linked across the change.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from spaser.config import spaser_home

KEY_ENVIRONMENT_VARIABLE = "SPASER_PSEUDONYMISATION_KEY"
KEY_FILE = Path("secrets") / "pseudonymisation.key"
KEY_BYTES = 32
MINIMUM_KEY_LENGTH = 16


def key_file() -> Path:
    return spaser_home() / KEY_FILE


def pseudonymisation_key() -> bytes:
    """The secret key: the environment variable, else the key file (created on first use)."""
    configured = os.environ.get(KEY_ENVIRONMENT_VARIABLE)
    if configured:
        if len(configured) < MINIMUM_KEY_LENGTH:
            raise ValueError(
                f"{KEY_ENVIRONMENT_VARIABLE} est trop courte : au moins {MINIMUM_KEY_LENGTH} caractères sont requis."
            )
        return configured.encode("utf-8")
    path = key_file()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # O_EXCL: two extractions starting at once never write two different keys.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(KEY_BYTES))
    return path.read_text(encoding="ascii").strip().encode("ascii")


class Pseudonymiser:
    """HMAC-SHA256 of an identifier under the warehouse's key, as 64 hexadecimal characters."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.strip().encode("utf-8"), hashlib.sha256).hexdigest()
