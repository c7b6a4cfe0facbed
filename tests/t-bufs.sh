#!/bin/sh
# Covers buffer reuse per buf->tag on Debian's nginx.  The test module's
# reusing filter (seed 004 boilerplate) and its non-reusing filter give
# exact hits, misses and recycles derived from their code; nginx's own
# chunked and gzip filters and a proxied response symbolize to their
# modules, and per-tag counts add up to the calls the wrapper saw.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=10        # requests per location
K=8         # body-filter calls per response of the module's body handler
S=1000      # bytes per call, below the filter's buffer size (4096)

seq 1 200000 | head -c 1048576 > "$PP_TMP/1m.txt"
chmod a+r "$PP_TMP/1m.txt"

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg"
PP_HTTP="
    server {
        listen unix:$PP_TMP/up.sock;
        location = /data { alias $PP_TMP/1m.txt; }
    }"
PP_SERVER="
        location /reuse { pp_test body; pp_test_size $S; pp_test_repeat $K;
                          pp_test_filter reuse; }
        location /fresh { pp_test body; pp_test_size $S; pp_test_repeat $K;
                          pp_test_filter fresh; }
        location /chunked { alias $PP_TMP/1m.txt; sub_filter_types *;
                            sub_filter 'no-such-text' 'x'; }
        location /gzip { alias $PP_TMP/1m.txt; gzip on; gzip_types *;
                         gzip_min_length 1; }
        location /proxy { proxy_pass http://unix:$PP_TMP/up.sock:/data; }"

get_n()
{
    pp__u=
    pp__i=0
    while [ $pp__i -lt $N ]; do
        pp__u="$pp__u http://127.0.0.1:$PP_PORT$1"
        pp__i=$((pp__i + 1))
    done
    # shellcheck disable=SC2086
    curl -sS --max-time 60 -o /dev/null -H 'Accept-Encoding: gzip' $pp__u >/dev/null
}

# tag FIELD SYMBOL
tag()
{
    jq "[.tags[] | select(.symbol == \"$2\") | .$1] | add // 0" \
        "$PP_TMP/report.json"
}

pp_plan 19

pp_nginx_start || pp_done

pp_is "$(pp_get /reuse | wc -c)" $((K * S)) "the reusing filter's response"
pp_ok "chunked: the response is chunked" \
    sh -c "curl -s -D - -o /dev/null http://127.0.0.1:$PP_PORT/chunked \
           | grep -qi 'transfer-encoding: chunked'"
pp_is "$(pp_get /proxy | wc -c)" 1048576 "the proxied response is whole"

pp_nginx_stop || pp_done
pp_nginx_start || pp_done
for loc in reuse fresh chunked gzip proxy; do
    get_n /$loc || pp_fail "requests to /$loc"
done
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/report.json"
pp_ok "the report is valid JSON" pp_quiet jq -e .tags "$PP_TMP/report.json"

# The reusing filter, per response of K calls: the first call finds
# *free empty (a miss); each call's buffer is sent at once (flush) and
# ngx_chain_update_chains moves it to *free, so every later call hits.
m=ngx_http_poolprof_test_module
pp_is "$(tag misses $m)" $N "reusing filter: one miss per response"
pp_is "$(tag hits $m)" $((N * (K - 1))) "reusing filter: K-1 hits per response"
pp_is "$(tag recycled $m)" $((N * K)) "reusing filter: K recycled per response"
pp_is "$(tag busy $m)" 0 "reusing filter: never busy"
pp_is "$(jq "[.tags[] | select(.symbol == \"$m\") | .reuse_rate][0]" \
         "$PP_TMP/report.json")" \
      "$(awk -v h=$((N * (K - 1))) -v m=$N 'BEGIN { print h / (h + m) }')" \
      "reusing filter: reuse rate (K-1)/K"

# The fresh filter never refills *free: every call misses.
f=ngx_http_pp_test_fresh_tag
pp_is "$(tag misses $f)" $((N * K)) "fresh filter: K misses per response"
pp_is "$(tag hits $f)" 0 "fresh filter: no hit"
pp_is "$(jq "[.tags[] | select(.symbol == \"$f\") | .reuse_rate][0]" \
         "$PP_TMP/report.json")" 0 "fresh filter: reuse rate 0"

# nginx's own filters
pp_ok "chunked filter's tag symbolized" \
    test "$(tag hits ngx_http_chunked_filter_module)" -gt 0 -o \
         "$(tag misses ngx_http_chunked_filter_module)" -gt 0
# gzip takes buffers off its own free list, without
# ngx_chain_get_free_buf: its reuse is inferred (own_hits, own_misses)
pp_ok "gzip filter's tag symbolized" \
    test "$(tag own_misses ngx_http_gzip_filter_module)" -gt 0
pp_ok "gzip on a 1 MB body reuses buffers" \
    pp_quiet jq -e '[.tags[] | select(.symbol == "ngx_http_gzip_filter_module")
            | .reuse_rate][0] > 0' "$PP_TMP/report.json"
pp_ok "proxy: the upstream's tag symbolized" \
    test "$(tag recycled ngx_http_proxy_module)" -gt 0 -o \
         "$(tag misses ngx_http_proxy_module)" -gt 0

# every ngx_chain_get_free_buf call lands in exactly one tag row and
# exactly one site row
calls=$(jq '.totals.fb_hits + .totals.fb_misses' "$PP_TMP/report.json")
pp_is "$(jq '[.tags[] | .hits + .misses] | add' "$PP_TMP/report.json")" \
    "$calls" "hits + misses over tags = ngx_chain_get_free_buf calls"
pp_is "$(jq '[.sites[] | .fb_hits + .fb_misses] | add' "$PP_TMP/report.json")" \
    "$calls" "hits + misses over sites = ngx_chain_get_free_buf calls"

for t in ngx_http_poolprof_test_module ngx_http_chunked_filter_module \
         ngx_http_gzip_filter_module ngx_http_proxy_module
do
    pp_diag "$(jq -r ".tags[] | select(.symbol == \"$t\") |
        \"\\(.symbol): hits \\(.hits) misses \\(.misses) own \\(.own_hits)/\\(.own_misses) rate \\(.reuse_rate) recycled \\(.recycled) busy \\(.busy)\"" \
        "$PP_TMP/report.json")"
done

pp_done
