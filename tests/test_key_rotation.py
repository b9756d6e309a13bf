"""Crash test of `station keys rotate`: SIGKILL the rotation at random moments, 20 times.

Answer sheets are filed through ingest (a real subprocess, real scans) under key 1, then 40
more items are written by the store under key 1 (the same scans; catalogued by rebuild-catalog), and a first
rotation to key 2 runs to the end (its duration sets the kill window). Then a rotation key 2 → key 3 is killed
20 times: after
every kill every item folder is complete and decrypts under exactly one of the two keys; a last
run finishes the rest, everything is under key 3 and verify passes without any key.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.archive.keys import key_load
from pipeline.archive.sealed import item_key_ids, item_plain
from pipeline.core.errors import StationError
from pipeline.core.paths import REPO_ROOT
from tests.ingest.test_crash import _env, _kill_group

PY = sys.executable
SEED = """
import datetime as dt, json, shutil, sys
from pathlib import Path
from django.utils import timezone
from pipeline.site import django_setup; django_setup.setup()
from pipeline.catalog.models import FormInstance, Round
from pipeline.archive.audit import audit_append
from pipeline.catalog.rebuild import catalog_rebuild
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode, new_instance_code
from pipeline.ingest.flow import ingest_once
from pipeline.archive.keys import key_configured
from pipeline.core.paths import data_paths
from pipeline.archive.store import item_folder, item_write, metadata_read
from tests.ingest.test_flow import form_pages, stack_bytes
made, extra = Path(sys.argv[1]), int(sys.argv[2])
paths = data_paths()
from tests.people import first_head
head = first_head("head", password="correct-horse-1")
round_ = Round.objects.create(code="2026-06", name="鉴定", theory_at=timezone.now() - dt.timedelta(days=1))
pages = []
for serial in range(1, 4):
    fi = FormInstance.objects.create(code=new_instance_code(), form="practical-score", round=round_,
        subject=f"T{serial}", title=f"实操答卷 {serial}", pages=1, retention_class="exam-papers", category="SJ",
        doc_date=dt.date(2026, 6, 6), data={"task": "正反转控制线路"})
    pages += form_pages(fi)
(paths.inbox / "答卷.pdf").write_bytes(stack_bytes(pages, made))
print(ingest_once(paths=paths, config=get_config()), file=sys.stderr)
filed = sorted(p for p in paths.archive.glob("*/*/*/*/*") if not p.name.startswith("."))
first = filed[0]
meta = metadata_read(first)
pdf = (made / "stack.pdf")
key = key_configured()
for number in range(len(filed) + 1, len(filed) + 1 + extra):
    code = ArchivalCode.parse(meta["archival_code"].rsplit("-", 1)[0] + f"-{number:04d}")
    item_write(paths=paths, code=code, pdf=pdf, originals=[pdf], metadata={**meta, "item_number": number},
               key=key, extra={"text.txt": "正反转控制线路".encode()})
    audit_append(actor="ingest", action="item.file", target=str(code),     # filed lawfully: in the audit log
                 detail={"files_sha256": metadata_read(item_folder(paths, code))["files_sha256"]})
catalog_rebuild(paths=paths, config=get_config(), actor=head)     # the store-written items into the catalog
print(json.dumps({"items": len(filed) + extra}))
"""


def _rotate(env: dict, new_key: Path) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "pipeline", "keys", "rotate", "--new-key-file", str(new_key), "--user", "head"],
                            env=env, cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _items(data: Path) -> list[Path]:
    return sorted(p for p in (data / "archive").glob("*/*/*/*/*") if not p.name.startswith("."))


def _readable_under_exactly_one(folder: Path, one, other) -> str:
    """Which key opens the whole item ('one' or 'other'); fails if both, neither or a mixture."""
    opened = []
    for name, key in (("one", one), ("other", other)):
        try:
            item_plain(folder, [key])
            opened.append(name)
        except StationError:
            pass
    assert len(opened) == 1, f"{folder.name}: opened by {opened}, key ids {item_key_ids(folder)}"
    return opened[0]


@pytest.mark.slow
def test_rotation_killed_at_random_moments_leaves_every_item_under_exactly_one_key(tmp_path):
    keys = tmp_path / "keys"
    env = _env(tmp_path)
    for number in (1, 2, 3):
        subprocess.run([PY, "-m", "pipeline", "keys", "new", "--out", str(keys / f"k{number}.key")], env=env,
                       cwd=REPO_ROOT, check=True, capture_output=True)
    env = {**env, "STATION_KEY_FILE": str(keys / "k1.key"), "STATION_PASSWORD_HEAD": "correct-horse-1"}
    made = tmp_path / "made"
    made.mkdir()
    seeded = subprocess.run([PY, "-c", SEED, str(made), "40"], env=env, cwd=REPO_ROOT, check=True,
                            capture_output=True, text=True)
    total = json.loads(seeded.stdout.strip().splitlines()[-1])["items"]
    data = tmp_path / "data"
    assert len(_items(data)) == total == 43
    started = time.monotonic()
    first = _rotate(env, keys / "k2.key")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    lifetime = time.monotonic() - started
    k2, k3 = key_load(keys / "k2.key"), key_load(keys / "k3.key")
    assert {_readable_under_exactly_one(f, k2, k3) for f in _items(data)} == {"one"}

    rng = random.Random(20260606)
    kills, seen, under = 0, set(), ["one"] * total
    for _ in range(20):
        # rotate towards the key fewer items are under, so every run has work left to be killed in
        towards = "other" if under.count("one") >= under.count("other") else "one"
        env["STATION_KEY_FILE"] = str(keys / ("k2.key" if towards == "other" else "k3.key"))
        proc = _rotate(env, keys / ("k3.key" if towards == "other" else "k2.key"))
        time.sleep(rng.uniform(lifetime * 0.4, lifetime * 0.95))
        kills += proc.poll() is None
        _kill_group(proc)
        folders = _items(data)
        assert len(folders) == total                      # no item folder missing at any moment
        under = [_readable_under_exactly_one(f, k2, k3) for f in folders]
        seen.add(tuple(sorted(set(under))))
    assert kills >= 10 and ("one", "other") in seen       # really killed mid-way, with items under both keys
    env["STATION_KEY_FILE"] = str(keys / "k2.key")          # finish: k2 → k3 (items already under k3 are skipped)
    done = subprocess.run([PY, "-m", "pipeline", "keys", "rotate", "--new-key-file", str(keys / "k3.key"),
                           "--user", "head", "--json"], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"] == total
    assert {_readable_under_exactly_one(f, k2, k3) for f in _items(data)} == {"other"}
    assert not [p for p in (data / "archive").rglob(".*.new")]
    kept = list((data / "processed").rglob("*.enc"))
    assert kept and all(k3.key_id in p.read_bytes()[:16] for p in kept)
    plain_env = {k: v for k, v in env.items() if k != "STATION_KEY_FILE"}
    verify = subprocess.run([PY, "-m", "pipeline", "verify"], env=plain_env, cwd=REPO_ROOT, capture_output=True,
                            text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
