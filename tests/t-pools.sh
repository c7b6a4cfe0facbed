#!/bin/sh
# Covers pool accounting on Debian's nginx with the test module, exact
# counts: N requests to the seed-000 "incorrect" location, R no-op frees
# each, give N*R no-op frees and N*R*S pinned bytes at its handler (R
# pins in one pool: the pool's record of them grows); the "correct" one
# none; the pinned bytes' byte-seconds, more than 0 and at most N*R*S
# times the run's length, go to the freeing site;
# large frees are real frees; foreign frees are counted; child pools are
# created and destroyed at the module's site.  Once with 1 worker and
# once with 4 (the reporter merges the shards).  With 1 worker, the
# unused bytes equal what nginx's own debug log prints at destroy.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=25
R=10
S=512
L=8192

PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /noop    { pp_test noop_free;    pp_test_size $S;
                            pp_test_repeat $R; }
        location /reuse   { pp_test reuse;        pp_test_size $S;
                            pp_test_repeat 4; }
        location /large   { pp_test large_free;   pp_test_size $L; }
        location /foreign { pp_test foreign_free; pp_test_size 100; }
        location /child   { pp_test child_pool;   pp_test_size 200;
                            pp_test_repeat 2; }"

# site FIELD SYMBOL: the field summed over the sites of that symbol
site()
{
    jq "[.sites[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.json"
}

pool()
{
    jq "[.pools[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.json"
}

total()
{
    jq ".totals.$1" "$PP_TMP/report.json"
}

load()
{
    for loc in noop reuse large foreign child; do
        pp_requests $N "/$loc" || return 1
    done
}

h=ngx_http_pp_test
pp_plan 42

for workers in 1 4; do
    PP_WORKERS=$workers
    PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.$workers"
    if [ "$workers" = 1 ]; then
        PP_ERROR_LEVEL=debug
    else
        PP_ERROR_LEVEL=notice
    fi

    t0=$(date +%s)
    pp_nginx_start || pp_done
    pp_ok "$workers worker(s): $N requests to each location" load
    pp_ok "$workers worker(s): nginx stops gracefully" pp_nginx_stop
    secs=$(( $(date +%s) - t0 + 1 ))

    if ! "$PP_REPORT" --format json "$PP_TMP/seg.$workers" \
        > "$PP_TMP/report.json" 2> "$PP_TMP/report.err"
    then
        pp_diag "$(cat "$PP_TMP/report.err")"
    fi
    pp_ok "$workers worker(s): the report is valid JSON" \
        pp_quiet jq -e .totals "$PP_TMP/report.json"

    w="$workers worker(s):"
    pp_is "$(site noop_frees ${h}_noop_free_handler)" $((N * R)) \
        "$w N*R no-op frees"
    pp_is "$(site pinned_bytes ${h}_noop_free_handler)" $((N * R * S)) \
        "$w N*R*S pinned bytes"
    pbs=$(site pinned_byte_seconds ${h}_noop_free_handler)
    pp_ok "$w pinned byte-seconds at the freeing site: 0 < $pbs <= $((N * R * S)) * $secs" \
        awk -v v="$pbs" -v max=$((N * R * S * secs)) \
            'BEGIN { exit !(v > 0 && v <= max) }'
    pp_is "$(site allocs ${h}_noop_free_handler)" $((2 * N * R)) \
        "$w 2NR allocations at the no-op site"
    pp_is "$(site freed ${h}_noop_free_handler)" 0 "$w nothing freed there"
    pp_is "$(site noop_frees ${h}_reuse_handler)" 0 "$w reuse: no no-op frees"
    pp_is "$(site allocs ${h}_reuse_handler)" $N "$w reuse: N allocations"
    pp_is "$(site freed ${h}_large_free_handler)" $N "$w large: N freed"
    pp_is "$(site noop_frees ${h}_large_free_handler)" 0 "$w large: no no-op"
    pp_is "$(site foreign_frees ${h}_foreign_free_handler)" $N \
        "$w N foreign frees"
    pp_is "$(site noop_frees ${h}_foreign_free_handler)" 0 \
        "$w foreign frees are not no-op frees"
    pp_is "$(pool created ${h}_child_pool_handler)" $((2 * N)) \
        "$w 2N child pools created at the module's site"
    pp_is "$(pool destroyed ${h}_child_pool_handler)" $((2 * N)) \
        "$w 2N child pools destroyed"
    pp_ok "$w the pinned bytes are in the totals" \
        test "$(total pinned_bytes)" -ge $((N * R * S))
    pp_is "$(total wasted_bytes)" \
        "$(( $(total pinned_bytes) + $(total unused_bytes) ))" \
        "$w wasted = pinned + unused"
    pp_is "$(jq '[.segment.processes[] | select(.role == "worker")] | length' \
             "$PP_TMP/report.json")" $workers "$w $workers worker shard(s)"
    pp_is "$(jq '[.segment.processes[] | select(.state != "exited")] | length' \
             "$PP_TMP/report.json")" 0 "$w every process exited"

    if [ "$workers" = 1 ]; then
        # nginx's own figure: "free: %p, unused: %uz" per block at destroy,
        # from the worker only (the master's pools die at exit unlogged)
        wpid=$(jq '.segment.processes[] | select(.role == "worker") | .pid' \
               "$PP_TMP/report.json")
        want=$(grep " $wpid#[0-9]*: .*free: [0-9A-Fa-fx]*, unused: " \
                   "$PP_TMP/nginx/logs/error.log" \
               | sed 's/.*unused: \([0-9]*\).*/\1/' \
               | awk '{ s += $1 } END { print s + 0 }')
        got=$(jq ".segment.processes[] | select(.pid == $wpid) | .unused_bytes" \
              "$PP_TMP/report.json")
        pp_ok "1 worker: nginx's debug log has unused figures" \
            test "${want:-0}" -gt 0
        pp_is "$got" "$want" \
            "1 worker: unused bytes equal nginx's debug log (free: unused:)"
    fi
done

pp_done
