#!/bin/sh
# Covers poolprof-report against hostile files (hostile names, sizes
# and counts, files that are not regular), on segments that
# `test_read --hostile` builds, so that they follow the format:
#  - an 8 GiB sparse file, and a valid header that claims 8 GiB, give one
#    line within a second and 64 MiB (tests/rusage measures), --list too;
#    --max-size moves the cap;
#  - only regular files are opened: a FIFO as the segment or as an object
#    the segment names, a writer blocked on it, is refused and the writer
#    is still blocked after; links the segment names are not followed,
#    devices not opened; a link on the command line is followed;
#  - control characters in every name are escaped in every text view, on
#    stderr, in --list and --watch; the JSON stays valid and exact;
#  - --snapshot writes a 0600 file and replaces a link or a hard link at
#    its destination, never writing through it; the modes a segment may
#    have (0600, 0640; 0644 warns; others refuse);
#  - where the default segment and --list look: $POOLPROF_DIR; and, as
#    root in a private mount namespace, /run/poolprof, /dev/shm/poolprof-0
#    and the legacy /dev/shm/poolprof.*, and reading with no /proc.

. "$top_srcdir/tests/lib.sh"

R=$PP_REPORT
T=$PP_TMP
BUILD=$top_builddir/tests/unit/test_read
RUSAGE=$top_builddir/tests/rusage

pp_need_built "$R" "$BUILD" "$RUSAGE"
pp_need timeout jq mkfifo truncate

N=59
pp_plan $N

writers=
trap 'for w in $writers; do kill "$w" 2> /dev/null; done; pp_cleanup' EXIT

# writer FIFO: a process blocked opening FIFO for writing; it creates
# FIFO.released if ever a reader opens it.  Returns once it is blocked.
writer()
{
    rm -f "$1.released"
    sh -c 'exec 3> "$1"; : > "$1.released"' sh "$1" &
    w=$!
    writers="$writers $w"
    pp_wait_until 5 sh -c \
        "grep -q wait_for_partner /proc/$w/wchan 2> /dev/null" \
        || sleep 0.5
}

# blocked DESC FIFO: the last writer on FIFO is still blocked
blocked()
{
    sleep 0.2
    if kill -0 "$w" 2> /dev/null && [ ! -e "$2.released" ]; then
        pp_pass "$1"
    else
        pp_fail "$1"
    fi
}

# bounded DESC RC PATTERN ARGS...: exit RC, PATTERN on stdout or stderr,
# at most one line on stderr (exactly one and no stdout on an error),
# within a second and 64 MiB of resident memory (tests/rusage measures)
bounded()
{
    m_desc=$1
    m_want=$2
    m_pat=$3
    shift 3

    "$RUSAGE" "$T/usage" timeout 20 "$R" "$@" > "$T/out" 2> "$T/err"
    read -r m_rc m_kib m_ms < "$T/usage"
    m_lines=$(wc -l < "$T/err")

    if [ "$m_rc" = "$m_want" ] && [ "$m_kib" -lt 65536 ] \
        && [ "$m_ms" -lt 1000 ] && grep -q -- "$m_pat" "$T/out" "$T/err" \
        && { [ "$m_rc" = 0 ] && [ "$m_lines" -le 1 ] \
             || { [ "$m_lines" -eq 1 ] && [ ! -s "$T/out" ]; }; }
    then
        pp_pass "$m_desc ($m_ms ms, max RSS $m_kib KiB)"
    else
        pp_fail "$m_desc"
        pp_diag "exit $m_rc (want $m_want), $m_ms ms, max RSS $m_kib KiB:" \
            "$(head -n 5 "$T/err" "$T/out")"
    fi
}

# noc0 FILE: no C0 control character but newline and tab
noc0()
{
    [ "$(LC_ALL=C tr -cd '\000-\010\013-\037' < "$1" | wc -c)" -eq 0 ]
}

# clean FILE: no control character but newline and tab, no C1 control
# (U+0080-U+009F), no byte 0x80-0x9f after an ASCII one
clean()
{
    [ "$(LC_ALL=C tr -d '\n\t\040-\176\200-\377' < "$1" | wc -c)" -eq 0 ] \
        && ! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1" \
        && ! LC_ALL=C grep -q "$(printf '\(^\|[\001-\177]\)[\200-\237]')" "$1"
}

