#!/bin/sh
# Covers sampled stacks and flame graphs on Debian's nginx with the test
# module.  Every event sampled (POOLPROF_STACKS=1): the module's no-op
# free site reached through two call paths gives two distinct stacks
# with exact counts, in --format folded for every metric; the SVG is
# valid XML, names the module's frames and, when Debian's chromium is
# installed, a headless screenshot shows the module's frame highlighted.
# With the default sampling the output says it is an estimate; with
# POOLPROF_STACKS=0 there are no stacks and the reporter says so.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need xmllint
pp_need_built "$PP_SHIM" "$PP_REPORT"

A=7
B=5
S=64
h=ngx_http_pp_test

PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /via { pp_test noop_via; pp_test_size $S; }"


load()
{
    pp_requests $A "/via?path=a" && pp_requests $B "/via?path=b"
}

# value METRIC PATTERN: the summed values of the folded lines matching
value()
{
    "$PP_REPORT" --format folded --metric "$1" "$PP_TMP/seg" 2>/dev/null \
        | grep -- "$2" | awk '{ s += $NF } END { print s + 0 }'
}

pp_plan 20

PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=1"
pp_nginx_start || pp_done
pp_ok "$A requests through path a, $B through path b" load
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format folded --metric noop "$PP_TMP/seg" \
    > "$PP_TMP/noop.folded" 2> "$PP_TMP/err" || pp_diag "$(cat "$PP_TMP/err")"

pa="${h}_path_a;${h}_noop_common "
pb="${h}_path_b;${h}_noop_common "
pp_is "$(grep -c "${h}_noop_common " "$PP_TMP/noop.folded")" 2 \
    "two distinct stacks end at the no-op site"
pp_is "$(value noop "$pa")" $A "path a: exactly $A no-op frees"
pp_is "$(value noop "$pb")" $B "path b: exactly $B no-op frees"
pp_is "$(value pinned "$pa")" $((A * S)) "path a: $A*$S pinned bytes"
pp_is "$(value pinned "$pb")" $((B * S)) "path b: $B*$S pinned bytes"
pp_is "$(value allocs "$pa")" $A "path a: $A allocations"
pp_is "$(value alloc_bytes "$pb")" $((B * S)) "path b: $B*$S allocated bytes"
pp_ok "the stacks go up to the handler" \
    grep -q "${h}_noop_via_handler;${h}_path_a;" "$PP_TMP/noop.folded"
pp_ok "every event sampled: the root frame says so" \
    grep -q "^noop (every event);" "$PP_TMP/noop.folded"
"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/r.json" 2>/dev/null
pp_is "$(value unused ';ngx_event_accept ')" \
    "$(jq '[.pools[] | select(.symbol == "ngx_event_accept")
            | .unused_bytes] | add' "$PP_TMP/r.json")" \
    "unused bytes of connection pools, by their creation's stack"

"$PP_REPORT" --format svg --metric pinned "$PP_TMP/seg" > "$PP_TMP/f.svg" \
    2> "$PP_TMP/err" || pp_diag "$(cat "$PP_TMP/err")"
pp_ok "the SVG is valid XML" pp_quiet xmllint --noout "$PP_TMP/f.svg"
pp_ok "the SVG names the module's frame" \
    grep -q "${h}_noop_common" "$PP_TMP/f.svg"

pp_need_built "$PP_PNG_HAS_COLOR"
if pp_have chromium; then
    sh "$top_srcdir/tests/svg-shot.sh" "$PP_TMP/f.svg" "${h}_noop_common" \
        "$PP_TMP/f.png" > "$PP_TMP/shot.log" 2>&1
    pp_ok "headless chromium shows the module's frame highlighted" \
        pp_quiet "$PP_PNG_HAS_COLOR" "$PP_TMP/f.png" 230 0 230
else
    pp_skip "headless chromium shows the module's frame highlighted" \
        "$(pp_missing chromium)"
fi

# a stack table too small: the rest counts in its overflow row
rm -f "$PP_TMP/seg"
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=1 POOLPROF_SIZE=256K
    POOLPROF_SHARDS=2"
pp_nginx_start || pp_done
load
pp_nginx_stop
pp_is "$(value noop '')" $((A + B)) \
    "full stack table: every no-op free still counted"
"$PP_REPORT" --format folded --metric allocs "$PP_TMP/seg" \
    > "$PP_TMP/full.folded" 2>/dev/null
pp_ok "full stack table: the overflow is named" \
    grep -q "^allocs (every event);(stack table full) " "$PP_TMP/full.folded"

# the default sampling: estimates, labelled
rm -f "$PP_TMP/seg"
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg"
pp_nginx_start || pp_done
pp_ok "default sampling: the same load" load
pp_nginx_stop
"$PP_REPORT" --format svg --metric allocs "$PP_TMP/seg" > "$PP_TMP/d.svg" \
    2>/dev/null
pp_ok "default sampling: the SVG says its values are estimates" \
    grep -q "estimate: 1 in 512 events sampled" "$PP_TMP/d.svg"

rm -f "$PP_TMP/seg"
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=0"
pp_nginx_start || pp_done
load
pp_nginx_stop
"$PP_REPORT" --format folded "$PP_TMP/seg" > /dev/null 2> "$PP_TMP/err"
pp_is "$?:$(grep -c "POOLPROF_STACKS=0" "$PP_TMP/err")" "1:1" \
    "POOLPROF_STACKS=0: no stacks, one clear error"

pp_done
