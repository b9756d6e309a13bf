"""`station status`, `search` and `show` start without loading what only other commands use (the form
renderer, the planner, the spreadsheet reader, PDF tools, the other search engine) and a search reads
only the word frequencies its query needs, not jieba's whole dictionary; help still lists every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.core.errors import ExitCode
from pipeline.core.paths import REPO_ROOT, DataPaths
from tests.search.conftest import CORPUS, write_item

# modules only other commands need: WeasyPrint, OR-Tools, pandas, openpyxl, OCRmyPDF, pikepdf, pypdfium2,
# Pillow, python-docx, matplotlib, Whoosh (tantivy is the configured engine)
HEAVY = ("weasyprint", "ortools", "pandas", "openpyxl", "ocrmypdf", "pikepdf", "pypdfium2", "PIL", "docx",
         "matplotlib", "whoosh")
RUN = """
import json, sys
from pipeline.cli.main import main
code = main(sys.argv[1:])
jieba = sys.modules.get("jieba")
print(json.dumps({"heavy": sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY))),
                  "jieba_whole": bool(jieba and jieba.dt.initialized and isinstance(jieba.dt.FREQ, dict))}),
      file=sys.stderr)
sys.exit(code)
"""


def _station(root, *args) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}   # the data root's own SQLite catalog
    env.update(STATION_DATA=str(root), COLUMNS="200")
    done = subprocess.run([sys.executable, "-c", RUN.replace("HEAVY", repr(json.dumps(HEAVY))), *args],
                          check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    return done, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """An initialised data root with the search corpus filed and its index built by a first search."""
    root = tmp_path_factory.mktemp("startup") / "data"
    done, _ = _station(root, "init")
    assert done.returncode == 0, done.stderr
    for meta in CORPUS:
        write_item(DataPaths(root).archive, meta)
    return root


def test_status_and_show_load_none_of_the_heavy_modules(root):
    done, loaded = _station(root, "status", "--json")
    assert done.returncode == 0 and "filed_total" in json.loads(done.stdout)
    assert loaded["heavy"] == [] and not loaded["jieba_whole"]
    done, loaded = _station(root, "show", "J118-WS·2024-D10-KW-0001", "--json")
    assert done.returncode == ExitCode.NOT_FOUND, done.stderr      # filed in archive/ only, not catalogued
    assert loaded["heavy"] == []


def test_a_search_finds_the_same_items_without_loading_the_whole_dictionary(root):
    first, _ = _station(root, "search", "张伟 电工", "--json")     # builds the index: whole dictionary
    again, loaded = _station(root, "search", "张伟 电工", "--json")
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    hits = [h["archival_code"] for h in json.loads(again.stdout)["hits"]]
    assert hits and hits == [h["archival_code"] for h in json.loads(first.stdout)["hits"]]
    assert loaded["heavy"] == [] and not loaded["jieba_whole"]


def test_help_still_lists_every_command_group(root):
    done, _ = _station(root, "--help")
    assert done.returncode == 0
    for name in ("init", "status", "search", "show", "forms", "assign", "import", "destruction", "keys"):
        assert f" {name} " in done.stdout, name
