#!/usr/bin/env bash
# CI: the demo round's forms rendered with the newest WeasyPrint the registry offers, with the render
# fast paths (layout reuse, direct redraw, font compaction; see pipeline/render/fast.py) off and
# forced on: every form must come out with the same page count and the same text both ways.
# A newer WeasyPrint than the one installed goes into a throw-away venv (over the project's own
# packages) in $WORK; when the installed one is the newest, that one is used (and said so).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
WORK=${RENDER_CHECK_DIR:-$(mktemp -d /tmp/render-check.XXXXXX)}
ROUND=DEMO-2026-12
mkdir -p "$WORK"

installed=$($PY -c 'import weasyprint; print(weasyprint.__version__)')
newest=$($PY -m pip index versions weasyprint 2>/dev/null | sed -n 's/^weasyprint (\(.*\))$/\1/p' | head -1)
if [ -n "$newest" ] && [ "$newest" != "$installed" ]; then
    echo "render-check: WeasyPrint $newest is newer than the installed $installed; installing it in $WORK/venv"
    $PY -m venv --system-site-packages "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "weasyprint==$newest"
    PY="$WORK/venv/bin/python"
else
    echo "render-check: the installed WeasyPrint $installed is the newest the registry offers (${newest:-registry not reached})"
fi
S() { $PY -m pipeline "$@"; }

export STATION_DATA="$WORK/data" STATION_KEY_FILE="$WORK/keys/archive.key"
for u in HEAD; do export "STATION_PASSWORD_$u=render-check-$RANDOM$RANDOM"; done
rm -rf "$STATION_DATA" "$WORK/keys" && mkdir -p "$STATION_DATA"
S keys new --out "$STATION_KEY_FILE" >/dev/null
S init >/dev/null
$PY examples/make_example.py --out "$STATION_DATA/examples" >/dev/null
S rounds add $ROUND --name "渲染检查" --theory 2026-12-05T09:00 --practical 2026-12-06T08:30 >/dev/null
S import rooms "$STATION_DATA/examples/rooms.xlsx" >/dev/null
S import staff "$STATION_DATA/examples/staff.xlsx" >/dev/null
S import candidates "$STATION_DATA/examples/candidates.xlsx" --round $ROUND >/dev/null
S init --head head --head-staff DH-001 >/dev/null
S assign $ROUND --seed 20261205 >/dev/null
cp -a "$STATION_DATA" "$WORK/data-off"
STATION_RENDER_FAST=1 S forms round $ROUND --out "$WORK/on" >/dev/null
STATION_DATA="$WORK/data-off" STATION_RENDER_FAST=0 S forms round $ROUND --out "$WORK/off" >/dev/null
$PY scripts/render_compare.py "$WORK/off" "$WORK/on"
