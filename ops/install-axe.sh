#!/usr/bin/env bash
# Installs axe-core, the accessibility rules engine the browser journeys
# run on every page they visit (WCAG 2.1 A and AA), into the project's
# .tools/axe, unless the pinned version is already there. The package
# comes from the npm registry as its tarball, whose SHA-512 (the
# registry's `integrity`) is checked before anything is unpacked; only
# `axe.min.js` is kept. Needs Python 3, not Node.js.
set -euo pipefail

VERSION=4.14.1
INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target="$root/.tools/axe"

if [[ -f "$target/axe.min.js" && "$(cat "$target/VERSION" 2>/dev/null)" == "$VERSION" ]]; then
  echo "axe-core: $VERSION in .tools/axe"
  exit 0
fi

python=$(command -v python3 || command -v python) || { echo "install-axe: python3 is needed" >&2; exit 1; }
mkdir -p "$target"
"$python" - "$VERSION" "$INTEGRITY" "$target" <<'PY'
import base64, hashlib, io, os, sys, tarfile, urllib.request
version, integrity, target = sys.argv[1:]
url = f"https://registry.npmjs.org/axe-core/-/axe-core-{version}.tgz"
print(f"install-axe: fetching {url}")
with urllib.request.urlopen(url, timeout=120) as response:
    tarball = response.read()
actual = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
if actual != integrity:
    sys.exit(f"install-axe: checksum mismatch: {actual}, expected {integrity}")
with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
    script = archive.extractfile("package/axe.min.js").read()
partial = os.path.join(target, "axe.min.js.partial")
with open(partial, "wb") as out:
    out.write(script)
os.replace(partial, os.path.join(target, "axe.min.js"))
with open(os.path.join(target, "VERSION"), "w") as out:
    out.write(version + "\n")
PY
echo "axe-core: $VERSION installed in .tools/axe"
