#!/bin/sh
# Covers the segment as a production artefact of a root nginx: its
# directory and modes (0700, 0600, 0640 with POOLPROF_GROUP, unreadable
# by nobody), removal at a clean stop and POOLPROF_KEEP_MAX, files and
# directories planted by user nobody (a symlink, a 0666 segment, a
# hostile header, a foreign directory), a hostile inherited descriptor,
# and, under wrk, a second nginx on the live segment, the live file
# truncated and then replaced: nginx serves every request and no worker
# dies.  Counts stay exact across 200 killed workers and 100 reloads.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq wrk setpriv
[ "$(id -u)" -eq 0 ] || pp_skip_all "needs root: nginx as root, files as nobody"
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=20
h=ngx_http_pp_test_noop_free_handler
PP_PRELOAD=$PP_SHIM
PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size 300; }"

as_nobody()
{
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

report()
{
    "$PP_REPORT" --format json "$1" > "$PP_TMP/r.json" 2> "$PP_TMP/r.err"
}

noops()
{
    jq "[.sites[] | select(.symbol == \"$h\") | .noop_frees] | add // 0" \
        "$PP_TMP/r.json"
}

# said TEXT: the shim said it, on stderr or, from a worker, in the error log
said()
{
    grep -q "$1" "$PP_TMP/nginx.stderr" "$PP_TMP/nginx/logs/error.log"
}

mode()
{
    stat -c '%a %U %G' "$1"
}

pp_plan 78

# --- the default directory, modes, removal ------------------------------
PP_ENV="POOLPROF_KEEP=0"
pp_nginx_start || pp_done
seg=$PP_TMP/shm/poolprof.$pp_nginx_pid
pp_is "$(mode "$PP_TMP/shm")" "700 root root" "the directory is 0700, root's"
pp_is "$(mode "$seg")" "600 root root" "the segment is 0600, root's"
pp_ok "requests" pp_requests $N /noop
report "$seg"
pp_is "$(noops)" $N "a live read counts N"
pp_is "$("$PP_REPORT" --list "$PP_TMP/shm" | grep -c "poolprof.$pp_nginx_pid  *live ")" \
    1 "--list shows it live"
pp_ok "nginx stops gracefully" pp_nginx_stop
pp_ok "a clean stop removes the segment" test ! -e "$seg"

PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.mode"
pp_nginx_start || pp_done
pp_is "$(mode "$PP_TMP/seg.mode")" "600 root root" \
    "a configured path is 0600 as well"
pp_ok "nobody cannot open it" \
    sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups \
        cat '$PP_TMP/seg.mode' > /dev/null 2>&1"
pp_ok "nginx stops gracefully" pp_nginx_stop

PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.group POOLPROF_GROUP=adm"
pp_nginx_start || pp_done
pp_is "$(mode "$PP_TMP/seg.group")" "640 root adm" "POOLPROF_GROUP: 0640"
pp_ok "nginx stops gracefully" pp_nginx_stop

# a worker killed: the segment is kept for the post-mortem
PP_ENV="POOLPROF_KEEP=0 POOLPROF_DIR=$PP_TMP/crash"
pp_nginx_start || pp_done
seg=$PP_TMP/crash/poolprof.$pp_nginx_pid
PP_KILLED=$(pp_children "$pp_nginx_pid")
kill -KILL "$PP_KILLED"
respawned()
{
    w=$(pp_children "$pp_nginx_pid")
    [ -n "$w" ] && [ "$w" != "$PP_KILLED" ]
}
pp_wait_until 10 respawned
pp_ok "nginx stops gracefully after a worker was killed" pp_nginx_stop
pp_ok "after a crash the segment is kept" test -f "$seg"
pp_ok "and the shim says why" said "a process crashed: keeping"
PP_KILLED=

# the production default: /run/poolprof for root
PP_ENV="POOLPROF_DIR= POOLPROF_KEEP=0"
pp_nginx_start || pp_done
pp_is "$(mode "/run/poolprof/poolprof.$pp_nginx_pid")" "600 root root" \
    "root's default: /run/poolprof/poolprof.PID"
pp_is "$(mode /run/poolprof)" "700 root root" "/run/poolprof is 0700"
master=$pp_nginx_pid
pp_ok "nobody cannot plant anything in root's default directory" \
    sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups \
        ln -s /etc/passwd /run/poolprof/poolprof.1 2> /dev/null"
pp_ok "nginx stops gracefully" pp_nginx_stop
pp_ok "and the segment is gone" test ! -e "/run/poolprof/poolprof.$master"

# bad values: one line each, naming the variable and the fallback
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.bad POOLPROF_SHARDS=abc
    POOLPROF_MAX_TRACKED=-1 POOLPROF_SIZE=17179869184G POOLPROF_KEEP_MAX=zero"
pp_nginx_start || pp_done
pp_requests $N /noop
pp_ok "nginx stops gracefully" pp_nginx_stop
pp_is "$(grep -c '^poolprof\[' "$PP_TMP/nginx.stderr")" 4 \
    "bad values: exactly one line for each of the four"
pp_ok "bad values: each names the variable, the value and the default" \
    sh -c "grep -q 'POOLPROF_SHARDS=\"abc\" is not a number from 1 to 1023; using 32' '$PP_TMP/nginx.stderr' &&
        grep -q 'POOLPROF_MAX_TRACKED=\"-1\" is not a number' '$PP_TMP/nginx.stderr' &&
        grep -q 'POOLPROF_SIZE=\"17179869184G\" is not a size .*; using 64M' '$PP_TMP/nginx.stderr' &&
        grep -q 'POOLPROF_KEEP_MAX=\"zero\" is not a number from 1 to 10000; using 4' '$PP_TMP/nginx.stderr'"
report "$PP_TMP/seg.bad"
pp_is "$(noops)" $N "bad values: the defaults record exactly N"

# nothing hooked (every function skipped, as under W^X): no segment
all=ngx_destroy_pool,ngx_create_pool,ngx_reset_pool,ngx_palloc,ngx_pnalloc
all=$all,ngx_pcalloc,ngx_pmemalign,ngx_pfree,ngx_pool_cleanup_add
all=$all,ngx_create_temp_buf,ngx_create_chain_of_bufs,ngx_alloc_chain_link
all=$all,ngx_chain_get_free_buf,ngx_chain_update_chains
PP_ENV="POOLPROF_DIR=$PP_TMP/none POOLPROF_SKIP=$all"
pp_nginx_start || pp_done
pp_is "$(pp_get /noop)" "noop_free ok" "nothing hooked: nginx serves"
pp_ok "nginx stops gracefully" pp_nginx_stop
pp_ok "nothing hooked: no segment was made" test ! -e "$PP_TMP/none"

# one shard for a master and 2 workers: the report names the workers
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.one POOLPROF_SHARDS=1"
PP_WORKERS=2
pp_nginx_start || pp_done
report "$PP_TMP/seg.one"
missing=$(jq -r '.warnings[] | select(test("no free shard"))' \
          "$PP_TMP/r.json")
ok=1
for w in $(pp_children "$pp_nginx_pid"); do
    case "$missing " in *" $w "*|*" $w") ;; *) ok=0 ;; esac
