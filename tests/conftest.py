"""Test set-up: a throw-away data root, and the PostgreSQL run selects database tests only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import hypothesis
import pytest

# Before Django reads settings: runtime data of the test session goes to a temporary root.
os.environ.setdefault("STATION_DATA", tempfile.mkdtemp(prefix="station-test-"))
# Every `python -m pipeline` a test starts runs in its own process, as written: no preloading command
# server is started or used (tests/test_preload.py starts its own, in a folder of its own, and stops them).
os.environ["STATION_PRELOAD"] = "0"


def _session_key() -> None:
    """Exam papers are filed encrypted under a key kept outside the data root: one for the test session
    (the tests of a missing or badly kept key unset or replace it)."""
    if os.environ.get("STATION_KEY_FILE") or os.environ.get("STATION_KEY"):
        return
    from pipeline.archive.keys import key_new
    path = Path(tempfile.mkdtemp(prefix="station-test-key-")) / "archive.key"
    key_new(path)
    os.environ["STATION_KEY_FILE"] = str(path)


_session_key()

# Hypothesis fails an example that takes over 200 ms of wall time: on a loaded CI machine (two cores,
# several test processes) that is the machine, not the code. The tests bound their work by example counts.
hypothesis.settings.register_profile("station", deadline=None)
hypothesis.settings.load_profile("station")

SAMPLES = Path(__file__).parent / "samples"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark tests that never touch the database `nodb`, so the PostgreSQL run can deselect them."""
    for item in items:
        if "django_db" not in {m.name for m in item.iter_markers()} and "db" not in getattr(
                item, "fixturenames", ()) and "transactional_db" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nodb)


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """A fresh data root for one test (archive, inbox, index...)."""
    from pipeline.core.paths import data_paths

    monkeypatch.setenv("STATION_DATA", str(tmp_path / "data"))
    paths = data_paths()
    paths.ensure()
    return paths
