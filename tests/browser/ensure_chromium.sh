#!/usr/bin/env bash
# Print the path of a headless-capable Chromium, installing Debian's `chromium` if missing.
# Exit 2 (with the reason on stderr) where it cannot be had: not root, no apt-get, install failed.
set -euo pipefail

for name in chromium chromium-browser google-chrome; do
    if path=$(command -v "$name"); then echo "$path"; exit 0; fi
done
cannot() { echo "ensure_chromium.sh: no Chromium: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || cannot "not installed, and not root to apt-get install it"
command -v apt-get >/dev/null || cannot "not installed, and no apt-get"
echo "ensure_chromium.sh: installing chromium with apt-get (once per machine)" >&2
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -q >&2 || cannot "apt-get update failed"
timeout 900 apt-get install -y -q --no-install-recommends chromium >&2 \
    || cannot "apt-get install chromium failed"
command -v chromium || cannot "chromium not on PATH after installing"
