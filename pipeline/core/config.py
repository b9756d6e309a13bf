"""Load config/ once into a frozen, validated StationConfig. Reading it afterwards does no I/O.

A wrong value stops with a message naming the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from pipeline.core.errors import ConfigError
from pipeline.core.paths import config_dir, is_plain_folder_name

FROZEN = ConfigDict(frozen=True, extra="forbid")


class Clock(StrEnum):
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

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区“{value}”：请写 IANA 时区名，如 Asia/Shanghai") from None
        return value


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
    # what a user without the role sees of a restricted item: its title and 档号, or nothing
    restricted_hits: Literal["title", "hidden"] = "title"


class OcrSettings(BaseModel):
    model_config = FROZEN
    # which engine reads scans without a QR code: "rapidocr" (PP-OCR models inside the rapidocr wheel,
    # about 0.5 % character errors on our test pages) or "tesseract" (Debian's chi_sim model, 6–8 %);
    # figures in BENCHMARKS.md "Chinese OCR"
    engine: Literal["rapidocr", "tesseract"] = "rapidocr"
    tesseract_language: Literal["chi_sim", "chi_sim+eng"] = "chi_sim+eng"


class CliSettings(BaseModel):
    model_config = FROZEN
    # keep a preloading command server so that every `station` command after the first starts in about
    # 0.1 s (pipeline/cli/preload.py reads this key itself, before this model is imported)
    preload: bool = True


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
    def _period_agrees(self) -> RetentionClass:
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
    # open: anyone; restricted: content only to the roles that handle it (search shows title and 档号);
    # secret: restricted, and encrypted at rest with no text indexed until released (第二十七条)
    access: Literal["open", "restricted", "secret"] = "open"

    @field_validator("inbox_folder")
    @classmethod
    def _inside_inbox(cls, value: str) -> str:
        if not is_plain_folder_name(value):
            raise ValueError(f"“{value}”不是收件箱 inbox/ 之下的一个文件夹名：只能写一个文件夹名（如 考务），"
                             "不能含 /、\\、..、盘符或绝对路径，数据目录之外的文件夹一律不允许")
        return value

    @property
    def restricted(self) -> bool:
        """True for restricted and secret categories."""
        return self.access != "open"

    @property
    def secret(self) -> bool:
        """True when items of this category are encrypted at rest until released."""
        return self.access == "secret"


class TextRule(BaseModel):
    model_config = FROZEN
    category: str
    title: str
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_words(self) -> TextRule:
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
    ocr: OcrSettings = OcrSettings()
    cli: CliSettings = CliSettings()
    retention: dict[str, RetentionClass]
    categories: dict[str, Category]
    rules: tuple[TextRule, ...] = ()
    occupations: tuple[Occupation, ...]

    def occupation(self, name: str) -> Occupation | None:
        """The configured occupation called name, or None."""
        return next((o for o in self.occupations if o.name == name), None)

    def category_for_folder(self, folder: str) -> Category | None:
        """The category whose inbox sub-folder is called folder (or whose code is folder)."""
        return next((c for c in self.categories.values() if folder in (c.inbox_folder, c.code)), None)


FILES = {"station": "station.toml", "retention": "retention.toml",
         "classification": "classification.toml", "occupations": "occupations.toml"}
# The sections ([tables] and top-level arrays) each file may have; anything else is refused.
SECTIONS = {"station": ("station", "ingest", "search", "ocr", "cli"), "retention": ("classes",),
            "classification": ("categories", "rules"), "occupations": ("occupations",)}


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
    key = {"station": "station", "ingest": "station", "search": "station", "ocr": "station", "cli": "station",
           "retention": "retention", "categories": "classification", "rules": "classification",
           "occupations": "occupations"}.get(str(top), "station")
    return folder / FILES[key]


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys the table holding loc's last key may have (to list them for an unknown key)."""
    model: object = StationConfig
    for part in loc[:-1]:
        if get_origin(model) is dict:
            model = get_args(model)[1]
        elif get_origin(model) in (tuple, list):
            model = get_args(model)[0]
        elif isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            model = model.model_fields[part].annotation
        else:
            return []
    return sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _explain(error: ErrorDetails) -> str:
    """pydantic's error in words staff can act on."""
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        allowed = "、".join(k for k in _allowed_keys(error["loc"]) if k not in ("key", "code"))
        return f"不认识的键（拼写错误或不属于这里）；这里允许的键：{allowed}"
    if kind == "missing":
        return "缺少这个必填的键"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    return f"取值不允许：{message}"


