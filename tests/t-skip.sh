#!/bin/sh
# Covers POOLPROF_SKIP, POOLPROF_SMALL and the choice of the allocators'
# wrappers.  Debian's ngx_palloc, ngx_pnalloc and ngx_pcalloc pass the
# start-up check, so their wrappers make small allocations themselves;
# POOLPROF_SMALL=0 sends every allocation through nginx's functions, with
# the same figures.  Debian's
# ngx_pcalloc calls ngx_palloc, so its wrapper only marks the caller and
# ngx_palloc's records; with ngx_palloc left unhooked (POOLPROF_SKIP) the
# shim installs the wrapper that records by itself.  Either way N
# requests making R ngx_pcalloc() calls of S bytes each give exactly N*R
# allocations and N*R*S bytes at the module's handler, N*R*S of them
# zeroed, and none zeroed at the ngx_palloc caller.  A skipped
# function is named in one line; a name that is no target is one line
# too, and everything else is hooked.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=20
R=3
S=100

PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /pcallocs { pp_test pcallocs; pp_test_size $S;
                             pp_test_repeat $R; }
        location /allocs   { pp_test allocs;   pp_test_size $S;
                             pp_test_repeat $R; }"

h=ngx_http_pp_test

# site FIELD SYMBOL: the field summed over the sites of that symbol
site()
{
    jq "[.sites[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.json"
}

# the totals but the sampled stacks, and each site's allocations and bytes
figures()
{
    jq -c '[(.totals | del(.stack_samples)),
            [.sites[] | [.symbol, .allocs, .alloc_bytes]]]' \
        "$PP_TMP/report.json"
}

# run NAME SKIP [ENV]: N requests to each location with POOLPROF_SKIP=SKIP
run()
{
    PP_ENV="POOLPROF_VERBOSE=1 POOLPROF_SEGMENT=$PP_TMP/seg.$1 ${3:-}"
    [ -n "$2" ] && PP_ENV="$PP_ENV POOLPROF_SKIP=$2"
    pp_nginx_start || return 1
    pp_requests $N /pcallocs && pp_requests $N /allocs
    pp__rc=$?
    pp_nginx_stop
    cp "$PP_TMP/nginx.stderr" "$PP_TMP/stderr.$1"
    "$PP_REPORT" --format json "$PP_TMP/seg.$1" > "$PP_TMP/report.json" \
        2> "$PP_TMP/report.err"
    return $pp__rc
}

pp_plan 33

# every hook: ngx_pcalloc marks its caller, ngx_palloc records
pp_ok "all hooks: nginx serves $N requests to each location" run all ""
pp_is "$(grep -c 'not hooking' "$PP_TMP/stderr.all")" 0 \
    "all hooks: no hook refused"
pp_is "$(grep -c 'records its own' "$PP_TMP/stderr.all")" 0 \
    "all hooks: ngx_pcalloc calls the hooked ngx_palloc"
pp_is "$(site allocs ${h}_pcallocs_handler)" $((N * R)) \
    "all hooks: N*R allocations at the ngx_pcalloc caller"
pp_is "$(site alloc_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "all hooks: N*R*S bytes at the ngx_pcalloc caller"
pp_is "$(site allocs ${h}_allocs_handler)" $((N * R)) \
    "all hooks: N*R allocations at the ngx_palloc caller"
pp_is "$(site zeroed_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "all hooks: N*R*S bytes zeroed at the ngx_pcalloc caller"
pp_is "$(site zeroed_bytes ${h}_allocs_handler)" 0 \
    "all hooks: none zeroed at the ngx_palloc caller"
pp_is "$(grep -c 'small allocations made in the wrapper' \
         "$PP_TMP/stderr.all")" 3 \
    "all hooks: ngx_palloc, ngx_pnalloc and ngx_pcalloc pass the check"
all_json=$(figures)

# every allocation through nginx's functions: the same figures
pp_ok "POOLPROF_SMALL=0: nginx serves" run nosmall "" POOLPROF_SMALL=0
pp_is "$(grep -c 'small allocations made in the wrapper' \
         "$PP_TMP/stderr.nosmall")" 0 \
    "POOLPROF_SMALL=0: no wrapper allocates"
pp_is "$(grep -c 'not hooking' "$PP_TMP/stderr.nosmall")" 0 \
    "POOLPROF_SMALL=0: no hook refused"
pp_is "$(site allocs ${h}_pcallocs_handler)" $((N * R)) \
    "POOLPROF_SMALL=0: N*R allocations at the ngx_pcalloc caller"
pp_is "$(site alloc_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "POOLPROF_SMALL=0: N*R*S bytes at the ngx_pcalloc caller"
pp_is "$(site allocs ${h}_allocs_handler)" $((N * R)) \
    "POOLPROF_SMALL=0: N*R allocations at the ngx_palloc caller"
pp_is "$(site zeroed_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "POOLPROF_SMALL=0: N*R*S bytes zeroed at the ngx_pcalloc caller"
pp_is "$(site zeroed_bytes ${h}_allocs_handler)" 0 \
    "POOLPROF_SMALL=0: none zeroed at the ngx_palloc caller"
pp_is "$(figures)" "$all_json" \
    "POOLPROF_SMALL=0: the same totals and sites as with every hook"

# ngx_palloc skipped: ngx_pcalloc records by itself
pp_ok "ngx_palloc skipped: nginx serves" run nopalloc ngx_palloc
pp_is "$(grep -c 'not hooking' "$PP_TMP/stderr.nopalloc")" 1 \
    "ngx_palloc skipped: one line about it"
pp_ok "ngx_palloc skipped: the line names it and why" \
    grep -q 'not hooking ngx_palloc: POOLPROF_SKIP' "$PP_TMP/stderr.nopalloc"
pp_is "$(grep -c 'ngx_pcalloc does not call a hooked ngx_palloc' \
         "$PP_TMP/stderr.nopalloc")" 1 \
    "ngx_palloc skipped: ngx_pcalloc records its own allocations"
pp_is "$(site allocs ${h}_pcallocs_handler)" $((N * R)) \
    "ngx_palloc skipped: still N*R allocations at the ngx_pcalloc caller"
pp_is "$(site alloc_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "ngx_palloc skipped: still N*R*S bytes"
pp_is "$(site zeroed_bytes ${h}_pcallocs_handler)" $((N * R * S)) \
    "ngx_palloc skipped: still N*R*S bytes zeroed"
pp_is "$(site allocs ${h}_allocs_handler)" 0 \
    "ngx_palloc skipped: nothing recorded at the ngx_palloc caller"
pp_is "$(site zeroed_bytes ${h}_allocs_handler)" 0 \
    "ngx_palloc skipped: none zeroed at the ngx_palloc caller"
pp_is "$(jq .segment.hooks_ok "$PP_TMP/report.json")" 13 \
    "ngx_palloc skipped: 13 hooks"

# two names, separated by a comma
pp_ok "two skipped: nginx serves" \
    run two "ngx_pfree,ngx_chain_update_chains"
pp_is "$(grep -c 'POOLPROF_SKIP' "$PP_TMP/stderr.two")" 2 \
    "two skipped: one line each"
pp_is "$(jq .segment.hooks_ok "$PP_TMP/report.json")" 12 \
    "two skipped: 12 hooks"

# a name that is no target: one line, everything hooked
pp_ok "a typo: nginx serves" run typo ngx_pallocc
pp_is "$(grep -c 'POOLPROF_SKIP: ngx_pallocc is not a function poolprof hooks' \
         "$PP_TMP/stderr.typo")" 1 \
    "a typo: one line naming it"

pp_done
