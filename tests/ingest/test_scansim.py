"""The scanner simulator: generated PDFs in, what a scanner produces out (and ingest can read it)."""

from __future__ import annotations

import base64
import io

import pikepdf
import pytest
from PIL import Image, ImageChops
from weasyprint import HTML

from pipeline.cli.main import main
from pipeline.core.domain import QrPayload
from pipeline.ingest.identify import group_pages, page_infos
from pipeline.ingest.pages import open_pages
from pipeline.ingest.scansim import qr_image

ST = "DHJD"


def _form_pdf(path, instance: str, pages: int):
    """A small generated form: QR top-right on every page, text, a 考生本人签名 box on each page."""
    sections = []
    for number in range(1, pages + 1):
        buffer = io.BytesIO()
        qr_image(QrPayload(ST, instance, number, pages).encode(), 300).save(buffer, "PNG")
        qr = base64.b64encode(buffer.getvalue()).decode()
        sections.append(
            f'<section style="page-break-after: always; position: relative; height: 250mm">'
            f'<img src="data:image/png;base64,{qr}" style="position:absolute; right:0; top:0; width:25mm">'
            f'<h1 style="font-size:16pt">职业技能鉴定报名登记表</h1><p>姓名：张三　第 {number} 页</p>'
            f'<p style="position:absolute; top:200mm">考生本人签名：</p></section>')
    html = ('<html><head><style>@page { size: A4; margin: 20mm } body { font-family: "Noto Sans CJK SC" }'
            '</style></head><body>' + "".join(sections) + "</body></html>")
    HTML(string=html).write_pdf(path)
    return path


@pytest.fixture
def forms(tmp_path):
    return [_form_pdf(tmp_path / "reg-A.pdf", "AAAAAAAA", 3), _form_pdf(tmp_path / "reg-B.pdf", "BBBBBBBB", 2)]


def _jpeg_pages(path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        streams = [next(iter(page.get_images().values())) for page in pdf.pages]
        assert all(s.get("/Filter") == pikepdf.Name.DCTDecode for s in streams)
        return [s.read_raw_bytes() for s in streams]


def test_cli_makes_a_shuffled_stack_with_a_page_missing_that_ingest_reports(forms, tmp_path, capsys):
    out = tmp_path / "inbox"
    code = main(["scansim", *map(str, forms), "--out", str(out), "--seed", "4", "--stack", "--shuffle",
                 "--drop-page", "2", "--upside-down", "4", "--duplex"])
    assert code == 0
    assert "已生成扫描件" in capsys.readouterr().out
    (stack,) = out.iterdir()
    assert len(_jpeg_pages(stack)) == 8                    # 5 pages − 1 missing, each with a blank back

    infos = page_infos(open_pages(stack, dpi=100), ST, 0.002)
    result = group_pages(infos, ST, set())
    assert len(result.blank_dropped) == 4
    assert [(p.kind, p.instance_code, p.pages) for p in result.problems] == [("missing_page", "AAAAAAAA", [2])]
    assert [g.instance_code for g in result.fileable] == ["BBBBBBBB"]


def test_same_seed_gives_the_same_scans_and_another_seed_does_not(forms, tmp_path):
    for name, seed in (("one", "1"), ("two", "1"), ("three", "2")):
        assert main(["scansim", str(forms[1]), "--out", str(tmp_path / name), "--seed", seed]) == 0
    one, two, three = (_jpeg_pages(next((tmp_path / n).iterdir())) for n in ("one", "two", "three"))
    assert one == two and one != three


def test_signature_is_drawn_beside_the_signature_label(forms, tmp_path):
    main(["scansim", str(forms[1]), "--out", str(tmp_path / "signed"), "--seed", "3"])
    main(["scansim", str(forms[1]), "--out", str(tmp_path / "unsigned"), "--seed", "3", "--no-sign"])
    signed = Image.open(io.BytesIO(_jpeg_pages(next((tmp_path / "signed").iterdir()))[0]))
    unsigned = Image.open(io.BytesIO(_jpeg_pages(next((tmp_path / "unsigned").iterdir()))[0]))
    difference = ImageChops.difference(signed, unsigned).point(lambda v: 255 if v > 40 else 0)
    left, top, right, bottom = difference.getbbox()
    # the stroke sits in the lower part of the page (label at 200 mm + 20 mm margin), right of the label
    assert 180 / 297 < top / signed.height < 250 / 297 and right - left > 150


def test_tiff_output_is_one_multipage_file_ingest_can_read(forms, tmp_path):
    assert main(["scansim", str(forms[0]), "--out", str(tmp_path), "--format", "tiff", "--seed", "2"]) == 0
    (tiff,) = tmp_path.glob("*.tif")
    pages = open_pages(tiff, dpi=100)
    infos = page_infos(pages, ST, 0.002)
    assert [i.payloads[0].page for i in infos] == [1, 2, 3]


def test_jpeg_output_is_one_file_per_page(forms, tmp_path):
    assert main(["scansim", str(forms[1]), "--out", str(tmp_path / "jpg"), "--format", "jpeg"]) == 0
    assert sorted(p.name for p in (tmp_path / "jpg").iterdir()) == ["scan-reg-B-001.jpg", "scan-reg-B-002.jpg"]


def test_a_source_that_is_not_a_pdf_is_refused_in_chinese(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("不是PDF", encoding="utf-8")
    assert main(["scansim", str(notes), "--out", str(tmp_path / "out")]) == 2
    assert "不是 PDF 文件" in capsys.readouterr().err
    assert main(["scansim", str(tmp_path / "missing.pdf"), "--out", str(tmp_path / "out")]) == 2
