#!/bin/sh
# tests/bench/sample-error.sh: how far POOLPROF_SAMPLE's estimates are
# from the exact figures, on the test module's locations.  One exact run
# (POOLPROF_SAMPLE=1), then one run at POOLPROF_SAMPLE=K for each seed
# of SEEDS (POOLPROF_SAMPLE_SEED), each of N requests to "pp_test
# noop_free", "pp_test child_pool" and a body with "pp_test_filter
# reuse"; one curl each, keepalive.  Prints each figure's estimates,
# their error against the exact run and the root mean square error.
#
#   N (default 6400), K (default 64), SEEDS (default "1 2 3 4 5")

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=${N:-6400}
K=${K:-64}
SEEDS=${SEEDS:-1 2 3 4 5}

PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /noop     { pp_test noop_free;  pp_test_size 256;
                             pp_test_repeat 2; }
        location /child    { pp_test child_pool; pp_test_size 200;
                             pp_test_repeat 2; }
        location /reusebuf { pp_test body; pp_test_size 1000;
                             pp_test_repeat 8; pp_test_filter reuse; }"

FIGURES="noop_frees module_pools buffer_hits"
FIGURES="$FIGURES pools_created allocs unused_bytes pinned_bytes"

# load PATH: N requests on one curl, its URLs from a config file
load()
{
    sed -n "s|^|url = http://127.0.0.1:$PP_PORT$1\\
output = /dev/null|; 1,${N}p" "$PP_TMP/n" > "$PP_TMP/urls"
    curl -sS --max-time 120 -K "$PP_TMP/urls"
}

# run ENV: the figures of a run, one line
run()
{
    PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=0 $1"
    rm -f "$PP_TMP/seg"
    pp_nginx_start || exit 1
    load /noop && load /child && load /reusebuf || exit 1
    pp_nginx_stop || exit 1
    "$PP_REPORT" --format json "$PP_TMP/seg" | jq -r '
      def mine($s): [.[] | select(.symbol | test($s)) ];
      [(.sites | mine("_noop_free_handler$") | map(.noop_frees) | add // 0),
       (.pools | mine("_child_pool_handler$") | map(.created) | add // 0),
       (.tags | mine("poolprof_test") | map(.hits) | add // 0),
       .totals.pools_created, .totals.allocs, .totals.unused_bytes,
       .totals.pinned_bytes] | map(tostring) | join(" ")'
}

seq 1 "$N" > "$PP_TMP/n"

echo "1..0 # SKIP benchmark (figures below)"
exact=$(run POOLPROF_SAMPLE=1)
echo "# exact: $exact ($FIGURES)"

for seed in $SEEDS; do
    echo "$(run "POOLPROF_SAMPLE=$K POOLPROF_SAMPLE_SEED=$seed")"
done > "$PP_TMP/estimates"

i=1
for f in $FIGURES; do
    want=$(echo "$exact" | cut -d' ' -f$i)
    cut -d' ' -f$i "$PP_TMP/estimates" | awk -v f="$f" -v want="$want" \
        -v k="$K" '
        { e = want ? ($1 - want) / want * 100 : 0; sq += e * e; n++
          line = line sprintf(" %+.1f%%", e) }
        END { printf "# %s, 1 in %d pools: exact %d; errors%s; rms %.1f%%\n",
                     f, k, want, line, sqrt(sq / n) }'
    i=$((i + 1))
done

exit 77
