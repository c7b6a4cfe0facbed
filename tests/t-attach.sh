#!/bin/sh
# Covers poolprof-run --attach and --detach on Debian's nginx started as
# in production: daemonized, a pid file, two workers, the test module,
# and nginx.conf including the shipped snippet.  While a load of new
# connections runs, attach, profile, detach: no request fails, and a
# keepalive wrk next to it sees no more closed connections than nginx's
# own way of changing its environment causes without poolprof, twice (a
# reload, then a binary upgrade: USR2, WINCH, QUIT); the master maps the shim after attach and not after detach,
# its pid changes twice and the pid file follows; the unprofiled master
# is not listed as recording and holds no lock on the segment; the
# report has exact counts for the window only; the shim's execve() in a
# program that is not nginx touches nothing.  --detach alone ends a
# session whose poolprof-run was killed.  Refusals, each leaving the
# same nginx serving with one line: no include, a configuration that
# fails nginx -t, a setuid binary, the binary replaced on disk, and a
# new master that crashes (a stand-in shim that aborts).

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq wrk
RUN=${top_builddir:?}/scripts/poolprof-run
pp_need_built "$PP_SHIM" "$PP_REPORT" "$PP_ABORT" "$RUN"

N=25        # /noop requests while attached: 25 no-op frees
M=7         # /leak requests while attached: 7 leaked pools
K=5         # /noop requests before attach and after detach: not counted
C=4         # wrk's keepalive connections; the slack is one close each
h=ngx_http_pp_test
snip=$PP_TMP/nginx-env.conf
shipped=$top_srcdir/etc/nginx-env.conf
pidf=$PP_TMP/nginx/nginx.pid
conf=$PP_TMP/nginx/conf/nginx.conf

cp "$shipped" "$snip"
chmod 644 "$snip"

PP_DAEMON=1
PP_WORKERS=2
PP_MAIN="include $snip;"
PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size 300; }
        location /leak { pp_test leak_pool; pp_test_size 100; }"

# one more request per connection every millisecond at most: wrk
# saturating a CPU would slow what it measures
printf 'function delay()\n    return 1\nend\n' > "$PP_TMP/delay.lua"

# run NAME ARGS...: poolprof-run ARGS (the shim is $SHIM, the segment
# 8M, $RUN_ENV added), output in $PP_TMP/NAME.out and .err, status rc
SHIM=$PP_SHIM
RUN_ENV=
run()
{
    rn=$1
    shift
    # shellcheck disable=SC2086
    env POOLPROF_SIZE=8M $RUN_ENV "$RUN" -s "$SHIM" -r "$PP_REPORT" \
        --snippet "$snip" "$@" > "$PP_TMP/$rn.out" 2> "$PP_TMP/$rn.err"
    rc=$?
}

# urls N PATH: N URLs of PATH for one curl, each body dropped
urls()
{
    u_i=0
    while [ "$u_i" -lt "$1" ]; do
        printf ' -o /dev/null http://127.0.0.1:%s%s' "$PP_PORT" "$2"
        u_i=$((u_i + 1))
    done
}

# master_pid: the pid in the pid file
master_pid()
{
    head -n 1 "$pidf" 2>/dev/null
}

pidfile_is()
{
    [ "$(master_pid)" = "$1" ]
}

gone()
{
    ! pp_pid_alive "$1"
}

nworkers()
{
    [ "$(pp_children "$1" | wc -l)" -eq "$2" ]
}

# unprofiled PID: PID runs, and neither it nor its children map a shim
unprofiled()
{
    [ -r "/proc/$1/maps" ] && ! profiled "$1"
}

# profiled PID: PID or one of its children maps a shim
profiled()
{
    for pr_p in "$1" $(pp_children "$1"); do
        grep -q -e libpoolprof -e libpp_abort "/proc/$pr_p/maps" \
            2>/dev/null && return 0
    done
    return 1
}

