"""ingest --once --workers N: what a helper process quarantined is reported once, by the parent, as exit 8.

CI found the parent calling a helper that had quarantined a file "exited abnormally" (its exit 8 read as a crash),
depending on which process happened to claim the bad file. Now helpers report their counts and the parent adds them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from pipeline.core.paths import REPO_ROOT
from tests.ingest.test_crash import _env

PY = sys.executable


def _drop_bad_files(inbox, count: int) -> list[str]:
    names = []
    for n in range(count):
        name = f"cut-{n:02d}.pdf"
        (inbox / name).write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog " + os.urandom(64) + b"\n")
        names.append(name)
    return names


@pytest.mark.slow
def test_a_helper_prints_its_counts_and_leaves_the_judgement_to_the_parent(tmp_path):
    env = _env(tmp_path)
    _drop_bad_files(tmp_path / "data" / "inbox", 2)
    done = subprocess.run([PY, "-m", "pipeline", "ingest", "--once", "--helper"], env=env, cwd=REPO_ROOT,
                          timeout=300, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"quarantined": 2}


@pytest.mark.slow
def test_files_quarantined_by_any_worker_are_counted_once_and_exit_8_not_a_crash(tmp_path):
    env = _env(tmp_path)
    station = tmp_path / "config" / "station.toml"       # both workers wait for the files to settle: both claim some
    station.write_text(re.sub(r"stable_seconds = [0-9.]+", "stable_seconds = 2.5", station.read_text("utf-8")),
                       encoding="utf-8")
    names = _drop_bad_files(tmp_path / "data" / "inbox", 60)
    done = subprocess.run([PY, "-m", "pipeline", "ingest", "--once", "--workers", "2"], env=env, cwd=REPO_ROOT,
                          timeout=300, capture_output=True, text=True)
    assert done.returncode == 8, done.stderr
    assert "异常退出" not in done.stderr
    assert f"本次隔离{len(names)}个文件" in re.sub(r"\s+", "", done.stderr)     # Rich wraps the message
    quarantined = sorted(p.name for p in (tmp_path / "data" / "quarantine").iterdir()
                         if not p.name.endswith(".reason.json"))
    assert quarantined == names
