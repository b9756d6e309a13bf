"""Compare two folders of generated forms (fast paths off, on): the same files, page counts and text.

    python scripts/render_compare.py OFF_DIR ON_DIR

Each run numbers its form instances afresh (random codes such as DHJD-650Q5HXS), so files are
matched per form folder by their name without the code, and the code is masked in the text. Text is
compared per page as the multiset of its words (pypdf's extraction). Exit 1 on any difference.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

from pypdf import PdfReader

CODE = re.compile(r"\b[A-Z]{2,8}-[0-9A-Z]{8}\b")       # an instance code (QR label, file name)


def pages_text(path: Path) -> list[list[str]]:
    """Each page's words (sorted: a reused page draws its skeleton before its values, so text
    extraction meets the same words in another order), instance codes masked."""
    return [sorted(CODE.sub("<code>", page.extract_text() or "").split()) for page in PdfReader(path).pages]


def forms(folder: Path) -> dict[str, list[tuple[int, str]]]:
    """Form folder and file name without its code → the files' (pages, text) in a stable order."""
    found: dict[str, list] = defaultdict(list)
    for path in folder.rglob("*.pdf"):
        key = CODE.sub("<code>", str(path.relative_to(folder)))
        text = pages_text(path)
        found[key].append((len(text), "\n".join(" ".join(words) for words in text)))
    return {key: sorted(value) for key, value in found.items()}


def main(off: Path, on: Path) -> int:
    a, b = forms(off), forms(on)
    problems = [f"only with fast paths off: {n}" for n in sorted(set(a) - set(b))]
    problems += [f"only with fast paths on: {n}" for n in sorted(set(b) - set(a))]
    files = pages = 0
    for key in sorted(set(a) & set(b)):
        if [p for p, _ in a[key]] != [p for p, _ in b[key]]:
            problems.append(f"{key}: page counts {[p for p, _ in a[key]]} off, {[p for p, _ in b[key]]} on")
        elif [t for _, t in a[key]] != [t for _, t in b[key]]:
            problems.append(f"{key}: text differs")
        files += len(a[key])
        pages += sum(p for p, _ in a[key])
    if not a:
        problems.append(f"no PDF in {off}")
    print(f"render-check: {files} files, {pages} pages compared, {len(problems)} differences")
    for line in problems[:50]:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
