#!/usr/bin/env bash
# Install what the endpoint, integration and browser tests need; idempotent and quick when already there.
#   apt: virtuoso-opensource (virtuoso-t), chromium + chromium-driver (headless browser tests)
#   pip (into the active Python): the oxigraph server binary, Playwright's Python driver, the HTTP stack
# Never downloads a browser: Playwright drives Debian's /usr/bin/chromium.
# The tests start and stop every server themselves, on free 127.0.0.1 ports.
set -euo pipefail

PYTHON="${PYTHON:-python}"
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

APT_PACKAGES=(virtuoso-opensource chromium chromium-driver)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$PYTHON" -m pip install -q \
  "starlette>=1.10,<2" "uvicorn>=0.54,<0.55" "httpx>=0.28,<0.29" \
  "oxigraph>=0.5.13,<0.6" "playwright>=1.65,<2"

# fail here, not in the middle of the tests, if something is still missing
command -v virtuoso-t >/dev/null || { echo "virtuoso-t not found after install" >&2; exit 1; }
test -x /usr/bin/chromium || { echo "/usr/bin/chromium not found after install" >&2; exit 1; }
"$PYTHON" - <<'PY'
import shutil, sys
from pathlib import Path
oxigraph = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
assert oxigraph, "the oxigraph binary (PyPI package oxigraph) is not on PATH or in the venv"
import playwright.sync_api, starlette, uvicorn, httpx  # noqa: F401
PY
echo "install-services: virtuoso-t, chromium, oxigraph, playwright ready"
