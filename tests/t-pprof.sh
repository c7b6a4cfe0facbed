#!/bin/sh
# Covers --format pprof against the real reader, Debian's go tool pprof:
# a segment of Debian's nginx with the test module (2 workers, 1 in 3
# stacks sampled), read with -raw and -top.  For each sample type the
# samples sum exactly to the JSON report's figure (the sampled stacks
# are estimates, the sites' totals are exact); the nginx mapping carries
# the executable's build-id; samples carry the module, process_role and
# pid labels; --metric picks the default sample type; time_nanos is the
# segment's creation; -o leaves no temporary file behind.  A segment
# whose names hold control characters (test_read --hostile) gives a
# profile go tool pprof reads, its names escaped.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq go
pp_need_built "$PP_SHIM" "$PP_REPORT" "$top_builddir/tests/unit/test_read"

N=20
S=256
h=ngx_http_pp_test
R=$PP_REPORT
SEG=$PP_TMP/seg

# go must neither download a toolchain nor write outside $PP_TMP
GOTOOLCHAIN=local
GOPROXY=off
GOFLAGS=
HOME=$PP_TMP/home
GOCACHE=$PP_TMP/home/cache
GOPATH=$PP_TMP/home/go
PPROF_TMPDIR=$PP_TMP/home/pprof
TZ=UTC
export GOTOOLCHAIN GOPROXY GOFLAGS HOME GOCACHE GOPATH PPROF_TMPDIR TZ
mkdir -p "$HOME"

PP_PRELOAD=$PP_SHIM
PP_WORKERS=2
PP_ENV="POOLPROF_SEGMENT=$SEG POOLPROF_STACKS=3"
PP_SERVER="
        location /noop  { pp_test noop_free;  pp_test_size $S; }
        location /child { pp_test child_pool; pp_test_size 200; }
        location /fresh { pp_test body; pp_test_size 256; pp_test_repeat 4;
                          pp_test_filter fresh; }"

# sums FILE: the sum of each sample type's values in go tool pprof -raw,
# one line, in the order of the sample types
sums()
{
    awk '/^Samples:/ { s = 1; getline; next }
         /^[A-Z][a-z]*:/ && !/^Samples/ { s = 0 }
         s && $1 ~ /^-?[0-9]+$/ && /:/ {
             for (i = 1; i <= 6; i++) t[i] += $i
         }
         END { printf "%d %d %d %d %d %d\n", t[1], t[2], t[3], t[4], t[5],
                      t[6] }' "$1"
}

pp_plan 19

pp_nginx_start || pp_done
pp_ok "$N requests to the no-op location" pp_requests $N /noop
pp_ok "requests that make child pools" pp_requests 2 /child
pp_ok "requests that take fresh buffers" pp_requests 2 /fresh

"$R" --format pprof -o "$PP_TMP/live.pb.gz" "$SEG" 2> "$PP_TMP/err"
pp_is "$?:$(od -An -tx1 -N2 "$PP_TMP/live.pb.gz" | tr -d ' ')" 0:1f8b \
    "a live segment: a gzip file"

pp_ok "nginx stops gracefully" pp_nginx_stop

"$R" --format json "$SEG" > "$PP_TMP/r.json" 2> "$PP_TMP/err" \
    || pp_diag "$(cat "$PP_TMP/err")"
mkdir -p "$PP_TMP/out"
"$R" --format pprof --metric noop -o "$PP_TMP/out/p.pb.gz" "$SEG" \
    2> "$PP_TMP/err"
pp_is "$?:$(ls -A "$PP_TMP/out")" 0:p.pb.gz \
    "-o: the file, and no temporary file beside it"

go tool pprof -raw "$PP_TMP/out/p.pb.gz" > "$PP_TMP/raw.txt" \
    2> "$PP_TMP/go.err"
pp_ok "go tool pprof -raw reads it" test -s "$PP_TMP/raw.txt"
[ -s "$PP_TMP/raw.txt" ] || pp_diag "$(head -n 5 "$PP_TMP/go.err")"

