#!/bin/sh
# tests/bench/ab.sh: plain nginx and nginx under the shim at the same
# time, not one after the other.  Both workers are pinned to CPU 0
# (worker_cpu_affinity), two load generators run together on CPU 1,
# and each worker's CPU time per request (/proc/PID/schedstat over the
# measured run) is compared: ratio = plain / shim.  On this guest the
# speed of the whole machine drifts by up to 20% from one minute to the
# next; run side by side, both servers see the same drift, so the ratio
# of one round is much steadier than that of two runs a few seconds
# apart (bench.sh).  Which server starts first alternates between
# rounds.
#
# The two workers share one core's caches, taking turns every few
# milliseconds, so the absolute figures are not those of a server alone;
# bench.sh gives those.
#
# Workloads (tests/bench/workloads.sh has the locations):
#   small, gzip, allocs, allocs1, churn, churn200   wrk -t1 over
#       HTTP/1.1 keepalive; churn with CHURN_CONNS connections.  allocs
#       also prints the cost per hooked call, churn and churn200 the
#       cost per event: (shim - plain) CPU per request over the pool
#       calls that the request makes at the module (pp_bench_events),
#       median of the rounds; with both churn workloads, whether
#       churn's cost per event is within 2x of churn200's.  allocs1 is
#       the allocs request with one allocation instead of 200: run
#       with allocs, it gives the marginal cost of one hooked call,
#       (median of allocs's shim - plain, less that of allocs1) / 199,
#       without the request's other hooked calls and its pool.
#   tls-h2   HTTPS with HTTP/2 on a second listen of each server
#       ("ssl http2", TLS 1.3, a self-signed P-256 certificate that
#       openssl makes in $PP_TMP, keepalive_requests 1000000), /small
#       loaded with h2load -c CONNS -m 1 on CPU 1.
#   proxy    each server proxies /proxy to /small of a third nginx,
#       plain, its worker on CPU 1 with the load generators, over an
#       upstream keepalive pool (proxy_http_version 1.1, Connection "").
#   The CPU per request is the front worker's in every case.
#
# The two sides are plain nginx and the shim by default; A_SHIM names a
# build of libpoolprof.so for the first side, so that two builds of the
# shim are compared with each other under the same conditions.
#
#   ROUNDS (default 7), DURATION (s, default 4), CONNS (per server,
#   default 8), CHURN_CONNS (default 1: one churn request costs
#   milliseconds), WORKLOADS (default "small"), STACKS (POOLPROF_STACKS
#   of the shim, default 0: stacks off; "default": the shim's default
#   sampling), SHIM_ENV (more environment for the shim), A_SHIM (default
#   none: plain nginx), SAMPLE (POOLPROF_SAMPLE of the shim, default
#   none: every pool), AB_RESULTS (a file: "WORKLOAD.MODE.FIGURE VALUE"
#   lines are appended for tests/bench/targets.sh, MODE being STACKS,
#   followed by "-sN" with SAMPLE=N)

. "$top_srcdir/tests/lib.sh"

pp_need wrk taskset
pp_need_nginx
pp_need_built "$PP_SHIM"
[ "$(nproc)" -ge 2 ] || pp_skip_all "needs 2 CPUs"

ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-4}
CONNS=${CONNS:-8}
CHURN_CONNS=${CHURN_CONNS:-1}
WORKLOADS=${WORKLOADS:-small}
STACKS=${STACKS:-0}
SAMPLE=${SAMPLE:-}
case $SAMPLE in
*[!0-9]*) echo "ab.sh: SAMPLE is not a number: $SAMPLE" >&2; exit 2 ;;
esac
ab_mode=$STACKS${SAMPLE:+-s$SAMPLE}

AB_BASE=$PP_TMP

. "$top_srcdir/tests/bench/workloads.sh"
AB_SERVER=$PP_SERVER
ab_asked=$WORKLOADS
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

