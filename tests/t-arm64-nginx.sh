#!/bin/sh
# Covers the shim on Debian's arm64 nginx, on any host: nginx and its
# libraries come from Debian's arm64 packages into a sysroot
# (tests/arm64-sysroot.sh), the shim is cross-built against it
# (--host=aarch64-linux-gnu), and nginx runs under qemu-user.  Every
# target function hooks, nginx answers byte for byte what the files
# hold, stops gracefully, and this machine's reporter reads the arm64
# segment: its processes, its pools exactly, its unused bytes as nginx's
# debug log has them, sampled stacks that reach main, and the same
# counts as the same requests give on this machine's own nginx, whose
# segment the arm64 reporter reads.  The test module, built for arm64
# from this machine's nginx-dev (tests/modules/make-arm64.sh), makes
# exactly N*R no-op frees of S bytes.  On an aarch64 machine nginx runs
# without qemu.

. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/arm64.sh"

pp_need_arm64
run=$pp_arm64_run
pp_need jq curl
pp_need_built "$PP_REPORT"

targets="ngx_create_pool ngx_destroy_pool ngx_reset_pool ngx_palloc
ngx_pnalloc ngx_pcalloc ngx_pmemalign ngx_pfree ngx_pool_cleanup_add
ngx_create_temp_buf ngx_create_chain_of_bufs ngx_alloc_chain_link
ngx_chain_get_free_buf ngx_chain_update_chains"

# the sysroot and the cross build stay in the build tree between runs
out=$top_builddir/tests/arm64
sh "$top_srcdir/tests/arm64-sysroot.sh" "$out" libunwind-dev libunwind8 \
    liblzma-dev liblzma5 libelf-dev libelf1 libdw-dev libdw1 zlib1g-dev \
    zlib1g libzstd1 libbz2-1.0 libc6 libcrypt1 libpcre2-8-0 libssl3 nginx \
    libssl-dev \
    > "$PP_TMP/sysroot.out"
rc=$?
root=$(tail -n 1 "$PP_TMP/sysroot.out")
[ "$rc" -eq 77 ] && pp_skip_all "$root"
[ "$rc" -eq 0 ] || { echo "Bail out! the arm64 sysroot failed"; exit 99; }
if [ ! -x "$root/usr/sbin/nginx" ]; then
    pp_skip_all "missing package nginx:arm64: not in the sysroot ($root)"
fi

lib=$root/usr/lib/aarch64-linux-gnu
build=$out/build
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
    (cd "$build" && "$top_srcdir/configure" --host=aarch64-linux-gnu \
        --enable-werror --without-debuginfod CC="$PP_A64_CC" \
        PKG_CONFIG_LIBDIR="$lib/pkgconfig:$root/usr/share/pkgconfig" \
        PKG_CONFIG_SYSROOT_DIR="$root" \
        CPPFLAGS="-I$root/usr/include -I$root/usr/include/aarch64-linux-gnu" \
        LDFLAGS="-L$lib -L$root/lib/aarch64-linux-gnu -Wl,-rpath-link,$lib \
-Wl,-rpath-link,$root/lib/aarch64-linux-gnu") > "$out/configure.log" 2>&1 \
        || { rm -f "$build/Makefile"; tail -n 20 "$out/configure.log";
             echo "Bail out! the cross configure failed"; exit 99; }
fi
# the reporter's generated header first: a named target skips
# BUILT_SOURCES
{ make -C "$build" report/pp_flame_js.h &&
  make -C "$build" shim/libpoolprof.la report/poolprof-report; } \
    > "$out/make.log" 2>&1 \
    || { tail -n 20 "$out/make.log"; echo "Bail out! the cross build failed";
         exit 99; }
shim=$build/shim/.libs/libpoolprof.so
report=$build/report/poolprof-report

pp_plan 19

native=$NGINX

# nginx is this script to lib.sh; the preload goes to the arm64 program
# only, not to the shell that starts it
cat > "$PP_TMP/nginx-arm64" <<EOF
#!/bin/sh
exec $run ${run:+-L "$root" -E LD_PRELOAD="$shim"} "$root/usr/sbin/nginx" "\$@"
EOF
chmod +x "$PP_TMP/nginx-arm64"

