#!/bin/sh
# Covers POOLPROF_SAMPLE on Debian's nginx with the test module.
# POOLPROF_SAMPLE=1 records every pool: the figures are those of a run
# without it, exact (N requests to "pp_test noop_free" give N*R no-op
# frees, to "pp_test child_pool" N*R pools).  POOLPROF_SAMPLE=K tracks 1
# in K pools, drawn at random (POOLPROF_SAMPLE_SEED fixes the draws):
# the JSON says "sample_period": K and "estimated": true, the text's
# header says estimates; every count is the tracked pools' times K, but
# pools_unsampled, which counts each pool left out, so that the pools
# created (tracked) / K + pools_unsampled = the pools the exact run
# created; the module's figures estimate the exact ones within 30%
# (each is K times a binomial count of mean 2N/K or N/K: 30% is more
# than 3.5 standard deviations, and the seed makes the draws the same
# on every run).  A bad value is one line on stderr and means every
# pool; nginx keeps serving.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=400
R=2
S=256
K=4

PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /noop     { pp_test noop_free;  pp_test_size $S;
                             pp_test_repeat $R; }
        location /child    { pp_test child_pool; pp_test_size 200;
                             pp_test_repeat $R; }
        location /reusebuf { pp_test body; pp_test_size 1000;
                             pp_test_repeat 8; pp_test_filter reuse; }"

h=ngx_http_pp_test

# site FIELD SYMBOL: the field summed over the sites of that symbol
site()
{
    jq "[.sites[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.$3.json"
}

# pool FIELD SYMBOL RUN: the same for the pool sites
pool()
{
    jq "[.pools[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.$3.json"
}

total()
{
    jq ".totals.$1" "$PP_TMP/report.$2.json"
}

# the totals but the sampled stacks, and each site's allocations and bytes
figures()
{
    jq -c '[(.totals | del(.stack_samples)),
            [.sites[] | [.symbol, .allocs, .alloc_bytes, .noop_frees]]]' \
        "$PP_TMP/report.$1.json"
}

# within GOT WANT: GOT is within 30% of WANT
within()
{
    [ $(( ($1 - $2) * 10 )) -le $(( $2 * 3 )) ] \
        && [ $(( ($2 - $1) * 10 )) -le $(( $2 * 3 )) ]
}

# run NAME [ENV]: N requests to each location, reported as JSON and text
run()
{
    PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.$1 POOLPROF_STACKS=0 ${2:-}"
    pp_nginx_start || return 1
    pp_requests $N /noop && pp_requests $N /child \
        && pp_requests $N /reusebuf
    pp__rc=$?
    pp_nginx_stop || pp__rc=1
    cp "$PP_TMP/nginx.stderr" "$PP_TMP/stderr.$1"
    "$PP_REPORT" --format json "$PP_TMP/seg.$1" > "$PP_TMP/report.$1.json" \
        2> "$PP_TMP/report.err" || pp__rc=1
    "$PP_REPORT" --color never "$PP_TMP/seg.$1" > "$PP_TMP/report.$1.txt" \
        2>> "$PP_TMP/report.err" || pp__rc=1
    return $pp__rc
}

# every non-EXACT count of totals, sites, pools and tags divisible by K
scaled()
{
    jq -e --argjson k "$1" '
      def counts: to_entries[] | select(.value | type == "number")
                  | select(.value == (.value | floor)) | .value;
      [(.totals | del(.pools_unsampled, .untracked, .other_threads,
                      .overflow, .stack_samples, .live_dropped) | counts),
       (.sites[] | del(.pinned_byte_seconds, .reuse_rate) | counts),
       (.pools[] | {created, destroyed, blocks, unused_bytes,
                    small_allocs, small_bytes} | counts),
       (.tags[] | {hits, misses, recycled, busy} | counts)]
      | all(. % $k == 0)' "$PP_TMP/report.$2.json" >/dev/null
}

pp_plan 26

# every pool: exactly the figures of a run without POOLPROF_SAMPLE
pp_ok "unset: nginx serves $N requests to each location" run plain
pp_ok "POOLPROF_SAMPLE=1: nginx serves" run one POOLPROF_SAMPLE=1
pp_is "$(jq -c '[.sample_period, .estimated]' "$PP_TMP/report.one.json")" \
    "[1,false]" "POOLPROF_SAMPLE=1: not estimated"
