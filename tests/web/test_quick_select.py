"""The search filters' <select>s are written in Python (QuickSelect) for speed: the markup must be what Django's
own Select writes — same options, the chosen one selected, labels escaped — compared as parsed HTML."""

from __future__ import annotations

from django import forms
from django.test.html import parse_html

from pipeline.web.forms import QuickSelect, SearchForm

CHOICES = [("", "（全部）"), ("KW", "考务（KW）"), ("x&y", 'A <b>"quoted"</b> & odd'), ("3", "三级")]


def _both(value, attrs=None) -> tuple:
    quick = QuickSelect(choices=CHOICES, attrs={"class": "form-select"}).render("f", value, attrs)
    plain = forms.Select(choices=CHOICES, attrs={"class": "form-select"}).render("f", value, attrs)
    return parse_html(quick), parse_html(plain), quick


def test_quick_select_writes_the_markup_of_djangos_select():
    for value in (None, "", "KW", "x&y", 3):
        quick, plain, raw = _both(value, {"id": "id_f", "required": True})
        assert quick == plain, raw
    _, _, raw = _both("x&y")
    assert "&lt;b&gt;" in raw and "<b>" not in raw and 'value="x&amp;y" selected' in raw


def test_the_search_form_keeps_what_was_chosen(db):
    form = SearchForm({"q": "电工", "category": "KW", "level": "3"})
    assert form.is_valid()
    html = str(form["category"]) + str(form["level"])
    assert '<option value="KW" selected>' in html and '<option value="3" selected>' in html
    assert html.count(" selected") == 2
