#!/bin/sh
# svg-shot.sh SVG REGEX OUT.png: a 1200x800 screenshot, by headless
# chromium, of the flame graph SVG opened as file://SVG?s=REGEX, so that
# its script searches for REGEX on load and paints matches magenta.
# Exits 77 without chromium ($CHROMIUM, default chromium), 1 when no
# screenshot came out.  Bounded: chromium gets 60 seconds, then is
# killed; it runs with a throwaway profile and HOME, removed on exit.

if [ $# -ne 3 ]; then
    echo "usage: svg-shot.sh SVG REGEX OUT.png" >&2
    exit 2
fi

chromium=${CHROMIUM:-chromium}
if ! command -v "$chromium" > /dev/null 2>&1; then
    echo "svg-shot.sh: $chromium is not installed" >&2
    exit 77
fi

if [ ! -r "$1" ]; then
    echo "svg-shot.sh: cannot read $1" >&2
    exit 1
fi

# percent-encodes $1 for a URL; with $2 = /, slashes stay
urlencode() {
    printf '%s' "$1" | od -An -v -tx1 | tr -s ' ' '\n' | while read -r x; do
        case $x in
        '') ;;
        3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2d|2e|5f|7e)
            # shellcheck disable=SC2059 # an octal escape, on purpose
            printf "\\$(printf '%o' "0x$x")" ;;
        2f) if [ "$2" = / ]; then printf /; else printf %%2F; fi ;;
        *)  printf '%%%s' "$x" ;;
        esac
    done
}

case $1 in
/*) svg=$1 ;;
*)  svg=$(pwd)/$1 ;;
esac

case $3 in
/*) out=$3 ;;
*)  out=$(pwd)/$3 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/svg-shot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

url="file://$(urlencode "$svg" /)?s=$(urlencode "$2")"
rm -f "$out"

HOME=$tmp XDG_CONFIG_HOME=$tmp XDG_CACHE_HOME=$tmp \
    timeout -k 5 60 "$chromium" --headless --no-sandbox --disable-gpu \
    --hide-scrollbars --no-first-run --no-default-browser-check \
    --disable-dev-shm-usage --user-data-dir="$tmp/profile" \
    --window-size=1200,800 --screenshot="$out" "$url" \
    < /dev/null > "$tmp/log" 2>&1
rc=$?

if [ $rc -ne 0 ] || [ ! -s "$out" ]; then
    echo "svg-shot.sh: chromium failed (exit $rc) on $url:" >&2
    tail -n 5 "$tmp/log" >&2
    exit 1
fi
