"""Forms of the web pages (labels in Chinese; every field has one, for screen readers and tests)."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_SHORT
from pipeline.forms.registry import FORMS
from pipeline.search.schema import SearchFilters

MAX_RESULTS = 500  # the page lists at most this many hits (refine the query for more)
PER_PAGE = 20
WINDOW = 100  # hits fetched per window of pages (5 pages share one ranked list)


def _choices(pairs) -> list[tuple[str, str]]:
    return [("", "（全部）"), *pairs]


class QuickSelect(forms.Select):
    """A <select> of flat choices written in Python: Django renders every <option> through a template, which
    was half the search page's server time (the filters' option lists). Same markup, escaped the same."""

    def render(self, name, value, attrs=None, renderer=None):
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, mark_safe(" selected") if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class SearchForm(forms.Form):
    """One box plus filters; filters alone are a query too. prev + refine: search within the last results."""

    q = forms.CharField(
        label="检索词",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "autofocus": True, "placeholder": "姓名、身份证号、准考证号、档号、工种或正文词语"}
        ),
    )
    category = forms.ChoiceField(label="类别", required=False, widget=QuickSelect)
    form = forms.ChoiceField(label="表单", required=False, widget=QuickSelect)
    occupation = forms.ChoiceField(label="工种", required=False, widget=QuickSelect)
    level = forms.ChoiceField(
        label="等级",
        required=False,
        choices=_choices([(str(k), v) for k, v in LEVEL_SHORT.items()]),
        widget=QuickSelect,
    )
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)
    date_from = forms.DateField(label="日期起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="日期止", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    prev = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = get_config()
        self.fields["category"].choices = _choices(
            (code, f"{c.label}（{code}）") for code, c in config.categories.items()
        )
        self.fields["form"].choices = _choices((key, spec.name_zh) for key, spec in FORMS.items())
        self.fields["occupation"].choices = _choices((o.name, o.name) for o in config.occupations)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
                )

    def filters(self) -> SearchFilters:
        """The exact filters chosen (cleaned_data)."""
        data = self.cleaned_data
        return SearchFilters(
            category=data.get("category") or None,
            form=data.get("form") or None,
            occupation=data.get("occupation") or None,
            level=int(data["level"]) if data.get("level") else None,
            year=data.get("year"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def query(self, *, refine: bool) -> str:
        """The query to run: within the previous results, the previous words AND the new ones."""
        words = (self.cleaned_data.get("q") or "").strip()
        prev = (self.cleaned_data.get("prev") or "").strip()
        return f"{prev} {words}".strip() if refine and prev else words
