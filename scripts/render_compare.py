"""Compare two folders of generated forms (fast paths off, on): the same files, page counts and text.

    python scripts/render_compare.py OFF_DIR ON_DIR

Text is compared word by word per page (pypdf's extraction, whitespace ignored). Exit 1 on any
difference, naming the file and page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pypdf import PdfReader


def pages_text(path: Path) -> list[list[str]]:
    """Each page's words."""
    return [(page.extract_text() or "").split() for page in PdfReader(path).pages]


def main(off: Path, on: Path) -> int:
    names = sorted(p.relative_to(off) for p in off.rglob("*.pdf"))
    other = sorted(p.relative_to(on) for p in on.rglob("*.pdf"))
    problems = [f"only with fast paths off: {n}" for n in sorted(set(names) - set(other))]
    problems += [f"only with fast paths on: {n}" for n in sorted(set(other) - set(names))]
    pages = 0
    for name in sorted(set(names) & set(other)):
        a, b = pages_text(off / name), pages_text(on / name)
        if len(a) != len(b):
            problems.append(f"{name}: {len(a)} pages off, {len(b)} on")
            continue
        pages += len(a)
        problems += [f"{name} page {i + 1}: text differs" for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if not names:
        problems.append(f"no PDF in {off}")
    print(f"render-check: {len(names)} files, {pages} pages compared, {len(problems)} differences")
    for line in problems[:50]:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
