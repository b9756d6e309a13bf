"""Pure value types: ID numbers (GB 11643), 档号 (DA/T 22-2015), QR payloads, levels.

Imports nothing from Django, so it is tested without a database.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

LEVEL_NAMES = {1: "一级/高级技师", 2: "二级/技师", 3: "三级/高级工", 4: "四级/中级工", 5: "五级/初级工"}
LEVEL_SHORT = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}
_LEVEL_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def parse_level(text: str | int) -> int | None:
    """'四级', '4', '四级/中级工', 4 → 4; None when it names no level."""
    if isinstance(text, int):
        return text if 1 <= text <= 5 else None
    text = str(text).strip()
    if not text:
        return None
    for name, number in _LEVEL_WORDS.items():
        if text.startswith(name):
            return number
    for number, name in LEVEL_NAMES.items():
        if text in name.split("/"):
            return number
    return None


def natural_key(text: str) -> tuple:
    """Sort key that orders A2 before A10 (workstation and room numbers)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character resident ID number."""

    value: str

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def gender(self) -> str:
        """'男' or '女', from the 17th digit (odd: male)."""
        return "男" if int(self.value[16]) % 2 else "女"

    @property
    def masked(self) -> str:
        return mask_id(self.value)

    @classmethod
    def parse(cls, text: str) -> IdNumber:
        """Validate text; raise ValueError with a Chinese reason naming what is wrong."""
        value = normalise_id(text)
        if not _ID_RE.match(value):
            raise ValueError(f"身份证号应为18位（前17位数字，末位数字或X），实际为“{text}”")
        try:
            _ = cls(value).birth_date          # raises ValueError for an impossible date
        except ValueError:
            raise ValueError(f"身份证号中的出生日期 {value[6:14]} 不是有效日期") from None
        expected = id_check_digit(value[:17])
        if value[17] != expected:
            raise ValueError(f"身份证号校验位错误：末位应为 {expected}，实际为 {value[17]}，请核对号码")
        return cls(value)


def normalise_id(text: str) -> str:
    """Strip spaces, make full-width digits half-width and x upper-case."""
    text = str(text).strip().translate(_FULLWIDTH).replace(" ", "")
    return text.upper()


_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＩＪＫＬＭ"
                                                 "ＮＯＰＱＲＳＴＵＶＷＹＺ"}


def mask_id(value: str) -> str:
    """110105********1234 — the first 6 and last 4 characters stay visible."""
    if len(value) < 11:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


# ---------------------------------------------------------------- 档号 (DA/T 22-2015)

_CODE_RE = re.compile(r"^(?P<fonds>[A-Z0-9]{1,8})-(?P<kind>[A-Z]{2})·(?P<year>\d{4})-(?P<retention>Y|D\d{1,3})"
                      r"-(?P<category>[A-Z]{2,4})-(?P<item>\d{4})$")
_TYPED_DASHES = str.maketrans({c: "-" for c in "－‐‑‒–—―−﹣"})
_TYPED_DOTS = str.maketrans({c: "·" for c in ".．。・･•‧∙⋅"})
_TYPED_RE = re.compile(r"^(?P<fonds>[A-Z0-9]{1,8})[-·](?P<kind>[A-Z]{2})[-·](?P<year>\d{4})"
                       r"[-·](?P<retention>Y|D\d{1,3})[-·](?P<category>[A-Z]{2,4})[-·](?P<item>\d{1,4})$")


@dataclass(frozen=True, order=True)
class ArchivalCode:
    """全宗号-门类·年度-保管期限-机构(问题)-件号, e.g. J118-WS·2026-D10-KW-0007."""

    fonds: str
    year: int
    retention: str
    category: str
    item: int
    kind: str = "WS"   # 门类: 文书

    def __str__(self) -> str:
        return f"{self.fonds}-{self.kind}·{self.year}-{self.retention}-{self.category}-{self.item:04d}"

    @property
    def series(self) -> tuple[str, int, str, str]:
        """The numbering series this code belongs to: 件号 run without gaps within it."""
        return (self.fonds, self.year, self.retention, self.category)

    @property
    def folder(self) -> str:
        """Relative archive folder: <全宗号>/<年度>/<保管期限>/<类别>/<档号>."""
        return f"{self.fonds}/{self.year}/{self.retention}/{self.category}/{self}"

    @classmethod
    def parse(cls, text: str) -> ArchivalCode:
        match = _CODE_RE.match(text.strip())
        if not match:
            raise ValueError(f"“{text}”不是有效的档号（格式：全宗号-WS·年度-保管期限-类别-件号）")
        return cls(match["fonds"], int(match["year"]), match["retention"], match["category"],
                   int(match["item"]), match["kind"])

    @classmethod
    def parse_typed(cls, text: str) -> ArchivalCode:
        """A 档号 as staff type it: full-width, lower case, spaces, "-" or "." for "·" (ValueError if not one)."""
        value = unicodedata.normalize("NFKC", text or "").translate(_TYPED_DASHES).translate(_TYPED_DOTS)
        match = _TYPED_RE.match(re.sub(r"\s+", "", value).upper())
        if not match:
            raise ValueError(f"“{text}”不是有效的档号（格式：全宗号-WS·年度-保管期限-类别-件号）")
        return cls(match["fonds"], int(match["year"]), match["retention"], match["category"],
                   int(match["item"]), match["kind"])


# ---------------------------------------------------------------- QR payload

QR_PREFIX = "SJD1"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford base32: no I, L, O, U
_QR_RE = re.compile(r"^SJD1:(?P<station>[A-Z0-9]{2,8}):(?P<instance>[0-9A-Z]{8}):(?P<page>\d{1,4})/(?P<pages>\d{1,4})$")


def new_instance_code() -> str:
    """A short random form-instance code staff can read and type: 8 Crockford base32 characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class QrPayload:
    """What every generated page says about itself: station, form instance, page i of n."""

    station: str
    instance: str
    page: int
    pages: int

    def encode(self) -> str:
        return f"{QR_PREFIX}:{self.station}:{self.instance}:{self.page}/{self.pages}"

    @classmethod
    def decode(cls, text: str) -> QrPayload | None:
        """The payload in text, or None if it is not one of ours (foreign QR codes are ignored).

        Page 0/0 means "printed from an editable DOCX, page unknown" (CONTRACTS §2).
        """
        match = _QR_RE.match(text.strip())
        if not match:
            return None
        page, pages = int(match["page"]), int(match["pages"])
        if not 1 <= page <= pages and (page, pages) != (0, 0):
            return None
        return cls(match["station"], match["instance"], page, pages)

    @property
    def page_unknown(self) -> bool:
        """True for a page printed from a DOCX (0/0): ingest keeps such pages in scan order."""
        return self.pages == 0

    @property
    def label(self) -> str:
        """Human-readable code printed beside the QR: DHJD-7K3M9QX2 1/3."""
        return f"{self.station}-{self.instance} {self.page}/{self.pages}"