# refused NAME PATTERN: poolprof-run said one line matching PATTERN and
# exited 1, and the same nginx serves, unprofiled, the snippet as shipped
refused()
{
    if [ "$rc" = 1 ] && [ "$(wc -l < "$PP_TMP/$1.err")" -eq 1 ] \
        && grep -q -- "$2" "$PP_TMP/$1.err"
    then
        pp_pass "$1: refused, in one line"
    else
        pp_fail "$1: refused, in one line"
        pp_diag "exit $rc, stderr:" "$(head -n 5 "$PP_TMP/$1.err")"
    fi
    pp_diag "$1: $(cat "$PP_TMP/$1.err")"
    # a rolled-back master renames nginx.pid.oldbin back when the new one
    # has gone
    if pp_wait_until 10 pidfile_is "$master" \
        && [ "$(pp_status /pp-alive)" = 200 ] && ! profiled "$master" \
        && cmp -s "$snip" "$shipped"
    then
        pp_pass "$1: the same nginx serves, unprofiled, snippet unchanged"
    else
        pp_fail "$1: the same nginx serves, unprofiled, snippet unchanged"
        pp_diag "master $master, pid file $(master_pid)," \
            "status $(pp_status /pp-alive)" "$(cat "$snip")"
    fi
}

# wrk_start NAME: keepalive load on /pp-alive, for 2 minutes at most
wrk_start()
{
    wrk -t1 -c$C -d120s -s "$PP_TMP/delay.lua" \
        "http://127.0.0.1:$PP_PORT/pp-alive" > "$PP_TMP/$1.wrk" 2>&1 &
    wrk_pid=$!
    sleep 1
}

# wrk_stop NAME: ends the load (wrk prints its summary on SIGINT); sets
# closed (connections closed under it: read and write errors), refused
# (connect errors and timeouts) and non2xx
wrk_stop()
{
    sleep 1
    kill -INT "$wrk_pid"
    wait "$wrk_pid"
    ws=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$PP_TMP/$1.wrk")
    # shellcheck disable=SC2086
    set -- ${ws:-0 0 0 0}
    closed=$(($2 + $3))
    refused=$(($1 + $4))
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' \
             "$PP_TMP/$1.wrk")
    non2xx=${non2xx:-0}
}

# newconn_start: a new connection per request to /pp-alive, 10 a curl,
# until $PP_TMP/stop exists, 3000 curls or 3 minutes
newconn_start()
{
    rm -f "$PP_TMP/stop"
    (
        u=$(urls 10 /pp-alive)
        n=0
        end=$(($(date +%s) + 180))
        while [ ! -e "$PP_TMP/stop" ] && [ $n -lt 3000 ] \
            && [ "$(date +%s)" -lt $end ]
        do
            # shellcheck disable=SC2086
            curl -s -H 'Connection: close' --max-time 10 \
                -w '%{http_code}\n' $u
            n=$((n + 1))
        done
    ) > "$PP_TMP/newconn.log" 2>&1 &
    newconn_pid=$!
}

newconn_stop()
{
    touch "$PP_TMP/stop"
    wait "$newconn_pid"
}

q()
{
    jq -r "$1" "$2"
}

# replaced: $p2 runs two workers, none of $old_workers (a reload)
replaced()
{
    for c in $(pp_children "$p2"); do
        case " $old_workers" in *" $c "*) return 1 ;; esac
    done
    nworkers "$p2" 2
}

pp_plan 47

# the helpers that watch nginx's processes, on a pid that has gone (a
# crashed new master, reaped between the listing of its parent's
# children and the look at its title): not a word on standard error,
# which would be a second line of a refusal
funcs=$PP_TMP/run-funcs.sh
for f in alive title children workers new_master; do
    sed -n "/^$f()\$/,/^}\$/p" "$RUN"
done > "$funcs"
gone=$(cat /proc/sys/kernel/pid_max)
sh -c ". '$funcs'; title $gone; children $gone; workers $gone;
       new_master $gone; alive $gone" \
    > "$PP_TMP/gone.out" 2> "$PP_TMP/gone.err"
if [ "$(grep -c '^[a-z_]*()$' "$funcs")" = 5 ] && [ ! -s "$PP_TMP/gone.out" ] \
    && [ ! -s "$PP_TMP/gone.err" ]
then
    pp_pass "poolprof-run's process helpers are silent on a pid that has gone"
