#!/bin/sh
# Covers poolprof-report on untrusted input, as a user runs it: each bad
# file (missing, empty, a directory, a device, a FIFO, a foreign file)
# and each bad segment (shorter than its header, truncated, wrong
# version, damaged header, shard and object table) gives one clear line
# on stderr and exit 1, or a report, never a crash or a hang; usage
# errors exit 2; --help ends with EXAMPLES.  On a segment of Debian's
# nginx with the test module loaded from a copy: the module deleted
# afterwards, then replaced by another ELF file, gives a report with a
# warning and object+offset names, never another file's symbols;
# --snapshot, --diff and --list of bad segments; --watch without a
# terminal (reports separated by a line, a JSON stream, a segment that
# goes away, SIGTERM) and --watch of a missing segment.

. "$top_srcdir/tests/lib.sh"

pp_need_built "$PP_REPORT"
pp_need timeout

R=$PP_REPORT
T=$PP_TMP

N=45
pp_plan $N

# survives DESC ARGS...: a report (exit 0) or one error line (exit 1),
# within 20 s; never a signal
survives()
{
    s_desc=$1
    shift

    timeout 20 "$R" "$@" > "$T/out" 2> "$T/err"
    s_rc=$?

    if [ "$s_rc" -eq 0 ] \
        || { [ "$s_rc" -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ]; }
    then
        pp_pass "$s_desc"
    else
        pp_fail "$s_desc"
        pp_diag "exit $s_rc, stderr:" "$(head -n 5 "$T/err")"
    fi
}

# usage DESC ARGS...: exit 2 and a message
usage()
{
    u_desc=$1
    shift

    "$R" "$@" > /dev/null 2> "$T/err"
    pp_is "$?:$(test -s "$T/err" && echo said)" "2:said" "$u_desc"
}

# --- the command line -----------------------------------------------------
usage "usage: an unknown format" --format xml "$T/x"
usage "usage: --top 0" --top 0 "$T/x"
usage "usage: two segments" "$T/x" "$T/y"
usage "usage: an unknown --by" --by file "$T/x"
usage "usage: --watch 0" --watch 0 "$T/x"
usage "usage: --pid that is not a number" --pid 12x "$T/x"
usage "usage: an unknown --color" --color sometimes "$T/x"

"$R" --help > "$T/help" 2>&1
pp_is "$?:$(sed -n '/^EXAMPLES/,$p' "$T/help" | grep -c 'poolprof-report')" \
    "0:$(sed -n '/^EXAMPLES/,$p' "$T/help" | sed 1d | grep -c .)" \
    "--help exits 0 and ends with EXAMPLES, every line after it one"

# --- bad files --------------------------------------------------------------
: > "$T/empty"
printf 'not a segment\n%.0s' 1 2 3 4 5 6 7 8 > "$T/text"
mkdir "$T/dir"
mkfifo "$T/fifo"

pp_report_bad "a missing file" 1 "No such file" "$T/missing"
pp_report_bad "an empty file" 1 "empty file" "$T/empty"
pp_report_bad "a text file" 1 "bad magic" "$T/text"
pp_report_bad "a foreign binary" 1 "bad magic" /bin/sh
pp_report_bad "a directory" 1 "directory" "$T/dir"
pp_report_bad "a character device" 1 "not a regular file" /dev/null
pp_report_bad "a FIFO, without hanging" 1 "not a regular file" "$T/fifo"
pp_report_bad "json: the same one line" 1 "bad magic" --format json /bin/sh
pp_report_bad "--watch of a missing segment stops at once" 1 "No such file" \
    --watch 1 "$T/missing"

# --- a real segment ----------------------------------------------------------
pp_need_built "$PP_SHIM"
why=
[ -x "$NGINX" ] || why=$(pp_missing nginx "no nginx at $NGINX")
[ -f "${PP_MODULE:-}" ] \
    || why=$(pp_missing nginx-dev "the test module is not built")
pp_have curl || why=$(pp_missing curl)
pp_have jq || why=$(pp_missing jq)
if [ -n "$why" ]; then
    while [ "$pp_testno" -lt "$N" ]; do
        pp_skip "on a real segment" "$why"
    done
    pp_done
fi

SEG=$T/seg
mkdir "$T/mod"
cp "$PP_MODULE" "$T/mod/"
PP_MODULE=$T/mod/$(basename "$PP_MODULE")
PP_LOAD_MODULE=1
PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$SEG"
PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size 300; }"

pp_nginx_start || pp_done
pp_ok "requests to the module" pp_requests 5 /noop
pp_ok "nginx stops gracefully" pp_nginx_stop
pp_ok "the segment reads" pp_quiet "$R" "$SEG"