# escaped DESC FILE...: each FILE clean, and the names shown escaped
escaped()
{
    e_desc=$1
    shift
    e_ok=1

    for e_f in "$@"; do
        clean "$e_f" || { e_ok=0; pp_diag "raw control bytes in $e_f"; }
    done

    if [ $e_ok = 1 ] && grep -q 'PWNED\\x07\\x1b\[31mRED' "$@"; then
        pp_pass "$e_desc"
    else
        pp_fail "$e_desc"
        pp_diag "$(head -c 600 "$1" | od -c | head -n 12)"
    fi
}

pp_ok "test_read --hostile writes the segments" "$BUILD" --hostile "$T"

# --- the size cap -------------------------------------------------------
truncate -s 8G "$T/sparse"
bounded "an 8 GiB sparse file: one line" 1 "bad magic" "$T/sparse"
bounded "a header that claims 8 GiB: refused before reading" 1 \
    "segment of 8.0 GiB (8589934592 bytes), over the --max-size limit of 4" \
    "$T/huge.seg"
bounded "--format json: the same" 1 "over the --max-size limit" \
    --format json "$T/huge.seg"
bounded "--snapshot of it: the same" 1 "over the --max-size limit" \
    --snapshot "$T/snap" "$T/huge.seg"
bounded "--diff with it as the base: the same" 1 "over the --max-size limit" \
    --diff "$T/huge.seg" "$T/plain.seg"
pp_report_bad "--max-size 4K: a larger segment is refused" 1 \
    "over the --max-size limit of 4.0 KiB (4096 bytes)" \
    --max-size 4K "$T/plain.seg"
timeout 20 "$R" --max-size 1m "$T/plain.seg" > "$T/out" 2> "$T/err"
pp_is "$?:$(wc -l < "$T/err")" "0:0" "--max-size 1m: it is read"
pp_report_bad "--max-size 12X is a usage error" 2 'bad --max-size "12X"' \
    --max-size 12X "$T/plain.seg"
pp_report_bad "--max-size 0 is a usage error" 2 'bad --max-size "0"' \
    --max-size 0 "$T/plain.seg"

mkdir "$T/big"
mv "$T/sparse" "$T/big/poolprof.sparse"
cp --sparse=always "$T/huge.seg" "$T/big/poolprof.huge"
cp "$T/plain.seg" "$T/big/poolprof.plain"
mkfifo "$T/big/poolprof.fifo"
writer "$T/big/poolprof.fifo"
bounded "--list of them: each one line" 0 "poolprof.plain .* 0/2 " \
    --list "$T/big"
pp_is "$(grep -c 'poolprof.huge .*(segment of 8.0 GiB' "$T/out"):$(grep -c \
    'poolprof.sparse .*(not a poolprof segment' "$T/out"):$(grep -c \
    'poolprof.fifo .*(not a regular file)' "$T/out"):$(wc -l < "$T/out")" \
    "1:1:1:5" "--list: the huge header, the sparse file, the FIFO, refused"
blocked "--list: the FIFO's writer is still blocked" "$T/big/poolprof.fifo"

# --- regular files only --------------------------------------------------
mkfifo "$T/seg.fifo"
writer "$T/seg.fifo"
pp_report_bad "the segment is a FIFO: refused" 1 "seg.fifo: not a regular file" \
    "$T/seg.fifo"
blocked "the segment's FIFO: its writer is still blocked" "$T/seg.fifo"
ln -s "$T/seg.fifo" "$T/seg.link"
pp_report_bad "a link to the FIFO on the command line: refused" 1 \
    "seg.link: not a regular file" "$T/seg.link"
blocked "the link's FIFO: its writer is still blocked" "$T/seg.fifo"
pp_report_bad "--snapshot of the FIFO: refused" 1 "not a regular file" \
    --snapshot "$T/snap" "$T/seg.fifo"
pp_report_bad "--diff with the FIFO as the base: refused" 1 "not a regular file" \
    --diff "$T/seg.fifo" "$T/plain.seg"
blocked "--snapshot and --diff: the writer is still blocked" "$T/seg.fifo"
ln -s "$T/plain.seg" "$T/plain.link"
timeout 20 "$R" "$T/plain.link" > "$T/out" 2> "$T/err"
pp_is "$?:$(wc -l < "$T/err")" "0:0" \
    "a link on the command line to a segment is followed"

