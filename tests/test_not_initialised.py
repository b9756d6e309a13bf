"""Before `station init` every command says the data root is not initialised and what to run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline.core.errors import ExitCode
from pipeline.core.paths import REPO_ROOT


def _station(root, *args):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}   # the data root's own SQLite catalog
    env.update(STATION_DATA=str(root), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [["status"], ["rounds", "list"], ["search", "电工"], ["users", "list", "--json"]])
def test_command_before_init_names_the_problem_and_the_fix(tmp_path, args):
    result = _station(tmp_path / "fresh", *args)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    message = result.stderr.replace("\n", "")   # Rich wraps long lines
    assert "尚未初始化" in message and "station init" in message
    assert "内部错误" not in message


def test_after_init_the_same_command_works(tmp_path):
    root = tmp_path / "fresh"
    assert _station(root, "init").returncode == 0
    result = _station(root, "rounds", "list", "--json")
    assert result.returncode == 0 and result.stdout.strip() == "[]"
