"""A wrong config/ stops `station` with exit 3, naming the file, the key and what is allowed.

Through the real CLI: paths outside the data root, unknown sections and keys, unknown time
zones, one inbox folder for two categories, duplicate occupations. `init` creates nothing then.
"""

from __future__ import annotations

import re
import shutil

import pytest

from pipeline.cli.main import main
from pipeline.core.config import load_config
from pipeline.core.errors import ExitCode
from pipeline.core.paths import REPO_ROOT


def _flat(text: str) -> str:
    """Output without whitespace: Rich wraps long Chinese lines at the console width."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def config_copy(tmp_path, monkeypatch):
    """A copy of the shipped config/ that STATION_CONFIG points at, and an empty data root."""
    folder = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", folder)
    monkeypatch.setenv("STATION_CONFIG", str(folder))
    monkeypatch.setenv("STATION_DATA", str(tmp_path / "data" / "root"))
    return folder


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _init_refused(capsys) -> str:
    assert main(["init"]) == ExitCode.CONFIG
    captured = capsys.readouterr()
    assert captured.out == ""
    return _flat(captured.err)


@pytest.mark.parametrize("folder", ["../../etc", "/tmp/elsewhere", "考务/../../..", "C:\\inbox", "a\\b", ".."])
def test_inbox_folder_outside_the_data_root_is_refused_and_init_creates_nothing(config_copy, tmp_path, capsys,
                                                                                  folder):
    _edit(config_copy / "classification.toml", 'inbox_folder = "考务"', f"inbox_folder = '{folder}'")
    err = _init_refused(capsys)
    assert "classification.toml" in err and "categories.KW.inbox_folder" in err
    assert "不是收件箱inbox/之下的一个文件夹名" in err and "只能写一个文件夹名" in err
    assert not (tmp_path / "etc").exists() and not (tmp_path / "data" / "etc").exists()
    assert not (tmp_path / "data" / "root" / "inbox").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_unknown_section_is_refused(config_copy, capsys):
    with (config_copy / "station.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[serach]\nbackend = "whoosh"\n')
    err = _init_refused(capsys)
    assert "station.toml：serach——不认识的节" in err
    assert "此文件允许的节：station、ingest、search" in err


def test_unknown_key_names_the_keys_allowed_there(config_copy, capsys):
    _edit(config_copy / "station.toml", 'timezone = "Asia/Shanghai"', 'time_zone = "Asia/Shanghai"')
    err = _init_refused(capsys)
    assert "station.toml：station.time_zone——不认识的键" in err
    assert "timezone" in err and "seal_text" in err


def test_unknown_key_in_a_category_names_the_category_keys(config_copy, capsys):
    _edit(config_copy / "classification.toml", 'inbox_folder = "试卷"', 'inbox_folder = "试卷"\nacess = "secret"')
    err = _init_refused(capsys)
    assert "classification.toml：categories.SJ.acess——不认识的键" in err
    assert "access、inbox_folder、label、retention" in err


def test_access_of_a_category_is_open_restricted_or_secret(config_copy, capsys):
    assert load_config(config_copy).categories["SJ"].access == "secret"      # as shipped
    assert load_config(config_copy).categories["KW"].access == "open"
    _edit(config_copy / "classification.toml", 'access = "secret"', 'access = "private"')
    err = _init_refused(capsys)
    assert "categories.SJ.access" in err and "'open','restricted'or'secret'" in err


@pytest.mark.parametrize("zone", ["Asia/Shangai", "Mars/Olympus", "../../etc/passwd", ""])
def test_unknown_time_zone_is_refused(config_copy, capsys, zone):
    _edit(config_copy / "station.toml", 'timezone = "Asia/Shanghai"', f'timezone = "{zone}"')
    err = _init_refused(capsys)
    assert "station.toml：station.timezone——未知的时区" in err and "Asia/Shanghai" in err


def test_one_inbox_folder_for_two_categories_is_refused(config_copy, capsys):
    _edit(config_copy / "classification.toml", 'inbox_folder = "成绩报告"', 'inbox_folder = "试卷"')
    err = _init_refused(capsys)
    assert "classification.toml：categories.CJ.inbox_folder——“试卷”与类别SJ的收件箱子文件夹或代码相同" in err


def test_inbox_folder_named_like_another_category_code_is_refused(config_copy, capsys):
    _edit(config_copy / "classification.toml", 'inbox_folder = "公文"', 'inbox_folder = "kw"')
    err = _init_refused(capsys)
    assert "categories.FW.inbox_folder" in err and "与类别KW" in err


@pytest.mark.parametrize("field,value", [("name", "电工"), ("code", "DG")])
def test_duplicate_occupations_are_refused(config_copy, capsys, field, value):
    entry = {"name": "电工二", "code": "DX"} | {field: value}
    with (config_copy / "occupations.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[occupations]]\nname = "{entry["name"]}"\ncode = "{entry["code"]}"\nlevels = [4]\n')
    err = _init_refused(capsys)
    assert f"occupations.toml：occupations[3].{field}——" in err
    assert f"“{value}”与occupations[0]重复" in err


def test_every_problem_is_reported_once(config_copy, capsys):
    _edit(config_copy / "station.toml", 'timezone = "Asia/Shanghai"', 'timezone = "Nowhere/City"')
    _edit(config_copy / "classification.toml", 'inbox_folder = "考务"', 'inbox_folder = "../x"')
    err = _init_refused(capsys)
    assert err.count("未知的时区") == 1 and err.count("categories.KW.inbox_folder") == 1