else
    pp_fail "poolprof-run's process helpers are silent on a pid that has gone"
    pp_diag "$(cat "$PP_TMP/gone.err")"
fi

"$RUN" --print-env -s "$PP_SHIM" --snippet "$snip" > "$PP_TMP/env.out"
pp_ok "--print-env: the include line of the snippet" \
    grep -q -x -F "include $snip;" "$PP_TMP/env.out"

# the shim's execve() in a program it did not set up (not nginx) leaves
# that program's descriptors alone, however the new program's
# environment reads
echo hello > "$PP_TMP/in.txt"
pp_is "$(LD_PRELOAD=$PP_SHIM sh -c 'LD_PRELOAD= exec cat' < "$PP_TMP/in.txt" \
        2>&1)" hello "execve() in a program that is not nginx: stdin stays"

pp_nginx_start || pp_done
master=$pp_nginx_pid
cp "$conf" "$conf.orig"

# --- refusals that change nothing -------------------------------------

sed "\\|include $snip;|d" "$conf.orig" > "$conf"
run noinclude --attach "$pidf" -o "$PP_TMP/p-noinclude" -d 1
refused noinclude "does not include $snip"

sed 's/^events/pp_no_such_directive on;\nevents/' "$conf.orig" > "$conf"
run badconf --attach "$pidf" -o "$PP_TMP/p-badconf" -d 1
refused badconf "configuration of nginx (pid $master) fails.*pp_no_such"
cp "$conf.orig" "$conf"

run notprof --detach "$pidf"
refused notprof "is not profiled"

# --- nginx's own change of environment, twice, under keepalive load --

# What attach and detach each make nginx do, done by hand without
# poolprof: a reload, so that the running master takes the env
# directives of its configuration, then a binary upgrade (USR2, WINCH,
# QUIT), whose new master gets that environment.  The keepalive
# connections this closes are nginx's own graceful closes of idle
# connections, the baseline of attach and detach.
new_pid()
{
    new=$(master_pid)
    [ -n "$new" ] && [ "$new" != "$master" ] && nworkers "$new" 2
}

# upgrade: nginx's binary upgrade of $master; master becomes the new one
upgrade()
{
    new=
    kill -USR2 "$master"
    pp_wait_until 20 new_pid || return 1
    kill -WINCH "$master"
    pp_wait_until 30 nworkers "$master" 1
    kill -QUIT "$master"
    pp_wait_until 30 gone "$master" || return 1
    master=$new
    pp_nginx_pid=$new
}

# reload: HUP $master; its workers are replaced by two new ones
reload()
{
    p2=$master
    old_workers=$(pp_children "$p2" | tr '\n' ' ')
    kill -HUP "$master"
    pp_wait_until 20 replaced
}

wrk_start plain
if upgrade; then
    wrk_stop plain
    one=$closed
    wrk_start plain
    if reload && upgrade && reload && upgrade; then
        pp_pass "nginx's own reload and upgrade, twice: a new master $master"
    else
        pp_fail "nginx's own reload and upgrade, twice"
    fi
else
    pp_fail "nginx's own binary upgrade"
    one=0
fi
wrk_stop plain
base=$closed
pp_diag "one binary upgrade: $one keepalive connections closed;" \
    "a reload and an upgrade, twice: $base" \
    "$(grep 'requests in' "$PP_TMP/plain.wrk")"

# --- attach, profile, detach, under both loads ------------------------

# shellcheck disable=SC2046
curl -sS $(urls $K /noop)

# the load runs while attached: it notes the master and its maps, then
# makes the counted requests
load="head -n 1 $pidf > $PP_TMP/pid.attached;
    cat /proc/\$(head -n 1 $pidf)/maps > $PP_TMP/maps.attached;
    curl -sS $(urls $N /noop) &&
    curl -sS $(urls $M /leak)"

newconn_start
wrk_start attach
run attach --attach "$pidf" -o "$PP_TMP/prof" -l "$load" -d 2
wrk_stop attach
newconn_stop
pp_is "$rc" 0 "attach: poolprof-run exits 0"
[ "$rc" = 0 ] || pp_diag "$(tail -n 5 "$PP_TMP/attach.err")"

