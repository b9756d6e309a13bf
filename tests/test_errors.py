"""The error kinds: each its own class with the exit code README's 退出码 table documents and its default code,
caught by its own class and by StationError (the kinds are declared in their class lines)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.core.errors import (
    BadInput,
    ConfigError,
    Conflict,
    ExitCode,
    IntegrityProblem,
    NeedsAttention,
    NotFound,
    NotInitialised,
    Refused,
    StationError,
)

README = Path(__file__).resolve().parents[1] / "README.md"
KINDS = [  # class, exit code, default code, a word of README's row for that exit code
    (BadInput, 2, "bad_input", "输入有误"),
    (ConfigError, 3, "config_error", "配置有误"),
    (NotInitialised, 3, "not_initialised", "尚未初始化"),
    (Conflict, 4, "conflict", "冲突"),
    (NotFound, 5, "not_found", "找不到"),
    (Refused, 6, "refused", "拒绝"),
    (IntegrityProblem, 7, "integrity", "完整性问题"),
    (NeedsAttention, 8, "needs_attention", "需要人工处理"),
]


@pytest.mark.parametrize(("kind", "exit_code", "code", "documented"), KINDS)
def test_each_error_kind_has_its_documented_exit_code_and_is_caught_by_its_class(kind, exit_code, code, documented):
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", README.read_text(encoding="utf-8"), flags=re.M))
    assert documented in rows[str(exit_code)]
    with pytest.raises(kind) as caught:
        raise kind("出错了", "failed")
    assert isinstance(caught.value, StationError) and caught.value.exit_code == ExitCode(exit_code)
    assert caught.value.as_dict() == {"code": code, "exit_code": exit_code, "message": "出错了", "detail": "failed",
                                      "problems": []}
    assert kind("出错了", code="other").code == "other" and kind.code == code    # a raise may name its own code


def test_a_subclass_keeps_its_parents_kind_unless_it_names_its_own():
    class Missing(NotFound, code="thing_missing"):
        """A module's own kind."""

    class Moved(NotFound, exit_code=ExitCode.CONFLICT):
        """Another module's own kind."""

    assert (Missing.exit_code, Missing.code) == (ExitCode.NOT_FOUND, "thing_missing")
    assert (Moved.exit_code, Moved.code) == (ExitCode.CONFLICT, "not_found")
    assert (NotFound.exit_code, NotFound.code) == (ExitCode.NOT_FOUND, "not_found")   # the parent is unchanged
    with pytest.raises(NotFound):
        raise Missing("没有")
