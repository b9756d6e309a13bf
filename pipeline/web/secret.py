"""Django's SECRET_KEY (signs sessions and CSRF tokens): STATION_SECRET_KEY, else one random key kept
in the data root's var/secret_key (mode 600), made on first use."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def secret_key_for(var: Path) -> str:
    """The key stored in var/secret_key, created (atomically, owner-only) when missing."""
    path = var / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    var.mkdir(parents=True, exist_ok=True)
    tmp = var / f".secret_key.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(tmp, path)          # the first process wins; the others read its key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text(encoding="ascii").strip()