# ab_result FIGURE VALUE: one line for targets.sh
ab_result()
{
    [ -n "${AB_RESULTS:-}" ] && echo "$wl.$ab_mode.$1 $2" >> "$AB_RESULTS"
    return 0
}

# ab_port: a port on 127.0.0.1 that nothing listens on (tls-h2's second
# listen; pp_nginx_start picks the first one itself)
ab_port()
{
    ab__n=0
    while [ $ab__n -lt 10 ]; do
        ab__n=$((ab__n + 1))
        ab__p=$(pp_port)
        ab__hex=$(printf ':%04X' "$ab__p")
        if ! awk -v h="$ab__hex" '$4 == "0A" \
                 && substr($2, length($2) - 4) == h { f = 1 }
                 END { exit !f }' /proc/net/tcp
        then
            echo "$ab__p"
            return 0
        fi
    done
    return 1
}

# ab_conf NAME: PP_MAIN, PP_HTTP and PP_SERVER of server NAME (plain,
# shim, or up: proxy's upstream) for workload $wl
ab_conf()
{
    PP_MAIN="worker_cpu_affinity 01;"
    PP_HTTP=
    PP_SERVER=$AB_SERVER

    case $wl.$1 in
    proxy.up)
        PP_MAIN="worker_cpu_affinity 10;"
        PP_SERVER="$AB_SERVER
        keepalive_requests 1000000;"
        ;;
    proxy.*)
        # shellcheck disable=SC2154  # set by ab_start up
        PP_HTTP="    upstream pp_back {
        server 127.0.0.1:$up_port;
        keepalive 16;
        keepalive_requests 1000000;
    }"
        PP_SERVER="$AB_SERVER
        location = /proxy { proxy_pass http://pp_back/small;
                            proxy_http_version 1.1;
                            proxy_set_header Connection \"\"; }"
        ;;
    tls-h2.*)
        ab__p=$(ab_port) || return 1
        eval "$1_tport=$ab__p"
        PP_SERVER="$AB_SERVER
        listen 127.0.0.1:$ab__p ssl http2;
        ssl_certificate $AB_BASE/cert.pem;
        ssl_certificate_key $AB_BASE/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        keepalive_requests 1000000;"
        ;;
    esac
}

# ab_start NAME: nginx in $AB_BASE/NAME; sets NAME_pid, NAME_port, NAME_w
ab_start()
{
    PP_TMP=$AB_BASE/$1
    mkdir -p "$PP_TMP"
    case $1 in
    shim)  PP_PRELOAD=$PP_SHIM ;;
    plain) PP_PRELOAD=${A_SHIM:-} ;;
    *)     PP_PRELOAD= ;;
    esac
    PP_ENV=
    if [ -n "$PP_PRELOAD" ]; then
        PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg ${SHIM_ENV:-}"
        [ "$STACKS" = default ] || PP_ENV="$PP_ENV POOLPROF_STACKS=$STACKS"
        [ -z "$SAMPLE" ] || PP_ENV="$PP_ENV POOLPROF_SAMPLE=$SAMPLE"
    fi
    ab_conf "$1" || return 1
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

# ab_load NAME SECONDS OUT: loads server NAME with workload $wl from
# CPU 1 for SECONDS, the load generator's output in OUT
ab_load()
{
    eval "ab__port=\$$1_port ab__tport=\${$1_tport:-}"
    ab__c=$CONNS
    ab__hdr=
    ab__path=/$wl
    case $wl in
    gzip)  ab__hdr="-H Accept-Encoding:gzip" ;;
    churn) ab__c=$CHURN_CONNS ;;
    proxy) ab__path=/proxy ;;
    esac

    # shellcheck disable=SC2154  # ab__port, ab__tport: set by the eval
    if [ "$wl" = tls-h2 ]; then
        timeout $(($2 + 30)) taskset -c 1 h2load -c"$ab__c" -m1 -D"$2" \
            "https://127.0.0.1:$ab__tport/small" > "$3" 2>&1
    else
        # shellcheck disable=SC2086
        timeout $(($2 + 30)) taskset -c 1 wrk -t1 -c"$ab__c" -d"$2s" \
            $ab__hdr "http://127.0.0.1:$ab__port$ab__path" > "$3" 2>&1
    fi
}