mkfifo "$T/obj.fifo"
ln -s "$T/obj.fifo" "$T/obj.link"
writer "$T/obj.fifo"
timeout 20 "$R" --format json "$T/objects.seg" > "$T/obj.json" \
    2> "$T/obj.err"
pp_is "$?:$(jq '[.warnings[] | select(test("showing offsets"))] | length' \
    "$T/obj.json")" "0:3" "objects named FIFO, link and device: a report"
blocked "the object FIFO: its writer is still blocked" "$T/obj.fifo"
pp_is "$(grep -c 'obj.fifo: not a regular file; showing offsets' \
    "$T/obj.err"):$(grep -c 'obj.link: is a symbolic link (not followed)' \
    "$T/obj.err"):$(grep -c '/dev/null: not a regular file' "$T/obj.err")" \
    "1:1:1" "the FIFO, the link and /dev/null are named, not opened"
rm "$T/obj.link"
ln -s "$T/plain.seg" "$T/obj.link"
timeout 20 "$R" "$T/objects.seg" > /dev/null 2> "$T/obj.err"
pp_is "$(grep -c 'obj.link: is a symbolic link (not followed)' \
    "$T/obj.err")" 1 "a link to a regular file the segment names: not followed"

# --- control characters in names ------------------------------------------
for v in site module pool tag; do
    timeout 20 "$R" --color never --by $v "$T/evil.seg" > "$T/evil.$v" \
        2> "$T/evil.$v.err"
done
escaped "text, every --by: names escaped" "$T/evil.site" "$T/evil.module" \
    "$T/evil.pool" "$T/evil.tag"
escaped "stderr: warnings escaped" "$T/evil.site.err"
pp_ok "the leaks and growth tables name the object escaped" \
    grep -q 'ngx\\x1b]0;PWNED\\x07.* -> ngx\\x1b' "$T/evil.site"
timeout 20 "$R" --format json "$T/evil.seg" > "$T/evil.json" 2> /dev/null
pp_ok "json: valid" pp_quiet jq -e .sites "$T/evil.json"
pp_ok "json: no raw C0 control byte" noc0 "$T/evil.json"
# a printf format: its escapes are the bytes the segment holds
exe='/usr/sbin/nginx\033]0;PWNED\007\033[31mRED\033[2J\302\233\302\205\177'
# shellcheck disable=SC2059
pp_is "$(jq -r '.segment.exe' "$T/evil.json" | od -An -tx1 | tr -d ' \n')" \
    "$(printf "$exe\\n" | od -An -tx1 | tr -d ' \n')" \
    "json: the names exact (a stray byte as its code point)"
timeout 20 "$R" --format folded "$T/evil.seg" > "$T/evil.folded" \
    2> /dev/null
timeout 20 "$R" --format svg "$T/evil.seg" > "$T/evil.svg" 2> /dev/null
escaped "folded: frame names escaped" "$T/evil.folded"
escaped "svg: frame names escaped" "$T/evil.svg"
timeout 2.5 "$R" --watch 1 --color never "$T/evil.seg" > "$T/evil.watch" \
    2> "$T/evil.watch.err"
escaped "--watch: names escaped" "$T/evil.watch" "$T/evil.watch.err"
mkdir "$T/list"
cp "$T/evil.seg" "$T/list/poolprof.$(printf 'x\033]0;PWNED\007\033[31mRED')"
timeout 20 "$R" --list "$T/list" > "$T/evil.list" 2> "$T/evil.list.err"
escaped "--list: the file name and the executable escaped" "$T/evil.list" \
    "$T/evil.list.err"
name=$(printf 'e\033]0;PWNED\007\033[31mRED')
cp "$T/plain.seg" "$T/$name"
timeout 20 "$R" "$T/$name" > "$T/evil.path" 2> "$T/evil.path.err"
escaped "a segment named with control characters: the header" \
    "$T/evil.path" "$T/evil.path.err"
timeout 20 "$R" "$T/$name.missing" > /dev/null 2> "$T/evil.miss.err"
escaped "... and the error about a missing one" "$T/evil.miss.err"

