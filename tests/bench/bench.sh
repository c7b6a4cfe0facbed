#!/bin/sh
# tests/bench/bench.sh: nginx (1 worker) with and without the shim, in
# interleaved pairs (A B A B ...), under wrk with keepalive on 127.0.0.1.
# Prints requests/s of each run and the ratio shim/plain as min, median,
# max per workload, the per-hooked-call cost from the allocation-heavy
# workload, and worker RSS.  Not part of `make check`: timings belong
# here, never in assertions.
#
#   PAIRS (default 5), DURATION (s, default 5), CONNS (default 16),
#   STACKS (POOLPROF_STACKS for the shim runs, default unset)

. "$top_srcdir/tests/lib.sh"

pp_need wrk
pp_need_nginx
[ -f "$PP_SHIM" ] || pp_skip_all "shim not built"

PAIRS=${PAIRS:-5}
DURATION=${DURATION:-5}
CONNS=${CONNS:-16}

head -c 2048 /dev/urandom | base64 > "$PP_TMP/small.txt"
seq 1 20000 | head -c 102400 > "$PP_TMP/100k.txt"
chmod a+r "$PP_TMP"/*.txt

if [ -f "${PP_MODULE:-}" ]; then
    PP_LOAD_MODULE=1
    allocs="
        location = /allocs { pp_test allocs; pp_test_size 64;
                             pp_test_repeat 200; }"
fi

PP_SERVER="
        location = /small { alias $PP_TMP/small.txt; }
        location = /gzip  { alias $PP_TMP/100k.txt; gzip on;
                            gzip_min_length 1; gzip_types *; }
        ${allocs:-}"

workloads="small gzip"
[ -n "${allocs:-}" ] && workloads="$workloads allocs"

# run MODE URL: prints requests/s and latency (us), one line
run()
{
    if [ "$1" = shim ]; then
        PP_PRELOAD=$PP_SHIM
        PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg ${STACKS:+POOLPROF_STACKS=$STACKS}"
    else
        PP_PRELOAD=
        PP_ENV=
    fi

    rm -f "$PP_TMP/seg"
    pp_nginx_start >/dev/null || return 1

    hdr=
    [ "$2" = /gzip ] && hdr="-H Accept-Encoding:gzip"
    # shellcheck disable=SC2086
    wrk -t1 -c1 -d1s $hdr "http://127.0.0.1:$PP_PORT$2" >/dev/null 2>&1
    # shellcheck disable=SC2086
    wrk -t1 -c"$CONNS" -d"${DURATION}s" $hdr --latency \
        "http://127.0.0.1:$PP_PORT$2" > "$PP_TMP/wrk.out" 2>&1

    w=$(pp_children "$pp_nginx_pid" | head -n 1)
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$w/status" 2>/dev/null)
    pp_nginx_stop >/dev/null

    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$PP_TMP/wrk.out")
    echo "${rps:-0} ${rss:-0}"
}

stats()
{
    sort -n | awk '{ v[NR] = $1 }
        END { printf "min %.3f  median %.3f  max %.3f\n",
              v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "1..0 # SKIP benchmark (figures below)"
echo "# machine: $(nproc) cores, $(sed -n 's/model name.*: //p' /proc/cpuinfo | head -n 1)"
echo "# nginx: $("$NGINX" -v 2>&1)  pairs: $PAIRS  duration: ${DURATION}s  connections: $CONNS  stacks: ${STACKS:-off}"

for wl in $workloads; do
    : > "$PP_TMP/ratios"
    i=0
    while [ $i -lt "$PAIRS" ]; do
        set -- $(run plain "/$wl")
        plain=$1 prss=$2
        set -- $(run shim "/$wl")
        shim=$1 srss=$2
        echo "# $wl pair $((i + 1)): plain $plain req/s (rss ${prss} kB)  shim $shim req/s (rss ${srss} kB)"
        awk -v a="$shim" -v b="$plain" 'BEGIN { if (b > 0) print a / b }' \
            >> "$PP_TMP/ratios"
        echo "$plain $shim" >> "$PP_TMP/pairs.$wl"
        i=$((i + 1))
    done
    echo "# $wl: ratio shim/plain $(stats < "$PP_TMP/ratios")"
done

if [ -n "${allocs:-}" ]; then
    # per hooked call: (1/shim - 1/plain) per request / hooked calls per
    # request; requests are served one worker, so 1/rps is its cost
    awk '{ p += $1; s += $2 } END { printf "%f %f\n", p / NR, s / NR }' \
        "$PP_TMP/pairs.allocs" > "$PP_TMP/mean"
    set -- $(cat "$PP_TMP/mean")
    echo "# allocs: mean plain $1 req/s, shim $2 req/s;" \
         "200 hooked allocations per request:" \
         "$(awk -v p="$1" -v s="$2" 'BEGIN {
             printf "%.1f ns per hooked call", (1e9 / s - 1e9 / p) / 200 }')"
fi

exit 77
