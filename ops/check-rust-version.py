#!/usr/bin/env python3
"""Checks that the workspace's `rust-version` is the true minimum: the
highest of what the code's own language features need and what every
locked dependency built for Linux declares. A toolchain of that version
cannot be installed in CI here, so the declaration is checked against its
sources instead of by building with it.

The features are found by pattern: let-chains (`if let ... &&`, `&& let`)
need 1.88, edition 2024 needs 1.85. A new feature with a higher minimum
belongs in FEATURES."""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = "x86_64-unknown-linux-gnu"

# (minimum version, what, pattern over the Rust sources)
FEATURES = [
    ((1, 88), "let-chains", re.compile(r"\bif let\b[^{;]*&&|&&\s*let\b")),
]


def version(text):
    return tuple(int(part) for part in text.split(".")[:2])


def declared():
    text = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^rust-version\s*=\s*"([0-9.]+)"', text, re.M)
    if not match:
        sys.exit("Cargo.toml declares no rust-version")
    return version(match.group(1)), re.search(r'^edition\s*=\s*"(\d+)"', text, re.M).group(1)


def needs():
    found = []
    _, edition = declared()
    if edition == "2024":
        found.append(((1, 85), "edition 2024"))
    sources = [p for p in ROOT.rglob("*.rs") if "target" not in p.parts and ".tools" not in p.parts]
    for minimum, what, pattern in FEATURES:
        hit = next((p for p in sources if pattern.search(p.read_text(errors="replace"))), None)
        if hit:
            found.append((minimum, f"{what} ({hit.relative_to(ROOT)})"))
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", TARGET],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    )
    resolved = {node["id"] for node in metadata["resolve"]["nodes"]}
    for package in metadata["packages"]:
        if package["source"] and package["id"] in resolved and package.get("rust_version"):
            found.append((version(package["rust_version"]), f"{package['name']} {package['version']}"))
    return found


def main():
    have, _ = declared()
    found = needs()
    highest = max(minimum for minimum, _ in found)
    why = ", ".join(what for minimum, what in found if minimum == highest)
    show = lambda v: ".".join(map(str, v))
    if have != highest:
        sys.exit(f"rust-version is {show(have)}, but the true minimum is {show(highest)} ({why})")
    print(f"rust-version {show(have)} is the true minimum ({why})")


if __name__ == "__main__":
    main()