done
pp_is "$(jq .segment.claims_failed "$PP_TMP/r.json")" 2 \
    "one shard: the 2 workers' claims failed, and are counted"
pp_ok "one shard: the warning names both live workers" test $ok = 1
pp_ok "nginx stops gracefully" pp_nginx_stop
PP_WORKERS=1

# --- start and stop: at most POOLPROF_KEEP_MAX kept ----------------------
for keep in 1 0; do
    i=0
    while [ $i -lt 10 ]; do
        PP_ENV="POOLPROF_DIR=$PP_TMP/keep$keep POOLPROF_KEEP=$keep"
        pp_nginx_start || pp_done
        pp_requests 1 /noop
        pp_nginx_stop || pp_done
        i=$((i + 1))
    done
done
pp_is "$(ls "$PP_TMP/keep1" | wc -l)" 4 \
    "10 runs with POOLPROF_KEEP=1 keep 4 (POOLPROF_KEEP_MAX)"
pp_is "$("$PP_REPORT" --list "$PP_TMP/keep1" | grep -c ' kept ')" 4 \
    "--list shows the 4 as kept"
pp_is "$(ls "$PP_TMP/keep0" | wc -l)" 0 "10 runs without keep none"

# --- what user nobody plants ----------------------------------------------
mkdir "$PP_TMP/sticky"
chmod 1777 "$PP_TMP/sticky"
echo "precious data" > "$PP_TMP/victim"
cp "$PP_TMP/victim" "$PP_TMP/victim.orig"
cp "$PP_TMP/seg.mode" "$PP_TMP/valid"
chmod a+r "$PP_TMP/valid"

# refused START ENV... : nginx serves, says one line, records nothing
refused()
{
    pp__what=$1
    shift
    PP_ENV="$*"
    pp_nginx_start || return 1
    pp_is "$(pp_get /noop)" "noop_free ok" "$pp__what: nginx serves"
    pp_is "$(grep -c '^poolprof\[' "$PP_TMP/nginx.stderr")" 1 \
        "$pp__what: one line"
    pp_ok "$pp__what: and runs unprofiled" said "runs unprofiled"
    pp_nginx_stop
}

