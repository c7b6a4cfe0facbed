#!/bin/sh
# tests/bench/bench.sh: nginx (1 worker) with and without the shim, in
# interleaved rounds under wrk with keepalive on 127.0.0.1.  A round is
# three runs, one after the other: plain nginx, the shim with stacks off
# (POOLPROF_STACKS=0), the shim with default stack sampling (no
# POOLPROF_STACKS).  Prints requests/s of each run and, per workload,
# the ratios shim/plain (each shim run against the plain run of its own
# round) as min, median, max; the per-hooked-call cost from the
# allocation-heavy workload; worker RSS; the segment's used size.  Not
# part of `make check`: timings belong here, never in assertions.
#
#   PAIRS (rounds, default 7), DURATION (s, default 4), CONNS (default
#   16), STACKS (POOLPROF_STACKS of the sampling runs, default unset:
#   the shim's default), WORKLOADS (default "small gzip allocs"),
#   SEGDIR (where the segment lives, default /dev/shm as in production),
#   PIN (default 1: the worker on CPU 0 (worker_cpu_affinity), wrk on
#   CPU 1 (taskset); on this 2-vCPU guest unpinned runs of the same
#   configuration vary by up to 40%, pinned ones by about 10%), WARMUP
#   (default 1: one plain and one shim run per workload before the
#   rounds, not counted; the first runs on a cold guest are slow),
#   SHIM_ENV (more environment for both shim runs, such as
#   POOLPROF_SKIP=...: what part of the cost a group of hooks makes)

. "$top_srcdir/tests/lib.sh"

pp_need wrk perl
pp_need_nginx
pp_need_built "$PP_SHIM"

PAIRS=${PAIRS:-7}
DURATION=${DURATION:-4}
CONNS=${CONNS:-16}
WORKLOADS=${WORKLOADS:-small gzip allocs}
SEGDIR=${SEGDIR:-/dev/shm}
PIN=${PIN:-1}
WARMUP=${WARMUP:-1}

WRK=wrk
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null
then
    PP_MAIN="worker_cpu_affinity 01;"
    WRK="taskset -c 1 wrk"
else
    PIN=0
fi

# the segment is where it is by default (tmpfs): a file on a disk file
# system would add writeback and write-protect faults to the shim's cost
SEG=$SEGDIR/poolprof-bench.$$
trap 'rm -f "$SEG"; pp_cleanup' EXIT

. "$top_srcdir/tests/bench/workloads.sh"
WORKLOADS=$(pp_bench_only "$WORKLOADS")

# seg_used: 4 KiB pages of the segment that hold a non-zero byte, in kB
seg_used()
{
    perl -e 'open(F, "<", $ARGV[0]) or exit; binmode F; my ($b, $n);
             while (read(F, $b, 4096)) { $n++ if $b =~ /[^\0]/ }
             print 4 * ($n || 0), "\n"' "$1"
}

# run MODE URL: "req/s rss_kB shmem_kB seg_rss_kB seg_used_kB cpu_us/req"
# (MODE: plain, off, dflt)
run()
{
    case $1 in
        plain) PP_PRELOAD='' PP_ENV='' ;;
        off)   PP_PRELOAD=$PP_SHIM
               PP_ENV="POOLPROF_SEGMENT=$SEG POOLPROF_STACKS=0 ${SHIM_ENV:-}" ;;
        dflt)  PP_PRELOAD=$PP_SHIM
               PP_ENV="POOLPROF_SEGMENT=$SEG ${STACKS:+POOLPROF_STACKS=$STACKS} ${SHIM_ENV:-}" ;;
    esac

    rm -f "$SEG"
    pp_nginx_start >/dev/null || { echo "0 0 0 0 0"; return 1; }

    hdr=
    [ "$2" = /gzip ] && hdr="-H Accept-Encoding:gzip"
    # shellcheck disable=SC2086
    $WRK -t1 -c1 -d1s $hdr "http://127.0.0.1:$PP_PORT$2" >/dev/null 2>&1
    w=$(pp_children "$pp_nginx_pid" | head -n 1)
    # the worker's CPU time (ns, /proc/PID/schedstat) over the measured
    # run: other load on the machine lowers req/s, not CPU per request
    cpu0=$(cut -d' ' -f1 "/proc/$w/schedstat" 2>/dev/null)
    # shellcheck disable=SC2086
    $WRK -t1 -c"$CONNS" -d"${DURATION}s" $hdr --latency \
        "http://127.0.0.1:$PP_PORT$2" > "$PP_TMP/wrk.out" 2>&1
    cpu1=$(cut -d' ' -f1 "/proc/$w/schedstat" 2>/dev/null)
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' \
              "/proc/$w/status" 2>/dev/null)
    shm=$(sed -n 's/^RssShmem:[[:space:]]*\([0-9]*\).*/\1/p' \
              "/proc/$w/status" 2>/dev/null)
    # the worker's resident pages of the segment's mapping
    segrss=$(awk -v f="$SEG" '
        /^[0-9a-f]+-[0-9a-f]+ / { in_seg = ($NF == f) }
        in_seg && /^Rss:/ { n += $2 }
        END { print n + 0 }' "/proc/$w/smaps" 2>/dev/null)
    pp_nginx_stop >/dev/null

    used=0
    [ "$1" != plain ] && used=$(seg_used "$SEG")

    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$PP_TMP/wrk.out")
    reqs=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$PP_TMP/wrk.out")
    cpu=$(awk -v a="${cpu0:-0}" -v b="${cpu1:-0}" -v n="${reqs:-0}" \
              'BEGIN { printf "%.3f", (n > 0 ? (b - a) / n / 1000 : 0) }')
    echo "${rps:-0} ${rss:-0} ${shm:-0} ${segrss:-0} ${used:-0} $cpu"
}

