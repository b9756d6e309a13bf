"""Index engines behind one interface (pipeline.search.schema.SearchBackend)."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.search.backends.tantivy_backend import TantivyBackend
from pipeline.search.backends.whoosh_backend import WhooshBackend

BACKENDS = {"whoosh": WhooshBackend, "tantivy": TantivyBackend}


def open_backend(name: str, path: Path, *, create: bool = False):
    """The backend called name on the index folder path (created fresh when create is true)."""
    backend = BACKENDS.get(name)
    if backend is None:
        raise ConfigError(f"config/station.toml 中 [search] backend = “{name}” 无效，应为 whoosh 或 tantivy。",
                          f"unknown search backend {name!r}", code="search_backend")
    return backend.create(path) if create else backend.open(path)