pp_is "$(figures one)" "$(figures plain)" \
    "POOLPROF_SAMPLE=1: the same totals and sites as without it"
pp_is "$(site noop_frees ${h}_noop_free_handler one)" $((N * R)) \
    "POOLPROF_SAMPLE=1: N*R no-op frees"
pp_is "$(pool created ${h}_child_pool_handler one)" $((N * R)) \
    "POOLPROF_SAMPLE=1: N*R pools created by the module"
pp_is "$(total pools_unsampled one)" 0 "POOLPROF_SAMPLE=1: no pool left out"
pp_is "$(grep -c '^estimates' "$PP_TMP/report.one.txt")" 0 \
    "POOLPROF_SAMPLE=1: the text says nothing of estimates"

# 1 in K pools
created=$(total pools_created one)
pp_ok "POOLPROF_SAMPLE=$K: nginx serves" \
    run some "POOLPROF_SAMPLE=$K POOLPROF_SAMPLE_SEED=20261203"
pp_is "$(grep -c POOLPROF "$PP_TMP/stderr.some")" 0 \
    "POOLPROF_SAMPLE=$K: no warning"
pp_is "$(jq -c '[.sample_period, .estimated]' "$PP_TMP/report.some.json")" \
    "[$K,true]" "POOLPROF_SAMPLE=$K: the JSON says estimated, 1 in $K"
pp_ok "POOLPROF_SAMPLE=$K: the text's header says estimates" \
    grep -q "^estimates: 1 in $K pools tracked, counts scaled by $K" \
    "$PP_TMP/report.some.txt"
tracked=$(total pools_created some)
unsampled=$(total pools_unsampled some)
pp_ok "POOLPROF_SAMPLE=$K: pools were tracked and left out" \
    test "$tracked" -gt 0 -a "$unsampled" -gt 0
pp_is "$((tracked / K + unsampled))" "$created" \
    "POOLPROF_SAMPLE=$K: tracked + left out = the pools of the exact run"
pp_ok "POOLPROF_SAMPLE=$K: every count is a multiple of $K" scaled $K some
noop=$(site noop_frees ${h}_noop_free_handler some)
pinned=$(site pinned_bytes ${h}_noop_free_handler some)
child=$(pool created ${h}_child_pool_handler some)
hits=$(jq '[.tags[] | select(.symbol | test("poolprof_test")) | .hits]
           | add // 0' "$PP_TMP/report.some.json")
hits1=$(jq '[.tags[] | select(.symbol | test("poolprof_test")) | .hits]
            | add // 0' "$PP_TMP/report.one.json")
pp_diag "estimates (exact): no-op frees $noop ($((N * R)))," \
    "module pools $child ($((N * R))), buffer hits $hits ($hits1)"
pp_ok "POOLPROF_SAMPLE=$K: no-op frees within 30% of N*R" \
    within "$noop" $((N * R))
pp_is "$pinned" $((noop * S)) \
    "POOLPROF_SAMPLE=$K: pinned bytes = no-op frees * S, exactly"
pp_ok "POOLPROF_SAMPLE=$K: module pools within 30% of N*R" \
    within "$child" $((N * R))
pp_ok "POOLPROF_SAMPLE=$K: buffer hits within 30% of the exact run's" \
    within "$hits" "$hits1"

# bad values: one line each, every pool tracked
for bad in abc -3; do
    pp_ok "POOLPROF_SAMPLE=$bad: nginx serves" run bad POOLPROF_SAMPLE=$bad
    pp_is "$(grep -c "POOLPROF_SAMPLE=\"$bad\" is not a number" \
             "$PP_TMP/stderr.bad")" 1 \
        "POOLPROF_SAMPLE=$bad: one line about it"
done
pp_is "$(figures bad)" "$(figures plain)" \
    "a bad value: every pool, the figures of a run without it"
pp_ok "POOLPROF_SAMPLE=0: nginx serves" run zero POOLPROF_SAMPLE=0
pp_is "$(figures zero)" "$(figures plain)" \
    "POOLPROF_SAMPLE=0: every pool, the figures of a run without it"

pp_done
