#!/usr/bin/env bash
# The demo round on the embedded defaults: example station imported, forms generated, signed
# scans simulated and dropped into the inbox, filed, searched, verified.
# Runs in a fresh data root ($STATION_DATA, default out/demo) so it can be repeated.
# Then serves the demo station on http://127.0.0.1:8000 (and files uploads with `station watch`)
# until Ctrl-C; SERVE=0 stops after filing (scripts, CI).
set -euo pipefail
cd "$(dirname "$0")/.."
export STATION_DATA=${STATION_DATA:-out/demo}
S=.venv/bin/station
ROUND=DEMO-2026-12
rm -rf "$STATION_DATA"
mkdir -p "$STATION_DATA"
step() { printf '\n\033[1;34m== %s ==\033[0m\n' "$*"; }
# Each user has its own password (a fresh random one per run), given to the unattended steps by the
# per-user variable STATION_PASSWORD_<USERNAME>; a person at the terminal types it instead.
password() { .venv/bin/python -c 'import secrets; print("demo-" + secrets.token_urlsafe(9))'; }
DEMO_USERS="head archivist custodian witness1 witness2 office examaffairs examiner chief invigilator scorer"
for u in $DEMO_USERS; do export "STATION_PASSWORD_${u^^}=$(password)"; done

step "1. 初始化数据目录与目录数据库；生成档案密钥（试卷加密用，放在数据目录之外，权限 600）"
KEYS=${STATION_KEYS:-out/demo-keys}
rm -rf "$KEYS"
$S keys new --out "$KEYS/archive.key"
export STATION_KEY_FILE="$KEYS/archive.key"
$S init

step "2. 生成示例鉴定站数据（考生表、工作人员表、考场表、证件照）"
EXAMPLES="$STATION_DATA/examples"   # generated here, so the tracked examples/*.xlsx stay untouched
.venv/bin/python examples/make_example.py --out "$EXAMPLES"

step "3. 建立鉴定批次并导入考场、工作人员、考生"
$S rounds add $ROUND --name "2026年12月职业技能鉴定（演示）" --theory 2026-12-05T09:00 --practical 2026-12-06T08:30
$S import rooms "$EXAMPLES/rooms.xlsx"
$S import staff "$EXAMPLES/staff.xlsx"
$S import candidates "$EXAMPLES/candidates.xlsx" --round $ROUND
$S rounds show $ROUND
# the first station head: init again, now that 王建国 (DH-001) is on the staff list; then accounts of
# imported staff (胸卡编号), each added by the station head with the head's own password
$S init --head head --head-staff DH-001
$S users add archivist --role archivist --staff DH-002 --user head
$S users add custodian --role paper_custodian --staff DH-301 --user head
$S users add witness1 --role witness --staff DH-004 --user head
$S users add witness2 --role witness --staff DH-203 --user head
# one demo user for each other role (the sign-in page of the web station lists them at the end)
$S users add examaffairs --role exam_affairs --staff DH-003 --user head
$S users add chief --role chief_examiner --staff DH-101 --user head
$S users add examiner --role examiner --staff DH-102 --user head
$S users add invigilator --role invigilator --staff DH-201 --user head
demo_id() { .venv/bin/python -c 'import sys; from pipeline.core.domain import id_check_digit as c; s=sys.argv[1]; print(s + c(s))' "$1"; }
$S users add office --role office_head --full-name 赵文华 --id-number "$(demo_id 44010619780315002)" --user head
$S users add scorer --role score_clerk --full-name 钱晓红 --id-number "$(demo_id 44010619850721004)" --user head
$S users list

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
PAPERS=("$STATION_DATA"/forms/packet-cover/*.pdf)       # 答卷封面（类别 SJ，保密：归档即加密）
$S scansim "${PAPERS[@]:0:2}" --out "$STATION_DATA/inbox" --seed 9

step "8. 归档收件箱中的扫描件"
$S ingest --once
$S status

step "9. 检索"
$S search "电工 报名登记表" --limit 5
$S search "焊工" --form registration --year 2026 --limit 5
$S search "考场记录" --limit 3
$S search "答卷" --category SJ --limit 2          # 保密档案：无权限者只看到档号与题名

step "年末：归档文件目录（含备考表）与档案工作统计年报（PDF、DOCX、xlsx）"
$S forms render archive-catalogue --subject 2026-KW --out "$STATION_DATA/reports"
$S report yearly --out "$STATION_DATA/reports"          # 今年：本年接收、销毁、借阅、各批次表单

step "10. 完整性校验；导出审计链锚点到数据目录以外（U 盘），并用它证明日志未被改写"
$S verify
$S audit anchor --out "$STATION_DATA-audit-anchor.json"
$S audit verify --anchor "$STATION_DATA-audit-anchor.json"

step "11. 四性检测（DA/T 70-2018）：出具《电子档案四性检测报告》，检测人、审核人签字后扫描即归档（永久）"
$S inspect --out "$STATION_DATA/inspection" --user head --anchor "$STATION_DATA-audit-anchor.json"

printf '\n演示完成。数据目录：%s（表单在 forms/，档案在 archive/）\n' "$STATION_DATA"

demo_users() {
    step "演示用户、角色及各自的密码（仅本次演示有效）"
    for u in $DEMO_USERS; do var="STATION_PASSWORD_${u^^}"; printf '  %-12s %s\n' "$u" "${!var}"; done
    $S users list
}
if [ "${SERVE:-1}" = "0" ]; then
    demo_users
    exit 0
fi

step "12. 网页版鉴定站：http://127.0.0.1:8000（上传的扫描件由后台 station watch 归档；Ctrl-C 停止）"
$S watch &
WATCH_PID=$!
trap 'kill "$WATCH_PID" 2>/dev/null || true; wait "$WATCH_PID" 2>/dev/null || true' EXIT
demo_users
$S serve --host 127.0.0.1 --port 8000
