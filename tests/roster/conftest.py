"""Fixtures for the import tests: real sheets and photos written into tmp folders."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pipeline.core.paths import REPO_ROOT

_spec = importlib.util.spec_from_file_location("make_example", REPO_ROOT / "examples" / "make_example.py")
make_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_example)

HEADERS = make_example.HEADERS


def person(seed: int, *, occupation: str = "电工", level: str = "四级", male: bool = True, **cells) -> dict:
    """One valid candidate row (by header), deterministic for a seed; cells override columns."""
    rng = random.Random(seed)
    birth = dt.date(1990 + seed % 15, 1 + seed % 12, 1 + seed % 28)
    row = {"序号": seed, "姓名": make_example.synthetic_name(rng, male), "性别": "男" if male else "女",
           "身份证号": make_example.synthetic_id(rng, birth, male), "出生日期": birth,
           "联系电话": make_example.synthetic_phone(rng), "工种/职业": occupation, "等级": level,
           "班级": "24电气1班", "工作单位": "厦门东海职业技术学院", "文化程度": "中专", "是否补考": "否"}
    row.update(cells)
    return row


def write_xlsx(path: Path, rows: list[dict], headers: list[str] | None = None, **kwargs) -> Path:
    """A station-style .xlsx (title row, header row 2)."""
    make_example.write_sheet(path, headers or [h for h in HEADERS if h != "照片"], rows,
                             title=kwargs.pop("title", "报名花名册"), **kwargs)
    return path


def jpeg_bytes(size=(300, 400), colour=(200, 60, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb, cheaply)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


@pytest.fixture
def round_2026(db):
    """The round 2026-12, created through the service staff use."""
    from pipeline.catalog.services import round_add

    return round_add(code="2026-12", name="2026年12月鉴定")


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory) -> Path:
    """The example station's sheets and photos, generated once by examples/make_example.py."""
    out = tmp_path_factory.mktemp("example")
    make_example.main(["--out", str(out)])
    return out