head -c 100000 /dev/urandom > "$PP_TMP/data.bin"
seq 1 20000 > "$PP_TMP/data.txt"
chmod a+r "$PP_TMP"/data.*
PP_SERVER="
        location = /data.bin { alias $PP_TMP/data.bin; }
        location = /gz { alias $PP_TMP/data.txt; gzip on; gzip_min_length 1;
                         gzip_types application/octet-stream; }
        location = /ret { return 200 \"plain return\\n\"; }"

N=20
locations=$PP_SERVER

fetch_all()
{
    i=0
    while [ "$i" -lt "$N" ]; do
        pp_get /data.bin > "$PP_TMP/got.bin" &&
        cmp -s "$PP_TMP/got.bin" "$PP_TMP/data.bin" ||
            { pp_diag "round $i: /data.bin differs"; return 1; }
        pp_get /gz -H 'Accept-Encoding: gzip' > "$PP_TMP/got.gz" &&
        gzip -dc < "$PP_TMP/got.gz" | cmp -s - "$PP_TMP/data.txt" ||
            { pp_diag "round $i: /gz differs"; return 1; }
        [ "$(pp_get /ret)" = "plain return" ] ||
            { pp_diag "round $i: /ret differs"; return 1; }
        i=$((i + 1))
    done
}

# profile NAME: N rounds of requests and a graceful stop; the segment in
# NAME.seg, the shim's lines in NAME.stderr
profile()
{
    PP_ENV="POOLPROF_VERBOSE=1 POOLPROF_KEEP=1 POOLPROF_DIR=$PP_TMP/shm
POOLPROF_SEGMENT=$PP_TMP/$1.seg"
    pp_nginx_start || pp_done
    pp_ok "$1 nginx under the shim answers every location $N times" fetch_all
    pp_ok "$1 nginx under the shim stops gracefully" pp_nginx_stop
    cp "$PP_TMP/nginx.stderr" "$PP_TMP/$1.stderr"
}

# Debian's nginx is built --with-debug: its log has the unused bytes
NGINX=$PP_TMP/nginx-arm64
PP_ERROR_LEVEL=debug
profile arm64
PP_ERROR_LEVEL=notice
cp "$PP_TMP/nginx/logs/error.log" "$PP_TMP/arm64.log"

missing=
for t in $targets; do
    grep -q "hooked $t at" "$PP_TMP/arm64.stderr" || missing="$missing $t"
done
pp_is "$missing" "" "all 14 targets hooked in Debian's arm64 nginx"
pp_is "$(grep -c 'not hooking' "$PP_TMP/arm64.stderr")" 0 "no hook refused"
# nginx aligns to 16 bytes on aarch64, and so does pp_small()
pp_is "$(grep -c 'small allocations made in the wrapper' \
         "$PP_TMP/arm64.stderr")" 3 \
    "ngx_palloc, ngx_pnalloc and ngx_pcalloc pass the small path's check"

pp_ok "this machine's reporter reads the arm64 segment" \
    sh -c '"$1" --format json "$2" > "$3"' sh "$PP_REPORT" \
    "$PP_TMP/arm64.seg" "$PP_TMP/arm64.json"

pp_is "$(jq '[.segment.processes[] | .role] | sort | join(" ")' \
         "$PP_TMP/arm64.json")" '"master worker"' \
    "the segment has the master and the worker"

# a connection and a request pool per request (the 3 N and lib.sh's
# probe), the cycle's pools, and the cycle destroyed by the master and
# by the worker that inherited it
pp_is "$(jq -c '.totals | [.pools_created, .pools_destroyed]' \
         "$PP_TMP/arm64.json")" "[$((6 * N + 5)),$((6 * N + 6))]" \
    "pools created and destroyed, exactly"
pp_is "$(jq -c '[.pools[] | select(.symbol == "ngx_event_accept")
                 | .created, .destroyed]' "$PP_TMP/arm64.json")" \
    "[$((3 * N + 1)),$((3 * N + 1))]" \
    "a connection pool per request, at ngx_event_accept"
pp_diag "arm64: $(jq -c .totals "$PP_TMP/arm64.json")"

# libunwind walks arm64 nginx's frames: stacks reach main
"$PP_REPORT" --format folded --metric allocs "$PP_TMP/arm64.seg" \
    > "$PP_TMP/arm64.folded" 2>/dev/null
pp_ok "sampled stacks of arm64 nginx reach main, through ngx_ frames" \
    grep -q ';main;ngx_' "$PP_TMP/arm64.folded"

# nginx's own figure: "free: %p, unused: %uz" per block at destroy, from
# the worker only (the master's pools die at exit unlogged)
wpid=$(jq '.segment.processes[] | select(.role == "worker") | .pid' \
       "$PP_TMP/arm64.json")
want=$(grep " $wpid#[0-9]*: .*free: [0-9A-Fa-fx]*, unused: " \
           "$PP_TMP/arm64.log" \
       | sed 's/.*unused: \([0-9]*\).*/\1/' \
       | awk '{ s += $1 } END { print s + 0 }')