# stats: min, median, max of the numbers on stdin, one a line
stats()
{
    sort -g | awk '{ v[NR] = $1 }
        END { printf "min %.3f  median %.3f  max %.3f\n",
              v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# busy: the machine's CPU use (% of all CPUs) over 2 s, nothing of
# ours running: other load makes req/s noisy
busy()
{
    a=$(head -n 1 /proc/stat)
    sleep 2
    b=$(head -n 1 /proc/stat)
    printf '%s\n%s\n' "$a" "$b" | awk '{ u = $2 + $3 + $4 + $7 + $8 + $9
        t = u + $5 + $6
        if (NR == 1) { u0 = u; t0 = t }
        else printf "%.0f%%\n", (t > t0 ? 100 * (u - u0) / (t - t0) : 0) }'
}

median()
{
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "1..0 # SKIP benchmark (figures below)"
echo "# machine: $(nproc) cores, $(sed -n 's/model name.*: //p' /proc/cpuinfo | head -n 1)," \
     "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
     "kernel $(uname -r)"
echo "# nginx: $("$NGINX" -v 2>&1 | sed 's/.*: //')  rounds: $PAIRS" \
     "(plain, stacks off, stacks ${STACKS:-default})  duration: ${DURATION}s" \
     " connections: $CONNS  segment: $SEGDIR  pinned: $PIN" \
     "${SHIM_ENV:+ shim runs with: $SHIM_ENV}"

echo "# other load before: $(busy) of all CPUs busy, load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"

for wl in $WORKLOADS; do
    : > "$PP_TMP/r.$wl"
    if [ "$WARMUP" = 1 ]; then
        run plain "/$wl" >/dev/null
        run off "/$wl" >/dev/null
    fi
    i=0
    while [ $i -lt "$PAIRS" ]; do
        # shellcheck disable=SC2046  # the fields of one line
        set -- $(run plain "/$wl")
        p_rps=$1 p_rss=$2 p_cpu=$6
        # shellcheck disable=SC2046  # the fields of one line
        set -- $(run off "/$wl")
        o_rps=$1 o_rss=$2 o_seg=$4 o_used=$5 o_cpu=$6
        # shellcheck disable=SC2046  # the fields of one line
        set -- $(run dflt "/$wl")
        d_rps=$1 d_rss=$2 d_seg=$4 d_used=$5 d_cpu=$6
        echo "# $wl round $((i + 1)): plain $p_rps req/s $p_cpu us/req" \
             "(rss $p_rss kB)  stacks off $o_rps req/s $o_cpu us/req" \
             "(rss $o_rss kB, segment $o_seg kB)  default $d_rps req/s" \
             "$d_cpu us/req (rss $d_rss kB, segment $d_seg kB)"
        # 1-3 req/s plain off dflt, 4-5 ratio off dflt, 6-8 rss plain
        # off dflt, 9-10 segment rss off dflt, 11-12 segment used off
        # dflt, 13-15 cpu us/req plain off dflt, 16-17 cpu ratio
        # plain/off plain/dflt
        awk -v p="$p_rps" -v o="$o_rps" -v d="$d_rps" 'BEGIN {
            if (p > 0) print p, o, d, o / p, d / p; else print p, o, d, 0, 0 }' \
            | tr '\n' ' ' >> "$PP_TMP/r.$wl"
        echo "$p_rss $o_rss $d_rss $o_seg $d_seg $o_used $d_used" \
            | tr '\n' ' ' >> "$PP_TMP/r.$wl"
        awk -v p="$p_cpu" -v o="$o_cpu" -v d="$d_cpu" 'BEGIN {
            if (o > 0 && d > 0) print p, o, d, p / o, p / d
            else print p, o, d, 0, 0 }' >> "$PP_TMP/r.$wl"
        i=$((i + 1))
    done
    f=$PP_TMP/r.$wl
    echo "# $wl: plain req/s $(cut -d' ' -f1 "$f" | stats)"
    echo "# $wl: ratio stacks off/plain $(cut -d' ' -f4 "$f" | stats)"
    echo "# $wl: ratio default sampling/plain $(cut -d' ' -f5 "$f" | stats)"
    echo "# $wl: worker CPU per request median: plain" \
         "$(cut -d' ' -f13 "$f" | median) us, stacks off" \
         "$(cut -d' ' -f14 "$f" | median) us, default" \
         "$(cut -d' ' -f15 "$f" | median) us"
    echo "# $wl: CPU ratio plain/stacks off $(cut -d' ' -f16 "$f" | stats)"
    echo "# $wl: CPU ratio plain/default $(cut -d' ' -f17 "$f" | stats)"
    # interference only ever slows a run down: the best run of each
    # mode is a second estimate, less sensitive to a few disturbed runs
    awk '{ for (i = 13; i <= 15; i++) if (NR == 1 || $i < m[i]) m[i] = $i }
        END { if (m[14] > 0 && m[15] > 0)
              printf "# %s: best of rounds: plain %.3f us/req, stacks off %.3f (ratio %.3f), default %.3f (ratio %.3f)\n",
                  wl, m[13], m[14], m[13] / m[14], m[15], m[13] / m[15] }' \
        wl="$wl" "$f"
    echo "# $wl: worker RSS median: plain $(cut -d' ' -f6 "$f" | median) kB," \
         "stacks off $(cut -d' ' -f7 "$f" | median) kB," \
         "default $(cut -d' ' -f8 "$f" | median) kB;" \
         "of it the segment: $(cut -d' ' -f9 "$f" | median) kB /" \
         "$(cut -d' ' -f10 "$f" | median) kB"
    echo "# $wl: segment pages written (non-zero 4 KiB pages, all" \
         "processes): stacks off $(cut -d' ' -f11 "$f" | median) kB," \
         "default $(cut -d' ' -f12 "$f" | median) kB of" \
         "$(($(stat -c %s "$SEG" 2>/dev/null || echo 0) / 1024)) kB"
