"""Fixtures of the results tests."""

from __future__ import annotations

import pytest

from .factories import add_candidates


@pytest.fixture
def round_with_candidates(data_root):
    """Round 2026-12 with 12 candidates in 电工四级, 电工三级, 焊工五级, 育婴员四级."""
    from pipeline.catalog.services import round_add

    round_ = round_add(code="2026-12", name="2026年12月职业技能鉴定")
    add_candidates(round_)
    return round_
