#!/usr/bin/env bash
# The README quick start: the main job on the bundled examples, in a scratch folder.
#
#   bash examples/quickstart.sh
#
# Works in ./quickstart-out/ (removed and made again each run); never touches examples/.
# Each step prints its one-line result and where its output went; the full reports are
# files in quickstart-out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OUT=quickstart-out
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. Generate one workbook per unit on examples/units.csv (cycle 2010-11)"
esps generate examples/units.csv --out "$OUT/packs" --cycle 2010-11

echo
echo "== 2. Validate the sample returns in examples/returned against the units list"
# Exit code 1 means the run found invalid or missing returns (expected here: the samples
# include incomplete, tampered and broken returns); 2 or more is a real failure.
status=0
esps validate examples/returned --units examples/units.csv \
    --output "$OUT/validation.xlsx" --annotate "$OUT/marked-up" > "$OUT/validation.txt" \
    || status=$?
if [ "$status" -ge 2 ]; then
    echo "esps validate failed (exit code $status)" >&2
    exit "$status"
fi
tail -n 1 "$OUT/validation.txt"
echo "Report: $OUT/validation.txt (text), $OUT/validation.xlsx (workbook); exit code $status (0 all valid, 1 problems found)"

# --- scoring and summary steps ---

REGISTER="$OUT/esps.db"
echo
echo "== 3. Allocate an unlinked DCFA to every unit (never its linked DCFA; seeded, balanced)"
esps allocate --units examples/units.csv --cycle 2010-11 --register "$REGISTER" --seed 2010 \
    --output "$OUT/allocations.csv" > /dev/null

echo
echo "== 4. Blind scoring: one scoring pack per assessor and unit with a readable return"
esps score packs --returns examples/returned --out "$OUT/scoring-packs" \
    --units examples/units.csv --cycle 2010-11 --register "$REGISTER" > "$OUT/packs.txt"
grep "^wrote" "$OUT/packs.txt"

echo
echo "== 5. The assessors fill in their packs (here a script types examples/scores.csv into"
echo "      Camden's and Kensington & Chelsea's packs); the packs are imported"
python examples/fill_packs.py "$OUT/scoring-packs" > /dev/null
# The packs of the units not scored in this example hold nothing yet: a warning each.
esps score import "$OUT/scoring-packs" --units examples/units.csv --cycle 2010-11 \
    --register "$REGISTER" > "$OUT/import.txt"
tail -n 1 "$OUT/import.txt"

echo
echo "== 6. A third DCFA moderates the one disagreement (Camden OD3.1: linked 4, unlinked 2)"
esps score packs --moderation --out "$OUT/moderation-packs" \
    --units examples/units.csv --cycle 2010-11 --register "$REGISTER" > "$OUT/moderation.txt"
python examples/fill_packs.py "$OUT/moderation-packs" --moderate 3 \
    --reason "Monitoring data seen; disproportionality not yet explained to the IAG" > /dev/null
esps score import "$OUT/moderation-packs" --units examples/units.csv --cycle 2010-11 \
    --register "$REGISTER" > "$OUT/moderation-import.txt"
tail -n 1 "$OUT/moderation-import.txt"

echo
echo "== 7. Agreement between assessors: exact, within one, kappa, Gwet's AC2, Krippendorff's alpha"
esps score agreement --units examples/units.csv --cycle 2010-11 --register "$REGISTER" \
    > "$OUT/agreement.txt"
esps score agreement --units examples/units.csv --cycle 2010-11 --register "$REGISTER" \
    --format json | python -c 'import json, sys; print("overall, {n} pairs of scores: exact \
{exact_pct:.1f}%, within one {within_one_pct:.1f}%, weighted kappa {kappa:.3f}, Gwet AC2 \
{gwet_ac2:.3f}, Krippendorff alpha {krippendorff_alpha:.3f}".format(**json.load(sys.stdin)["overall"]))'
grep "^moderation queue" "$OUT/agreement.txt"
echo "Agreement per pair of assessors, with intervals and labels: $OUT/agreement.txt"

echo
echo "== 7b. The audit log: every recorded action, hash-chained; --verify checks nothing was altered"
esps log --register "$REGISTER" > "$OUT/audit-log.txt"
echo "Audit log: $OUT/audit-log.txt"
esps log --register "$REGISTER" --verify > "$OUT/audit-verify.txt"
head -n 1 "$OUT/audit-verify.txt"

echo
echo "== 8. The compliance summary against the FY2010/11 KPI, and the Board report workbook"
# Exit code 1 means the KPI is not met (expected with a handful of sample returns).
status=0
esps summary --returns examples/returned --units examples/units.csv --cycle 2010-11 \
    --register "$REGISTER" --output "$OUT/board-report.xlsx" > "$OUT/summary.txt" \
    || status=$?
if [ "$status" -ge 2 ]; then
    echo "esps summary failed (exit code $status)" >&2
    exit "$status"
fi
grep -A 1 "units meet the baseline" "$OUT/summary.txt"
echo "Summary: $OUT/summary.txt; Board report: $OUT/board-report.xlsx"
esps actions --returns examples/returned --units examples/units.csv --cycle 2010-11 \
    --register "$REGISTER" --out "$OUT/action-plans" --unit TP-BS --unit TP-FH
echo
echo "== 9. A resubmission: the register remembers each return; Westminster fixes some findings"
mkdir -p "$OUT/returns"
cp examples/returned/*.xlsx "$OUT/returns/"
WESTMINSTER="$OUT/returns/Westminster ESPS return v2.xlsx"
esps validate "$OUT/returns" --units examples/units.csv --cycle 2010-11 --register "$REGISTER" \
    --format json > "$OUT/first-validation.json" || true
esps review set TP-CW has-issues --by dcfa01 --reason "no sign-off; ratings missing" \
    --units examples/units.csv --cycle 2010-11 --register "$REGISTER"
# The unit's fix, scripted: the commander signs off, two ratings and a narrative are added.
python - "$WESTMINSTER" <<'PY'
import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path.cwd()))
from tests.samples import _columns, _indicator_rows, fill_cover  # noqa: E402
from esps_cli.workbook.layout import INDICATORS  # noqa: E402

wb = openpyxl.load_workbook(sys.argv[1])
fill_cover(wb)
ws = wb[INDICATORS.sheet]
cols, rows = _columns(ws, INDICATORS)[1], _indicator_rows(ws)
ws.cell(row=rows["OD2.2"], column=cols["rating"]).value = 3
ws.cell(row=rows["OD6.1"], column=cols["rating"]).value = 2
ws.cell(row=rows["OD2.1"], column=cols["narrative"]).value = (
    "Hate crime reports are reviewed weekly by the partnership inspector; victims are "
    "contacted within 24 hours and the outcomes are checked at the monthly meeting.")
wb.save(sys.argv[1])
PY
esps validate "$WESTMINSTER" --units examples/units.csv --cycle 2010-11 --register "$REGISTER" \
    > "$OUT/resubmission.txt" || true  # still invalid (exit code 1): other findings remain
grep -A3 "Changes since" "$OUT/resubmission.txt"
esps review show TP-CW --units examples/units.csv --cycle 2010-11 --register "$REGISTER" \
    --format csv | cut -d, -f2-4
