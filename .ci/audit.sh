#!/usr/bin/env bash
# Audit the packages installed in the environment policykg runs in against known vulnerabilities (pip-audit,
# PyPI's advisory data). pip-audit lives in a venv of its own, so it neither changes the audited environment
# nor gets audited itself.
#
# Usage: .ci/audit.sh [PYTHON]      PYTHON: the audited environment's interpreter (default: python on PATH)
#
# Exit status: 0 every package audited, no known vulnerability; 1 vulnerabilities found; 2 PyPI's advisory
# data cannot be reached (nothing was audited: never reported as clean); 3 some packages could not be audited
# (not on PyPI under that version) -- listed; set AUDIT_ALLOW_UNAUDITED=1 to make that a warning.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_PY="${1:-python}"
AUDIT_VENV="${AUDIT_VENV:-${TMPDIR:-/tmp}/policykg-audit-venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/policykg-audit.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$AUDIT_VENV/bin/pip-audit" ]; then
  python3 -m venv "$AUDIT_VENV"
  "$AUDIT_VENV/bin/python" -m pip install -q --upgrade pip
  "$AUDIT_VENV/bin/python" -m pip install -q "pip-audit>=2.7,<3"
fi

# The advisory data comes from PyPI's per-release JSON API. Canary: requests 2.19.0 (2018) has published
# advisories; if PyPI does not answer for it with vulnerabilities, pip-audit would only report skips or a false
# "no known vulnerabilities". (Seen on a mirror that answers /pypi/NAME/json but 404s every /pypi/NAME/VERSION/json.)
if ! "$AUDIT_VENV/bin/python" - <<'EOF'
import json, sys, urllib.request
url = "https://pypi.org/pypi/requests/2.19.0/json"
try:
    with urllib.request.urlopen(url, timeout=15) as r:
        vulns = json.load(r).get("vulnerabilities") or []
except Exception as exc:
    print(f"audit: {url}: {type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
if not vulns:
    print(f"audit: {url} lists no vulnerabilities for a release known to have some", file=sys.stderr)
    sys.exit(1)
EOF
then
  echo "audit: PyPI's vulnerability data is not available from here: NOTHING WAS AUDITED" >&2
  exit 2
fi

# What is installed, pinned; the editable policykg itself is not on PyPI and is left out.
"$TARGET_PY" -m pip freeze --exclude-editable --all > "$WORK/installed.txt"
echo "audit: $(grep -c '==' "$WORK/installed.txt") packages installed in $("$TARGET_PY" -c 'import sys; print(sys.prefix)')"

set +e
"$AUDIT_VENV/bin/pip-audit" -r "$WORK/installed.txt" --no-deps --disable-pip --progress-spinner off \
  --vulnerability-service pypi --desc off -f json -o "$WORK/report.json" 2> "$WORK/stderr.txt"
status=$?
set -e
if [ ! -s "$WORK/report.json" ]; then
  echo "audit: pip-audit failed (exit $status):" >&2
  grep -v -- '--no-deps is supported\|pip-compile' "$WORK/stderr.txt" >&2 || true
  exit 2
fi

"$AUDIT_VENV/bin/python" - "$WORK/report.json" <<'EOF'
import json, os, sys
deps = json.load(open(sys.argv[1]))["dependencies"]
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d for d in deps if d.get("skip_reason")]
audited = len(deps) - len(skipped)
for d in vulnerable:
    for v in d["vulns"]:
        fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in: {fixes})")
for d in skipped:
    print(f"not audited: {d['name']}: {d['skip_reason']}")
print(f"audit: {audited} audited, {len(vulnerable)} vulnerable, {len(skipped)} not audited")
if vulnerable:
    sys.exit(1)
if skipped and os.environ.get("AUDIT_ALLOW_UNAUDITED") != "1":
    print("audit: some packages could not be audited (see above); AUDIT_ALLOW_UNAUDITED=1 to accept",
          file=sys.stderr)
    sys.exit(3)
EOF