as_nobody ln -s "$PP_TMP/victim" "$PP_TMP/sticky/link"
refused "a symlink planted" "POOLPROF_SEGMENT=$PP_TMP/sticky/link"
pp_ok "the symlink's target is untouched" cmp -s "$PP_TMP/victim" \
    "$PP_TMP/victim.orig"

as_nobody cp "$PP_TMP/valid" "$PP_TMP/sticky/planted"
as_nobody chmod 666 "$PP_TMP/sticky/planted"
cp "$PP_TMP/sticky/planted" "$PP_TMP/planted.orig"
refused "a valid segment of nobody's, 0666" \
    "POOLPROF_SEGMENT=$PP_TMP/sticky/planted"
pp_ok "the planted file is untouched" cmp -s "$PP_TMP/sticky/planted" \
    "$PP_TMP/planted.orig"

# a header whose table offsets point past the file
as_nobody cp "$PP_TMP/valid" "$PP_TMP/sticky/hostile"
printf '\377\377\377\377' | as_nobody dd of="$PP_TMP/sticky/hostile" bs=1 \
    seek=80 conv=notrunc 2> /dev/null
refused "a hostile header of nobody's" \
    "POOLPROF_SEGMENT=$PP_TMP/sticky/hostile"

cp "$PP_TMP/victim" "$PP_TMP/notours"
refused "root's own file that is no segment" \
    "POOLPROF_SEGMENT=$PP_TMP/notours"
pp_ok "that file is untouched" cmp -s "$PP_TMP/notours" \
    "$PP_TMP/victim.orig"

as_nobody mkdir -m 700 "$PP_TMP/sticky/dir"
refused "a directory of nobody's" "POOLPROF_DIR=$PP_TMP/sticky/dir"

# a descriptor inherited from a parent that is no poolprof segment's
cp "$PP_TMP/valid" "$PP_TMP/inherited"
chmod 600 "$PP_TMP/inherited"
printf '\377\377\377\377' | dd of="$PP_TMP/inherited" bs=1 seek=80 \
    conv=notrunc 2> /dev/null
printf '#!/bin/sh\nexec 7<>"%s"\nexec "%s" "$@"\n' "$PP_TMP/inherited" \
    "$NGINX" > "$PP_TMP/nginx-fd7"
chmod +x "$PP_TMP/nginx-fd7"
plain_nginx=$NGINX
NGINX=$PP_TMP/nginx-fd7
refused "a hostile inherited descriptor" "POOLPROF_KEEP=1"

# one whose header is valid but for a sampling period past the largest
# (sample_period, at offset 420 of version 4's header)
cp "$PP_TMP/valid" "$PP_TMP/inherited"
chmod 600 "$PP_TMP/inherited"
printf '\377\377\377\377' | dd of="$PP_TMP/inherited" bs=1 seek=420 \
    conv=notrunc 2> /dev/null
refused "an inherited segment sampling 1 in 2^32-1" "POOLPROF_KEEP=1"

# a valid segment inherited, but POOLPROF_SEGMENT names a new file: the
# new file is made and recorded into, the inherited one is left alone
cp "$PP_TMP/valid" "$PP_TMP/inherited"
cp "$PP_TMP/valid" "$PP_TMP/inherited.orig"
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.elsewhere POOLPROF_KEEP=1"
pp_nginx_start || pp_done
pp_is "$(pp_get /noop)" "noop_free ok" "told elsewhere: nginx serves"
pp_nginx_stop
pp_ok "told elsewhere: the named segment is made" \
    test -f "$PP_TMP/seg.elsewhere"
pp_ok "told elsewhere: the inherited segment is untouched" \
    cmp -s "$PP_TMP/inherited" "$PP_TMP/inherited.orig"
report "$PP_TMP/seg.elsewhere"
pp_is "$(noops)" 1 "told elsewhere: the request is in the named segment"
NGINX=$plain_nginx

# --- under load: a second nginx, truncation, replacement ------------------
seg=$PP_TMP/seg.live
PP_ENV="POOLPROF_SEGMENT=$seg"
PP_WORKERS=2
pp_nginx_start || pp_done
wrk -t1 -c4 -d6s "http://127.0.0.1:$PP_PORT/noop" > "$PP_TMP/wrk.out" 2>&1 &
wrk_pid=$!
sleep 1

# a second instance on another port, pointed at the live segment
mkdir -p "$PP_TMP/n2/logs" "$PP_TMP/n2/tmp" "$PP_TMP/n2/html"
port2=$((PP_PORT + 1))
sed -e "s|$PP_TMP/nginx/|$PP_TMP/n2/|g" \
    -e "s|127.0.0.1:$PP_PORT|127.0.0.1:$port2|" \
    "$PP_TMP/nginx/conf/nginx.conf" > "$PP_TMP/n2/nginx.conf"
