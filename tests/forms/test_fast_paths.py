"""The render fast paths (pipeline.render.fast) can never stop form generation: a WeasyPrint whose
internals changed, an untested WeasyPrint version, a HarfBuzz without the subset-plan API or a font
compaction that fails all give the same forms, laid out in full or with fonts as embedded."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import numpy
import pikepdf
import pytest
from pypdf import PdfReader

from pipeline.core.config import get_config
from pipeline.forms.registry import FORMS
from pipeline.forms.service import forms_build
from pipeline.render import fast, fonts
from pipeline.render import html as render_html
from pipeline.render.fonts import FontCache
from tests.forms.scan import raster
from tests.forms.test_render import round_  # noqa: F401  (a fixture)
from tests.forms.test_reuse import _words, varied_round  # noqa: F401  (varied_round is a fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_fast_paths(monkeypatch):
    """Each test decides anew (no import, warning or HarfBuzz remembered from another test)."""
    monkeypatch.delenv(fast.ENV, raising=False)
    fast.reset()
    fonts._harfbuzz.cache_clear()
    yield
    fast.reset()
    fonts._harfbuzz.cache_clear()


def _items(form: str, exam_round):
    return [(f"T{n:07d}", data) for n, data in enumerate(forms_build(form=form, round_=exam_round))]


def _pages(pdfs: list[bytes]) -> list[int]:
    return [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]


def _full(form: str, items) -> list[bytes]:
    """Every instance laid out in full, fonts compacted: the reference."""
    cache = FontCache()
    whole, ranges = render_html.layout_chunk(FORMS[form], items, config=get_config(), reuse_layout=False, cache=cache)
    return [render_html.instance_pdf(whole, start, end, cache) for start, end in ranges]


def _warnings(caplog, code: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.WARNING and r.getMessage().startswith(code))


def test_html_imports_and_reports_the_fast_path_off_when_a_weasyprint_internal_is_renamed():
    script = ("import weasyprint.layout.absolute as a; del a.AbsolutePlaceholder\n"
              "import pipeline.render.html\n"
              "from pipeline.render import fast\n"
              "assert fast.layout_modules() is None and fast.layout_modules() is None\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("render_fast_path_unavailable: cannot import pipeline.render.reuse") == 1


@pytest.mark.django_db
def test_a_renamed_weasyprint_internal_still_gives_every_form_with_the_same_text(varied_round, monkeypatch,  # noqa: F811
                                                                                 caplog):
    items = _items("registration", varied_round)
    full = _full("registration", items)
    monkeypatch.delattr("weasyprint.layout.absolute.AbsolutePlaceholder")
    monkeypatch.delitem(sys.modules, "pipeline.render.reuse")
    for _ in range(2):                      # two chunks, one warning
        made = [r.pdf for r in render_html.render_pdf_batch(FORMS["registration"], items, config=get_config())]
        assert [_words(pdf) for pdf in made] == [_words(pdf) for pdf in full]
        assert _pages(made) == _pages(full)
    assert _warnings(caplog, "render_fast_path_unavailable") == 1
    assert "layout_reuse_failed" not in caplog.text          # never tried


@pytest.mark.django_db
def test_an_untested_weasyprint_version_turns_reuse_off_with_one_warning(round_, monkeypatch, caplog):  # noqa: F811
    items = _items("admission-ticket", round_)
    monkeypatch.setattr("weasyprint.__version__", "99.0")
    called = []
    monkeypatch.setattr(render_html, "_layout_reusing", lambda *a: called.append(a))
    for _ in range(2):
        made = [r.pdf for r in render_html.render_pdf_batch(FORMS["admission-ticket"], items, config=get_config())]
    assert not called and len(made) == len(items)
    assert _warnings(caplog, "render_fast_paths_off") == 1
    assert "WeasyPrint 99.0 is not a tested version" in caplog.text
    monkeypatch.setenv(fast.ENV, "1")          # forced on (the CI job with the newest WeasyPrint)
    render_html.render_pdf_batch(FORMS["admission-ticket"], items, config=get_config())
    assert called


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["registration", "admission-ticket", "badge", "roster"])
def test_compacted_fonts_draw_the_same_pixels_as_the_fonts_weasyprint_embedded(varied_round, monkeypatch, form):  # noqa: F811
    items = _items(form, varied_round)
    compacted = _full(form, items)
    monkeypatch.setenv(fast.ENV, "0")
    embedded = _full(form, items)
    assert sum(map(len, compacted)) < sum(map(len, embedded)) / 2       # compaction did happen
    assert _pages(compacted) == _pages(embedded)
    for mine, theirs, count in zip(compacted, embedded, _pages(embedded), strict=True):
        assert _words(mine) == _words(theirs)
        for page in range(count):
            a = numpy.asarray(raster(mine, page, dpi=100), dtype=int)
            b = numpy.asarray(raster(theirs, page, dpi=100), dtype=int)
            assert a.shape == b.shape
            assert int((a != b).sum()) == 0, f"{form} page {page + 1} differs"


@pytest.mark.django_db
def test_instances_laid_out_in_separate_documents_keep_their_compacted_fonts_and_their_characters(
        varied_round, monkeypatch, caplog):  # noqa: F811
    """Each WeasyPrint document embeds its own subset of a font under the same name; instances laid out in
    several documents (a form with page numbers: one each; or more than FULL_BATCH) and then split with one
    FontCache once took another document's font for theirs and printed other characters (the archive
    catalogue's 备考表). Now every instance keeps compacted fonts that draw exactly what was laid out."""
    items = _items("registration", varied_round)[:6]
    monkeypatch.setattr(render_html, "FULL_BATCH", 2)       # three documents of two instances
    compacted = _full("registration", items)
    assert _warnings(caplog, "font_compaction_mismatch") == 0
    monkeypatch.setenv(fast.ENV, "0")
    embedded = _full("registration", items)
    assert sum(map(len, compacted)) < sum(map(len, embedded)) / 2       # compaction was kept
    for mine, theirs in zip(compacted, embedded, strict=True):
        assert _words(mine) == _words(theirs)
        a = numpy.asarray(raster(mine, 0, dpi=100), dtype=int)
        b = numpy.asarray(raster(theirs, 0, dpi=100), dtype=int)
        assert int((a != b).sum()) == 0


