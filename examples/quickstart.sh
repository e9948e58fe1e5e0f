#!/usr/bin/env bash
# The README quick start: the main job on the bundled examples, in a scratch folder.
#
#   bash examples/quickstart.sh
#
# Works in ./quickstart-out/ (removed and made again each run); never touches examples/.
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
    --output "$OUT/validation.xlsx" || status=$?
if [ "$status" -ge 2 ]; then
    echo "esps validate failed (exit code $status)" >&2
    exit "$status"
fi
echo
echo "Validation report workbook: $OUT/validation.xlsx (exit code $status: 0 all valid, 1 problems found)"

# --- scoring and summary steps ---
