#!/bin/sh
# Covers --format prometheus and --serve against the real tools from
# Debian's prometheus package: promtool accepts the exposition, of the
# server and of -o FILE (written by a rename, no temporary file left);
# --top bounds the series and "other" keeps the sums; a Prometheus server
# on 127.0.0.1 scrapes --serve while nginx runs under the shim with the
# test module, and after a graceful stop its query API gives exactly the
# JSON report's no-op frees for the module's handler, and the per-role
# totals.  --serve under ten silent clients still answers a scraper at
# once and closes them at their deadline; it answers only its own paths,
# leaves the segment as it was and stops on SIGTERM.  A segment whose
# names hold control characters (test_read --hostile) still gives an
# exposition promtool accepts, with no raw control byte.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq promtool prometheus bash
pp_need_built "$PP_SHIM" "$PP_REPORT" "$top_builddir/tests/unit/test_read"

N=20
h=ngx_http_pp_test
mod=ngx_http_poolprof_test_module
R=$PP_REPORT
SEG=$PP_TMP/seg
serve=
prom=

PP_PRELOAD=$PP_SHIM
PP_WORKERS=2
PP_ENV="POOLPROF_SEGMENT=$SEG"
PP_SERVER="
        location /noop  { pp_test noop_free;  pp_test_size 256; }
        location /child { pp_test child_pool; pp_test_size 200; }"

t_cleanup()
{
    [ -n "$serve" ] && kill "$serve" 2>/dev/null
    [ -n "$prom" ] && kill "$prom" 2>/dev/null
    [ -n "$serve$prom" ] && wait 2>/dev/null
    if [ "$pp_failed" -ne 0 ] && [ -s "$PP_TMP/prom.log" ]; then
        tail -n 20 "$PP_TMP/prom.log" | sed 's/^/# prometheus: /'
    fi
    pp_cleanup
}
trap t_cleanup EXIT

# get PATH [CURL ARGS]: from --serve
get()
{
    pp__p=$1
    shift
    curl -sS --max-time 3 "$@" "http://127.0.0.1:$port$pp__p"
}

# query EXPR: the value of an instant query, or nothing
query()
{
    curl -sS --max-time 5 -G --data-urlencode "query=$1" \
        "http://127.0.0.1:$pport/api/v1/query" 2>/dev/null \
        | jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

# query_is EXPR WANT: the query gives WANT
query_is()
{
    [ "$(query "$1")" = "$2" ]
}

# prom_start: Prometheus on a free port of 127.0.0.1, scraping --serve
prom_start()
{
    cat > "$PP_TMP/prom.yml" <<END
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: poolprof
    static_configs:
      - targets: ['127.0.0.1:$port']
END
    for pp__try in 1 2 3 4 5; do
        pport=$(pp_port)
        prometheus --config.file="$PP_TMP/prom.yml" \
            --storage.tsdb.path="$PP_TMP/tsdb" \
            --web.listen-address="127.0.0.1:$pport" \
            > "$PP_TMP/prom.log" 2>&1 &
        prom=$!
        if pp_wait_until 30 sh -c "! kill -0 $prom 2>/dev/null ||
               curl -sf --max-time 1 -o /dev/null \
                   http://127.0.0.1:$pport/-/ready"
        then
            kill -0 "$prom" 2>/dev/null && return 0
        fi
        kill "$prom" 2>/dev/null
        wait "$prom" 2>/dev/null
        prom=
        grep -q "address already in use" "$PP_TMP/prom.log" || return 1
    done
    return 1
}

pp_plan 26

pp_nginx_start || pp_done
pp_ok "warm-up requests" pp_requests 5 /noop

"$R" --serve 127.0.0.1:0 "$SEG" 2> "$PP_TMP/serve.err" &
serve=$!
pp_wait_until 10 grep -q "serving" "$PP_TMP/serve.err"
port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' \
       "$PP_TMP/serve.err")
pp_ok "--serve on 127.0.0.1, port 0: it names the port it took" \
    test -n "$port"
[ -n "$port" ] || pp_done

get /metrics > "$PP_TMP/m1.txt"
pp_ok "promtool check metrics accepts /metrics" \
    sh -c "promtool check metrics < '$PP_TMP/m1.txt' > '$PP_TMP/lint' 2>&1"
pp_is "$(get /metrics -o /dev/null -w '%{content_type}')" \
    "text/plain; version=0.0.4; charset=utf-8" "/metrics: exposition 0.0.4"
pp_is "$(get /debug/pprof/noop_frees | od -An -tx1 -N2 | tr -d ' ')" 1f8b \
    "/debug/pprof/noop_frees: a gzipped profile"
pp_is "$(get /etc/passwd -o /dev/null -w '%{http_code}')/$(
         get /debug/pprof/../../etc/passwd -o /dev/null -w '%{http_code}')/$(
         get /metrics -X POST -o /dev/null -w '%{http_code}')" 404/404/405 \
    "other paths: not found; other methods: not allowed"
big=$(head -c 6000 /dev/zero | tr '\0' x)
pp_is "$(get /metrics -H "X-Big: $big" -o /dev/null -w '%{http_code}')" 431 \
    "a request over 4 KiB: refused"