done

if [ -f "$PP_TMP/r.allocs" ]; then
    # per hooked call: (1/shim - 1/plain) per request / 200, the
    # allocations the location adds; requests are served by one worker,
    # so 1/rps is its cost per request.  Conservative: the request also
    # makes ~27 other hooked calls (pool, chains), not counted here.
    awk '{ p += $1; o += $2; d += $3 } END {
        printf "# allocs: mean plain %.0f req/s, stacks off %.0f req/s, default %.0f req/s\n",
            p / NR, o / NR, d / NR
        printf "# allocs: per hooked call (means): stacks off %.1f ns, default sampling %.1f ns\n",
            (1e9 * NR / o - 1e9 * NR / p) / 200, (1e9 * NR / d - 1e9 * NR / p) / 200
    }' "$PP_TMP/r.allocs"
    echo "# allocs: per hooked call (req/s, median of rounds): stacks off" \
         "$(awk '{ printf "%f\n", (1e9 / $2 - 1e9 / $1) / 200 }' \
            "$PP_TMP/r.allocs" | median | xargs printf '%.1f') ns," \
         "default sampling" \
         "$(awk '{ printf "%f\n", (1e9 / $3 - 1e9 / $1) / 200 }' \
            "$PP_TMP/r.allocs" | median | xargs printf '%.1f') ns"
    # the same from the worker's CPU time per request, which neither a
    # saturated wrk nor other load on the machine distorts
    echo "# allocs: per hooked call (worker CPU per request, median of" \
         "rounds): stacks off" \
         "$(awk '{ printf "%f\n", ($14 - $13) * 1000 / 200 }' \
            "$PP_TMP/r.allocs" | median | xargs printf '%.1f') ns," \
         "default sampling" \
         "$(awk '{ printf "%f\n", ($15 - $13) * 1000 / 200 }' \
            "$PP_TMP/r.allocs" | median | xargs printf '%.1f') ns"
fi

echo "# other load after: $(busy) of all CPUs busy, load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"

exit 77
