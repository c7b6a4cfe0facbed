#!/bin/sh
# Covers names for static functions from debug files.  nginx built from
# source (tests/nginx-src.sh, gcc -O0, cached) and the test module built
# for it are stripped to their .dynsym and run under the shim: the
# request pool's creator, ngx_http_alloc_request, and the module's
# handlers are static, so without debug info they are object+0x...
# offsets.  Their debug files then come from a real debuginfod server on
# 127.0.0.1 (named in text, JSON and SVG; a second report from the
# cache alone), from --debug-dir's .build-id, and from .gnu_debuglink in
# each of its three places.  A debug file of another build, and a FIFO,
# where the link points are refused.  With the server stopped (SIGSTOP:
# it accepts and never answers) and killed, the report still ends
# within --debuginfod-timeout and shows the offsets; resumed, it is
# asked again (the cancelled fetch is not cached as a miss).

. "$top_srcdir/tests/lib.sh"

pp_need curl jq objcopy strip timeout mkfifo
pp_need_built "$PP_SHIM" "$PP_REPORT"

src=${PP_NGINX_SRC_BUILDS:-$top_builddir/tests/nginx-src}
sh "$top_srcdir/tests/nginx-src.sh" "$src" gcc-O0 \
    "$top_srcdir/tests/modules" "$PP_TMP/mod" > "$PP_TMP/build" 2>&1
rc=$?
[ $rc -eq 77 ] && pp_skip_all "$(tail -n 1 "$PP_TMP/build")"
if [ $rc -ne 0 ]; then
    echo "1..1"
    echo "not ok 1 - build nginx and the test module (gcc-O0)"
    sed 's/^/# /' "$PP_TMP/build"
    exit 1
fi

N=9
S=64
h=ngx_http_pp_test
mod=ngx_http_poolprof_test_module.so
bin=$PP_TMP/bin
dbg=$PP_TMP/debug

pp_plan 28

# stripped copies; their debug files kept apart
mkdir -p "$bin" "$dbg" "$PP_TMP/empty"
cp "$(tail -n 1 "$PP_TMP/build")" "$bin/nginx" || pp_done
cp "$PP_TMP/mod/$mod" "$bin/$mod" || pp_done
for f in nginx "$mod"; do
    if ! { objcopy --only-keep-debug "$bin/$f" "$dbg/$f.debug" &&
           strip --strip-all "$bin/$f"; }
    then
        pp_fail "strip $f"
    fi
done
objcopy --add-gnu-debuglink="$dbg/nginx.debug" "$bin/nginx" \
    || pp_fail "add .gnu_debuglink"
chmod -R a+rX "$PP_TMP"

buildid()
{
    readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -n 1
}
id=$(buildid "$bin/nginx")
pp_ok "the stripped nginx has a build-id and no .symtab" \
    sh -c "[ -n '$id' ] && ! readelf -S '$bin/nginx' | grep -q symtab"

NGINX=$bin/nginx
PP_MODULE=$bin/$mod
PP_LOAD_MODULE=1
PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=1"
PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size $S; }"

pp_nginx_start || pp_done
pp_ok "$N requests to the module's no-op free location" \
    pp_requests $N /noop
pp_ok "nginx stops gracefully" pp_nginx_stop

# report NAME [OPTIONS]: text, JSON and SVG into $PP_TMP/NAME.*, bounded
report()
{
    pp__n=$1
    shift
    for pp__f in text json svg; do
        pp__m=
        [ $pp__f = svg ] && pp__m="--metric unused"
        # shellcheck disable=SC2086
        timeout 60 "$PP_REPORT" --format $pp__f $pp__m "$@" "$PP_TMP/seg" \
            > "$PP_TMP/$pp__n.$pp__f" 2>> "$PP_TMP/$pp__n.err" || return 1
    done
}

