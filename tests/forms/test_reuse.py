"""Layout reuse (pipeline.render.reuse, pipeline.render.retext): a chunk of look-alike forms is laid
out once and each instance's values drawn on it. What staff would notice if it went wrong — a value
in the wrong place, cut, missing, or someone else's — is checked against the full layout, page by page,
pixel by pixel."""

from __future__ import annotations

import io

import numpy
import pikepdf
import pytest
from pypdf import PdfReader

from pipeline.catalog.models import Staff
from pipeline.core.config import get_config
from pipeline.forms.registry import FORMS
from pipeline.forms.service import forms_build
from pipeline.render import html as render_html
from pipeline.render import retext, reuse
from pipeline.render.fonts import FontCache
from tests.forms.scan import raster
from tests.forms.test_render import NAMES, _candidate, round_  # noqa: F401  (round_ is a fixture)

LONG_NAME = "欧阳" + "长名字测试" * 5 + "娜"          # 28 characters (the limit is 30): wraps in its cell


@pytest.fixture
def varied_round(round_):  # noqa: F811  (the fixture imported above)
    """The round's three candidates plus some that must not look like the others."""
    for n, name in enumerate(NAMES[3:9], start=3):
        _candidate(round_, n, name)
    _candidate(round_, 20, LONG_NAME)
    _candidate(round_, 21, "程A&B<b>", employer="厦门<某某>&公司")             # markup-looking text
    _candidate(round_, 23, "补考生", is_retake=True)
    for n, name in enumerate(["王监考", "欧阳丽", "赵考务"], start=2):
        Staff.objects.create(name=name, badge_number=f"DH-{n:03d}", roles=["invigilator"], photo="photo.jpg")
    Staff.objects.create(name="李考务", badge_number="DH-009", roles=["exam_affairs"], photo="")  # a box to glue one in
    return round_


def _both(form: str, exam_round):
    """(reused, full) per-instance PDFs of every instance of form, in one chunk each way."""
    config = get_config()
    items = [(f"T{n:07d}", data) for n, data in enumerate(forms_build(form=form, round_=exam_round))]
    reused = [r.pdf for r in render_html.render_pdf_batch(FORMS[form], items, config=config)]
    cache = FontCache()
    whole, ranges = render_html.layout_chunk(FORMS[form], items, config=config, reuse_layout=False, cache=cache)
    full = [render_html.instance_pdf(whole, start, end, cache) for start, end in ranges]
    return items, reused, full


def _words(pdf: bytes) -> set[str]:
    return set("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["registration", "admission-ticket", "badge"])
def test_reused_pages_are_pixel_for_pixel_the_full_layout(varied_round, form):
    items, reused, full = _both(form, varied_round)
    assert len(items) >= 5 if form == "badge" else len(items) >= 10
    for (_code, data), mine, theirs in zip(items, reused, full, strict=True):
        assert PdfReader(io.BytesIO(mine)).pages.__len__() == PdfReader(io.BytesIO(theirs)).pages.__len__()
        a = numpy.asarray(raster(mine, dpi=100), dtype=int)
        b = numpy.asarray(raster(theirs, dpi=100), dtype=int)
        assert a.shape == b.shape
        assert int((numpy.abs(a - b) > 48).sum()) == 0, f"{data.subject_label}: the page differs"
        assert _words(mine) == _words(theirs), data.subject_label


@pytest.mark.django_db
def test_a_long_name_wraps_in_its_cell_and_markup_in_values_prints_as_text(varied_round):
    items, reused, _ = _both("registration", varied_round)
    by_name = {data.context["candidate"]["name"]: pdf for (_, data), pdf in zip(items, reused, strict=True)}
    flat = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(by_name[LONG_NAME])).pages).split())
    assert LONG_NAME in flat                                      # all of it, over two lines
    flat = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(by_name["程A&B<b>"])).pages).split())
    assert "程A&B<b>" in flat and "厦门<某某>&公司" in flat


@pytest.mark.django_db
def test_each_file_carries_only_its_own_candidate_and_photo(varied_round):
    """A reused layout must not leak one candidate's name or photo into another's file."""
    items, reused, _ = _both("registration", varied_round)
    names = [data.context["candidate"]["name"] for _, data in items]
    for (_, data), pdf in zip(items, reused, strict=True):
        words = "".join(_words(pdf))
        mine = data.context["candidate"]["name"]
        assert all(other not in words for other in names if other != mine and other not in mine)
        with pikepdf.open(io.BytesIO(pdf)) as document:
            images = [obj for obj in document.objects
                      if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
            assert len(images) == 1, mine


@pytest.mark.django_db
def test_a_chunk_lays_the_form_out_once_and_fonts_keep_distinct_names(varied_round):
    config = get_config()
    items = [(f"T{n:07d}", data) for n, data in enumerate(forms_build(form="registration", round_=varied_round))]
    whole, ranges = render_html.layout_chunk(FORMS["registration"], items, config=config)
    assert len(ranges) == len(items) and all(end - start == 1 for start, end in ranges)
    skeletons, reused = set(), 0
    for page in whole.pages:
        forms = [x for x in (page.Resources.get("/XObject") or {}).values() if x.get("/Subtype") == "/Form"]
        skeletons.update(x.objgen for x in forms)
        reused += bool(forms)
    # one skeleton for the nine look-alike candidates, not one per page; laid out in full: the long name
    # (it wraps), the retake (补考 ticked: alone in its group) and the one with a 工作单位 (alone too)
    assert len(items) == 12 and len(skeletons) == 1 and reused == 9
    fonts: dict[str, set] = {}
    for page in whole.pages:
        for resources in [page.Resources] + [x.Resources for x in page.Resources.XObject.values()
                                             if x.get("/Subtype") == "/Form"]:
            for font in (resources.get("/Font") or {}).values():
                fonts.setdefault(str(font.BaseFont), set()).add(font.objgen)
    assert all(len(objects) == 1 for objects in fonts.values()), fonts


def test_text_nodes_of_a_host_are_read_as_printed():
    assert retext.texts("张三") == ["张三"]
    assert retext.texts("<span>编号：A</span><span>批次：&amp;1</span>") == ["编号：A", "批次：&1"]
    assert retext.texts(" 张三") is None and retext.texts("张  三") is None      # would be collapsed


@pytest.mark.django_db
def test_if_layout_reuse_breaks_the_forms_are_still_made_in_full(varied_round, monkeypatch, caplog):
    """Reuse leans on WeasyPrint's layout tree; a WeasyPrint that changed it must not stop a round."""
    def broken(*args, **kwargs):
        raise AttributeError("'LineBox' object has no attribute 'children'")
    monkeypatch.setattr(reuse, "plan_groups", broken)
    items, reused, full = _both("registration", varied_round)
    assert [_words(pdf) for pdf in reused] == [_words(pdf) for pdf in full]
    assert "layout_reuse_failed form=registration" in caplog.text
