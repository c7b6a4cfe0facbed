#!/bin/sh
# Covers poolprof-run end to end against the test module: a bounded curl
# load of N requests to a no-op-free location gives report.txt and a
# report.json with exactly N no-op frees and N*S pinned bytes at the
# module's handler, after a graceful stop.  Then each error it must name:
# nginx not found, configuration test failed, port in use, an output
# directory it cannot create.  Last, --print-env: its env lines pass
# `nginx -t` in a real configuration and its systemd drop-in passes
# `systemd-analyze verify`.

# shellcheck source=tests/lib.sh
. "${top_srcdir:?}/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

RUN=${top_builddir:?}/scripts/poolprof-run
pp_need_built "$RUN"

N=20
S=512
h=ngx_http_pp_test_noop_free_handler

# conf NAME PORT [MAIN]: writes $PP_TMP/NAME/nginx.conf, a prefix of its
# own (pid, lock, logs, temp paths), no "daemon" line: poolprof-run adds
# -g 'daemon off;'
conf()
{
    c=$PP_TMP/$1
    mkdir -p "$c/logs" "$c/tmp" "$c/html"
    {
        printf '%s\n' "${3:-}"
        echo "worker_processes 1;"
        echo "pid $c/nginx.pid;"
        echo "lock_file $c/nginx.lock;"
        echo "error_log $c/logs/error.log notice;"
        if [ "$(id -u)" -eq 0 ]; then
            echo "user root root;"
        fi
        echo "load_module $PP_MODULE;"
        echo "events { worker_connections 64; }"
        echo "http {"
        echo "    access_log off;"
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $c/tmp/$t;"
        done
        echo "    server {"
        echo "        listen 127.0.0.1:$2;"
        echo "        root $c/html;"
        echo "        location /noop { pp_test noop_free; pp_test_size $S; }"
        echo "    }"
        echo "}"
    } > "$c/nginx.conf"
    chmod -R a+rX "$PP_TMP"
}

# run NAME ARGS...: poolprof-run ARGS, output in $PP_TMP/NAME.out, status
# in $rc
run()
{
    name=$1
    shift
    "$RUN" "$@" > "$PP_TMP/$name.out" 2>&1 < /dev/null
    rc=$?
}

# said NAME TEXT: the output of run NAME has TEXT
said()
{
    grep -q "$2" "$PP_TMP/$1.out"
}

# shellcheck disable=SC2317  # called through pp_ok
valid_json()
{
    jq -e .totals "$PP_TMP/out/report.json" > /dev/null
}

# shellcheck disable=SC2317  # called through pp_ok
# printed: poolprof-run's output has report.txt's first line
printed()
{
    first=$(head -n 1 "$PP_TMP/out/report.txt" 2>/dev/null)
    [ -n "$first" ] && grep -qxF "$first" "$PP_TMP/prof.out"
}

site()
{
    jq "[.sites[] | select(.symbol == \"$h\") | .$1] | add // 0" \
        "$PP_TMP/out/report.json"
}

pp_plan 22

# --- a profiling session with a bounded load --------------------------

for _ in 1 2 3; do
    port=$(pp_port)
    conf prof "$port"
    urls=$(pp_urls "$N" /noop "$port")
    run prof -o "$PP_TMP/out" -l "curl -sS --max-time 30 -o /dev/null $urls >/dev/null" \
        -s "$PP_SHIM" -r "$PP_REPORT" \
        -- "$NGINX" -p "$PP_TMP/prof/" -c "$PP_TMP/prof/nginx.conf"
    said prof 'port in use' || break
done

pp_is "$rc" 0 "poolprof-run exits 0 after a session with a load"
[ "$rc" -eq 0 ] || pp_diag "$(tail -n 30 "$PP_TMP/prof.out")"
pp_ok "report.txt is written" test -s "$PP_TMP/out/report.txt"
pp_ok "report.json is written and valid" valid_json
pp_ok "the report is printed" printed
pp_is "$(site noop_frees)" $N "exactly N no-op frees at the module's handler"
pp_is "$(site pinned_bytes)" $((N * S)) "exactly N*S pinned bytes"
pp_is "$(jq '[.segment.processes[] | select(.state != "exited")] | length' \
         "$PP_TMP/out/report.json")" 0 "nginx stopped gracefully"
pp_ok "the segment is in the output directory" test -f "$PP_TMP/out/segment"

