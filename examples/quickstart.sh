#!/usr/bin/env bash
# The README quick start from a clone: `esps demo` (a whole ESPS cycle, from `esps init` to the
# Board pack, on the example units with sample returns and scores) in ./quickstart-out/,
# removed and made again each run. Installed from a wheel, run `esps demo` itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf quickstart-out
exec esps demo quickstart-out