cpu()
{
    cut -d' ' -f1 "/proc/$1/schedstat" 2>/dev/null
}

# reqs OUT: the requests answered, from wrk's or h2load's output
reqs()
{
    sed -n -e 's/^ *\([0-9]*\) requests in .*/\1/p' \
        -e 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$1"
}

# bad OUT: the responses that were not 2xx or 3xx
bad()
{
    sed -n -e 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' \
        -e 's/^status codes: .* \([0-9]*\) 4xx, \([0-9]*\) 5xx.*/\1 \2/p' \
        "$1" | awk '{ n += $1 + $2 } END { print n + 0 }'
}

# median COLUMN FILE
median()
{
    cut -d' ' -f"$1" "$2" | sort -g \
        | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "1..0 # SKIP benchmark (figures below)"
echo "# machine: $(nproc) cores, $(sed -n 's/model name.*: //p' /proc/cpuinfo | head -n 1)," \
     "kernel $(uname -r); nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"
echo "# side by side: both workers on CPU 0, a load generator for each on" \
     "CPU 1 ($CONNS connections, churn $CHURN_CONNS), ${DURATION}s a round," \
     "$ROUNDS rounds," \
     "shim with POOLPROF_STACKS=$STACKS${SAMPLE:+ POOLPROF_SAMPLE=$SAMPLE}${SHIM_ENV:+ $SHIM_ENV}${A_SHIM:+; \"plain\" is $A_SHIM}"

# the workloads asked for that cannot run are named, also in AB_RESULTS
ab_tls=
case " $WORKLOADS " in
*" tls-h2 "*)
    if ! pp_have h2load; then
        ab_tls=$(pp_missing h2load)
    else
        ab_tls=$(pp_bench_cert "$AB_BASE")
    fi
    if [ -n "$ab_tls" ]; then
        WORKLOADS=$(echo "$WORKLOADS" | sed 's/tls-h2//')
    fi
    ;;
esac

for wl in $ab_asked; do
    case " $WORKLOADS " in
    *" $wl "*) continue ;;
    esac
    case $wl in
    tls-h2) why=$ab_tls ;;
    *)      why=$(pp_missing nginx-dev "the test module is not built") ;;
    esac
    echo "# $wl: not run: $why"
    ab_result skipped "$why"
done