pp_is "$(sed -n '/^Samples:/{n;p;}' "$PP_TMP/raw.txt" | tr -s ' ' | \
         sed 's/^ //; s/ $//')" \
    "noop_frees/count[dflt] pinned/bytes unused/bytes allocs/count alloc_space/bytes buffer_misses/count" \
    "the sample types, --metric noop the default"

pp_is "$(sums "$PP_TMP/raw.txt")" \
    "$(jq -r '"\(.totals.noop_frees) \(.totals.pinned_bytes) \(.totals.unused_bytes) \(.totals.allocs) \(.totals.alloc_bytes) \([.tags[] | .misses + .own_misses] | add // 0)"' \
       "$PP_TMP/r.json")" \
    "each sample type sums to the JSON report's figure exactly"

pp_ok "the test module's buffers missed" \
    test "$(jq '[.tags[] | .misses + .own_misses] | add // 0' \
             "$PP_TMP/r.json")" -gt 0
pp_ok "sampled stacks: samples of more than one frame" \
    grep -Eq ': [0-9]+ [0-9]+' "$PP_TMP/raw.txt"

if pp_have readelf; then
    id=$(readelf -n "$NGINX" | sed -n 's/.*Build ID: *//p' | head -n 1)
    pp_ok "the nginx mapping has its build-id" \
        grep -q "$(basename "$NGINX") .*$id" "$PP_TMP/raw.txt"
else
    pp_skip "the nginx mapping has its build-id" "$(pp_missing readelf)"
fi

pp_ok "samples of the test module carry its module label" \
    grep -q "module:\[ngx_http_poolprof_test_module\]" "$PP_TMP/raw.txt"
w=$(jq '[.segment.processes[] | select(.role == "worker")][0].pid' \
       "$PP_TMP/r.json")
pp_ok "a worker's samples carry its role and pid" \
    sh -c "grep -q 'process_role:\[worker\]' '$PP_TMP/raw.txt' &&
           grep -q 'pid:\[$w\]' '$PP_TMP/raw.txt'"

ns=$(jq '.segment.created_real_ns' "$PP_TMP/r.json")
pp_is "$(sed -n 's/^Time: \([0-9-]* [0-9:]*\).*/\1/p' "$PP_TMP/raw.txt")" \
    "$(date -u -d "@$((ns / 1000000000))" '+%Y-%m-%d %H:%M:%S')" \
    "time_nanos: when the segment was created"

go tool pprof -top -sample_index=noop_frees "$PP_TMP/out/p.pb.gz" \
    > "$PP_TMP/top.txt" 2> "$PP_TMP/go.err"
pp_is "$(awk "/ ${h}_noop_free_handler\$/ { print \$1 }" "$PP_TMP/top.txt")" \
    $N "go tool pprof -top: N no-op frees at the module's handler"

go tool pprof -top -sample_index=buffer_misses "$PP_TMP/out/p.pb.gz" \
    > "$PP_TMP/top.txt" 2> "$PP_TMP/go.err"
pp_is "$(awk "/ ${h}_fresh_tag\$/ { print \$1 }" "$PP_TMP/top.txt")" \
    "$(jq "[.tags[] | select(.symbol == \"${h}_fresh_tag\")
            | .misses + .own_misses] | add" "$PP_TMP/r.json")" \
    "go tool pprof -top: the tag's buffer misses under the tag's name"

mkdir "$PP_TMP/h"
"$top_builddir/tests/unit/test_read" --hostile "$PP_TMP/h" > /dev/null 2>&1
"$R" --format pprof -o "$PP_TMP/evil.pb.gz" "$PP_TMP/h/evil.seg" 2> /dev/null
go tool pprof -raw "$PP_TMP/evil.pb.gz" > "$PP_TMP/evil.txt" 2> /dev/null
pp_ok "hostile names: go tool pprof reads the profile" \
    grep -q '^Samples:' "$PP_TMP/evil.txt"
pp_ok "hostile names: escaped, no raw control byte" \
    sh -c "grep -q 'module:\\[ngx\\\\x1b]0;PWNED' '$PP_TMP/evil.txt' &&
           ! tr -d '\\n' < '$PP_TMP/evil.txt' | LC_ALL=C grep -q '[[:cntrl:]]'"

pp_done