# --- silent clients ---------------------------------------------------------
i=0
while [ $i -lt 10 ]; do
    bash -c "exec 3<>/dev/tcp/127.0.0.1/$port || exit 1
             cat <&3 > /dev/null; echo closed > '$PP_TMP/silent.$i'" \
        2>/dev/null &
    i=$((i + 1))
done
sleep 0.5
pp_ok "ten silent clients: a scraper is still answered within 3 s" \
    sh -c "curl -sSf --max-time 3 -o /dev/null \
               http://127.0.0.1:$port/metrics"
pp_wait_until 9 sh -c "set -- '$PP_TMP'/silent.*; [ \$# -eq 10 ]"
pp_is "$(set -- "$PP_TMP"/silent.*; echo $#)" 10 \
    "the silent clients are closed at their deadline"

# --- a Prometheus server scrapes --serve while nginx runs --------------------
pp_ok "prometheus starts on 127.0.0.1" prom_start
pp_ok "prometheus scrapes --serve" pp_wait_until 20 query_is 'up{job="poolprof"}' 1
pp_ok "$N requests to the no-op location, scraped" pp_requests $N /noop
pp_ok "requests that make child pools" pp_requests 3 /child
sleep 1.5
pp_ok "nginx stops gracefully" pp_nginx_stop

"$R" --format json "$SEG" > "$PP_TMP/r.json" 2> "$PP_TMP/err" \
    || pp_diag "$(cat "$PP_TMP/err")"
want=$(jq "[.sites[] | select(.symbol == \"${h}_noop_free_handler\")
            | .noop_frees] | add" "$PP_TMP/r.json")
q="poolprof_noop_frees_total{job=\"poolprof\",module=\"$mod\",site=\"${h}_noop_free_handler\"}"
pp_wait_until 20 query_is "$q" "$want"
pp_is "$(query "$q")" "$want" \
    "Prometheus: the handler's no-op frees equal the JSON report's"
pp_is "$want" $((N + 5)) "which are the requests made"
pp_wait_until 10 query_is 'sum(poolprof_role_noop_frees_total)' \
    "$(jq .totals.noop_frees "$PP_TMP/r.json")"
pp_is "$(query 'sum(poolprof_role_noop_frees_total)')" \
    "$(jq .totals.noop_frees "$PP_TMP/r.json")" \
    "Prometheus: the per-role totals sum to the JSON totals"

cp "$SEG" "$PP_TMP/seg.before"
get /metrics > /dev/null
get /debug/pprof/allocs > /dev/null
pp_ok "--serve leaves the segment as it was" cmp -s "$SEG" "$PP_TMP/seg.before"

kill -TERM "$serve"
pp_wait_until 5 sh -c "! kill -0 $serve 2>/dev/null"
wait "$serve"
pp_is "$?:$(tail -n 1 "$PP_TMP/serve.err")" "0:poolprof-report: stopped" \
    "SIGTERM: --serve stops cleanly"
serve=

# --- --format prometheus -o FILE --------------------------------------------
mkdir -p "$PP_TMP/textfile"
"$R" --format prometheus -o "$PP_TMP/textfile/poolprof.prom" "$SEG" \
    2> "$PP_TMP/err"
pp_is "$?:$(ls -A "$PP_TMP/textfile")" 0:poolprof.prom \
    "-o: the file, and no temporary file beside it"
pp_ok "promtool check metrics accepts the file" \
    sh -c "promtool check metrics < '$PP_TMP/textfile/poolprof.prom' \
               > '$PP_TMP/lint' 2>&1"

"$R" --format prometheus --top 1 "$SEG" > "$PP_TMP/top1.prom" 2>/dev/null
pp_is "$(grep -c '^poolprof_allocs_total{' "$PP_TMP/top1.prom"):$(
         awk '/^poolprof_allocs_total\{/ { s += $2 } END { print s }' \
             "$PP_TMP/top1.prom")" \
    "2:$(jq .totals.allocs "$PP_TMP/r.json")" \
    "--top 1: one series and other, which sum to the total"

mkdir "$PP_TMP/h"
"$top_builddir/tests/unit/test_read" --hostile "$PP_TMP/h" > /dev/null 2>&1
"$R" --format prometheus "$PP_TMP/h/evil.seg" > "$PP_TMP/evil.prom" \
    2> /dev/null
pp_ok "hostile names: promtool accepts the exposition" \
    sh -c "promtool check metrics < '$PP_TMP/evil.prom' > '$PP_TMP/lint' 2>&1"
pp_is "$(tr -d '\n' < "$PP_TMP/evil.prom" | LC_ALL=C grep -c '[[:cntrl:]]')" \
    0 "hostile names: no raw control byte"
pp_ok "hostile names: escaped, then escaped for the format" \
    grep -q 'module="ngx\\\\x1b]0;PWNED' "$PP_TMP/evil.prom"

pp_report_bad "a bad --serve address: one clear error" 1 \
    "bad --serve address" --serve nowhere:http "$SEG"

pp_done
