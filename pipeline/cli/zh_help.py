"""Typer's own words in Chinese: "Usage", the panel titles, "Show this message and exit." and the
usage-error messages staff meet ("Missing argument …"). Typer 0.29 vendors Click with its gettext
calls removed, so the words are set on Typer's (internal) objects here: only on the Typer versions
this was checked on; on any other version the help stays in English (nothing breaks)."""

from __future__ import annotations

import importlib.util
import logging
import re
import sys

import typer

log = logging.getLogger(__name__)
TESTED = ("0.29.",)       # Typer versions whose internals these patches were checked against
TITLES = {"ARGUMENTS_PANEL_TITLE": "参数", "OPTIONS_PANEL_TITLE": "选项", "COMMANDS_PANEL_TITLE": "命令",
          "ERRORS_PANEL_TITLE": "错误", "ABORTED_TEXT": "已中止。", "DEFAULT_STRING": "[默认：{}]",
          "REQUIRED_LONG_STRING": "[必填]", "ENVVAR_STRING": "[环境变量：{}]",
          "RICH_HELP": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。"}
HELP_EN, HELP_ZH = "Show this message and exit.", "显示本帮助并退出。"
USAGE_ZH = "用法："
MESSAGES = [(re.compile(p), r) for p, r in (
    (r"^Missing argument '?([^'.]*)'?\.", r"缺少参数 \1。"),
    (r"^Missing option '?([^'.]*)'?\.", r"缺少选项 \1。"),
    (r"^Missing parameter: (.*)", r"缺少参数 \1"),
    (r"^No such option: (\S+)", r"没有选项 \1"),
    (r"^No such command '?([^'.]*)'?\.", r"没有命令 \1。"),
    (r"^Got unexpected extra arguments? \((.*)\)", r"多余的参数：\1"),
    (r"^Invalid value for (.*?): ", r"\1 的值无效："),
    (r"^Invalid value: ", "值无效："),
    (r"^Option '?([^']*)'? requires an argument\.", r"选项 \1 需要一个值。"),
    (r"^Option '?([^']*)'? does not take a value\.", r"选项 \1 不带值。"),
    (r"Did you mean", "是否想输入"),
    (r"\(Possible options?: ", "（可能是："),
)]


def zh_message(text: str) -> str:
    """A Click usage-error message in Chinese (unknown messages unchanged)."""
    for pattern, replacement in MESSAGES:
        text = pattern.sub(replacement, text)
    return text


def install() -> bool:
    """Put the Chinese words in place; False (English kept) on an untested Typer version."""
    if not typer.__version__.startswith(TESTED):
        log.info("typer %s not checked for Chinese help; keeping English", typer.__version__)
        return False
    try:
        from typer._click import core, exceptions, formatting
    except ImportError:
        return False
    if "typer.rich_utils" in sys.modules:
        _set_titles(sys.modules["typer.rich_utils"])
    elif not any(isinstance(finder, _TitlesOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TitlesOnImport())  # Typer imports it for help and errors only (start-up)
    _wrap_usage(formatting.HelpFormatter)
    _wrap_help_option(core.Command)
    for cls in (exceptions.ClickException, exceptions.BadParameter, exceptions.MissingParameter,
                exceptions.NoSuchOption):
        _wrap_message(cls)
    return True


def _set_titles(rich_utils) -> None:
    for name, value in TITLES.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, value)


class _TitlesOnImport:
    """Sets the Chinese panel titles on typer.rich_utils when Typer first imports it (≈ 0.1 s of
    imports that a command printing no help and no usage error never needs)."""

    def find_spec(self, name, path=None, target=None):
        if name != "typer.rich_utils":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader_exec = spec.loader.exec_module

        def exec_module(module) -> None:
            loader_exec(module)
            _set_titles(module)
        spec.loader.exec_module = exec_module
        return spec


def _wrap_usage(formatter: type) -> None:
    original = formatter.write_usage
    if getattr(original, "_station_zh", False):
        return

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        original(self, prog, args, USAGE_ZH if prefix is None else prefix)
    write_usage._station_zh = True
    formatter.write_usage = write_usage


def _wrap_help_option(command: type) -> None:
    original = command.get_help_option
    if getattr(original, "_station_zh", False):
        return

    def get_help_option(self, ctx):
        option = original(self, ctx)
        if option is not None and option.help == HELP_EN:
            option.help = HELP_ZH
        return option
    get_help_option._station_zh = True
    command.get_help_option = get_help_option


def _wrap_message(cls: type) -> None:
    original = cls.__dict__.get("format_message")
    if original is None or getattr(original, "_station_zh", False):
        return

    def format_message(self) -> str:
        return zh_message(original(self))
    format_message._station_zh = True
    cls.format_message = format_message
