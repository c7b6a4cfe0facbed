#!/bin/sh
# tests/bench/callgrind.sh: a deterministic cost figure.  nginx runs as
# one process (master_process off, daemon off) under
# `valgrind --tool=callgrind`, serves a fixed set of identical requests
# on one keepalive connection (curl, one invocation, N URLs), and is
# stopped with QUIT so that callgrind writes its totals.  Modes: plain
# nginx, the shim with POOLPROF_STACKS=0, the shim with default stack
# sampling.
#
# Per request = (Ir(N2 requests) - Ir(N1 requests)) / (N2 - N1), from
# two runs of the same mode: start-up (ld.so, the shim's patching, the
# segment's creation, nginx's configuration), the connection's accept
# and close, the first request's one-time work (open file cache, lazy
# binding) and shutdown are the same in both runs and cancel.  With
# stacks off a count repeats to a few tens of instructions a request
# (the shim's clock re-anchors and its live table ticks by time, not
# by count); with default sampling the sampled events are drawn at
# random (seeded by time and pid), so that figure varies by a little
# more from run to run.
#
# The gzip workload (about 10^7 instructions a request) uses 1/25 of
# both counts.  tls-h2 is the small file over HTTPS with HTTP/2 on a
# second listen (a self-signed certificate made at run time), curl
# --http2 on one connection; its one TLS handshake is the same in both
# runs and cancels.  The shim's runs also read the segment back
# (poolprof-report --format json): that the functions were hooked under
# valgrind and how many allocations each request recorded.
#
#   CG_N1 (default 500), CG_N2 (default 2500), CG_WORKLOADS (default
#   "small gzip allocs tls-h2"), CG_MODES (default "plain off dflt"),
#   STACKS (POOLPROF_STACKS of the sampled mode, default unset: the
#   shim's default), CG_KEEP (a directory: each run's callgrind output
#   is kept there as WORKLOAD.MODE.N, for callgrind_annotate), CG_ARGS
#   (more options for valgrind, such as --cache-sim=yes)

. "$top_srcdir/tests/lib.sh"

pp_need valgrind curl perl
pp_need_nginx
pp_need_built "$PP_SHIM"

CG_N1=${CG_N1:-500}
CG_N2=${CG_N2:-2500}
CG_WORKLOADS=${CG_WORKLOADS:-small gzip allocs tls-h2}
CG_MODES=${CG_MODES:-plain off dflt}

. "$top_srcdir/tests/bench/workloads.sh"
CG_WORKLOADS=$(pp_bench_only "$CG_WORKLOADS")
cg_server=$PP_SERVER

# tls-h2 needs a certificate; without openssl it is left out, said why
case " $CG_WORKLOADS " in
*" tls-h2 "*)
    if ! cg_tls=$(pp_bench_cert "$PP_TMP"); then
        echo "# callgrind: tls-h2 left out: $cg_tls"
        CG_WORKLOADS=$(echo "$CG_WORKLOADS" | sed 's/tls-h2//')
    fi
    ;;
esac

# every request on one connection
PP_HTTP="    keepalive_requests 1000000;"

# the segment lives where it does by default, on tmpfs
CG_SEG=/dev/shm/poolprof-cg.$$
trap 'rm -f "$CG_SEG"; pp_cleanup' EXIT

cg_pid=

