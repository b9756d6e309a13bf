"""Load config/ once into a frozen, validated StationConfig. Reading it afterwards does no I/O.

A wrong value stops with a message naming the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError
from pipeline.paths import config_dir

FROZEN = ConfigDict(frozen=True, extra="forbid")


class Clock(str, Enum):
    """Where a retention period starts."""

    DOCUMENT_DATE = "document-date"
    NEXT_YEAR = "next-year"
    SCORES_RECORDED = "scores-recorded"


class StationInfo(BaseModel):
    model_config = FROZEN
    name: str = Field(min_length=2)
    code: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,8}$")]
    fonds_code: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,8}$")]
    issuing_body: str
    guidance_centre: str = ""
    seal_text: str
    locale: Literal["zh-hans"] = "zh-hans"
    timezone: str = "Asia/Shanghai"
    address: str = ""
    phone: str = ""


class IngestSettings(BaseModel):
    model_config = FROZEN
    stable_seconds: float = Field(default=2.0, ge=0)
    rescan_seconds: float = Field(default=30.0, gt=0)
    blank_page_ink_ratio: float = Field(default=0.002, ge=0, le=0.1)
    max_attempts: int = Field(default=3, ge=1, le=100)
    max_pages: int = Field(default=500, ge=1)
    max_seconds: float = Field(default=900.0, gt=0)


class SearchSettings(BaseModel):
    model_config = FROZEN
    backend: Literal["whoosh", "tantivy"] = "whoosh"


class RetentionClass(BaseModel):
    model_config = FROZEN
    key: str
    label: str
    code: Annotated[str, Field(pattern=r"^(Y|D\d{1,3})$")]
    years: int = Field(ge=0, le=100)
    permanent: bool = False
    clock: Clock
    article: str = Field(min_length=2)
    note: str = ""

    @model_validator(mode="after")
    def _period_agrees(self) -> "RetentionClass":
        if self.permanent and (self.years != 0 or self.code != "Y"):
            raise ValueError("permanent = true needs years = 0 and code = \"Y\"")
        if not self.permanent and (self.years < 1 or self.code != f"D{self.years}"):
            raise ValueError(f"a {self.years}-year class needs years >= 1 and code \"D{self.years}\"")
        return self


class Category(BaseModel):
    model_config = FROZEN
    code: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")]
    label: str
    retention: str
    inbox_folder: str = Field(min_length=1)


class TextRule(BaseModel):
    model_config = FROZEN
    category: str
    title: str
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_words(self) -> "TextRule":
        if not self.any and not self.all:
            raise ValueError("a rule needs words in `any` or `all`")
        return self

    def matches(self, text: str) -> bool:
        """True when every `all` word and at least one `any` word occur in text."""
        if any(word not in text for word in self.all):
            return False
        return not self.any or any(word in text for word in self.any)


class Occupation(BaseModel):
    model_config = FROZEN
    name: str
    code: Annotated[str, Field(pattern=r"^[A-Z]{1,4}$")]
    levels: tuple[int, ...]
    theory_pass: float = Field(default=60, ge=0, le=100)
    practical_pass: float = Field(default=60, ge=0, le=100)
    examiners_per_room: int = Field(default=3, ge=1, le=10)
    invigilators_per_room: int = Field(default=2, ge=1, le=10)

    @field_validator("levels")
    @classmethod
    def _levels_known(cls, levels: tuple[int, ...]) -> tuple[int, ...]:
        if not levels or any(level not in (1, 2, 3, 4, 5) for level in levels):
            raise ValueError("levels must be a non-empty list of 1..5 (一级 … 五级)")
        return levels


class StationConfig(BaseModel):
    """Everything in config/, validated."""

    model_config = FROZEN
    station: StationInfo
    ingest: IngestSettings = IngestSettings()
    search: SearchSettings = SearchSettings()
    retention: dict[str, RetentionClass]
    categories: dict[str, Category]
    rules: tuple[TextRule, ...] = ()
    occupations: tuple[Occupation, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> "StationConfig":
        for code, category in self.categories.items():
            if category.retention not in self.retention:
                raise ValueError(f"categories.{code}.retention = {category.retention!r} is not one of "
                                 f"{sorted(self.retention)}")
        for number, rule in enumerate(self.rules):
            if rule.category not in self.categories:
                raise ValueError(f"rules[{number}].category = {rule.category!r} is not one of "
                                 f"{sorted(self.categories)}")
        return self

    def occupation(self, name: str) -> Occupation | None:
        """The configured occupation called name, or None."""
        return next((o for o in self.occupations if o.name == name), None)

    def category_for_folder(self, folder: str) -> Category | None:
        """The category whose inbox sub-folder is called folder (or whose code is folder)."""
        return next((c for c in self.categories.values() if folder in (c.inbox_folder, c.code)), None)


FILES = {"station": "station.toml", "retention": "retention.toml",
         "classification": "classification.toml", "occupations": "occupations.toml"}


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"配置文件缺失：{path}。请从代码仓库的 config/ 复制一份。",
                          f"missing config file {path}", code="config_missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}。请检查引号、等号和方括号。",
                          f"TOML syntax error in {path}: {exc}", code="config_syntax") from exc


def _source_file(loc: tuple, folder: Path) -> Path:
    top = loc[0] if loc else ""
    key = {"station": "station", "ingest": "station", "search": "station", "retention": "retention",
           "categories": "classification", "rules": "classification",
           "occupations": "occupations"}.get(str(top), "station")
    return folder / FILES[key]


def load_config(folder: Path | None = None) -> StationConfig:
    """Read and validate every file in the config folder."""
    folder = folder or config_dir()
    station = _read_toml(folder / FILES["station"])
    retention = _read_toml(folder / FILES["retention"])
    classification = _read_toml(folder / FILES["classification"])
    occupations = _read_toml(folder / FILES["occupations"])
    raw = {
        "station": station.get("station", {}),
        "ingest": station.get("ingest", {}),
        "search": station.get("search", {}),
        "retention": {k: {"key": k, **v} for k, v in retention.get("classes", {}).items()},
        "categories": {k: {"code": k, **v} for k, v in classification.get("categories", {}).items()},
        "rules": classification.get("rules", []),
        "occupations": occupations.get("occupations", []),
    }
    try:
        return StationConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            problems.append(f"{_source_file(error['loc'], folder)}：{key or '(整体)'} —— {error['msg']}"
                            f"（当前值：{error.get('input')!r}）")
        raise ConfigError("配置有误，请按提示修改后重试：\n" + "\n".join(problems),
                          f"invalid config in {folder}: {exc}", code="config_invalid",
                          problems=problems) from exc


@lru_cache(maxsize=1)
def get_config() -> StationConfig:
    """The process-wide configuration, loaded once."""
    return load_config()
