#!/bin/sh
# Golden tests: a segment recorded from the test module's locations on
# Debian's nginx (1 worker, a fixed request set), reported as text and
# JSON and compared with tests/golden/.  Only the module's own rows are
# compared, with what varies from run to run normalised away: addresses,
# offsets, paths, times and byte-seconds.  PP_GOLDEN_UPDATE=1 rewrites
# the expected files from this run (review the diff before committing).

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

G=$top_srcdir/tests/golden
SEG=$PP_TMP/seg

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$SEG POOLPROF_STACKS=0"
PP_SERVER="
        location /noop    { pp_test noop_free;    pp_test_size 512; }
        location /reuse   { pp_test reuse;        pp_test_size 512;
                            pp_test_repeat 4; }
        location /child   { pp_test child_pool;   pp_test_size 200;
                            pp_test_repeat 2; }
        location /foreign { pp_test foreign_free; pp_test_size 100; }
        location /reusebuf { pp_test body; pp_test_size 1000;
                             pp_test_repeat 8; pp_test_filter reuse; }
        location /freshbuf { pp_test body; pp_test_size 1000;
                             pp_test_repeat 8; pp_test_filter fresh; }"

load()
{
    for loc in noop reuse child foreign reusebuf freshbuf; do
        pp_requests 10 "/$loc" || return 1
    done
}

# the text report: the header with pids and the duration masked, the
# module's rows of each table (byte-seconds masked), the warnings, and
# the module's row of --by module
text()
{
    "$PP_REPORT" --top 1000 --color never "$SEG" > "$PP_TMP/full.txt" \
        2>/dev/null
    sed -n '/^[0-9]* processes: /{p;n;p;}' "$PP_TMP/full.txt" \
        | sed -E 's/recorded for [0-9.]+ s/recorded for * s/;
                  s/(master|worker) [0-9]+/\1 PID/g'
    awk '/^top sites/ { sites = 1 } /^pool sizing/ { sites = 0 }
         sites && /^  / { $0 = substr($0, 1, 21) "        *" substr($0, 31) }
         { print }' "$PP_TMP/full.txt" \
        | grep -E '^(top |pool sizing|buffer reuse)|ngx_http_p(p_test|oolprof_test)'
    sed -n '/^warnings:/,$p' "$PP_TMP/full.txt"
    "$PP_REPORT" --by module --color never "$SEG" 2>/dev/null \
        | grep -E '^sites by module|poolprof_test_module' \
        | awk '/^  / { $0 = substr($0, 1, 21) "        *" substr($0, 31) }
               { print }'
}

# the module's rows of the JSON report, what varies removed
json()
{
    "$PP_REPORT" --format json "$SEG" 2>/dev/null | jq -S '
      def mine: select(.symbol | test("^ngx_http_p(p_test|oolprof_test)"));
      def strip: del(.address, .object, .offset, .source, .tag, .cross_site);
      { sites: [.sites[] | mine | strip | del(.pinned_byte_seconds)]
               | sort_by(.symbol, .allocs),
        pools: [.pools[] | mine | strip
                | del(.lifetime_ns_p50, .lifetime_ns_p95, .lifetime_ns_sum)]
               | sort_by(.symbol),
        tags:  [.tags[] | mine | strip] | sort_by(.symbol) }'
}

pp_plan 5

pp_nginx_start || pp_done
pp_ok "10 requests to each of the module's locations" load
pp_ok "nginx stops gracefully" pp_nginx_stop

text > "$PP_TMP/report.txt"
json > "$PP_TMP/report.json"
pp_ok "the JSON is valid" pp_quiet jq -e .sites "$PP_TMP/report.json"

if [ "${PP_GOLDEN_UPDATE:-0}" = 1 ]; then
    cp "$PP_TMP/report.txt" "$G/report.txt"
    cp "$PP_TMP/report.json" "$G/report.json"
    pp_diag "rewrote $G/report.txt and $G/report.json"
fi

pp_ok "text matches tests/golden/report.txt" \
    diff -u "$G/report.txt" "$PP_TMP/report.txt"
pp_ok "JSON matches tests/golden/report.json" \
    diff -u "$G/report.json" "$PP_TMP/report.json"
if ! diff -q "$G/report.txt" "$PP_TMP/report.txt" >/dev/null; then
    pp_diag "$(diff -u "$G/report.txt" "$PP_TMP/report.txt")"
fi

pp_done