def _unknown_sections(texts: dict[str, dict], folder: Path) -> list[str]:
    """One line for each section of a file that the file may not have."""
    problems = []
    for name, data in texts.items():
        for section in data:
            if section not in SECTIONS[name]:
                allowed = "、".join(SECTIONS[name])
                problems.append(f"{folder / FILES[name]}：{section} —— 不认识的节（拼写错误或放错了文件）；"
                                f"此文件允许的节：{allowed}")
    return problems


def _consistency(config: StationConfig, folder: Path) -> list[str]:
    """Problems across entries: names a category, rule or occupation clashes on or points at wrongly."""
    where = {name: folder / file for name, file in FILES.items()}
    problems = []
    for code, category in config.categories.items():
        if category.retention not in config.retention:
            problems.append(f"{where['classification']}：categories.{code}.retention —— “{category.retention}”"
                            f"不是已定义的保管期限类别；允许：{'、'.join(sorted(config.retention))}")
    for number, rule in enumerate(config.rules):
        if rule.category not in config.categories:
            problems.append(f"{where['classification']}：rules[{number}].category —— “{rule.category}”不是已定义"
                            f"的类别；允许：{'、'.join(sorted(config.categories))}")
    folders: dict[str, str] = {}        # a sub-folder of the inbox files into the category named by folder or code
    for code, category in config.categories.items():
        for key, value in (("inbox_folder", category.inbox_folder), ("code", code)):
            other = folders.setdefault(value.casefold(), code)
            if other != code:
                problems.append(f"{where['classification']}：categories.{code}.{key} —— “{value}”与类别 {other} "
                                "的收件箱子文件夹或代码相同；每个类别须有自己的子文件夹（也不能与别的类别代码同名），"
                                "否则放进去的文件无法确定类别")
    for field, label in (("name", "名称"), ("code", "代码")):
        seen: dict[str, int] = {}
        for number, occupation in enumerate(config.occupations):
            value = getattr(occupation, field)
            if value in seen:
                problems.append(f"{where['occupations']}：occupations[{number}].{field} —— 工种{label}“{value}”"
                                f"与 occupations[{seen[value]}] 重复；每个工种只能写一次（多个等级写在 levels 中）")
            seen.setdefault(value, number)
    return problems


def load_config(folder: Path | None = None) -> StationConfig:
    """Read and validate every file in the config folder."""
    folder = folder or config_dir()
    texts = {name: _read_toml(folder / file) for name, file in FILES.items()}
    station, retention, classification, occupations = (texts[name] for name in FILES)
    raw = {
        "station": station.get("station", {}),
        "ingest": station.get("ingest", {}),
        "search": station.get("search", {}),
        "ocr": station.get("ocr", {}),
        "cli": station.get("cli", {}),
        "retention": {k: {"key": k, **v} for k, v in retention.get("classes", {}).items()},
        "categories": {k: {"code": k, **v} for k, v in classification.get("categories", {}).items()},
        "rules": classification.get("rules", []),
        "occupations": occupations.get("occupations", []),
    }
    problems = _unknown_sections(texts, folder)
    config, detail = None, ""
    try:
        config = StationConfig.model_validate(raw)
    except ValidationError as exc:
        detail = str(exc)
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            problems.append(f"{_source_file(error['loc'], folder)}：{key or '(整体)'} —— {_explain(error)}"
                            f"（当前值：{error.get('input')!r}）")
    if config is not None:
        problems += _consistency(config, folder)
    if problems or config is None:
        raise ConfigError("配置有误，请按提示修改后重试：\n" + "\n".join(problems),
                          f"invalid config in {folder}: {detail or problems}", code="config_invalid",
                          problems=problems)
    return config


@lru_cache(maxsize=1)
def get_config() -> StationConfig:
    """The process-wide configuration, loaded once."""
    return load_config()
