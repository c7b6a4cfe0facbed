#!/bin/sh
# Covers poolprof-report's options on a segment of Debian's nginx with
# the test module (2 workers): --sort (and a bad key), --by module, pool
# and tag, --pid (and a pid not in the segment), colour (only when asked
# or on a terminal, never with NO_COLOR), --snapshot of the live segment
# and --diff between two snapshots around N requests (exactly N no-op
# frees), a snapshot read after the stop equal to the segment, and
# --watch in tmux against nginx under a bounded load: the screen
# changes between two captures and q quits.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=20
S=256
h=ngx_http_pp_test
R=$PP_REPORT
SEG=$PP_TMP/seg

PP_PRELOAD=$PP_SHIM
PP_WORKERS=2
PP_ENV="POOLPROF_SEGMENT=$SEG"
PP_SERVER="
        location /noop  { pp_test noop_free;  pp_test_size $S; }
        location /child { pp_test child_pool; pp_test_size 200; }"


# noop FILE: no-op frees at the module's handler in a JSON report
noop()
{
    jq "[.sites[] | select(.symbol == \"${h}_noop_free_handler\")
         | .noop_frees] | add // 0" "$1"
}

pp_plan 25

pp_nginx_start || pp_done
pp_ok "warm-up requests" pp_requests 5 /child

# --- snapshots and diff, live --------------------------------------------
pp_ok "a snapshot of the live segment" \
    pp_quiet "$R" --snapshot "$PP_TMP/a.seg" "$SEG"
pp_ok "$N requests to the no-op location" pp_requests $N /noop
pp_ok "a second snapshot" pp_quiet "$R" --snapshot "$PP_TMP/b.seg" "$SEG"
"$R" --format json --diff "$PP_TMP/a.seg" "$PP_TMP/b.seg" \
    > "$PP_TMP/diff.json" 2> "$PP_TMP/err" || pp_diag "$(cat "$PP_TMP/err")"
pp_is "$(noop "$PP_TMP/diff.json")" $N "diff: exactly N no-op frees between"
pp_is "$(jq '[.pools[] | select(.symbol == "ngx_http_pp_test_child_pool_handler")
               | .created] | add // 0' "$PP_TMP/diff.json")" 0 \
    "diff: no child pools between"
pp_is "$(jq '.warnings | length' "$PP_TMP/diff.json")" 0 \
    "diff: a base that is an earlier copy gives no warning"
# the totals are counted in place, like the rows: a live read agrees
"$R" --format json "$PP_TMP/b.seg" > "$PP_TMP/b.json" 2> "$PP_TMP/err" \
    || pp_diag "$(cat "$PP_TMP/err")"
pp_is "$(jq '"\(.totals.allocs) \(.totals.alloc_bytes)"' "$PP_TMP/b.json")" \
    "$(jq '"\([.sites[].allocs] | add) \([.sites[].alloc_bytes] | add)"' \
          "$PP_TMP/b.json")" \
    "live: total allocations and bytes equal the sums of the sites' rows"
pp_is "$(jq '.totals.noop_frees' "$PP_TMP/b.json")" \
    "$(jq '[.sites[].noop_frees] | add' "$PP_TMP/b.json")" \
    "live: total no-op frees equal the sum of the sites' rows"
"$R" --diff "$PP_TMP/b.seg" "$PP_TMP/a.seg" > /dev/null 2> "$PP_TMP/err"
pp_ok "diff: a later base is named as such" \
    grep -q "not an earlier copy" "$PP_TMP/err"

