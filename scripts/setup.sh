#!/usr/bin/env bash
# Set up guiagent on a fresh Debian/Ubuntu machine: system packages, then a venv in .venv.
#   bash scripts/setup.sh            everything (browser, desktop sandbox, OCR, LibreOffice)
#   GUIAGENT_SETUP_APT=0 bash ...    skip apt (install the packages yourself)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium                                   # the browser Playwright drives
  xvfb xdotool x11-utils openbox xclip xsel  # the virtual X11 desktop and its input
  x11-xserver-utils x11-apps xterm fonts-dejavu-core  # xrandr (multi-monitor tests), xwd (benchmark baseline)
  tesseract-ocr tesseract-ocr-eng            # OCR grounding
  libreoffice-calc libreoffice-writer        # office workflows
)

# Installed when the distribution has them (Debian does; Ubuntu's Chromium is a snap).
OPTIONAL_APT_PACKAGES=(
  chromium-headless-shell                    # headless runs: the same engine, far less CPU
)

if [ "${GUIAGENT_SETUP_APT:-1}" = "1" ] && command -v apt-get >/dev/null; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "not root and no sudo: install these with apt yourself: ${APT_PACKAGES[*]}" >&2
      SUDO="skip"
    fi
  fi
  if [ "$SUDO" != "skip" ]; then
    echo "==> apt-get install (${#APT_PACKAGES[@]} packages)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${APT_PACKAGES[@]}" >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${OPTIONAL_APT_PACKAGES[@]}" >/dev/null 2>&1 \
      || echo "note: not installed (not in this distribution): ${OPTIONAL_APT_PACKAGES[*]}" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "guiagent needs Python >= 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
  exit 2
}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> pip install -e '.[dev]'"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "==> ready: .venv/bin/guiagent --help"
