#!/usr/bin/env bash
# Run the whole bundled office suite against the screen-reading stand-in model.
#   scripts/eval_office.sh [OUT_DIR] [extra guiagent eval options, e.g. --repeat 3]
# Needs: Xvfb, openbox, xdotool, LibreOffice Calc/Writer, tesseract (see docs/desktop.md).
# WRONG_RATE=0.1 makes the stand-in err on that share of its answers (those episodes fail).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$here/.venv/bin/python}"
out="${1:-runs/eval-office}"
shift || true
log="$(mktemp)"
"$py" -m guiagent.testing.policy_server --port 0 --wrong-rate "${WRONG_RATE:-0}" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  url="$(grep -o -m1 'http://[^ ]*/v1' "$log" || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the stand-in did not start"; cat "$log"; exit 1; }
"$py" -m guiagent.cli.main eval office --model-url "$url" --workers "${WORKERS:-2}" --out "$out" "$@"
