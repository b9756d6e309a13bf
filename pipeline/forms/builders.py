"""Builders: catalog rows → plain InstanceData (no rendering). One builder per form key.

Other modules add theirs with `@register("seating-plan")`; the service and `station forms round`
iterate BUILDERS, never a hard-coded list. A builder is called as
`builder(round_, subject=None, **opts) -> list[InstanceData]` and raises FormDataError for bad data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.errors import BadInput
from pipeline.core.paths import UnsafePath, data_paths, safe_join
from pipeline.forms.registry import FORMS

# Longest text a single table cell may hold before the form is refused (it still wraps below this).
MAX_NAME = 30
MAX_TEXT = 200


@dataclass
class InstanceData:
    """Everything one form instance prints (CONTRACTS §1)."""

    form: str
    subject: str
    subject_label: str
    title: str
    doc_date: dt.date
    context: dict = field(default_factory=dict)
    round_code: str = ""
    candidate_id_number: str = ""
    seed: int | None = None


Builder = Callable[..., list[InstanceData]]
BUILDERS: dict[str, Builder] = {}


def register(key: str) -> Callable[[Builder], Builder]:
    """Decorator: make fn the builder of form `key` (a key of registry.FORMS)."""
    if key not in FORMS:
        raise KeyError(f"no FormSpec {key!r} in pipeline.forms.registry.FORMS")

    def wrap(fn: Builder) -> Builder:
        BUILDERS[key] = fn
        return fn
    return wrap


class FormDataError(BadInput):
    """A record cannot be put on a form: names the form, the record and the field."""

    code = "form_data_invalid"

    def __init__(self, form: str, record: str, field_zh: str, problem_zh: str, *, detail: str = "") -> None:
        name = FORMS[form].name_zh if form in FORMS else form
        super().__init__(f"无法生成《{name}》：{record} 的“{field_zh}”{problem_zh}。请在名单或系统中改正后重新生成。",
                         detail or f"form {form}: record {record!r} field {field_zh!r}: {problem_zh}")


def require(form: str, record: str, field_zh: str, value: Any, *, max_len: int = MAX_TEXT) -> str:
    """value as text, or FormDataError when it is missing or longer than max_len characters."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise FormDataError(form, record, field_zh, "为空，此项必填")
    return limit(form, record, field_zh, text, max_len=max_len)


def limit(form: str, record: str, field_zh: str, value: Any, *, max_len: int = MAX_TEXT) -> str:
    """Optional text, refused (not cut) when it is longer than max_len characters."""
    text = "" if value is None else str(value).strip()
    if len(text) > max_len:
        raise FormDataError(form, record, field_zh, f"长度为 {len(text)} 个字，超过 {max_len} 个字的上限")
    return text


_IMAGE_MAGIC = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}


def photo_file(form: str, record: str, relative: str, *, required: bool = True) -> str:
    """Absolute path (as a file:// URI) of a photo under var/photos, checked to be a JPEG or PNG."""
    if not relative:
        if required:
            raise FormDataError(form, record, "照片",
                                "缺失：请把照片以准考证号或身份证号命名（如 202612DG40001.jpg）放进一个文件夹，"
                                "再运行 station candidates photos 批次代码 文件夹")
        return ""
    try:
        path = safe_join(data_paths().photos, relative)     # only photos under var/photos go into a form
    except UnsafePath as exc:
        raise FormDataError(form, record, "照片", f"路径{exc.message_zh.rstrip('。')}") from None
    if not path.is_file():
        raise FormDataError(form, record, "照片", f"文件 {path} 不存在")
    head = path.read_bytes()[:8]
    if not any(head.startswith(magic) for magic in _IMAGE_MAGIC):
        raise FormDataError(form, record, "照片", f"文件 {path.name} 不是 JPEG 或 PNG 图片")
    return path.resolve().as_uri()


def round_date(round_: Any) -> dt.date:
    """The round's document date: the theory exam day, else the practical day, else today."""
    for moment in (getattr(round_, "theory_at", None), getattr(round_, "practical_at", None)):
        if moment:
            return moment.date()
    return dt.date.today()


def zh_date(day: dt.date | None) -> str:
    """2026年12月5日, or an empty '年 月 日' line when unknown."""
    if not day:
        return "　　年　月　日"
    return f"{day.year}年{day.month}月{day.day}日"
