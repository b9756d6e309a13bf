"""The repository holds only what belongs there: no scratch renders, example sheets stable across runs."""

from __future__ import annotations

import subprocess
import sys

from pipeline.core.paths import REPO_ROOT


def _tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_no_scratch_images_at_repository_root():
    stray = [name for name in _tracked() if "/" not in name and name.lower().endswith((".png", ".jpg", ".pdf"))]
    assert stray == [], f"scratch files committed at the repository root: {stray}"


def test_example_generator_reproduces_the_tracked_sheets_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(REPO_ROOT / "examples" / "make_example.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ("candidates.xlsx", "staff.xlsx", "rooms.xlsx"):
        assert (tmp_path / name).read_bytes() == (REPO_ROOT / "examples" / name).read_bytes(), name


def test_demo_writes_its_example_sheets_into_the_data_root():
    script = (REPO_ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    assert 'make_example.py --out "$EXAMPLES"' in script
    assert "import candidates examples/" not in script
