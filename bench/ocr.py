"""Benchmark: Chinese OCR quality and speed per engine on a realistic set of unmarked pages.

The page set comes from bench/ocr_pages.py (red-header notices, dense regulation text, score tables
with ID numbers, a seal over the signature block, a hand-filled form, upside-down pages; 200 dpi,
tilt, noise, JPEG q60), built once into --work. Each engine runs the station's OCR path on every
page, one page per call, as `ingest` does for an unmarked document: Tesseract's orientation check on
the page at 150 dpi (`orient.osd_turn`), the page turned upright (`normalise.plain_pdf`), then
`pipeline.ingest.ocr.ocr_pdf` (OCRmyPDF: OCR, invisible text layer, PDF/A-2b). Engines:

  tesseract   today's call: Tesseract chi_sim+eng
  chi_sim     Tesseract chi_sim only
  rapidocr    RapidOCR 3.x (PP-OCR models inside the wheel, onnxruntime)

Measured per engine: CER (character error rate: edit distance / ground-truth length, after NFKC and
with all white space removed; pages in reading order as the engine returns them), CER per page kind,
distinctive phrases found (substring of the page's text, same normalisation), pages per minute
(wall time of the orientation check, turn and ocr_pdf; RapidOCR's model loading excluded), and whether
each PDF is PDF/A-2b.

Run: python bench/ocr.py [--pages 20] [--engines tesseract,chi_sim,rapidocr] [--start K --subset N] [--json F]
     python bench/ocr.py --combine F1.json F2.json …   (one table from runs over parts of the set)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pikepdf

from bench.ocr_pages import write_page_set
from pipeline.ingest import ocr_rapid
from pipeline.ingest.normalise import plain_pdf
from pipeline.ingest.ocr import ocr_pdf
from pipeline.ingest.orient import osd_turn
from pipeline.ingest.pages import iter_pages

ENGINES = {"tesseract": ("tesseract", "chi_sim+eng"), "chi_sim": ("tesseract", "chi_sim"), "rapidocr": ("rapidocr", "")}


def normalised(text: str) -> str:
    """NFKC (full-width → half-width) and no white space: what CER and phrase search compare."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time."""
    if not a or not b:
        return max(len(a), len(b))
    target = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    steps = np.arange(len(b) + 1)
    row = steps.copy()
    for i, char in enumerate(a, start=1):
        cost = (target != ord(char)).astype(np.int64)
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + cost)
        row = np.minimum.accumulate(best - steps) + steps
    return int(row[-1])


def page_set(work: Path, count: int, seed: int) -> list[dict]:
    """The page set in work (built on first use)."""
    folder = work / f"pages-{count}-{seed}"
    manifest = folder / "manifest.json"
    if not manifest.exists():
        write_page_set(folder, count, seed)
    return [dict(entry, folder=str(folder)) for entry in json.loads(manifest.read_text(encoding="utf-8"))]


def ocr_upright(source: Path, out: Path, **kwargs) -> str:
    """What ingest does with an unmarked page: orientation check, turn, OCR."""
    (page,) = list(iter_pages(source, 150))
    plain = out.with_suffix(".plain.pdf")
    plain_pdf(source, [0], plain, turns=[osd_turn(page.image)])
    return ocr_pdf(plain, out, rotate_pages=False, **kwargs)