p1=$(cat "$PP_TMP/pid.attached" 2>/dev/null)
p2=$(master_pid)
pp_diag "masters: $master, then $p1 under the shim, then $p2"
if [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$master" ] \
    && [ "$p2" != "$p1" ] && [ "$p2" != "$master" ]
then
    pp_pass "attach: the master's pid changed twice, the pid file followed"
else
    pp_fail "attach: the master's pid changed twice, the pid file followed"
fi
pp_ok "attach: the attached master mapped libpoolprof.so" \
    grep -q '/libpoolprof\.so$' "$PP_TMP/maps.attached"
pp_ok "detach: the attached master has gone" gone "${p1:-0}"
pp_ok "detach: the new master and its workers map no shim" \
    unprofiled "${p2:-0}"
pp_ok "detach: the new master runs two workers" nworkers "${p2:-0}" 2
pp_ok "detach: the snippet is as shipped again" cmp -s "$snip" "$shipped"

# the loads
total=$(grep -c . "$PP_TMP/newconn.log")
bad=$(grep -v -c -x 200 "$PP_TMP/newconn.log")
pp_diag "new connections: $total requests, $bad failed"
pp_ok "new connections: at least 100 requests during the session" \
    test "$total" -ge 100
pp_is "$bad" 0 "new connections: none refused, failed or non-2xx"
pp_is "$non2xx $refused" "0 0" \
    "keepalive: no non-2xx response, no connect error or timeout"
pp_diag "attach and detach: $closed keepalive connections closed" \
    "$(grep 'requests in' "$PP_TMP/attach.wrk")"
# attach and detach each retire two generations of workers, as nginx's
# own reload and upgrade do; one close of each connection is slack
pp_ok "keepalive: $closed closes, at most nginx's own $base + $C" \
    test "$closed" -le $((base + C))

# the report: the attached window only, exact
r=$PP_TMP/prof/report.json
pp_is "$(q "[.sites[] | select(.symbol == \"${h}_noop_free_handler\")
            | .noop_frees] | add // 0" "$r")" $N \
    "report: exactly N no-op frees, none from before or after"
pp_is "$(q "[.leaks[] | select(.symbol == \"${h}_leak_pool_handler\")
            | .leaked] | add // 0" "$r")" $M \
    "report: exactly M leaked pools, from the graceful exit"
pp_is "$(q '[.segment.processes[] | select(.state != "exited")] | length' \
        "$r")" 0 "report: every process exited, none crashed or alive"
pp_is "$(q "[.segment.processes[] | select(.pid == ${p2:-0})
            | .state] | join(\",\")" "$r")" "exited" \
    "segment: the unprofiled master's shard ended at its exec"
pp_is "$("$PP_REPORT" --list "$PP_TMP/prof" 2>&1 \
        | awk '$1 ~ /segment$/ { print $2 }')" kept \
    "segment: nothing holds its lock (kept, not live)"
pp_ok "segment: the unprofiled master has no descriptor on it" \
    sh -c "! ls -l /proc/${p2:-0}/fd | grep -q '$PP_TMP/prof/segment'"
pp_ok "reports: report.txt written" test -s "$PP_TMP/prof/report.txt"

# shellcheck disable=SC2046
curl -sS $(urls $K /noop)
old_workers=$(pp_children "$p2" | tr '\n' ' ')
"$NGINX" -p "$PP_TMP/nginx/" -c "$conf" -s reload 2> "$PP_TMP/reload2.err"
pp_ok "after detach: nginx -s reload reaches the new master" \
    pp_wait_until 20 replaced
pp_ok "after detach: still unprofiled" unprofiled "$p2"
master=$p2
pp_nginx_pid=$p2

# --- an interrupted session, ended by --detach ------------------------

env POOLPROF_SIZE=8M "$RUN" -s "$PP_SHIM" -r "$PP_REPORT" --snippet "$snip" \
    --attach "$pidf" -o "$PP_TMP/prof2" > "$PP_TMP/intr.out" \
    2> "$PP_TMP/intr.err" &
rp=$!
pp_ok "interrupted: attached" pp_wait_until 60 \
    grep -q '^poolprof-run: attached' "$PP_TMP/intr.err"
# shellcheck disable=SC2046
curl -sS $(urls $N /noop)
kill -KILL "$rp"
wait "$rp" 2>/dev/null
p3=$(master_pid)
pp_ok "interrupted: the master stays profiled" \
    grep -q libpoolprof "/proc/$p3/maps"

# systemd's ExecReload while attached: new workers, profiled, recording
old_workers=$(pp_children "$p3" | tr '\n' ' ')
"$NGINX" -p "$PP_TMP/nginx/" -c "$conf" -s reload 2> "$PP_TMP/reload3.err"
p2=$p3
recorded()
{
    "$PP_REPORT" --format json "$PP_TMP/prof2/segment" > "$PP_TMP/live.json" \
        2>/dev/null || return 1
    for c in $(pp_children "$p3"); do
        q "[.segment.processes[] | select(.pid == $c and .state == \"alive\")]
           | length" "$PP_TMP/live.json" | grep -qx 1 || return 1
    done
}
pp_ok "attached: nginx -s reload, as ExecReload does, gives new workers" \
    pp_wait_until 20 replaced
pp_ok "attached: the reload's workers are profiled and recording" \
    pp_wait_until 10 recorded
# shellcheck disable=SC2046
curl -sS $(urls $N /noop)
run detach --detach "$pidf"
pp_is "$rc" 0 "--detach: exits 0"
[ "$rc" = 0 ] || pp_diag "$(tail -n 5 "$PP_TMP/detach.err")"
p4=$(master_pid)
pp_ok "--detach: a new master, unprofiled" sh -c "[ '$p4' != '$p3' ] && \
    [ -r /proc/$p4/maps ] && ! grep -q libpoolprof /proc/$p4/maps"
pp_is "$(q "[.sites[] | select(.symbol == \"${h}_noop_free_handler\")
            | .noop_frees] | add // 0" "$PP_TMP/prof2/report.json")" $((2 * N)) \
    "--detach: the report, next to the segment, has exactly 2N"
pp_ok "--detach: the snippet is as shipped again" cmp -s "$snip" "$shipped"
master=$p4
pp_nginx_pid=$p4
pp_ok "nginx stops gracefully" pp_nginx_stop

# --- a binary of our own: setuid, a crashing new master, replaced -----

mkdir -p "$PP_TMP/bin"
cp "$NGINX" "$PP_TMP/bin/nginx"
NGINX=$PP_TMP/bin/nginx
pp_nginx_start || pp_done
master=$pp_nginx_pid

chmod 4755 "$NGINX"
run setuid --attach "$pidf" -o "$PP_TMP/p-setuid" -d 1
refused setuid "setuid, setgid or has file capabilities"
chmod 755 "$NGINX"

SHIM=$PP_ABORT
RUN_ENV=POOLPROF_TEST_ABORT=1
run crash --attach "$pidf" -o "$PP_TMP/p-crash" -d 1 --timeout 20
refused crash "new master (pid [0-9]*) exited on signal 6 before it recorded"
pp_ok "crash: nginx's log has the new master's abort" \
    grep -q 'new binary process [0-9]* exited on signal 6' \
    "$PP_TMP/nginx/logs/error.log"
SHIM=$PP_SHIM
RUN_ENV=

cp "$NGINX" "$NGINX.new"
mv -f "$NGINX.new" "$NGINX"
run replaced --attach "$pidf" -o "$PP_TMP/p-replaced" -d 1
refused replaced "on disk is not the binary nginx (pid $master) runs"

# the crash is in the log: stop by hand, and look for anything else
kill -QUIT "$master"
if pp_wait_until 20 gone "$master" \
    && ! grep -E 'exited on signal|\[emerg\]|\[alert\]' \
        "$PP_TMP/nginx/logs/error.log" | grep -v 'new binary process' \
        | grep -q .
then
    pp_pass "nginx stops gracefully, nothing crashed but the new master"
else
    pp_fail "nginx stops gracefully, nothing crashed but the new master"
fi
pp_nginx_pid=

pp_done
