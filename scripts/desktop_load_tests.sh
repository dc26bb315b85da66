#!/usr/bin/env bash
# The desktop/office end-to-end tests under load (issue 12), beyond the one load test in CI:
#   1. a CPU hog on every core (GUIAGENT_CPU_HOG, see tests/conftest.py),
#   2. LibreOffice taking GUIAGENT_APP_DELAY (20) seconds to start (a `soffice` on PATH that
#      sleeps before exec'ing the real one),
#   3. both at once.
# Each test must pass or fail with a clear error; none may report done with lost input.
# Usage: bash scripts/desktop_load_tests.sh [pytest args, e.g. -k calc]
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
real=$(command -v soffice) || { echo "LibreOffice is not installed" >&2; exit 2; }
shims=$(mktemp -d)
trap 'rm -rf "$shims"' EXIT
printf '#!/bin/sh\nsleep %s\nexec %s "$@"\n' "${GUIAGENT_APP_DELAY:-20}" "$real" > "$shims/soffice"
chmod +x "$shims/soffice"
tests=(tests/test_desktop_office.py tests/test_skill_desktop.py tests/test_readme_desktop.py
       tests/test_desktop_skill_cli.py tests/test_desktop_input_taken.py tests/test_desktop_load.py)
cores=$(nproc)
status=0
run() {
    echo "== $1"
    shift
    env "$@" "$PY" -m pytest "${tests[@]}" -q -p no:cacheprovider "${ARGS[@]}" || status=1
}
ARGS=("$@")
run "CPU hog on $cores cores" GUIAGENT_CPU_HOG="$cores"
run "LibreOffice starts ${GUIAGENT_APP_DELAY:-20}s late" PATH="$shims:$PATH"
run "both" GUIAGENT_CPU_HOG="$cores" PATH="$shims:$PATH"
exit $status