got=$(jq ".segment.processes[] | select(.pid == $wpid) | .unused_bytes" \
      "$PP_TMP/arm64.json")
pp_ok "nginx's debug log has unused figures" test "${want:-0}" -gt 0
pp_is "$got" "$want" "unused bytes equal nginx's debug log (free: unused:)"

# the test module, built from this machine's nginx-dev for arm64 (the
# same nginx version as the sysroot's), N*R no-op frees of S bytes
mod=$out/module/ngx_http_poolprof_test_module.so
if [ -f "${PP_NGINX_SRC:-}/conf_flags" ]; then
    if [ ! -f "$mod" ] \
        || [ "$top_srcdir/tests/modules/ngx_http_poolprof_test_module.c" \
             -nt "$mod" ]
    then
        PP_A64_ROOT=$root PP_A64_CC=$PP_A64_CC \
        MAKE_NGINX="sh $top_srcdir/tests/modules/make-arm64.sh" \
            sh "$top_srcdir/tests/modules/build.sh" "$PP_NGINX_SRC" \
            "$top_srcdir/tests/modules" "$out/module" > /dev/null 2>&1
    fi
    pp_ok "the test module is built for arm64" test -f "$mod"

    R=10
    S=512
    PP_LOAD_MODULE=1
    PP_MODULE=$mod
    PP_SERVER="
        location /noop { pp_test noop_free; pp_test_size $S;
                         pp_test_repeat $R; }"
    PP_ENV="POOLPROF_KEEP=1 POOLPROF_DIR=$PP_TMP/shm
POOLPROF_SEGMENT=$PP_TMP/module.seg"
    pp_nginx_start || pp_done
    i=0
    while [ "$i" -lt "$N" ]; do
        pp_get /noop -o /dev/null || break
        i=$((i + 1))
    done
    pp_ok "arm64 nginx with the test module stops gracefully" pp_nginx_stop
    PP_LOAD_MODULE=0
    "$PP_REPORT" --format json "$PP_TMP/module.seg" > "$PP_TMP/module.json" \
        2>/dev/null
    pp_is "$(jq -c '[.sites[] | select(.symbol ==
                     "ngx_http_pp_test_noop_free_handler")]
                    | [(map(.noop_frees) | add), (map(.pinned_bytes) | add)]' \
             "$PP_TMP/module.json")" \
        "[$((N * R)),$((N * R * S))]" \
        "N*R no-op frees and N*R*S pinned bytes at the module's handler"
else
    for d in "built" "stops" "frees and pinned bytes"; do
        pp_skip "test module: $d" "$(pp_missing nginx-dev)"
    done
fi

# the same requests to this machine's nginx give the same counts (not
# bytes: the structures differ, and arm64 nginx aligns to 16 bytes)
counts='.totals | [.pools_created, .pools_destroyed, .allocs, .small_allocs,
    .large_allocs, .noop_frees, .freed, .foreign_frees, .fb_hits,
    .fb_misses, .recycled, .busy, .foreign_freed, .cl_hits, .cl_misses]'

if [ "$(uname -m)" = aarch64 ] || [ ! -x "$native" ] \
    || [ ! -e "${PP_SHIM:-}" ]
then
    for d in "answers" "stops" "counts" "segment read on arm64"; do
        pp_skip "x86-64 nginx $d" "no x86-64 nginx and shim here"
    done
    pp_done
fi

NGINX=$native
PP_PRELOAD=$PP_SHIM
PP_SERVER=$locations
profile x86-64
PP_PRELOAD=

"$PP_REPORT" --format json "$PP_TMP/x86-64.seg" > "$PP_TMP/x86-64.json"
pp_is "$(jq -c "$counts" "$PP_TMP/arm64.json")" \
    "$(jq -c "$counts" "$PP_TMP/x86-64.json")" \
    "the same counts on arm64 and x86-64"

# and back: the arm64 reporter reads the x86-64 segment (its symbols
# may differ: qemu -L shows it the sysroot's /usr/sbin/nginx)
$run ${run:+-L "$root"} "$report" --format json "$PP_TMP/x86-64.seg" \
    > "$PP_TMP/x86-64.arm64.json" 2> "$PP_TMP/report.err"
pp_is "$(jq -c '[.totals, .segment.processes]' "$PP_TMP/x86-64.arm64.json")" \
    "$(jq -c '[.totals, .segment.processes]' "$PP_TMP/x86-64.json")" \
    "the arm64 reporter reads the x86-64 segment the same"

pp_done