# named NAME: the static functions are named in every format
named()
{
    grep -q ngx_http_alloc_request "$PP_TMP/$1.text" &&
    grep -q "${h}_noop_free_handler" "$PP_TMP/$1.text" &&
    jq -e '[.pools[].symbol] | index("ngx_http_alloc_request")' \
        "$PP_TMP/$1.json" >/dev/null &&
    jq -e "[.sites[] | select(.noop_frees == $N).symbol]
           == [\"${h}_noop_free_handler\"]" "$PP_TMP/$1.json" >/dev/null &&
    grep -q ngx_http_alloc_request "$PP_TMP/$1.svg"
}

# offsets NAME: neither is named: a static function at nginx+0x..., its
# start from .eh_frame_hdr
offsets()
{
    ! grep -q ngx_http_alloc_request "$PP_TMP/$1.text" &&
    ! grep -q "${h}_noop_free_handler" "$PP_TMP/$1.text" &&
    grep -q "nginx+0x" "$PP_TMP/$1.text" &&
    jq -e "[.sites[] | select(.noop_frees == $N).symbol
            | test(\"^static function [^ ]+[+]0x[0-9a-f]+\")] == [true]" \
        "$PP_TMP/$1.json" >/dev/null
}

local_only="--no-debuginfod --debug-dir $PP_TMP/empty"

# shellcheck disable=SC2086
pp_ok "without debug info: the report is made" report none $local_only
pp_ok "without debug info: offsets, as on a stripped build" offsets none

# --- debuginfod ---------------------------------------------------------

if ! ldd "$PP_REPORT" 2>/dev/null | grep -q libdebuginfod; then
    r=$(pp_missing libdebuginfod-dev "poolprof-report built without it")
    for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        pp_skip "debuginfod $t" "$r"
    done
elif ! pp_have debuginfod; then
    for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        pp_skip "debuginfod $t" "$(pp_missing debuginfod)"
    done
else
    dpid=
    for _ in 1 2 3 4 5; do
        port=$(pp_port)
        # it listens on every address; the tests ask on 127.0.0.1 only
        debuginfod -F -p "$port" -d "$PP_TMP/debuginfod.sqlite" -c 1 \
            -t 0 -g 0 --disable-source-scan "$dbg" \
            > "$PP_TMP/debuginfod.log" 2>&1 &
        dpid=$!
        url=http://127.0.0.1:$port
        # scanned: the debug file is served
        pp_wait_until 30 sh -c "curl -sf -o /dev/null --max-time 2 \
            '$url/buildid/$id/debuginfo'" && break
        kill -KILL "$dpid" 2>/dev/null
        wait "$dpid" 2>/dev/null
        dpid=
    done
    pp_ok "debuginfod serves nginx's debug file" test -n "$dpid"
    [ -n "$dpid" ] || pp_diag "$(tail -n 5 "$PP_TMP/debuginfod.log")"

    export DEBUGINFOD_URLS="$url"
    export DEBUGINFOD_CACHE_PATH="$PP_TMP/cache"

    # shellcheck disable=SC2086
    pp_ok "debuginfod: the report is made" report fetched \
        --debug-dir "$PP_TMP/empty"
    pp_ok "debuginfod: static functions named in text, JSON and SVG" \
        named fetched
    pp_ok "debuginfod: the SVG names the module's handler" \
        sh -c "'$PP_REPORT' --format svg --metric noop '$PP_TMP/seg' \
               --debug-dir '$PP_TMP/empty' 2>/dev/null \
               | grep -q '${h}_noop_free_handler'"
    pp_ok "debuginfod: the debug file is in DEBUGINFOD_CACHE_PATH" \
        test -s "$PP_TMP/cache/$id/debuginfo"

    # the cache answers without the server
    kill -STOP "$dpid"
    pp_ok "debuginfod's cache: the report is made" report cached \
        --debug-dir "$PP_TMP/empty" --debuginfod-timeout 5
    pp_ok "debuginfod's cache: static functions named" named cached

    # a server that accepts and never answers: the deadline ends it
    rm -rf "$PP_TMP/cache"
    t0=$(date +%s)
    timeout 60 "$PP_REPORT" --debug-dir "$PP_TMP/empty" \
        --debuginfod-timeout 5 "$PP_TMP/seg" > "$PP_TMP/hung.text" \
        2> "$PP_TMP/hung.err"
    rc=$?
    t=$(($(date +%s) - t0))
    pp_is "$rc" 0 "stopped server: the report ends by itself (${t} s)"
    pp_ok "stopped server: it gave up after --debuginfod-timeout" \
        grep -q "debuginfod: no answer within 5 s" "$PP_TMP/hung.err"
    pp_ok "stopped server: offsets" sh -c "
        grep -q 'nginx+0x' '$PP_TMP/hung.text' &&
        ! grep -q ngx_http_alloc_request '$PP_TMP/hung.text'"

    # the cancelled fetch is not cached as a miss: asked again, answered
    kill -CONT "$dpid"
    pp_ok "server resumed: the report is made" report resumed \
        --debug-dir "$PP_TMP/empty" --debuginfod-timeout 30
    pp_ok "server resumed: static functions named" named resumed

    kill -KILL "$dpid"
    wait "$dpid" 2>/dev/null

    rm -rf "$PP_TMP/cache"
    timeout 60 "$PP_REPORT" --debug-dir "$PP_TMP/empty" \
        --debuginfod-timeout 5 "$PP_TMP/seg" > "$PP_TMP/gone.text" \
        2> "$PP_TMP/gone.err"
    pp_is "$?" 0 "no server: the report ends"
    pp_ok "no server: offsets" grep -q 'nginx+0x' "$PP_TMP/gone.text"

    pp_ok "--no-debuginfod: nothing fetched, offsets" sh -c "
        '$PP_REPORT' --no-debuginfod --debug-dir '$PP_TMP/empty' \
            '$PP_TMP/seg' 2>/dev/null | grep -q 'nginx+0x' &&
        test ! -e '$PP_TMP/cache/$id/debuginfo'"
    unset DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH
fi

# --- on this machine ----------------------------------------------------

root=$PP_TMP/root
x=$(echo "$id" | cut -c1-2)
y=$(echo "$id" | cut -c3-)
mid=$(buildid "$bin/$mod")
mx=$(echo "$mid" | cut -c1-2)
my=$(echo "$mid" | cut -c3-)
mkdir -p "$root/.build-id/$x" "$root/.build-id/$mx"
cp "$dbg/nginx.debug" "$root/.build-id/$x/$y.debug"
cp "$dbg/$mod.debug" "$root/.build-id/$mx/$my.debug"

pp_ok "--debug-dir: the report is made" report bid --no-debuginfod \
    --debug-dir "$root"
pp_ok "--debug-dir: named from DIR/.build-id/xx/yyyy.debug" named bid
rm -rf "$root/.build-id"

# .gnu_debuglink: only nginx has one, so only nginx is named
# linked NAME: nginx's static functions named in every format
linked()
{
    grep -q ngx_http_alloc_request "$PP_TMP/$1.text" &&
    jq -e '[.pools[].symbol] | index("ngx_http_alloc_request")' \
        "$PP_TMP/$1.json" >/dev/null &&
    grep -q ngx_http_alloc_request "$PP_TMP/$1.svg"
}

cp "$dbg/nginx.debug" "$bin/nginx.debug"
# shellcheck disable=SC2086
report link1 $local_only
pp_ok ".gnu_debuglink in nginx's directory: named" linked link1
rm -f "$bin/nginx.debug"

mkdir -p "$bin/.debug"
cp "$dbg/nginx.debug" "$bin/.debug/nginx.debug"
# shellcheck disable=SC2086
report link2 $local_only
pp_ok ".gnu_debuglink in its .debug/: named" linked link2
rm -rf "$bin/.debug"

mkdir -p "$root$bin"
cp "$dbg/nginx.debug" "$root$bin/nginx.debug"
report link3 --no-debuginfod --debug-dir "$root"
pp_ok ".gnu_debuglink in DIR/<its directory>: named" linked link3
rm -rf "$root$bin"

# another build's debug file at the link's place: refused, with a line
cp "$dbg/$mod.debug" "$bin/nginx.debug"
# shellcheck disable=SC2086
report wrong $local_only
pp_ok "a debug file of another build is not used" offsets wrong
pp_ok "and the report says so" grep -q \
    "skipping debug file $bin/nginx.debug for $bin/nginx: its build-id" \
    "$PP_TMP/wrong.err"
rm -f "$bin/nginx.debug"

# a FIFO there: not opened (no writer: opening it would block)
mkfifo "$bin/nginx.debug"
# shellcheck disable=SC2086
report fifo $local_only
pp_ok "a FIFO where the link points: skipped, not opened" sh -c "
    grep -q 'skipping debug file $bin/nginx.debug: not a regular file' \
        '$PP_TMP/fifo.err' && grep -q 'nginx+0x' '$PP_TMP/fifo.text'"
rm -f "$bin/nginx.debug"

pp_done