env LD_PRELOAD="$PP_SHIM" POOLPROF_SEGMENT="$seg" "$NGINX" -p "$PP_TMP/n2/" \
    -c "$PP_TMP/n2/nginx.conf" 2> "$PP_TMP/n2.stderr" &
n2=$!
pp_wait_until 10 grep -q "in use by another nginx" "$PP_TMP/n2.stderr"
pp_ok "a second nginx on the live segment says it is in use" \
    grep -q "in use by another nginx; nothing is recorded" "$PP_TMP/n2.stderr"
# QUIT once it serves: a master signalled before its worker is up skips
# the just-spawned worker and waits for it forever; bounded all the same
pp_wait_until 10 sh -c "curl -s --max-time 1 \
    http://127.0.0.1:$port2/pp-alive | grep -q alive"
kill -QUIT "$n2" 2> /dev/null
n2_gone() { ! pp_pid_alive "$n2"; }
pp_wait_until 20 n2_gone || kill -KILL "$n2" 2> /dev/null
wait "$n2" 2> /dev/null

: > "$seg"
sleep 1
echo "another file" > "$PP_TMP/other"
mv "$PP_TMP/other" "$seg"
wait "$wrk_pid"
pp_ok "wrk ran" grep -q "requests in" "$PP_TMP/wrk.out"
pp_ok "wrk saw no socket error" sh -c "! grep -q 'Socket errors' '$PP_TMP/wrk.out'"
pp_ok "wrk saw no non-2xx response" sh -c "! grep -q 'Non-2xx' '$PP_TMP/wrk.out'"
pp_is "$(pp_get /noop)" "noop_free ok" "nginx still serves"
pp_ok "the truncation was noticed" said "segment file was truncated"
pp_ok "nginx stops gracefully, no worker died" pp_nginx_stop
[ "$pp_failed" -eq 0 ] || pp_diag "$(cat "$PP_TMP/wrk.out")"

# --- 200 killed workers, 100 reloads, then N requests ----------------------
seg=$PP_TMP/seg.churn
PP_ENV="POOLPROF_SEGMENT=$seg"
PP_WORKERS=1
pp_nginx_start || pp_done

one_worker()
{
    w=$(pp_children "$pp_nginx_pid")
    [ "$(echo "$w" | wc -w)" -eq "$1" ] && [ "$w" != "$2" ]
}

w=$(pp_children "$pp_nginx_pid")
i=0
while [ $i -lt 200 ]; do
    old=$w
    kill -KILL "$old"
    pp_wait_until 10 one_worker 1 "$old" || break
    i=$((i + 1))
done
pp_is $i 200 "200 workers killed and respawned"

sed -i 's/^worker_processes 1;/worker_processes 2;/' \
    "$PP_TMP/nginx/conf/nginx.conf"
# reloaded OLD: two live workers, none of them in OLD, and OLD all gone
reloaded()
{
    w=$(pp_children "$pp_nginx_pid" | sort | tr '\n' ' ')
    [ "$(echo "$w" | wc -w)" -eq 2 ] || return 1
    for p in $1; do
        case " $w" in *" $p "*) return 1 ;; esac
        pp_pid_alive "$p" && return 1
    done
    return 0
}

i=0
while [ $i -lt 100 ]; do
    old=$(pp_children "$pp_nginx_pid" | sort | tr '\n' ' ')
    kill -HUP "$pp_nginx_pid"
    pp_wait_until 10 reloaded "$old" || break
    i=$((i + 1))
done
pp_is $i 100 "100 reloads with 2 workers"

pp_ok "then N requests" pp_requests $N /noop
report "$seg"
pp_is "$(noops)" $N "after them, exactly N no-op frees"
pp_is "$(jq '.segment.claims_failed' "$PP_TMP/r.json")" 0 "no claim failed"
pp_ok "ended processes were retired" \
    test "$(jq '.segment.retired.processes' "$PP_TMP/r.json")" -ge 200
pp_is "$(jq '([.segment.processes[].allocs] | add)
             + .segment.retired.allocs == .totals.allocs
             and ([.segment.processes[].noop_frees] | add)
             + .segment.retired.noop_frees == .totals.noop_frees' \
        "$PP_TMP/r.json")" true \
    "the totals are the sum over every process and the retired"
pp_is "$(grep -c 'exited on signal 9' "$PP_TMP/nginx/logs/error.log")" 200 \
    "the error log shows the 200 kills and nothing more"
sed -i '/exited on signal 9/d' "$PP_TMP/nginx/logs/error.log"
pp_ok "nginx stops gracefully" pp_nginx_stop
report "$seg"
pp_is "$(noops)" $N "after the stop, still exactly N"

pp_done