# --- snapshots and modes --------------------------------------------------
echo victim > "$T/victim"
ln -s "$T/victim" "$T/snap.link"
timeout 20 "$R" --snapshot "$T/snap.link" "$T/plain.seg" 2> "$T/err"
pp_is "$?:$(cat "$T/victim"):$(test -L "$T/snap.link" || echo file)" \
    "0:victim:file" "--snapshot onto a link: replaces it, the target untouched"
pp_is "$(stat -c %a "$T/snap.link")" 600 "--snapshot: mode 0600"
echo kept > "$T/other"
ln "$T/other" "$T/snap.hard"
(umask 0; timeout 20 "$R" --snapshot "$T/snap.hard" "$T/plain.seg") \
    2> "$T/err"
pp_is "$?:$(cat "$T/other"):$(stat -c %a "$T/snap.hard")" "0:kept:600" \
    "--snapshot onto a hard link: a new file, 0600 under umask 0"
pp_is "$(cmp "$T/snap.hard" "$T/plain.seg" && echo same)" same \
    "--snapshot: the copy is the segment"
pp_is "$(find "$T" -maxdepth 1 -name '*.tmp.*' | wc -l)" 0 \
    "--snapshot: no temporary file left"

cp "$T/plain.seg" "$T/mode.seg"
for m in 0666 0660 0604 0620; do
    chmod $m "$T/mode.seg"
    pp_report_bad "mode $m: refused" 1 "mode $m lets other users read or change it" \
        "$T/mode.seg"
done
chmod 0640 "$T/mode.seg"
timeout 20 "$R" "$T/mode.seg" > /dev/null 2> "$T/err"
pp_is "$?:$(wc -l < "$T/err")" "0:0" "mode 0640: read, no warning"
chmod 0644 "$T/mode.seg"
timeout 20 "$R" "$T/mode.seg" > /dev/null 2> "$T/err"
pp_is "$?:$(wc -l < "$T/err"):$(grep -c 'readable by every user (mode 0644)' \
    "$T/err")" "0:1:1" "mode 0644: read, with one warning"

# --- where the default segment is looked for -------------------------------
mkdir -m 0700 "$T/dir"
cp "$T/plain.seg" "$T/dir/poolprof.1"
cp "$T/plain.seg" "$T/dir/poolprof.2"
touch -d '2020-01-01' "$T/dir/poolprof.1"
touch -d '2021-01-01' "$T/dir/poolprof.2"
ln -s "$T/evil.seg" "$T/dir/poolprof.3"
mkfifo "$T/dir/poolprof.4"
writer "$T/dir/poolprof.4"
cp --sparse=always "$T/huge.seg" "$T/dir/poolprof.5"
cp "$T/plain.seg" "$T/dir/other"
POOLPROF_DIR=$T/dir timeout 20 "$R" > /dev/null 2> "$T/err"
pp_is "$?:$(cat "$T/err")" "0:poolprof-report: reading $T/dir/poolprof.2" \
    "\$POOLPROF_DIR: the newest regular segment is read"
POOLPROF_DIR=$T/dir timeout 20 "$R" --list > "$T/out" 2>&1
pp_is "$?:$(grep -c '/poolprof.[12] .* 0/2 ' "$T/out"):$(grep -c \
    'poolprof.3 .*(is a symbolic link' "$T/out"):$(grep -c \
    'poolprof.4 .*(not a regular file)' "$T/out"):$(grep -c \
    'poolprof.5 .*(segment of 8.0 GiB' "$T/out"):$(grep -c other "$T/out")" \
    "0:2:1:1:1:0" "\$POOLPROF_DIR --list: poolprof.* only, the bad ones refused"
blocked "\$POOLPROF_DIR: the FIFO's writer is still blocked" "$T/dir/poolprof.4"
mkdir "$T/empty"
POOLPROF_DIR=$T/empty timeout 20 "$R" > /dev/null 2> "$T/err"
pp_is "$?:$(cat "$T/err")" \
    "1:poolprof-report: no segment in \$POOLPROF_DIR ($T/empty/poolprof.*);\
 give a path" \
    "\$POOLPROF_DIR without a segment: one line"

# --- as root, in a private mount namespace ------------------------------------
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private \
    sh -c 'mount -t tmpfs none /mnt' 2> /dev/null
