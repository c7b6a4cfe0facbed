#!/bin/sh
# Covers the segment through nginx's process life: a worker killed with
# SIGKILL (respawned, its counts kept, reported as crashed), `nginx -s
# reload` (recording goes on; the -s helper leaves the segment alone), a
# binary upgrade (USR2, then QUIT to the old master, with `env
# LD_PRELOAD;`), `aio threads`, no space for the segment, and tables too
# small for the run (overflow reported, nginx unaffected).  Counts are
# exact: each request to /noop makes one no-op free.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=20
h=ngx_http_pp_test_noop_free_handler
seg=$PP_TMP/seg

PP_PRELOAD=$PP_SHIM
PP_MAIN="env LD_PRELOAD; env POOLPROF_SEGMENT;"
PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size 300; }
        location /file { alias $PP_TMP/file.txt; sendfile off; aio threads; }"
seq 1 50000 > "$PP_TMP/file.txt"
chmod a+r "$PP_TMP/file.txt"

requests()
{
    pp__u=
    pp__i=0
    while [ $pp__i -lt "$2" ]; do
        pp__u="$pp__u http://127.0.0.1:$PP_PORT$1"
        pp__i=$((pp__i + 1))
    done
    # shellcheck disable=SC2086
    curl -sS --max-time 60 -o /dev/null $pp__u >/dev/null
}

report()
{
    "$PP_REPORT" --format json "$1" > "$PP_TMP/report.json" \
        2> "$PP_TMP/report.err"
}

noops()
{
    jq "[.sites[] | select(.symbol == \"$h\") | .noop_frees] | add // 0" \
        "$PP_TMP/report.json"
}

nworkers()
{
    [ "$(pp_children "$1" | wc -l)" -eq "$2" ]
}

pp_plan 33

# --- a worker killed with SIGKILL -------------------------------------
PP_WORKERS=2
PP_ENV="POOLPROF_SEGMENT=$seg.kill"
pp_nginx_start || pp_done
requests /noop $N
victim=$(pp_children "$pp_nginx_pid" | head -n 1)
PP_KILLED=$victim
kill -KILL "$victim"
pp_ok "crash: the master respawns the killed worker" \
    pp_wait_until 10 sh -c "! [ -e /proc/$victim ] || \
        grep -q ') Z' /proc/$victim/stat"
pp_ok "crash: two workers again" pp_wait_until 10 nworkers "$pp_nginx_pid" 2
pp_ok "crash: the live segment reads" report "$seg.kill"
pp_is "$(jq "[.segment.processes[] | select(.pid == $victim)][0].state" \
        "$PP_TMP/report.json")" '"crashed"' "crash: the killed worker is crashed"
requests /noop $N
pp_ok "crash: nginx stops gracefully" pp_nginx_stop
report "$seg.kill"
pp_is "$(noops)" $((2 * N)) "crash: the dead worker's counts remain (2N)"
pp_is "$(jq '[.segment.processes[] | select(.state == "crashed")] | length' \
        "$PP_TMP/report.json")" 1 "crash: exactly one crashed process"

# --- reload -------------------------------------------------------------
PP_WORKERS=1
PP_ENV="POOLPROF_SEGMENT=$seg.reload"
pp_nginx_start || pp_done
requests /noop $N
old=$(pp_children "$pp_nginx_pid")
LD_PRELOAD=$PP_SHIM POOLPROF_SEGMENT=$seg.reload \
    "$NGINX" -p "$PP_TMP/nginx/" -c "$PP_TMP/nginx/conf/nginx.conf" -s reload \
    > "$PP_TMP/reload.out" 2>&1
pp_is "$?" 0 "reload: nginx -s reload under the shim succeeds"
pp_ok "reload: the old worker exits" \
    pp_wait_until 20 sh -c "! [ -e /proc/$old ] || grep -q ') Z' /proc/$old/stat"
pp_ok "reload: a new worker runs" pp_wait_until 10 nworkers "$pp_nginx_pid" 1
requests /noop $N
pp_ok "reload: nginx stops gracefully" pp_nginx_stop
report "$seg.reload"
pp_is "$(noops)" $((2 * N)) "reload: counts before and after (2N)"
pp_is "$(jq '[.segment.processes[] | select(.role == "worker")] | length' \
        "$PP_TMP/report.json")" 2 "reload: two worker shards"
