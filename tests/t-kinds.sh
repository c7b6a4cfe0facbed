#!/bin/sh
# Covers pool kinds on Debian's nginx, stripped and without debug info:
# the request pool, created in a static function
# (ngx_http_alloc_request) that the report names by its start and its
# caller ngx_http_create_request, is kind "request" with directive
# request_pool_size; the connection pool (ngx_event_accept) is
# "connection" with connection_pool_size; ngx_init_cycle's first pool
# is the "cycle" pool, its next (the configuration's) "temporary", both
# without a directive.
# Exact counts: N requests on one connection after a snapshot create N
# request pools and 1 connection pool (--diff); the master's one cycle.

. "$top_srcdir/tests/lib.sh"

pp_need_nginx
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=6
SEG=$PP_TMP/seg

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$SEG POOLPROF_STACKS=0"
PP_SERVER="
        location /k { return 200 \"k\\n\"; }"

# pools JSON FILTER EXPR: EXPR of the pool rows FILTER selects, joined
pools()
{
    jq -r "[.pools[] | select($2) | $3 | tostring] | join(\" \")" "$1"
}

pp_plan 12

pp_nginx_start || pp_done
pp_ok "a snapshot after the start" \
    pp_quiet "$PP_REPORT" --snapshot "$PP_TMP/base" "$SEG"
pp_ok "$N requests on one connection" pp_requests $N /k
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$SEG" > "$PP_TMP/all.json" 2>/dev/null
"$PP_REPORT" --format json --diff "$PP_TMP/base" "$SEG" \
    > "$PP_TMP/diff.json" 2>/dev/null
"$PP_REPORT" --by pool --top 1000 --color never "$SEG" \
    > "$PP_TMP/pools.txt" 2>/dev/null

req='.kind == "request"'
conn='.kind == "connection"'

pp_is "$(pools "$PP_TMP/diff.json" "$req" .created)" "$N" \
    "$N request pools, in one row"
pp_is "$(pools "$PP_TMP/diff.json" "$req" .directive)" request_pool_size \
    "the request pool's directive is request_pool_size"
pp_ok "the request pool's creator is named by its caller" \
    jq -e "[.pools[] | select($req) | .symbol
            | test(\"^(static function nginx\\\\+0x[0-9a-f]+ \\\\(called from ngx_http_create_request.*\\\\)|ngx_http_alloc_request)\$\")]
           == [true]" "$PP_TMP/diff.json"
pp_is "$(pools "$PP_TMP/diff.json" "$conn" .created)" 1 \
    "1 connection pool, in one row"
pp_is "$(pools "$PP_TMP/diff.json" "$conn" .directive)" connection_pool_size \
    "the connection pool's directive is connection_pool_size"
pp_is "$(pools "$PP_TMP/diff.json" "$conn" .symbol)" ngx_event_accept \
    "ngx_event_accept creates it"
pp_is "$(pools "$PP_TMP/all.json" \
         '.kind == "cycle" and .symbol == "ngx_init_cycle"' \
         '"\(.created) \(.directive)"')" "1 null" \
    "ngx_init_cycle creates one cycle pool, without a directive"
pp_is "$(pools "$PP_TMP/all.json" \
         '.kind == "temporary" and .symbol == "ngx_init_cycle"' .created)" \
    1 "and its configuration's temporary pool"
pp_ok "the pool table says what to set for the request pool" \
    grep -Eq '^ +request pool: (set )?request_pool_size( [0-9]+k)?$' \
    "$PP_TMP/pools.txt"

pp_done
