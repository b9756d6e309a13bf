"""Index engines behind one interface (pipeline.search.schema.SearchBackend)."""

from __future__ import annotations

import importlib
from pathlib import Path

from pipeline.core.errors import ConfigError

# imported when opened: a search with tantivy does not load Whoosh (command start-up)
BACKENDS = {"whoosh": ("pipeline.search.backends.whoosh_backend", "WhooshBackend"),
            "tantivy": ("pipeline.search.backends.tantivy_backend", "TantivyBackend")}


def open_backend(name: str, path: Path, *, create: bool = False):
    """The backend called name on the index folder path (created fresh when create is true)."""
    where = BACKENDS.get(name)
    if where is None:
        raise ConfigError(f"config/station.toml 中 [search] backend = “{name}” 无效，应为 whoosh 或 tantivy。",
                          f"unknown search backend {name!r}", code="search_backend")
    backend = getattr(importlib.import_module(where[0]), where[1])
    return backend.create(path) if create else backend.open(path)
