#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png (docs/UI.md): scripted sessions of `shequ ui` on a small
# demo city, and bench_ui's frames of the browser (5,000 households) and the dashboard (every
# community of the city), all at 1366x768 under Xvfb.
#   ui/screenshots.sh [BUILD_DIR]      (default: build; needs shequ and tools/bench_ui built)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
B="$ROOT/$BUILD/shequ"
OUT="$ROOT/docs/screenshots"
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
X="xvfb-run -a -s \"-screen 0 1400x900x24\""
export SHEQU_TODAY=2026-11-20

cd "$TMP"
"$B" city init --dir city >/dev/null
"$B" node init --dir heping --city city --kind community --scope 150302001002 --name 和平社区 >/dev/null
"$B" node init --dir terminal --city city --kind terminal --scope 150302001002 --name 和平终端1 >/dev/null
"$B" gen --persons 400 --seed 3 --communities 150302001002 --today 2026-11-20 --out cards.json >/dev/null
"$B" card import --dir heping cards.json >/dev/null || true

# Card entry: a card half typed, the ethnicity drop-down open, an ID number that fails its check.
cat > card.script <<'EOF'
screen card
click card.card_no
type HBW-2026-000901
tab 2
type 海勃湾区凤凰岭街道和平社区5栋3单元202
tab
type 家庭
tab
type 1
tab
type 2
tab
type 13904731234
tab
type HP-05
tab
type 宝音
tab
type 男
key Enter
type 蒙
wait 2
key Enter
type 1985-07-14
tab
type 1
tab
type 150302198507140039
tab
type 户主
tab
type 1
tab
type 20
tab
type 大学
wait 2
shot card-entry.png
EOF
eval "$X" "$B" ui --dir heping --script card.script --screenshot card-end.png
cp card-entry.png "$OUT/card-entry.png"

# Conflicts: the office and a terminal corrected one name differently at the same time.
"$B" changes export --dir heping --out b1 >/dev/null
"$B" changes import --dir terminal b1 >/dev/null
PERSON=$("$B" household show --dir heping --card HBW-2026-000001 --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["members"][0]["entity"])')
"$B" person set --dir heping --entity "$PERSON" name=张建国 >/dev/null
"$B" person set --dir terminal --tool terminal --entity "$PERSON" name=张健国 >/dev/null
"$B" changes export --dir terminal --out b2 >/dev/null
"$B" changes import --dir heping b2 >/dev/null
cat > conflicts.script <<'EOF'
screen conflicts
click conflict.0.reveal
wait 3
EOF
eval "$X" "$B" ui --dir heping --script conflicts.script --screenshot "$OUT/conflicts.png"

# The browser over 5,000 households and the dashboard over the city.
eval "$X" "$ROOT/$BUILD/tools/bench_ui" --frames 30 --shots "$TMP" >/dev/null || true
cp "$TMP/bench-browse.png" "$OUT/browser.png"
cp "$TMP/bench-assess.png" "$OUT/assessment.png"
ls -l "$OUT"
