#!/bin/bash
# Covers leaks and growth on Debian's nginx with the test module, exact
# counts.  On one keepalive connection (bash's /dev/tcp, so the test can
# pause on it): one request to the connection-pool location, a pause
# past POOLPROF_LONG_LIVED, then N more: growth of exactly N*S bytes at
# the module's site into the connection pool, returning on every
# request.  A live report while the connection is open shows that pool
# growing, with its age.  N requests to the never-destroyed location
# leave exactly N leaked pools at the module's site after a graceful
# stop, and nothing of nginx's own is reported as a leak.

# the keepalive connection needs bash's /dev/tcp
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=10
S=300
L=100
h=ngx_http_pp_test

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_LONG_LIVED=200ms"
PP_SERVER="
        keepalive_requests 1000;
        location /conn { pp_test conn_pool; pp_test_size $S; }
        location /leak { pp_test leak_pool; pp_test_size $L; }"

# ka PATH: one request on the keepalive connection (fd 3), body dropped
ka()
{
    local line len=0 body

    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$1" >&3 || return 1

    while IFS= read -r -t 10 line <&3; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
        case $line in
        [Cc]ontent-[Ll]ength:*) len=${line#*:}; len=${len// /} ;;
        esac
    done

    [ "$len" -gt 0 ] && { read -r -N "$len" -t 10 body <&3 || return 1; }
    [ -n "$body" ]
}

# jq on a report
q()
{
    jq -r "$1" "$PP_TMP/$2"
}

pp_plan 24

pp_nginx_start || pp_done

exec 3<>"/dev/tcp/127.0.0.1/$PP_PORT" || pp_done
pp_ok "a first request on a keepalive connection" ka /conn
sleep 0.4

i=0
ok=1
while [ $i -lt $N ]; do
    ka /conn || ok=0
    i=$((i + 1))
done
pp_ok "$N more requests on the same connection after the pause" test $ok = 1

# the live report, while the connection stays open
"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/live.json" \
    2> "$PP_TMP/live.err" || pp_diag "$(cat "$PP_TMP/live.err")"
"$PP_REPORT" "$PP_TMP/seg" > "$PP_TMP/live.txt" 2>&1

sel='[.live_pools[] | select(.symbol == "ngx_event_accept" and .ll_bytes > 0)]'
pp_is "$(q "$sel | length" live.json)" 1 \
    "live: one connection pool is growing"
pp_is "$(q "$sel[0].ll_bytes >= $((N * S))" live.json)" true \
    "live: it grew by at least N*S bytes since it became long-lived"
pp_is "$(q "$sel[0].alloc_bytes >= $(((N + 1) * S))" live.json)" true \
    "live: it holds every request's S bytes"
pp_is "$(q "$sel[0].age_ns >= 400000000 and $sel[0].state == \"alive\"" \
    live.json)" true "live: its age covers the pause"
pp_is "$(q "[.leaks[] | select(.symbol == \"ngx_event_accept\")][0].alive_old" \
    live.json)" 1 "live: it is listed as alive and older than 200 ms"
pp_ok "live: the text report shows the growing pool" \
    grep -q "growing live pools" "$PP_TMP/live.txt"

exec 3>&-

pp_ok "$N requests to the never-destroyed location" pp_requests "$N" /leak
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/report.json" \
    2> "$PP_TMP/report.err" || pp_diag "$(cat "$PP_TMP/report.err")"
"$PP_REPORT" "$PP_TMP/seg" > "$PP_TMP/report.txt" 2>&1

g="[.growth[] | select(.symbol == \"${h}_conn_pool_handler\")]"
pp_is "$(q "$g | length" report.json)" 1 \
    "growth: one row at the module's site"
pp_is "$(q "$g[0].pool_symbol" report.json)" ngx_event_accept \
    "growth: into the connection pool"
pp_is "$(q "$g[0].bytes" report.json)" $((N * S)) "growth: exactly N*S bytes"
pp_is "$(q "$g[0].allocs" report.json)" $N "growth: exactly N allocations"
pp_is "$(q "[$g[0].pools, $g[0].returns, $g[0].recurring] | @tsv" \
    report.json)" "$(printf '1\t%d\ttrue' $((N - 1)))" \
    "growth: one pool, came back on every request, flagged"

l="[.leaks[] | select(.symbol == \"${h}_leak_pool_handler\")]"
pp_is "$(q "$l[0].leaked" report.json)" $N "leaks: exactly N at the module"
pp_is "$(q "$l[0].bytes" report.json)" $((N * L)) \
    "leaks: N*L bytes allocated from them"
pp_is "$(q "[.leaks[] | select(.by_design | not) | .leaked] | add" \
    report.json)" $N "leaks: nothing of nginx's own is a leak"
pp_is "$(q ".totals.leaked_pools" report.json)" $N \
    "leaks: the totals agree"
pp_ok "the text report has the section" \
    grep -q "^Leaks and growth" "$PP_TMP/report.txt"

# daemon on: the launcher exits without destroying the cycle's pool
PP_DAEMON=1
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.d"
pp_nginx_start || pp_done
pp_ok "daemon: a request" pp_quiet pp_get /conn -o /dev/null
pp_ok "daemon: nginx stops gracefully" pp_nginx_stop
"$PP_REPORT" --format json "$PP_TMP/seg.d" > "$PP_TMP/d.json" \
    2> "$PP_TMP/d.err" || pp_diag "$(cat "$PP_TMP/d.err")"
pp_is "$(q '[.leaks[] | select(.by_design | not) | .leaked] | add // 0' \
    d.json)" 0 "daemon: no leak reported"
pp_is "$(q '[.leaks[] | select(.by_design) | .symbol] | unique | join(",")' \
    d.json)" ngx_init_cycle "daemon: the launcher's cycle pool is by design"

pp_done