then
    while [ "$pp_testno" -lt "$N" ]; do
        pp_pass "# SKIP not root, or no mount namespace"
    done
    pp_done
fi

cat > "$T/ns.sh" <<EOF
R='$R'
T='$T'
EOF
cat >> "$T/ns.sh" <<'EOF'
mount -t tmpfs -o mode=0755 none /run || exit 1
mount -t tmpfs -o mode=1777 none /dev/shm || exit 1
mkdir -m 0755 /run/poolprof
mkdir -m 0700 /dev/shm/poolprof-0
cp "$T/plain.seg" /run/poolprof/poolprof.100
cp "$T/plain.seg" /dev/shm/poolprof-0/poolprof.200
cp "$T/plain.seg" /dev/shm/poolprof.300
cp "$T/plain.seg" /dev/shm/poolprof.400
touch -d 2020-01-01 /run/poolprof/poolprof.100
touch -d 2021-01-01 /dev/shm/poolprof-0/poolprof.200
touch -d 2022-01-01 /dev/shm/poolprof.300
touch -d 2023-01-01 /dev/shm/poolprof.400
chown 65534 /dev/shm/poolprof.400
ln -s /run/poolprof/poolprof.100 /dev/shm/poolprof-0/poolprof.link
truncate -s 8G /dev/shm/poolprof.sparse

"$R" > /dev/null 2> "$T/ns.default"
"$R" --list > "$T/ns.list" 2>&1
chown 65534 /dev/shm/poolprof-0
touch /dev/shm/poolprof-0/poolprof.200
"$R" > /dev/null 2> "$T/ns.skip"
POOLPROF_DIR=/run/poolprof "$R" > /dev/null 2> "$T/ns.env"

mount -t tmpfs none /proc || exit 1
"$R" "$T/plain.link" > /dev/null 2> "$T/ns.noproc"
echo "rc $?" >> "$T/ns.noproc"
"$R" "$T/seg.fifo" > /dev/null 2>> "$T/ns.noproc"
"$R" "$T/objects.seg" > /dev/null 2>> "$T/ns.noproc"
exit 0
EOF
# the namespace's /run and /dev/shm are its own: nothing outside is written
writer "$T/seg.fifo"
rm -f "$T/obj.link"
ln -s "$T/obj.fifo" "$T/obj.link"
timeout 60 unshare -m --propagation private sh "$T/ns.sh"
pp_is "$?" 0 "the namespace's script ran"
pp_is "$(cat "$T/ns.default")" \
    "poolprof-report: reading /dev/shm/poolprof.300" \
    "default: the newest of the three places, not another user's file"
pp_is "$(grep -c '^/run/poolprof/poolprof.100 .* 0/2 ' "$T/ns.list"):$(grep -c \
    '^/dev/shm/poolprof-0/poolprof.200 .* 0/2 ' "$T/ns.list"):$(grep -c \
    '^/dev/shm/poolprof.[34]00 .* 0/2 ' "$T/ns.list"):$(grep -c \
    'poolprof.link .*(is a symbolic link' "$T/ns.list"):$(grep -c \
    'poolprof.sparse .*(not a poolprof' "$T/ns.list"):$(wc -l < "$T/ns.list")" \
    "1:1:2:1:1:7" "--list: the three places, links and non-segments refused"
pp_is "$(cat "$T/ns.skip")" "poolprof-report: warning: skipping \
/dev/shm/poolprof-0: owned by uid 65534, neither you nor root
poolprof-report: reading /dev/shm/poolprof.300" \
    "a /dev/shm/poolprof-0 of another user is skipped, with a warning"
pp_is "$(cat "$T/ns.env")" \
    "poolprof-report: reading /run/poolprof/poolprof.100" \
    "\$POOLPROF_DIR: that directory only"
pp_is "$(grep -c 'seg.fifo: not a regular file' "$T/ns.noproc"):$(grep -c \
    '^rc 0' "$T/ns.noproc"):$(grep -c 'obj.link: is a symbolic link' \
    "$T/ns.noproc"):$(grep -c 'obj.fifo: not a regular file' "$T/ns.noproc")" \
    "1:1:1:1" \
    "without /proc: a link on the command line followed; FIFOs, links refused"
blocked "without /proc: the FIFOs' writers are still blocked" "$T/seg.fifo"

pp_done
