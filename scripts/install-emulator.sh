#!/usr/bin/env bash
# Installs the AWS emulator (moto server) and cfn-lint into a project-local venv at .venv.
# Safe to run again: it does nothing when the pinned requirements are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=".venv"
req="requirements-dev.txt"
stamp="$venv/.requirements.sha256"

pick_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if ! py=$(pick_python); then
  echo "error: the local AWS emulator needs Python 3.10 or newer, and none was found." >&2
  echo "  Install it (Debian/Ubuntu: 'sudo apt-get install python3 python3-venv'; macOS: 'brew install python@3.12')," >&2
  echo "  or point PYTHON at one: PYTHON=/path/to/python3.12 npm start" >&2
  exit 1
fi

echo "Installing the local AWS emulator into $venv (one time, about a minute)..." >&2
if [ ! -x "$venv/bin/python" ]; then
  if ! "$py" -m venv "$venv" 2>/dev/null; then
    echo "error: '$py -m venv' failed. On Debian/Ubuntu install the venv module: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
echo "Emulator installed: $("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)')" >&2
