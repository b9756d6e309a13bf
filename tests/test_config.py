"""config/ loads into validated objects; a wrong value names the file, the key and what is allowed."""

import shutil

import pytest

from pipeline.core.config import Clock, load_config
from pipeline.core.errors import ConfigError, ExitCode
from pipeline.core.paths import REPO_ROOT


@pytest.fixture
def config_copy(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", folder)
    return folder


def test_shipped_config_loads_with_the_classes_of_forms_md():
    config = load_config(REPO_ROOT / "config")
    assert config.retention["exam-papers"].years == 3
    assert config.retention["exam-papers"].clock is Clock.SCORES_RECORDED
    assert config.retention["exam-papers"].article == "第二十一条(八)"
    assert config.retention["long-term"].permanent
    assert config.retention["service-records"].years >= 10
    assert config.category_for_folder("试卷").code == "SJ"
    assert config.occupation("焊工").levels == (4, 5)


def test_config_is_frozen():
    config = load_config(REPO_ROOT / "config")
    with pytest.raises(Exception):
        config.station.name = "别的站"


def test_wrong_clock_names_file_key_and_allowed_values(config_copy):
    path = config_copy / "retention.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('clock = "scores-recorded"', 'clock = "sometime"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    message = caught.value.message_zh
    assert "retention.toml" in message
    assert "retention.exam-papers.clock" in message
    assert "document-date" in message and "scores-recorded" in message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_category_pointing_at_unknown_retention_class(config_copy):
    path = config_copy / "classification.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('retention = "exam-papers"', 'retention = "forever"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    assert "forever" in caught.value.message_zh and "exam-papers" in caught.value.message_zh


def test_period_and_code_must_agree(config_copy):
    path = config_copy / "retention.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('code = "D3"', 'code = "D5"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    assert "D3" in caught.value.message_zh


def test_toml_syntax_error_names_file(config_copy):
    (config_copy / "station.toml").write_text("[station\nname = ", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    assert "station.toml" in caught.value.message_zh


def test_missing_file(config_copy):
    (config_copy / "occupations.toml").unlink()
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    assert "occupations.toml" in caught.value.message_zh
