#!/usr/bin/env bash
# The demo round on the embedded defaults: example station imported, forms generated, signed
# scans simulated and dropped into the inbox, filed, searched, verified.
# Runs in a fresh data root ($STATION_DATA, default out/demo) so it can be repeated.
set -euo pipefail
cd "$(dirname "$0")/.."
export STATION_DATA=${STATION_DATA:-out/demo}
export STATION_PASSWORD=${STATION_PASSWORD:-demo-password-2026}
S=.venv/bin/station
ROUND=DEMO-2026-12
rm -rf "$STATION_DATA"
mkdir -p "$STATION_DATA"
step() { printf '\n\033[1;34m== %s ==\033[0m\n' "$*"; }

step "1. 初始化数据目录与目录数据库"
$S init

step "2. 生成示例鉴定站数据（考生表、工作人员表、考场表、证件照）"
.venv/bin/python examples/make_example.py

step "3. 建立鉴定批次并导入考场、工作人员、考生"
$S rounds add $ROUND --name "2026年12月职业技能鉴定（演示）" --theory 2026-12-05T09:00 --practical 2026-12-06T08:30
$S import rooms examples/rooms.xlsx
$S import staff examples/staff.xlsx
$S import candidates examples/candidates.xlsx --round $ROUND
$S rounds show $ROUND
$S users add archivist --role archivist --full-name 档案管理员
$S users add head --role station_head --full-name 站长

step "4. 编排考场与工作人员（回避关系自动处理）"
$S assign $ROUND --seed 20261205

step "5. 录入成绩（示例成绩表）"
.venv/bin/python examples/make_scores.py --round $ROUND --out "$STATION_DATA/scores.xlsx"
$S results import "$STATION_DATA/scores.xlsx" --round $ROUND
$S results show $ROUND

step "6. 生成本期全部表单（PDF + 可编辑 DOCX）"
$S forms round $ROUND --out "$STATION_DATA/forms" --format both

step "7. 模拟签字后的扫描件（旋转、噪点、JPEG、多份叠扫、页序打乱），放入收件箱"
$S scansim "$STATION_DATA"/forms/registration/*.pdf --out "$STATION_DATA/inbox" --stack --shuffle --seed 7
$S scansim "$STATION_DATA"/forms/room-record/*.pdf "$STATION_DATA"/forms/score-register/*.pdf \
    "$STATION_DATA"/forms/report/*.pdf --out "$STATION_DATA/inbox" --seed 8

step "8. 归档收件箱中的扫描件"
$S ingest --once
$S status

step "9. 检索"
$S search "电工 报名登记表" --limit 5
$S search "焊工" --form registration --year 2026 --limit 5
$S search "考场记录" --limit 3

step "10. 完整性校验"
$S verify

printf '\n演示完成。数据目录：%s（表单在 forms/，档案在 archive/）\n' "$STATION_DATA"