@pytest.mark.django_db
def test_a_harfbuzz_without_the_subset_plan_api_leaves_fonts_as_embedded(round_, monkeypatch, caplog):  # noqa: F811
    items = _items("registration", round_)
    monkeypatch.setenv(fast.ENV, "0")
    embedded = _full("registration", items)
    monkeypatch.delenv(fast.ENV)
    monkeypatch.delattr("uharfbuzz.SubsetPlan")
    made = _full("registration", items)
    assert [len(pdf) for pdf in made] == [len(pdf) for pdf in embedded]
    assert [_words(pdf) for pdf in made] == [_words(pdf) for pdf in embedded]
    assert _warnings(caplog, "font_compaction_off") == 1


@pytest.mark.django_db
def test_a_compaction_that_fails_midway_leaves_the_pdf_as_embedded(round_, monkeypatch, caplog):  # noqa: F811
    items = _items("registration", round_)
    monkeypatch.setenv(fast.ENV, "0")
    embedded = _full("registration", items)
    monkeypatch.delenv(fast.ENV)

    def broken(*args):
        raise pikepdf.PdfError("unexpected content stream")
    monkeypatch.setattr(fonts, "_rewrite", broken)       # after every font was subset
    made = _full("registration", items)
    assert [len(pdf) for pdf in made] == [len(pdf) for pdf in embedded]
    for mine, theirs in zip(made, embedded, strict=True):
        assert _words(mine) == _words(theirs)
        assert numpy.array_equal(numpy.asarray(raster(mine, dpi=100)), numpy.asarray(raster(theirs, dpi=100)))
    assert _warnings(caplog, "font_compaction_failed") == 1


@pytest.mark.django_db
def test_a_compaction_that_changes_what_a_page_says_is_not_kept(round_, monkeypatch, caplog):  # noqa: F811
    """The render check once caught compacted fonts printing other characters; a chunk's text is read back, and
    a compaction that changed it is dropped (the fonts stay as embedded, the page as laid out) — for the
    chunk's instances too, which are then cut from it without compacting."""
    items = _items("registration", round_)
    monkeypatch.setenv(fast.ENV, "0")
    embedded = _full("registration", items)
    monkeypatch.delenv(fast.ENV)
    real = render_html.compact_fonts

    def garbling(pdf, cache=None):
        real(pdf, cache)
        pdf.pages[0].Contents.write(b"")          # what the page said is gone
    monkeypatch.setattr(render_html, "compact_fonts", garbling)
    made = _full("registration", items)
    assert [_words(pdf) for pdf in made] == [_words(pdf) for pdf in embedded]
    for mine, theirs in zip(made, embedded, strict=True):
        assert numpy.array_equal(numpy.asarray(raster(mine, dpi=100)), numpy.asarray(raster(theirs, dpi=100)))
    assert _warnings(caplog, "font_compaction_mismatch") == 1
