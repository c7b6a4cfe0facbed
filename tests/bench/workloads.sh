# tests/bench/workloads.sh: the benchmarks' workloads, sourced after
# tests/lib.sh by bench.sh and callgrind.sh.  Writes a 2 KiB file and a
# 100 KB file into $PP_TMP and sets PP_SERVER: /small, /gzip and, when
# the test module is built, /allocs (200 pool allocations per request).
# pp_bench_only LIST prints LIST without the workloads that cannot run.

head -c 2048 /dev/urandom | base64 > "$PP_TMP/small.txt"
seq 1 20000 | head -c 102400 > "$PP_TMP/100k.txt"
chmod a+r "$PP_TMP"/*.txt

pp_bench_allocs=
if [ -f "${PP_MODULE:-}" ]; then
    PP_LOAD_MODULE=1
    pp_bench_allocs="
        location = /allocs { pp_test allocs; pp_test_size 64;
                             pp_test_repeat 200; }"
fi

PP_SERVER="
        location = /small { alias $PP_TMP/small.txt; }
        location = /gzip  { alias $PP_TMP/100k.txt; gzip on;
                            gzip_min_length 1; gzip_types *; }
        $pp_bench_allocs"

pp_bench_only()
{
    if [ -n "$pp_bench_allocs" ]; then
        echo "$1"
    else
        echo "$1" | sed 's/allocs//'
    fi
}
