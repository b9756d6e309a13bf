#!/usr/bin/env python3
"""Regenerate the screenshots of the web pages (1366×768) in docs/ui/: runs the browser test that takes them."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
env = {**os.environ, "STATION_UI_SHOTS": str(REPO / "docs" / "ui")}
sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/web/test_ui_shots.py", "tests/web/test_ui_shots_inbox.py",
                          "tests/web/test_ui_shots_part2.py"], cwd=REPO, env=env))
