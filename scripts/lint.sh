#!/usr/bin/env bash
# CI checks before the tests: ruff (pyproject.toml [tool.ruff]) over the whole tree, and mypy with the
# django-stubs plugin over the pure modules ([tool.mypy] files). Stops at the first tool with a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
echo "lint: ruff $("$VENV/bin/ruff" --version | cut -d' ' -f2)"
"$VENV/bin/ruff" check --no-cache .
echo "lint: mypy"
"$VENV/bin/mypy" --no-incremental
