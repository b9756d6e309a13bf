"""Staff see Typer's help and usage errors in Chinese, and labels (not keys) for classes and states."""

from __future__ import annotations

import json

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import ExitCode


def test_help_is_in_chinese(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["rounds", "--help"]) == 0
    out = capsys.readouterr().out
    assert "用法：" in out and "选项" in out and "命令" in out and "显示本帮助并退出" in out
    for english in ("Usage", "Options", "Commands", "Show this message and exit"):
        assert english not in out


def test_usage_error_is_in_chinese(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["rounds", "show"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "缺少参数" in err and "Missing" not in err and "错误" in err


@pytest.mark.django_db
def test_forms_list_and_errors_show_labels_not_keys(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["forms", "list"]) == 0
    out = capsys.readouterr().out
    assert "考务资料" in out and "exam-affairs" not in out
    assert main(["forms", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["retention_class"] == "exam-affairs"   # the key for scripts
    assert main(["rounds", "show", "nope"]) == ExitCode.NOT_FOUND
    err = capsys.readouterr().err
    assert "nope" in err and "round_not_found" not in err and "not_found" not in err
