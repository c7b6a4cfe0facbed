# tests/bench/workloads.sh: the benchmarks' workloads, sourced after
# tests/lib.sh by bench.sh, ab.sh and callgrind.sh.  Writes a 2 KiB
# file (base64: 2.7 KB on the wire) and a 100 KB file into $PP_TMP and
# sets PP_SERVER: /small, /gzip and, when the test module is built,
# /allocs (PP_BENCH_ALLOCS = 200 pool allocations per request), /allocs1
# (the same request with one: what the rest of it costs), /churn
# and /churn200 (PP_BENCH_CHURN = 20000, PP_BENCH_CHURN_SMALL = 200
# allocations of 64 bytes from the request pool, then a no-op
# ngx_pfree() of each, oldest first).  pp_bench_events WORKLOAD prints
# the pool calls a request of WORKLOAD makes at the module (0 for the
# others).  pp_bench_only LIST prints LIST without the workloads that
# cannot run.  pp_bench_cert DIR makes tls-h2's certificate.

head -c 2048 /dev/urandom | base64 > "$PP_TMP/small.txt"
seq 1 20000 | head -c 102400 > "$PP_TMP/100k.txt"
chmod a+r "$PP_TMP"/*.txt

PP_BENCH_ALLOCS=200
PP_BENCH_CHURN=20000
PP_BENCH_CHURN_SMALL=200

pp_bench_module=
if [ -f "${PP_MODULE:-}" ]; then
    PP_LOAD_MODULE=1
    pp_bench_module="
        location = /allocs   { pp_test allocs; pp_test_size 64;
                               pp_test_repeat $PP_BENCH_ALLOCS; }
        location = /allocs1  { pp_test allocs; pp_test_size 64;
                               pp_test_repeat 1; }
        location = /churn    { pp_test churn; pp_test_size 64;
                               pp_test_repeat $PP_BENCH_CHURN; }
        location = /churn200 { pp_test churn; pp_test_size 64;
                               pp_test_repeat $PP_BENCH_CHURN_SMALL; }"
fi

PP_SERVER="
        location = /small { alias $PP_TMP/small.txt; }
        location = /gzip  { alias $PP_TMP/100k.txt; gzip on;
                            gzip_min_length 1; gzip_types *; }
        $pp_bench_module"

pp_bench_events()
{
    case $1 in
    allocs)   echo "$PP_BENCH_ALLOCS" ;;
    churn)    echo $((2 * PP_BENCH_CHURN)) ;;
    churn200) echo $((2 * PP_BENCH_CHURN_SMALL)) ;;
    *)        echo 0 ;;
    esac
}

# pp_bench_cert DIR: a self-signed P-256 certificate for tls-h2,
# DIR/cert.pem and DIR/key.pem; or, when it cannot, why on stdout and 1
pp_bench_cert()
{
    if ! pp_have openssl; then
        pp_missing openssl
        return 1
    fi
    if ! openssl req -x509 -newkey ec \
        -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=localhost -keyout "$1/key.pem" -out "$1/cert.pem" \
        > "$1/openssl.out" 2>&1
    then
        echo "openssl failed: $(tail -n 1 "$1/openssl.out")"
        return 1
    fi
    chmod a+r "$1/cert.pem" "$1/key.pem"
}

pp_bench_only()
{
    for pp__wl in $1; do
        case $pp__wl in
        allocs|allocs1|churn|churn200)
            [ -n "$pp_bench_module" ] || continue ;;
        esac
        printf '%s ' "$pp__wl"
    done
    echo
}
