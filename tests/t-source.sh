#!/bin/sh
# Covers the entry patcher on code it was not tuned for: upstream nginx
# 1.22.1 (the tarball of Debian's source package) built with gcc -O0,
# gcc -O3 -fcf-protection=full (endbr64 prologues) and clang -O2.  Every
# target must hook or be refused with one clean line, and nginx must
# serve identical responses and stop gracefully under the shim.  Skips,
# as a missing package, when the source cannot be downloaded.

. "$top_srcdir/tests/lib.sh"

pp_need curl jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

src=${PP_NGINX_SRC_BUILDS:-$top_builddir/tests/nginx-src}
flavors="gcc-O0 gcc-O3-cf clang-O2"

for f in $flavors; do
    sh "$top_srcdir/tests/nginx-src.sh" "$src" "$f" >"$PP_TMP/build.$f" 2>&1
    rc=$?
    [ $rc -eq 77 ] && pp_skip_all "$(tail -n 1 "$PP_TMP/build.$f")"
    if [ $rc -ne 0 ]; then
        echo "1..1"
        echo "not ok 1 - build nginx ($f)"
        sed 's/^/# /' "$PP_TMP/build.$f"
        exit 1
    fi
done

targets="ngx_create_pool ngx_destroy_pool ngx_reset_pool ngx_palloc
ngx_pnalloc ngx_pcalloc ngx_pmemalign ngx_pfree ngx_pool_cleanup_add
ngx_create_temp_buf ngx_create_chain_of_bufs ngx_alloc_chain_link
ngx_chain_get_free_buf ngx_chain_update_chains"

pp_plan 24

seq 1 30000 > "$PP_TMP/data.txt"
chmod a+r "$PP_TMP/data.txt"
PP_SERVER="
        location = /data { alias $PP_TMP/data.txt; }
        location = /gunzip { alias $PP_TMP/data.txt; }
        location = /ret { return 200 \"plain return\\n\"; }"

fetch_all()
{
    pp_get /data > "$1.data" &&
    pp_get /ret > "$1.ret" &&
    pp_get /nothing-here -o /dev/null -w '%{http_code}\n' > "$1.404"
}

for f in $flavors; do
    NGINX=$(tail -n 1 "$PP_TMP/build.$f")

    PP_PRELOAD=
    PP_ENV=
    pp_nginx_start || pp_done
    fetch_all "$PP_TMP/plain" || pp_fail "$f: plain nginx answers"
    pp_nginx_stop || pp_fail "$f: plain nginx stops"

    PP_PRELOAD=$PP_SHIM
    PP_ENV="POOLPROF_VERBOSE=1 POOLPROF_SEGMENT=$PP_TMP/seg.$f"
    pp_nginx_start || pp_done
    pp_ok "$f: nginx answers under the shim" fetch_all "$PP_TMP/shim"

    # a short load with keepalive so that pools come and go
    pp_ok "$f: 200 requests under the shim" pp_requests 200 /data

    same=1
    for x in data ret 404; do
        cmp -s "$PP_TMP/plain.$x" "$PP_TMP/shim.$x" || same=0
    done
    pp_is "$same" 1 "$f: identical responses with and without the shim"
    pp_ok "$f: nginx stops gracefully under the shim" pp_nginx_stop

    # every target: hooked, or refused with one line naming it
    bad=
    nhooked=0
    for t in $targets; do
        h=$(grep -c "hooked $t at" "$PP_TMP/nginx.stderr")
        r=$(grep -c "not hooking $t:" "$PP_TMP/nginx.stderr")
        [ $((h + r)) -eq 1 ] || bad="$bad $t"
        nhooked=$((nhooked + h))
    done
    pp_is "$bad" "" "$f: each target hooked or refused with one line"
    pp_diag "$f: $nhooked of 14 hooked"
    grep 'not hooking' "$PP_TMP/nginx.stderr" | sed 's/^/# /'
    pp_ok "$f: the pool functions themselves are hooked" \
        grep -q "hooked ngx_palloc at" "$PP_TMP/nginx.stderr"
    pp_ok "$f: the segment is written" test -s "$PP_TMP/seg.$f"

    n=$("$PP_REPORT" --format json "$PP_TMP/seg.$f" 2>/dev/null \
        | jq '.totals.pools_created' 2>/dev/null)
    pp_ok "$f: pools were recorded ($n)" test "${n:-0}" -gt 200
done

pp_done
