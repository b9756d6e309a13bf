"""Chinese OCR on realistic unmarked scans (bench/ocr_pages.py: 200 dpi, tilt, noise, JPEG q60):
the configured engine reads them within 3 % character errors, its models come from the installed
package, the words of the text layer sit on the printed words, and Tesseract stays selectable."""

from __future__ import annotations

import importlib.metadata
import json
import re
import socket
import subprocess

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.ocr import edit_distance, normalised, ocr_upright
from bench.ocr_pages import write_page_set
from pipeline.core.config import get_config, load_config
from pipeline.core.paths import REPO_ROOT
from pipeline.ingest import ocr_rapid
from pipeline.ingest.scansim import FONT_PATH

GOAL_CER = 0.03


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The first six pages of the bench's page set: notice, regulation, score table, sealed letter, form,
    upside down."""
    folder = tmp_path_factory.mktemp("ocr-pages")
    return {
        entry["kind"] + ("-upside-down" if entry["upside_down"] else ""): dict(
            entry, path=folder / entry["pdf"], truth=(folder / entry["truth"]).read_text(encoding="utf-8")
        )
        for entry in write_page_set(folder, 6, 16)
    }


def test_rapidocr_models_come_from_the_wheel_and_load_with_the_network_off(monkeypatch):
    recorded = {str(f) for f in importlib.metadata.files("rapidocr")}
    for name in ocr_rapid.MODELS:  # shipped in the wheel (its RECORD), not fetched later
        assert f"rapidocr/models/{name}" in recorded
        assert (ocr_rapid.models_dir() / name).is_file()

    def refuse(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    ocr_rapid.engine.cache_clear()
    image = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(image).text((20, 30), "职业技能鉴定考评任务书", fill=0, font=ImageFont.truetype(FONT_PATH, 48))
    assert [line["text"] for line in ocr_rapid.recognise(image)] == ["职业技能鉴定考评任务书"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["table", "notice-upside-down", "sealed"])
def test_the_configured_engine_reads_unmarked_scans_within_3_percent(pages, tmp_path, kind):
    page = pages[kind]
    out = tmp_path / "ocr.pdf"
    text = ocr_upright(page["path"], out, engine=get_config().ocr.engine)
    truth, got = normalised(page["truth"]), normalised(text)
    assert edit_distance(got, truth) / len(truth) <= GOAL_CER, text
    assert [phrase for phrase in page["phrases"] if normalised(phrase) not in got] == []
    if kind == "table":  # every ID number of the score table, digit for digit
        ids = re.findall(r"\d{17}[\dX]", page["truth"])
        assert len(ids) == 22 and [number for number in ids if number not in got] == []
    assert pikepdf.pdfa.validate_written(out, "2b").passed


def _word_boxes(pdf) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points, from poppler's view of the text layer."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [
        (m[5], *map(float, m.groups()[:4]))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]


def text_layer_on_ink(pdf, heading: str = "关于做好") -> bool:
    """True when the invisible words of pdf's first page lie on printed ink (≥ 95 % of them) and the heading's
    words are in the top third of the page as shown (so the page reads upright)."""
    boxes = _word_boxes(pdf)
    scan = pdfium.PdfDocument(str(pdf))[0].render(scale=1).to_pil().convert("L")  # 1 px = 1 pt, as shown
    ink = np.asarray(scan) < 128
    inked = [w for w, x0, y0, x1, y1 in boxes if ink[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1].mean() > 0.03]
    words = [w for w, *_ in boxes]  # one word per character or several: find where the heading starts
    tops = [boxes[i][2] for i in range(len(boxes)) if "".join(words[i : i + len(heading)]).startswith(heading)]
    return bool(boxes) and len(inked) >= 0.95 * len(boxes) and bool(tops) and tops[0] < scan.height / 3


@pytest.mark.slow
def test_the_text_layer_sits_on_the_printed_words_of_an_upside_down_page(pages, tmp_path):
    out = tmp_path / "ocr.pdf"
    ocr_upright(pages["notice-upside-down"]["path"], out, engine="rapidocr")
    assert text_layer_on_ink(out)


def test_the_engine_is_chosen_in_station_toml_and_an_unknown_one_is_refused(tmp_path, monkeypatch, capsys):
    import shutil

    from pipeline.cli.main import main
    from pipeline.core.errors import ExitCode

    assert load_config(REPO_ROOT / "config").ocr.engine == "rapidocr"  # as shipped
    folder = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", folder)
    station = folder / "station.toml"
    station.write_text(
        station.read_text(encoding="utf-8").replace('engine = "rapidocr"', 'engine = "tesseract"'), encoding="utf-8"
    )
    assert load_config(folder).ocr.engine == "tesseract"
    station.write_text(
        station.read_text(encoding="utf-8").replace('engine = "tesseract"', 'engine = "paddle"'), encoding="utf-8"
    )
    monkeypatch.setenv("STATION_CONFIG", str(folder))
    monkeypatch.setenv("STATION_DATA", str(tmp_path / "data"))
    assert main(["init"]) == ExitCode.CONFIG
    err = re.sub(r"\s+", "", capsys.readouterr().err)
    assert "station.toml：ocr.engine" in err and "'rapidocr'or'tesseract'" in err


def test_bench_scores_are_edit_distances_on_normalised_text():
    assert edit_distance("鉴定站", "鉴定站") == 0
    assert edit_distance("考评任务书", "考评仕务书") == 1
    assert edit_distance("", "abc") == 3 and edit_distance("kitten", "sitting") == 3
    assert normalised("厦鉴指〔2026〕5号，\n 第 1 页") == "厦鉴指〔2026〕5号,第1页"
    assert json.dumps(normalised("（一）")) == json.dumps("(一)")
