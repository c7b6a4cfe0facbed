#!/bin/sh
# svg-shot.sh SVG REGEX OUT.png: a headless chromium screenshot of the
# flame graph SVG with its search for REGEX run on load (?s=REGEX), so
# that matching frames are drawn in magenta.  Exits 77 without chromium.
# Bounded: chromium gets 60 seconds, in a throwaway profile and HOME.

[ $# -eq 3 ] || { echo "usage: svg-shot.sh SVG REGEX OUT.png" >&2; exit 2; }
command -v chromium >/dev/null 2>&1 || { echo "no chromium" >&2; exit 77; }

svg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svg-shot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

HOME=$tmp timeout 60 chromium --headless --no-sandbox --disable-gpu \
    --hide-scrollbars --no-first-run --disable-dev-shm-usage \
    --user-data-dir="$tmp/profile" --window-size=1200,800 \
    --screenshot="$3" "file://$svg?s=$2" > "$tmp/log" 2>&1
rc=$?

if [ $rc -ne 0 ] || [ ! -s "$3" ]; then
    echo "chromium failed ($rc):" >&2
    tail -n 5 "$tmp/log" >&2
    exit 1
fi