# --- errors -----------------------------------------------------------

run nonginx -o "$PP_TMP/e1" -s "$PP_SHIM" -r "$PP_REPORT" \
    -- "$PP_TMP/no/such/nginx" -c "$PP_TMP/prof/nginx.conf"
pp_ok "nonexistent nginx: non-zero exit" test "$rc" -ne 0
pp_ok "nonexistent nginx: says nginx not found" said nonginx 'nginx not found'

conf bad "$port"
sed 's/pp_test_size/pp_test_sizee/' "$PP_TMP/bad/nginx.conf" \
    > "$PP_TMP/bad/bad.conf"
run badconf -o "$PP_TMP/e2" -s "$PP_SHIM" -r "$PP_REPORT" \
    -- "$NGINX" -p "$PP_TMP/bad/" -c "$PP_TMP/bad/bad.conf"
pp_ok "bad configuration: non-zero exit" test "$rc" -ne 0
pp_ok "bad configuration: says configuration test failed" \
    said badconf 'configuration test failed'
pp_ok "bad configuration: shows nginx's own message" \
    said badconf 'unknown directive "pp_test_sizee"'

pp_nginx_start || pp_done
conf busy "$PP_PORT"
run busy -o "$PP_TMP/e3" -s "$PP_SHIM" -r "$PP_REPORT" \
    -- "$NGINX" -p "$PP_TMP/busy/" -c "$PP_TMP/busy/nginx.conf"
pp_ok "port in use: non-zero exit" test "$rc" -ne 0
pp_ok "port in use: says port in use" said busy 'port in use'
pp_is "$(pp_status /pp-alive)" 200 "port in use: the first nginx still serves"
pp_ok "port in use: the first nginx stops gracefully" pp_nginx_stop

run nodir -o /proc/poolprof-run-test -s "$PP_SHIM" -r "$PP_REPORT" \
    -- "$NGINX" -p "$PP_TMP/prof/" -c "$PP_TMP/prof/nginx.conf"
pp_ok "unwritable DIR: non-zero exit" test "$rc" -ne 0
pp_ok "unwritable DIR: says so" said nodir 'output directory'

# --- --print-env ------------------------------------------------------

run env --print-env -s "$PP_SHIM"
pp_is "$rc" 0 "--print-env exits 0"

# the nginx.conf part: the "env" lines, in the main context
conf envtest "$port" "$(grep '^env ' "$PP_TMP/env.out")"
if grep -q '^env LD_PRELOAD;$' "$PP_TMP/envtest/nginx.conf" \
    && "$NGINX" -t -p "$PP_TMP/envtest/" -c "$PP_TMP/envtest/nginx.conf" \
        > "$PP_TMP/envtest.out" 2>&1
then
    pp_pass "--print-env: the env lines pass nginx -t"
else
    pp_fail "--print-env: the env lines pass nginx -t"
    pp_diag "$(cat "$PP_TMP/env.out" "$PP_TMP/envtest.out" 2>/dev/null)"
fi

# the systemd part: the [Service] block, up to its blank line
if pp_have systemd-analyze; then
    unit=$PP_TMP/poolprof-run-test.service
    {
        echo "[Unit]"
        echo "Description=poolprof-run test"
        echo
        echo "[Service]"
        echo "Type=forking"
        echo "ExecStart=$NGINX -p $PP_TMP/envtest/ -c $PP_TMP/envtest/nginx.conf"
        echo
        sed -n '/^\[Service\]$/,/^$/p' "$PP_TMP/env.out"
    } > "$unit"
    systemd-analyze verify "$unit" > "$PP_TMP/verify.out" 2>&1
    vrc=$?
    if [ "$vrc" -eq 0 ] && [ ! -s "$PP_TMP/verify.out" ] \
        && grep -q '^Environment=LD_PRELOAD=/' "$unit" \
        && grep -q '^Environment=POOLPROF_KEEP=1$' "$unit"
    then
        pp_pass "--print-env: the drop-in passes systemd-analyze verify"
    else
        pp_fail "--print-env: the drop-in passes systemd-analyze verify"
        pp_diag "$(cat "$unit" "$PP_TMP/verify.out")"
    fi
else
    pp_skip "--print-env: the drop-in passes systemd-analyze verify" \
        "$(pp_missing systemd-analyze)"
fi

pp_done
