#!/bin/sh
# Covers calls from threads that poolprof does not record: the test
# module's thread mode makes R + 6 pool calls per request in a thread of
# nginx's thread pool "pp_test" (4 threads, 4 clients at a time), so N
# requests give totals.other_threads = N * (R + 6) exactly, all in the
# workers' shards (1 worker, then 2), none in the master's, and none of
# them recorded; the recording thread's own requests (/allocs) still are,
# and add nothing to it; the text report says how many.  A worker that
# has no shard (POOLPROF_SHARDS=1) counts nothing, in no other shard.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"
"$NGINX" -V 2>&1 | grep -q -- '--with-threads' \
    || pp_skip_all "nginx is built without --with-threads"

N=40            # thread requests, in 4 clients of N/4
R=50            # ngx_palloc() calls in the task
A=7             # ngx_palloc() calls of an /allocs request
h=ngx_http_pp_test

PP_PRELOAD=$PP_SHIM
PP_MAIN="thread_pool pp_test threads=4;"
PP_SERVER="
        location = /thread { pp_test thread; pp_test_size 64;
                             pp_test_repeat $R; }
        location = /allocs { pp_test allocs; pp_test_size 32;
                             pp_test_repeat $A; }"

# report JQ: jq on the JSON report
report()
{
    jq "$1" "$PP_TMP/report.json"
}

# proc ROLE: other_threads summed over the processes of that role
proc()
{
    report "[.segment.processes[] | select(.role == \"$1\")
             | .other_threads] | add // 0"
}

load()
{
    pids=
    for _ in 1 2 3 4; do
        pp_requests $((N / 4)) /thread &
        pids="$pids $!"
    done
    rc=0
    for p in $pids; do
        wait "$p" || rc=1
    done
    [ $rc = 0 ] || return 1
    pp_requests $N /allocs
}

# run WORKERS SEGMENT: starts nginx, loads it, stops it, reads the report
run()
{
    PP_WORKERS=$1
    PP_ENV="POOLPROF_SEGMENT=$2 ${PP_SHARDS:+POOLPROF_SHARDS=$PP_SHARDS}"
    w="$1 worker(s)${PP_SHARDS:+, $PP_SHARDS shard}:"

    pp_nginx_start || pp_done
    pp_is "$(pp_get /thread)" "thread ok" "$w a thread request is answered"
    pp_ok "$w $N thread requests (4 clients) and $N /allocs" load
    pp_ok "$w nginx stops gracefully" pp_nginx_stop

    "$PP_REPORT" --format json "$2" > "$PP_TMP/report.json" \
        2> "$PP_TMP/report.err" || pp_diag "$(cat "$PP_TMP/report.err")"
    pp_ok "$w the report is valid JSON" \
        pp_quiet jq -e .totals "$PP_TMP/report.json"
}

pp_plan 25

# the check request above is one more
calls=$(( (N + 1) * (R + 6) ))

for workers in 1 2; do
    run $workers "$PP_TMP/seg.$workers"
    pp_is "$(report .totals.other_threads)" $calls \
        "$w other_threads = (N + 1) * (R + 6) = $calls"
    pp_is "$(proc worker)" $calls "$w all of them in the workers' shards"
    pp_is "$(proc master)" 0 "$w none in the master's"
    pp_is "$(report "[.sites[] | select(.symbol == \"${h}_thread_task\")]
                     | length")" 0 "$w nothing recorded at the task"
    pp_is "$(report "[.sites[] | select(.symbol == \"${h}_allocs_handler\")
                     | .allocs] | add // 0")" $((N * A)) \
        "$w the recording thread's N * $A allocations are recorded"
done

"$PP_REPORT" "$PP_TMP/seg.2" > "$PP_TMP/report.txt" 2>&1
pp_ok "the text report says how many calls were not recorded" \
    grep -q "^  $calls calls from other threads were not recorded" \
    "$PP_TMP/report.txt"

# the master takes the only shard; the worker records nothing
PP_SHARDS=1
run 1 "$PP_TMP/seg.shards"
pp_is "$(report '.segment.processes | length')" 1 "$w one process recorded"
pp_is "$(report .totals.other_threads)" 0 \
    "$w a worker without a shard counts nothing"

pp_done