def run_engine(name: str, pages: list[dict], out: Path, keep=None) -> list[dict]:
    """OCR every page with one engine; a row per page (errors, phrases, seconds, PDF/A); keep(rows) after each."""
    engine, language = ENGINES[name]
    # no per-page time limit: on the loaded machine Tesseract needs more than ingest's 180 s for a page
    kwargs = {"engine": engine, "timeout": 3600.0, **({"language": language} if language else {})}
    if engine == "rapidocr":
        ocr_rapid.engine()  # start-up (loading the models, ~3 s) is not a page's time
    rows = []
    for page in pages:
        source, target = Path(page["folder"]) / page["pdf"], out / f"{name}-{page['pdf']}"
        started = time.perf_counter()
        text = ocr_upright(source, target, **kwargs)
        seconds = time.perf_counter() - started
        truth = normalised((Path(page["folder"]) / page["truth"]).read_text(encoding="utf-8"))
        got = normalised(text)
        missed = [phrase for phrase in page["phrases"] if normalised(phrase) not in got]
        rows.append(
            {
                "engine": name,
                "page": page["name"],
                "kind": page["kind"] + ("-upside-down" if page["upside_down"] else ""),
                "errors": edit_distance(got, truth),
                "length": len(truth),
                "phrases": len(page["phrases"]),
                "missed": missed,
                "seconds": round(seconds, 2),
                "pdfa": bool(pikepdf.pdfa.validate_written(target, "2b").passed),
            }
        )
        (out / f"{name}-{page['name']}.txt").write_text(text, encoding="utf-8")
        print(f"  {name} {page['name']}: CER {rows[-1]['errors'] / len(truth):.1%}, {seconds:.1f} s", flush=True)
        if keep:
            keep(rows)
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per engine: CER (all pages, and per kind), phrases found, pages per minute, median seconds, PDF/A."""
    results = []
    for name in dict.fromkeys(row["engine"] for row in rows):
        own = [row for row in rows if row["engine"] == name]
        kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in own:
            kinds[row["kind"]][0] += row["errors"]
            kinds[row["kind"]][1] += row["length"]
        seconds = [row["seconds"] for row in own]
        results.append(
            {
                "engine": name,
                "pages": len(own),
                "cer": sum(r["errors"] for r in own) / sum(r["length"] for r in own),
                "kinds": {kind: e / n for kind, (e, n) in sorted(kinds.items())},
                "phrases": f"{sum(r['phrases'] - len(r['missed']) for r in own)}/{sum(r['phrases'] for r in own)}",
                "pages_per_min": 60 * len(own) / sum(seconds),
                "median_s": statistics.median(seconds),
                "pdfa": f"{sum(r['pdfa'] for r in own)}/{len(own)}",
            }
        )
    return results


def table(results: list[dict]) -> str:
    """The results as a Markdown table."""
    kinds = sorted({kind for result in results for kind in result["kinds"]})
    head = [
        "engine",
        "pages",
        "CER",
        *[f"CER {k}" for k in kinds],
        "phrases",
        "pages/min",
        "s/page (median)",
        "PDF/A-2b",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [
            r["engine"],
            str(r["pages"]),
            f"{r['cer']:.1%}",
            *[f"{r['kinds'][k]:.1%}" if k in r["kinds"] else "—" for k in kinds],
            r["phrases"],
            f"{r['pages_per_min']:.1f}",
            f"{r['median_s']:.1f}",
            r["pdfa"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--start", type=int, default=0, help="skip the first N pages (runs over parts of the set)")
    parser.add_argument("--subset", type=int, default=0, help="only N pages from --start (keeps a run short)")
    parser.add_argument("--engines", default="tesseract,chi_sim,rapidocr")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-ocr"))
    parser.add_argument("--json", type=Path, help="write the per-page rows here")
    parser.add_argument("--combine", type=Path, nargs="*", help="only print the table of earlier --json files together")
    args = parser.parse_args()
    if args.combine:
        rows = [row for path in args.combine for row in json.loads(path.read_text(encoding="utf-8"))]
        print(table(summary(rows)))
        return
    pages = page_set(args.work, args.pages, args.seed)[args.start :]
    pages = pages[: args.subset] if args.subset else pages
    out = args.work / "out"
    out.mkdir(parents=True, exist_ok=True)
    print(f"{len(pages)} pages, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    rows: list[dict] = []

    def keep(new: list[dict]) -> None:  # after every page: a run cut short keeps what it measured
        if args.json:
            args.json.write_text(json.dumps(rows + new, ensure_ascii=False, indent=1), encoding="utf-8")

    for name in args.engines.split(","):
        rows += run_engine(name, pages, out, keep)
    print(table(summary(rows)))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