pp_is "$(jq '[.segment.processes[] | select(.role == "signaller")] | length' \
        "$PP_TMP/report.json")" 0 "reload: the -s helper took no shard"

# --- binary upgrade -------------------------------------------------------
# nginx ignores USR2 while its launcher lives, so this one is a daemon
PP_DAEMON=1
PP_ENV="POOLPROF_SEGMENT=$seg.upgrade"
pp_nginx_start || pp_done
requests /noop $N
kill -USR2 "$pp_nginx_pid"
# the old master renames its pid file first, the new one writes its own
# later: wait for a nginx.pid that names another process
new_pid()
{
    new=$(cat "$PP_TMP/nginx/nginx.pid" 2>/dev/null)
    [ -n "$new" ] && [ "$new" != "$pp_nginx_pid" ]
}
pp_ok "upgrade: the new master writes its pid file" \
    pp_wait_until 10 new_pid
pp_ok "upgrade: the new master has a worker" \
    pp_wait_until 10 nworkers "${new:-0}" 1
kill -QUIT "$pp_nginx_pid"
pp_ok "upgrade: the old master exits" \
    pp_wait_until 20 sh -c "! [ -e /proc/$pp_nginx_pid ] || \
        grep -q ') Z' /proc/$pp_nginx_pid/stat"
pp_nginx_pid=$new
requests /noop $N
pp_ok "upgrade: the new master stops gracefully" pp_nginx_stop
report "$seg.upgrade"
pp_is "$(noops)" $((2 * N)) "upgrade: recording continued in one segment (2N)"
pp_is "$(jq '[.segment.processes[] | select(.role == "worker") | .ppid]
             | unique | length' "$PP_TMP/report.json")" 2 \
    "upgrade: the workers of both masters are in the segment"
pp_is "$(jq '[.segment.processes[] | select(.role == "single")] | length' \
        "$PP_TMP/report.json")" 0 \
    "upgrade: no master is labelled single"
pp_is "$(ls "$PP_TMP" | grep -c deleted)" 0 \
    "upgrade: no file named after a deleted segment"
PP_DAEMON=0

# --- aio threads ----------------------------------------------------------
PP_ENV="POOLPROF_SEGMENT=$seg.aio"
pp_nginx_start || pp_done
pp_ok "aio: 50 file requests through the thread pool" requests /file 50
requests /noop $N
pp_ok "aio: nginx stops gracefully" pp_nginx_stop
report "$seg.aio"
pp_is "$(noops)" $N "aio threads: counts exact"

# --- no space for the segment ----------------------------------------------
PP_ENV="POOLPROF_SEGMENT=$seg.huge POOLPROF_SIZE=20000G"
pp_nginx_start || pp_done
pp_is "$(pp_get /noop)" "noop_free ok" "no space: nginx serves"
pp_ok "no space: nginx stops gracefully" pp_nginx_stop
pp_is "$(grep -c "^poolprof\\[" "$PP_TMP/nginx.stderr")" 1 \
    "no space: exactly one message"

# --- tables too small ------------------------------------------------------
PP_ENV="POOLPROF_SEGMENT=$seg.tiny POOLPROF_SIZE=100K"
pp_nginx_start || pp_done
requests /noop $N
pp_ok "tiny tables: nginx stops gracefully" pp_nginx_stop
report "$seg.tiny"
pp_ok "tiny tables: the overflow is reported" \
    test "$(jq .segment.overflow "$PP_TMP/report.json")" -gt 0

# --- tracking capped at nothing ---------------------------------------------
PP_ENV="POOLPROF_SEGMENT=$seg.cap POOLPROF_MAX_TRACKED=0"
pp_nginx_start || pp_done
requests /noop $N
pp_ok "capped tracking: nginx stops gracefully" pp_nginx_stop
report "$seg.cap"
pp_is "$(noops)" $N "capped tracking: every no-op free still counted"
pp_is "$(jq "[.sites[] | select(.symbol == \"$h\") | .unknown_frees] | add" \
        "$PP_TMP/report.json")" $N "capped tracking: their sizes are unknown"

pp_done
