# Shared by scripts/run and scripts/test: make the virtual environment and
# install the pinned requirements when they changed. Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p var
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "→ Creating the virtual environment (.venv)"
  "$PYTHON" -m venv .venv
fi
stamp="var/requirements.sha256"
if ! sha256sum --status -c "$stamp" 2>/dev/null; then
  echo "→ Installing Python packages (log: var/pip.log)"
  if ! .venv/bin/pip install --disable-pip-version-check -r requirements.txt >var/pip.log 2>&1; then
    tail -n 40 var/pip.log
    echo "pip install failed; see var/pip.log" >&2
    exit 1
  fi
  sha256sum requirements.txt >"$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"

# apt_install PACKAGE...: install Debian packages that are missing (as root).
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "→ Installing system packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -q "${missing[@]}" >var/apt.log 2>&1 ||
    { $sudo apt-get update -q >>var/apt.log 2>&1 && $sudo apt-get install -y -q "${missing[@]}" >>var/apt.log 2>&1; } ||
    { tail -n 20 var/apt.log; echo "apt-get install failed; see var/apt.log" >&2; exit 1; }
}