# --- watch in tmux ----------------------------------------------------------
if pp_have tmux; then
    sock=pp$$
    (i=0; while [ $i -lt 60 ]; do pp_requests 5 /noop; sleep 0.1;
         i=$((i + 1)); done) &
    load=$!
    tmux -L "$sock" new-session -d -x 100 -y 50 \
        "$R --watch 1 $SEG; echo exited > $PP_TMP/watch.done; sleep 30"
    sleep 1.5
    tmux -L "$sock" capture-pane -p > "$PP_TMP/w1.txt"
    sleep 2.2
    tmux -L "$sock" capture-pane -p > "$PP_TMP/w2.txt"
    tmux -L "$sock" send-keys q
    pp_wait_until 10 test -f "$PP_TMP/watch.done"
    pp_ok "watch: q quits" test -f "$PP_TMP/watch.done"
    tmux -L "$sock" kill-server 2> /dev/null
    kill "$load" 2> /dev/null
    wait "$load" 2> /dev/null
    pp_ok "watch: the screen shows the report" \
        grep -q "top sites by wasted" "$PP_TMP/w1.txt"
    pp_ok "watch: it shows rates" grep -q "per second:" "$PP_TMP/w2.txt"
    pp_ok "watch: the counts changed between two redraws" \
        test "$(grep "no-op frees)" "$PP_TMP/w1.txt")" != \
             "$(grep "no-op frees)" "$PP_TMP/w2.txt")"
    pp_ok "watch: a screenful, from the top" grep -q "^poolprof-report --watch" \
        "$PP_TMP/w2.txt"
else
    for t in "q quits" "the screen shows the report" "it shows rates" \
        "the counts changed between two redraws" "a screenful, from the top"
    do
        pp_skip "watch: $t" "$(pp_missing tmux)"
    done
fi

pp_ok "nginx stops gracefully" pp_nginx_stop

# --- after the stop ---------------------------------------------------------
pp_ok "a snapshot of a stopped nginx's segment is the segment" \
    sh -c "'$R' --snapshot '$PP_TMP/c.seg' '$SEG' 2>/dev/null &&
           cmp -s '$PP_TMP/c.seg' '$SEG'"

# every key of the field tables, and the named ones, are listed
"$R" --sort bogus "$SEG" > /dev/null 2> "$PP_TMP/err"
rc=$?
keys=0
for k in pinned noop allocs alloc_bytes frees foreign byte_seconds growth \
         zeroed frees_null frees_cross_pool; do
    grep -qE "the keys are: wasted(, [a-z0-9_]+)*, $k(,|\$)" "$PP_TMP/err" \
        && keys=$((keys + 1))
done
pp_is "$rc:$keys" \
    2:11 "--sort with a bad key: the default first, every valid key listed"

"$R" --format json "$SEG" > "$PP_TMP/all.json" 2>/dev/null
"$R" --by module "$SEG" > "$PP_TMP/module.txt" 2>&1
pp_ok "--by module: the module's object file is a row" \
    grep -q "ngx_http_poolprof_test_module.so$" "$PP_TMP/module.txt"

"$R" --by pool --sort created --top 1 "$SEG" > "$PP_TMP/pool.txt" 2>&1
pp_is "$(awk '/CREATED/ { getline; print $1; exit }' "$PP_TMP/pool.txt")" \
    "$(jq '[.pools[].created] | max' "$PP_TMP/all.json")" \
    "--by pool --sort created: the most created first"

w=$(jq '[.segment.processes[] | select(.role == "worker")] |
        max_by(.noop_frees) | .pid' "$PP_TMP/all.json")
"$R" --format json --pid "$w" "$SEG" > "$PP_TMP/pid.json" 2>/dev/null
pp_is "$(jq '.segment.processes | length' "$PP_TMP/pid.json"):$(
        jq .totals.noop_frees "$PP_TMP/pid.json")" \
    "1:$(jq ".segment.processes[] | select(.pid == $w) | .noop_frees" \
         "$PP_TMP/all.json")" "--pid: one process, its totals"
"$R" --pid 1 "$SEG" > /dev/null 2> "$PP_TMP/err"
pp_is "$?:$(grep -c "no process 1" "$PP_TMP/err")" 1:1 \
    "--pid of a process not in the segment: one clear error"

esc=$(printf '\033')
"$R" --color always "$SEG" > "$PP_TMP/c1.txt" 2>/dev/null
"$R" "$SEG" > "$PP_TMP/c2.txt" 2>/dev/null
NO_COLOR=1 "$R" --color always "$SEG" > "$PP_TMP/c3.txt" 2>/dev/null
pp_ok "colour when asked" grep -q "$esc" "$PP_TMP/c1.txt"
pp_ok "no colour into a pipe" sh -c "! grep -q '$esc' '$PP_TMP/c2.txt'"
pp_ok "never with NO_COLOR" sh -c "! grep -q '$esc' '$PP_TMP/c3.txt'"

pp_done
