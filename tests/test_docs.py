"""Every `station` command is documented in README.md, and README names the two set-up commands."""

import re

import pytest
import typer

from pipeline.cli.main import app
from pipeline.core.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _command_paths(command, prefix=()):
    subs = getattr(command, "commands", None)
    if not subs:
        yield " ".join(prefix)
        return
    for name, sub in subs.items():
        yield from _command_paths(sub, (*prefix, name))


COMMANDS = sorted(_command_paths(typer.main.get_command(app)))


def test_there_are_commands_to_document():
    assert {"init", "search", "verify", "forms round"} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS)
def test_command_is_in_readme(path):
    group, _, sub = path.partition(" ")
    documented = f"station {path}" in README or (
        sub and re.search(rf"`station {re.escape(group)} [^`]*` / [^|]*`{re.escape(sub)}\b", README))
    assert documented, f"README.md does not document `station {path}`"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
