#!/bin/sh
# Covers attribution through a real library: Debian's brotli filter
# (libnginx-mod-http-brotli-filter), loaded with load_module, compresses
# a text file per request through libbrotlienc, which calls the
# module's free callback, a tail call of ngx_pfree(), so those call
# sites lie in libbrotlienc.
# Every such site and pool row's module is the brotli filter, with its
# owner frame in the module; --by module and the metrics' module label
# show the filter, not the library.  Exact: N more requests after a snapshot make the library's
# sites count exactly what the first N did (--diff).

. "$top_srcdir/tests/lib.sh"

BROTLI=/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so

pp_need_nginx
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"
[ -f "$BROTLI" ] || pp_skip_all "$(pp_missing libnginx-mod-http-brotli-filter \
                                   "no $BROTLI")"

N=8
M=ngx_http_brotli_filter_module.so
SEG=$PP_TMP/seg

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$SEG POOLPROF_STACKS=0"
PP_MAIN="load_module $BROTLI;"
PP_SERVER="
        location /br/ { brotli on; brotli_types text/plain;
                        brotli_min_length 1; default_type text/plain; }"

# br N: N brotli requests of the text file on one connection
br()
{
    pp_requests "$1" /br/text.txt -H 'Accept-Encoding: br'
}


# lib JSON FIELD: FIELD summed over the sites in libbrotlienc
lib()
{
    jq "[.sites[] | select(.object | test(\"/libbrotlienc[.]so\"))
         | .$2] | add // 0" "$1"
}

pp_plan 11

pp_nginx_start || pp_done
mkdir -p "$PP_TMP/nginx/html/br"
awk 'BEGIN { for (i = 0; i < 4000; i++) print "line " i " of a text " i % 7 }' \
    > "$PP_TMP/nginx/html/br/text.txt"

pp_ok "$N brotli requests" br $N
pp_ok "a snapshot" pp_quiet "$PP_REPORT" --snapshot "$PP_TMP/base" "$SEG"
pp_ok "$N more" br $N
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$SEG" > "$PP_TMP/all.json" 2>/dev/null
"$PP_REPORT" --format json --diff "$PP_TMP/base" "$SEG" \
    > "$PP_TMP/diff.json" 2>/dev/null
"$PP_REPORT" --by module --top 1000 --color never "$SEG" \
    > "$PP_TMP/modules.txt" 2>/dev/null
"$PP_REPORT" --format prometheus "$SEG" > "$PP_TMP/metrics.txt" 2>/dev/null

a=$(lib "$PP_TMP/all.json" noop_frees)
d=$(lib "$PP_TMP/diff.json" noop_frees)
pp_ok "libbrotlienc makes no-op frees ($a)" test "$a" -gt 0
pp_is "$((a - d))" "$d" "the last $N requests made as many there as the first"
pp_ok "every libbrotlienc site's module is the brotli filter" \
    jq -e "[.sites[] | select(.object | test(\"/libbrotlienc[.]so\"))
            | .module] | unique == [\"$M\"]" "$PP_TMP/all.json"
pp_ok "with an owner frame in it" \
    jq -e "[.sites[] | select(.object | test(\"/libbrotlienc[.]so\"))
            | .owner_symbol != null] | all" "$PP_TMP/all.json"
pp_ok "--by module shows the brotli filter" grep -q "$M" "$PP_TMP/modules.txt"
pp_ok "--by module does not show libbrotlienc" \
    sh -c "! grep -q libbrotlienc '$PP_TMP/modules.txt'"

# the metrics' no-op frees carry the filter's module label, never the
# library's
labels()
{
    grep -q "^poolprof_noop_frees_total{module=\"${M%.so}\"" \
        "$PP_TMP/metrics.txt" &&
    ! grep -q '^poolprof_noop_frees_total{module="libbrotlienc' \
        "$PP_TMP/metrics.txt"
}

pp_ok "the metrics' module label of the no-op frees is the filter's" labels

pp_done