# cg_run MODE WORKLOAD N: "Ir allocs pools samples hooks_ok hooks_total"
cg_run()
{
    pp__p=$PP_TMP/nginx
    mkdir -p "$pp__p/conf" "$pp__p/logs" "$pp__p/html" "$pp__p/tmp"
    chmod -R a+rX "$PP_TMP"

    # the segment is kept at exit, to be read back below
    shim="LD_PRELOAD=$PP_SHIM POOLPROF_SEGMENT=$CG_SEG POOLPROF_KEEP=1"
    case $1 in
        plain) env= ;;
        off)   env="$shim POOLPROF_STACKS=0" ;;
        dflt)  env="$shim ${STACKS:+POOLPROF_STACKS=$STACKS}" ;;
    esac

    hdr=
    tls=
    [ "$2" = gzip ] && hdr="Accept-Encoding: gzip"

    for _ in 1 2 3 4 5; do
        PP_PORT=$(pp_port)
        PP_SERVER=$cg_server
        url=http://127.0.0.1:$PP_PORT/$2
        if [ "$2" = tls-h2 ]; then
            # the next port: a clash is one more try, as the first's is
            PP_SERVER="$cg_server
        listen 127.0.0.1:$((PP_PORT + 1)) ssl http2;
        ssl_certificate $PP_TMP/cert.pem;
        ssl_certificate_key $PP_TMP/key.pem;"
            url=https://127.0.0.1:$((PP_PORT + 1))/small
            tls="-k --http2"
        fi
        pp_nginx_conf
        sed -i 's/^master_process on;/master_process off;/' \
            "$pp__p/conf/nginx.conf"
        : > "$pp__p/logs/error.log"
        rm -f "$CG_SEG" "$pp__p/nginx.pid" "$PP_TMP/cg.out"

        # shellcheck disable=SC2086
        env $env valgrind --tool=callgrind --trace-children=no ${CG_ARGS:-} \
            --callgrind-out-file="$PP_TMP/cg.out" \
            "$NGINX" -p "$pp__p/" -c "$pp__p/conf/nginx.conf" \
            2>"$PP_TMP/cg.stderr" &
        cg_pid=$!
        pp_nginx_pid=$cg_pid

        # nginx listens before it writes its pid file; polling the pid
        # file (not the port) keeps the request count exact
        i=0
        while [ $i -lt 1200 ] && pp_pid_alive "$cg_pid" \
              && ! [ -s "$pp__p/nginx.pid" ]
        do
            sleep 0.1
            i=$((i + 1))
        done
        if pp_pid_alive "$cg_pid" && [ -s "$pp__p/nginx.pid" ]; then
            break
        fi
        kill -KILL "$cg_pid" 2>/dev/null
        wait "$cg_pid" 2>/dev/null
        cg_pid=
        pp_nginx_pid=
        grep -q 'Address already in use' "$pp__p/logs/error.log" \
            "$PP_TMP/cg.stderr" 2>/dev/null || break
    done

    if [ -z "$cg_pid" ]; then
        echo "# callgrind: nginx did not start" >&2
        sed 's/^/# /' "$PP_TMP/cg.stderr" "$pp__p/logs/error.log" >&2
        echo "0 0 0 0 0 0"
        return 1
    fi

    i=0
    while [ $i -lt "$3" ]; do
        echo "url = \"$url\""
        echo "output = \"/dev/null\""
        i=$((i + 1))
    done > "$PP_TMP/urls"
    # shellcheck disable=SC2086  # tls: options, or none
    curl -s --max-time 600 $tls ${hdr:+-H "$hdr"} -K "$PP_TMP/urls" \
        -w '%{http_code} %{num_connects}\n' > "$PP_TMP/codes"
    ok=$(grep -c '^200 ' "$PP_TMP/codes")
    conns=$(awk '{ n += $2 } END { print n + 0 }' "$PP_TMP/codes")
    if [ "$ok" -ne "$3" ] || [ "$conns" -ne 1 ]; then
        echo "# callgrind: $1 $2: $ok of $3 requests answered 200," \
             "$conns connections" >&2
    fi

    # A QUIT that lands while nginx is busy, not in its event wait, is
    # seen at the next event; with no timer left (tls-h2, under
    # valgrind) there is none.  Another QUIT every 2 s, for up to 60 s,
    # wakes it: shutdown is not part of the figure.
    i=0
    while [ $i -lt 600 ] && pp_pid_alive "$cg_pid"; do
        [ $((i % 20)) -eq 0 ] && kill -QUIT "$cg_pid" 2>/dev/null
        sleep 0.1
        i=$((i + 1))
    done
    pp_pid_alive "$cg_pid" && kill -KILL "$cg_pid" 2>/dev/null
    wait "$cg_pid" 2>/dev/null
    cg_pid=
    pp_nginx_pid=

    if [ -n "${CG_KEEP:-}" ]; then
        mkdir -p "$CG_KEEP"
        cp "$PP_TMP/cg.out" "$CG_KEEP/$2.$1.$3"
    fi

    ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$PP_TMP/cg.out")
    [ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' \
                             "$PP_TMP/cg.out")

    if [ "$1" != plain ] && [ -x "${PP_REPORT:-}" ] && [ -f "$CG_SEG" ]; then
        "$PP_REPORT" -f json "$CG_SEG" > "$PP_TMP/seg.json" 2>/dev/null
        ev=$(perl -0777 -ne '
            my %v;
            for my $k (qw(allocs pools_created stack_samples hooks_ok
                          hooks_failed)) {
                ($v{$k}) = /"$k": (\d+)/ ? ($1) : (0);
            }
            print "$v{allocs} $v{pools_created} $v{stack_samples} ",
                  "$v{hooks_ok} ", $v{hooks_ok} + $v{hooks_failed}, "\n"'\
            "$PP_TMP/seg.json")
    else
        ev="0 0 0 0 0"
    fi

    echo "${ir:-0} $ev"
}

echo "1..0 # SKIP benchmark (figures below)"
echo "# callgrind: $(valgrind --version), nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')," \
     "$CG_N1 and $CG_N2 requests (gzip: 1/25 of that) on one keepalive" \
     "connection, per request = difference of the two runs / difference" \
     "of the request counts"

for wl in $CG_WORKLOADS; do
    # a gzip'd 100 KB response costs ~10^7 instructions: 1/25 of the
    # requests keep that workload to seconds under callgrind
    n1=$CG_N1 n2=$CG_N2
    if [ "$wl" = gzip ]; then
        n1=$((CG_N1 / 25)) n2=$((CG_N2 / 25))
    fi
    per_plain=0 per_off=0 per_dflt=0 apr_off=0
    for mode in $CG_MODES; do
        # shellcheck disable=SC2046  # the fields of one line
        set -- $(cg_run $mode "$wl" "$n1")
        ir1=$1 a1=$2 p1=$3 s1=$4
        # shellcheck disable=SC2046  # the fields of one line
        set -- $(cg_run $mode "$wl" "$n2")
        ir2=$1 a2=$2 p2=$3 s2=$4 hk=$5 ht=$6
        per=$(awk -v a="$ir1" -v b="$ir2" -v n=$((n2 - n1)) \
                  'BEGIN { printf "%.0f", (b - a) / n }')
        eval "per_$mode=$per"
        line="# cg $wl $mode: Ir $ir1 ($n1 req), $ir2 ($n2 req): $per Ir/request"
        if [ "$mode" != plain ]; then
            line="$line; hooked $hk of $ht, per request $(awk \
                -v a="$a1" -v b="$a2" -v p="$p1" -v q="$p2" -v s="$s1" \
                -v t="$s2" -v n=$((n2 - n1)) 'BEGIN {
                printf "%.1f allocations, %.2f pools, %.3f stack samples",
                       (b - a) / n, (q - p) / n, (t - s) / n }')"
            eval "apr_$mode=$(awk -v a="$a1" -v b="$a2" \
                -v n=$((n2 - n1)) 'BEGIN { printf "%.1f", (b - a) / n }')"
        fi
        echo "$line"
    done

    # shellcheck disable=SC2154
    awk -v p="$per_plain" -v o="$per_off" -v d="$per_dflt" \
        -v ao="$apr_off" -v wl="$wl" 'BEGIN {
        if (p == 0 || o == 0 || d == 0)
            exit
        printf "# cg %s: per request plain %d Ir, stacks off %d Ir (ratio %.3f, +%.1f%%), default sampling %d Ir (ratio %.3f, +%.1f%%)\n",
            wl, p, o, o / p, 100 * (o / p - 1), d, d / p, 100 * (d / p - 1)
        if (ao > 0)
            printf "# cg %s: stacks off: %.0f Ir per recorded allocation (%.1f allocations per request)\n",
                wl, (o - p) / ao, ao
    }'
done

exit 77