# off FILE: the 64-bit integer at byte $2 of FILE
u64()
{
    od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

u32()
{
    od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '
}

# put FILE OFFSET SRC [COUNT]: COUNT bytes of SRC (default: all) at OFFSET
put()
{
    dd if="$3" of="$1" bs=1 seek="$2" ${4:+count=$4} conv=notrunc \
        2> /dev/null
}

shard_off=$(u64 "$SEG" 32)
shard_size=$(u32 "$SEG" 28)
objects_off=$(u32 "$SEG" 92)

head -c 100 "$SEG" > "$T/short"
pp_report_bad "shorter than the header" 1 "less than the 4096-byte header" "$T/short"
head -c 1000000 "$SEG" > "$T/trunc"
pp_report_bad "truncated" 1 "truncated segment" "$T/trunc"
cp "$SEG" "$T/v5"
printf '\005' > "$T/b5"
put "$T/v5" 8 "$T/b5"
pp_report_bad "a newer version" 1 "unsupported segment version 5" "$T/v5"
cp "$SEG" "$T/hdr"
head -c 2048 /bin/sh | tail -c 1024 > "$T/junk"
put "$T/hdr" 16 "$T/junk"
survives "a header overwritten with bytes of /bin/sh" "$T/hdr"
cp "$SEG" "$T/shard"
head -c 65536 /bin/sh > "$T/junk"
put "$T/shard" "$shard_off" "$T/junk"
survives "the first shard overwritten with bytes of /bin/sh" "$T/shard"
survives "the same, as json" --format json "$T/shard"
cp "$SEG" "$T/objs"
head -c 8192 /dev/zero | tr '\000' '\377' > "$T/ff"
# shard 1: the first process's (shard 0 holds the retired processes)
put "$T/objs" $((shard_off + shard_size + objects_off)) "$T/ff"
pp_report_bad "an object table of 0xff bytes" 1 "NUL-terminated\|build-id\|objects" \
    "$T/objs"

# --- what the segment names but is gone or another file -----------------------
cp "$PP_MODULE" "$T/mod.orig"
rm "$PP_MODULE"
"$R" --format json "$SEG" > "$T/gone.json" 2> "$T/err"
pp_is "$?:$(jq '[.warnings[] | select(test("cannot read .*showing offsets"))]
                | length' "$T/gone.json")" "0:1" \
    "the module deleted: a report with one warning"
"$R" --color never --top 1000 "$SEG" > "$T/gone.txt" 2>&1
pp_ok "the module deleted: its sites as object+offset" \
    grep -q "ngx_http_poolprof_test_module.so+0x" "$T/gone.txt"
# without a terminal --watch prints a report every second: the warning
# goes to stderr once, not once a report
timeout 3.5 "$R" --watch 1 "$SEG" > "$T/watch.out" 2> "$T/watch.err"
pp_ok "the module deleted, --watch 1 for 3.5 s: more than one report" \
    test "$(grep -c 'top sites' "$T/watch.out")" -ge 2
pp_is "$(grep -c '^poolprof-report: warning: cannot read' "$T/watch.err")" 1 \
    "the module deleted, --watch: the warning once, not once a report"

cp "$PP_SHIM" "$PP_MODULE"
"$R" --format json "$SEG" > "$T/other.json" 2> "$T/err"
pp_is "$?:$(jq '[.warnings[] | select(test("changed since it was recorded"))]
                | length' "$T/other.json")" "0:1" \
    "the module replaced by another file: a warning"
pp_is "$(jq --arg m "$PP_MODULE" '[.sites[] | select(.object == $m)] |
        "\(length > 0) \(map(select(.symbol != "")) | length)"' \
        "$T/other.json")" '"true 0"' \
    "the replaced module's sites get no symbol of the other file"
cp "$T/mod.orig" "$PP_MODULE"

# --- snapshot, diff, list ----------------------------------------------------
pp_report_bad "--snapshot of a bad segment" 1 "unsupported segment version" \
    --snapshot "$T/snap" "$T/v5"
pp_ok "--snapshot of a bad segment writes nothing" test ! -e "$T/snap"
cp "$SEG" "$T/seg.copy"
pp_report_bad "--snapshot onto the segment itself is refused" 1 "segment itself" \
    --snapshot "$SEG" "$SEG"
pp_ok "the segment is left as it was" cmp -s "$SEG" "$T/seg.copy"
pp_report_bad "--snapshot into a directory that cannot be written" 1 "cannot create" \
    --snapshot /proc/poolprof-snapshot "$SEG"
pp_report_bad "--diff with a bad base" 1 "$T/trunc" --diff "$T/trunc" "$SEG"
pp_report_bad "--diff with a missing base" 1 "No such file" --diff "$T/missing" "$SEG"

mkdir "$T/list"
cp "$SEG" "$T/list/good"
cp "$T/trunc" "$T/list/trunc"
"$R" --list "$T/list" > "$T/list.txt" 2>&1
pp_is "$?:$(grep -c "/good .* 0/2 " "$T/list.txt"):$(grep -c "/trunc .*(truncated" \
        "$T/list.txt")" "0:1:1" "--list: the good segment and the bad one's error"

# --- --watch without a terminal -------------------------------------------------
cp "$SEG" "$T/w.seg"
"$R" --watch 1 "$T/w.seg" > "$T/w.txt" 2> "$T/w.err" &
w=$!
pp_ok "--watch: a report every second, separated by a line" \
    pp_wait_until 10 sh -c "[ \$(grep -c '^----\$' '$T/w.txt') -ge 2 ]"
rm "$T/w.seg"
pp_ok "--watch: a segment that went away keeps the last data, with a note" \
    pp_wait_until 10 grep -q "cannot be read now; the last data follows" \
    "$T/w.txt"
kill -TERM "$w"
pp_wait_until 5 sh -c "! kill -0 $w 2> /dev/null"
wait "$w"
pp_is "$?" 0 "--watch: SIGTERM ends it, exit 0"

"$R" --watch 1 --format json "$SEG" > "$T/w.json" 2> /dev/null &
w=$!
pp_wait_until 10 sh -c "[ \$(grep -c '^}' '$T/w.json') -ge 2 ]"
kill -INT "$w"
wait "$w"
pp_is "$?:$(jq -s '[.[] | select(.format == 1)] | length >= 2' "$T/w.json")" \
    "0:true" "--watch --format json into a pipe: a stream of documents; SIGINT ends it"

pp_done
