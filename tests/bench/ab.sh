#!/bin/sh
# tests/bench/ab.sh: plain nginx and nginx under the shim at the same
# time, not one after the other.  Both workers are pinned to CPU 0
# (worker_cpu_affinity), two wrk run together on CPU 1, and each
# worker's CPU time per request (/proc/PID/schedstat over the measured
# run) is compared: ratio = plain / shim.  On this guest the speed of
# the whole machine drifts by up to 20% from one minute to the next; run
# side by side, both servers see the same drift, so the ratio of one
# round is much steadier than that of two runs a few seconds apart
# (bench.sh).  Which server starts first alternates between rounds.
#
# The two workers share one core's caches, taking turns every few
# milliseconds, so the absolute figures are not those of a server alone;
# bench.sh gives those.
#
# The two sides are plain nginx and the shim by default; A_SHIM names a
# build of libpoolprof.so for the first side, so that two builds of the
# shim are compared with each other under the same conditions.
#
#   ROUNDS (default 7), DURATION (s, default 4), CONNS (per server,
#   default 8), WORKLOADS (default "small"), STACKS (POOLPROF_STACKS of
#   the shim, default 0: stacks off; "default": the shim's default
#   sampling), SHIM_ENV (more environment for the
#   shim), A_SHIM (default none: plain nginx)

. "$top_srcdir/tests/lib.sh"

pp_need wrk taskset
pp_need_nginx
pp_need_built "$PP_SHIM"
[ "$(nproc)" -ge 2 ] || pp_skip_all "needs 2 CPUs"

ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-4}
CONNS=${CONNS:-8}
WORKLOADS=${WORKLOADS:-small}
STACKS=${STACKS:-0}

PP_MAIN="worker_cpu_affinity 01;"
AB_BASE=$PP_TMP

. "$top_srcdir/tests/bench/workloads.sh"
WORKLOADS=$(pp_bench_only "$WORKLOADS")

ab_pids=
ab_cleanup()
{
    for p in $ab_pids; do
        kill -KILL "$p" 2>/dev/null
        pkill -KILL -P "$p" 2>/dev/null
    done
    PP_TMP=$AB_BASE
    pp_nginx_pid=
    pp_cleanup
}
trap ab_cleanup EXIT

# ab_start NAME: nginx in $AB_BASE/NAME; sets NAME_pid, NAME_port, NAME_w
ab_start()
{
    PP_TMP=$AB_BASE/$1
    mkdir -p "$PP_TMP"
    if [ "$1" = shim ]; then
        PP_PRELOAD=$PP_SHIM
    else
        PP_PRELOAD=${A_SHIM:-}
    fi
    PP_ENV=
    if [ -n "$PP_PRELOAD" ]; then
        PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg ${SHIM_ENV:-}"
        [ "$STACKS" = default ] || PP_ENV="$PP_ENV POOLPROF_STACKS=$STACKS"
    fi
    pp_nginx_start >/dev/null || return 1
    ab_pids="$ab_pids $pp_nginx_pid"
    eval "$1_pid=$pp_nginx_pid $1_port=$PP_PORT"
    eval "$1_w=$(pp_children "$pp_nginx_pid" | head -n 1)"
    pp_nginx_pid=
}

ab_stop()
{
    PP_TMP=$AB_BASE/$1
    eval "pp_nginx_pid=\$$1_pid"
    pp__stopped=$pp_nginx_pid
    pp_nginx_stop >/dev/null
    pp__left=
    for p in $ab_pids; do
        [ "$p" = "$pp__stopped" ] || pp__left="$pp__left $p"
    done
    ab_pids=$pp__left
}

cpu()
{
    cut -d' ' -f1 "/proc/$1/schedstat" 2>/dev/null
}

reqs()
{
    sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$1"
}

echo "1..0 # SKIP benchmark (figures below)"
echo "# machine: $(nproc) cores, $(sed -n 's/model name.*: //p' /proc/cpuinfo | head -n 1)," \
     "kernel $(uname -r); nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"
echo "# side by side: both workers on CPU 0, wrk -t1 -c$CONNS for each on" \
     "CPU 1, ${DURATION}s a round, $ROUNDS rounds, shim with" \
     "POOLPROF_STACKS=$STACKS${SHIM_ENV:+ $SHIM_ENV}${A_SHIM:+; \"plain\" is $A_SHIM}"

for wl in $WORKLOADS; do
    hdr=
    [ "$wl" = gzip ] && hdr="-H Accept-Encoding:gzip"
    : > "$AB_BASE/r.$wl"
    i=0
    while [ $i -lt "$ROUNDS" ]; do
        if [ $((i % 2)) = 0 ]; then
            ab_start plain && ab_start shim
        else
            ab_start shim && ab_start plain
        fi || { echo "# nginx did not start"; exit 1; }

        # a warm-up second for both (plain_port etc. are set by ab_start)
        # shellcheck disable=SC2154,SC2086
        taskset -c 1 wrk -t1 -c"$CONNS" -d1s $hdr \
            "http://127.0.0.1:$plain_port/$wl" >/dev/null 2>&1 &
        wp=$!
        # shellcheck disable=SC2154,SC2086
        taskset -c 1 wrk -t1 -c"$CONNS" -d1s $hdr \
            "http://127.0.0.1:$shim_port/$wl" >/dev/null 2>&1
        wait $wp

        p0=$(cpu "$plain_w") s0=$(cpu "$shim_w")
        # shellcheck disable=SC2086
        taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" $hdr \
            "http://127.0.0.1:$plain_port/$wl" > "$AB_BASE/wrk.plain" 2>&1 &
        wp=$!
        # shellcheck disable=SC2086
        taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" $hdr \
            "http://127.0.0.1:$shim_port/$wl" > "$AB_BASE/wrk.shim" 2>&1
        wait $wp
        p1=$(cpu "$plain_w") s1=$(cpu "$shim_w")

        ab_stop plain
        ab_stop shim

        line=$(awk -v p0="$p0" -v p1="$p1" -v s0="$s0" -v s1="$s1" \
                   -v np="$(reqs "$AB_BASE/wrk.plain")" \
                   -v ns="$(reqs "$AB_BASE/wrk.shim")" 'BEGIN {
            if (np <= 0 || ns <= 0 || s1 <= s0) { print "0 0 0 0 0"; exit }
            cp = (p1 - p0) / np / 1000; cs = (s1 - s0) / ns / 1000
            printf "%.3f %.3f %.4f %d %d\n", cp, cs, cp / cs, np, ns }')
        # shellcheck disable=SC2086
        set -- $line
        echo "# $wl round $((i + 1)): plain $1 us/req ($4 requests)," \
             "shim $2 us/req ($5 requests), ratio $3"
        echo "$3" >> "$AB_BASE/r.$wl"
        i=$((i + 1))
    done

    sort -g "$AB_BASE/r.$wl" | awk -v wl="$wl" '{ v[NR] = $1 }
        END { printf "# %s: side by side, CPU per request plain/shim: min %.3f  median %.3f  max %.3f\n",
              wl, v[1], v[int((NR + 1) / 2)], v[NR] }'
done

exit 77
