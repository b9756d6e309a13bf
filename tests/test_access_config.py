"""Which categories are restricted or secret is configuration (classification.toml `access`), not code."""

from __future__ import annotations

import shutil

import pytest

from pipeline.core.config import load_config
from pipeline.core.errors import ConfigError
from pipeline.core.paths import config_dir


def _config(tmp_path, edit) -> object:
    folder = tmp_path / "config"
    shutil.copytree(config_dir(), folder)
    path = folder / "classification.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return load_config(folder)


def test_shipped_access_papers_secret_results_restricted_the_rest_open():
    categories = load_config().categories
    assert categories["SJ"].access == "secret" and categories["SJ"].secret and categories["SJ"].restricted
    assert categories["CJ"].access == "restricted" and not categories["CJ"].secret
    assert {code for code, c in categories.items() if c.access == "open"} == {"KW", "XY", "FW", "DA"}


def test_renamed_category_keeps_its_access_and_a_category_without_the_key_is_open(tmp_path):
    config = _config(tmp_path, lambda text: text.replace("[categories.SJ]", "[categories.SM]")
                     .replace('category = "SJ"', 'category = "SM"'))
    assert "SJ" not in config.categories and config.categories["SM"].secret
    config = _config(tmp_path / "b", lambda text: text.replace('access = "secret"', ""))
    assert config.categories["SJ"].access == "open"


def test_unknown_access_value_is_refused_naming_file_and_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, lambda text: text.replace('access = "secret"', 'access = "private"'))
    assert "classification.toml" in caught.value.message_zh and "categories.SJ.access" in caught.value.message_zh
