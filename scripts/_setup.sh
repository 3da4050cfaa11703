# Shared by scripts/run and scripts/test: make the virtual environment and
# install the pinned requirements when they changed. Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p var
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

# What WeasyPrint needs to render the report's PDF, and gettext for the Dutch catalogue.
PLATFORM_PACKAGES=(gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

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

# A venv without pip (Debian ships ensurepip separately, in python3.X-venv)
# is as good as none: create it again after installing that package.
# A new venv is empty: forget the stamp so the requirements get installed.
make_venv() {
  rm -rf .venv var/requirements.sha256
  "$PYTHON" -m venv .venv >var/venv.log 2>&1 && [ -x .venv/bin/pip ]
}
if [ ! -x .venv/bin/pip ]; then
  echo "→ Creating the virtual environment (.venv)"
  if ! make_venv; then
    py_version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    apt_install "python$py_version-venv"
    make_venv || { cat var/venv.log; echo "Creating .venv failed; see var/venv.log" >&2; exit 1; }
  fi
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