for wl in $WORKLOADS; do
    if [ "$wl" = proxy ]; then
        ab_start up || { echo "# the upstream nginx did not start"; exit 1; }
    fi
    : > "$AB_BASE/r.$wl"
    i=0
    while [ $i -lt "$ROUNDS" ]; do
        if [ $((i % 2)) = 0 ]; then
            ab_start plain && ab_start shim
        else
            ab_start shim && ab_start plain
        fi || { echo "# nginx did not start"; exit 1; }

        # a warm-up second for both
        ab_load plain 1 /dev/null &
        wp=$!
        ab_load shim 1 /dev/null
        wait $wp

        # shellcheck disable=SC2154  # plain_w, shim_w: set by ab_start
        p0=$(cpu "$plain_w") s0=$(cpu "$shim_w")
        ab_load plain "$DURATION" "$AB_BASE/load.plain" &
        wp=$!
        ab_load shim "$DURATION" "$AB_BASE/load.shim"
        wait $wp
        p1=$(cpu "$plain_w") s1=$(cpu "$shim_w")

        ab_stop plain
        ab_stop shim

        line=$(awk -v p0="$p0" -v p1="$p1" -v s0="$s0" -v s1="$s1" \
                   -v np="$(reqs "$AB_BASE/load.plain")" \
                   -v ns="$(reqs "$AB_BASE/load.shim")" 'BEGIN {
            if (np <= 0 || ns <= 0 || s1 <= s0) { print "0 0 0 0 0"; exit }
            cp = (p1 - p0) / np / 1000; cs = (s1 - s0) / ns / 1000
            printf "%.3f %.3f %.4f %d %d\n", cp, cs, cp / cs, np, ns }')
        # shellcheck disable=SC2086
        set -- $line
        echo "# $wl round $((i + 1)): plain $1 us/req ($4 requests)," \
             "shim $2 us/req ($5 requests), ratio $3"
        b=$(( $(bad "$AB_BASE/load.plain") + $(bad "$AB_BASE/load.shim") ))
        [ "$b" = 0 ] || echo "# $wl round $((i + 1)): $b responses not 2xx/3xx"
        echo "$3 $1 $2" >> "$AB_BASE/r.$wl"
        i=$((i + 1))
    done
    [ "$wl" = proxy ] && ab_stop up

    # allocs and allocs1: shim - plain per request (us), median of rounds
    case $wl in
    allocs|allocs1)
        awk '{ printf "%f\n", $3 - $2 }' "$AB_BASE/r.$wl" > "$AB_BASE/d.$wl"
        eval "ab_d_$wl=$(median 1 "$AB_BASE/d.$wl")" ;;
    esac

    sort -g "$AB_BASE/r.$wl" | awk -v wl="$wl" '{ v[NR] = $1 }
        END { printf "# %s: side by side, CPU per request plain/shim: min %.3f  median %.3f  max %.3f\n",
              wl, v[1], v[int((NR + 1) / 2)], v[NR] }'
    ab_result ratio "$(median 1 "$AB_BASE/r.$wl")"

    n=$(pp_bench_events "$wl")
    [ "$n" -gt 0 ] || continue
    awk -v n="$n" '{ printf "%f\n", ($3 - $2) * 1000 / n }' \
        "$AB_BASE/r.$wl" > "$AB_BASE/e.$wl"
    ns=$(median 1 "$AB_BASE/e.$wl" | xargs printf '%.2f')
    echo "# $wl: CPU per request median plain $(median 2 "$AB_BASE/r.$wl")" \
         "us, shim $(median 3 "$AB_BASE/r.$wl") us"
    if [ "$wl" = allocs ]; then
        echo "# $wl: per hooked call ((shim - plain) per request / $n," \
             "median of rounds): $ns ns"
        ab_result ns_per_call "$ns"
    else
        echo "# $wl: per event ((shim - plain) per request / $n" \
             "allocations and frees, median of rounds): $ns ns"
        ab_result ns_per_event "$ns"
        eval "ab_ns_$wl=$ns"
    fi
done

if [ -n "${ab_d_allocs:-}" ] && [ -n "${ab_d_allocs1:-}" ]; then
    n=$(($(pp_bench_events allocs) - 1))
    ns=$(awk -v a="$ab_d_allocs" -v b="$ab_d_allocs1" -v n="$n" \
             'BEGIN { printf "%.2f", (a - b) * 1000 / n }')
    echo "# allocs: per hooked call, marginal ((shim - plain) per request" \
         "of allocs less that of allocs1, medians of rounds, / $n): $ns ns"
    wl=allocs
    ab_result ns_per_call_marginal "$ns"
fi

if [ -n "${ab_ns_churn:-}" ] && [ -n "${ab_ns_churn200:-}" ]; then
    awk -v a="$ab_ns_churn" -v b="$ab_ns_churn200" 'BEGIN {
        printf "# target: churn cost per event within 2x of the small-pool" \
               " cost per event: %.2f ns against 2 x %.2f ns: %s\n",
               a, b, (a <= 2 * b ? "holds" : "does not hold") }'
fi

exit 77
