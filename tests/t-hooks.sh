#!/bin/sh
# Covers the entry patcher on Debian's real nginx: every target function
# hooks, nginx serves byte-identical responses with and without the shim,
# `nginx -t` works under it, the shim stays silent in other programs and
# with POOLPROF_DISABLE=1.  Also what libpoolprof.so ships: no dynamic
# symbol of its own, and none of the tests' ELF helpers.

. "$top_srcdir/tests/lib.sh"

pp_need_nginx
pp_need_built "$PP_SHIM"

targets="ngx_create_pool ngx_destroy_pool ngx_reset_pool ngx_palloc
ngx_pnalloc ngx_pcalloc ngx_pmemalign ngx_pfree ngx_pool_cleanup_add
ngx_create_temp_buf ngx_create_chain_of_bufs ngx_alloc_chain_link
ngx_chain_get_free_buf ngx_chain_update_chains"

pp_plan 26

head -c 100000 /dev/urandom > "$PP_TMP/data.bin"
PP_SERVER="
        location = /data.bin { alias $PP_TMP/data.bin; }
        location = /gz { alias $PP_TMP/data.txt; gzip on; gzip_min_length 1;
                         gzip_types application/octet-stream; }
        location = /ret { return 200 \"plain return\\n\"; }"
seq 1 20000 > "$PP_TMP/data.txt"
chmod a+r "$PP_TMP"/data.*

fetch_all()
{
    pp_get /data.bin > "$1.bin" &&
    pp_get /gz -H 'Accept-Encoding: gzip' > "$1.gz" &&
    pp_get /ret > "$1.ret" &&
    pp_get /missing -o /dev/null -w '%{http_code}\n' > "$1.404"
}

# plain nginx first
pp_nginx_start || pp_done
pp_ok "plain nginx answers every location" fetch_all "$PP_TMP/plain"
pp_ok "plain nginx stops gracefully" pp_nginx_stop

# the same under the shim, listing its hooks
PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_VERBOSE=1 POOLPROF_SEGMENT=$PP_TMP/seg"
pp_nginx_start || pp_done
pp_ok "nginx under the shim answers every location" fetch_all "$PP_TMP/shim"

for f in bin gz ret 404; do
    pp_ok "identical response ($f)" cmp -s "$PP_TMP/plain.$f" "$PP_TMP/shim.$f"
done

pp_ok "nginx under the shim stops gracefully" pp_nginx_stop

missing=
for t in $targets; do
    grep -q "hooked $t at" "$PP_TMP/nginx.stderr" || missing="$missing $t"
done
pp_is "$missing" "" "all 14 targets hooked in Debian's nginx"
pp_is "$(grep -c 'not hooking' "$PP_TMP/nginx.stderr")" 0 "no hook refused"
pp_ok "segment written" test -s "$PP_TMP/seg"

# nginx -t under the shim: works, records nothing, touches no segment
conf=$PP_TMP/nginx/conf/nginx.conf
rm -f "$PP_TMP/seg"
LD_PRELOAD=$PP_SHIM POOLPROF_SEGMENT=$PP_TMP/seg \
    "$NGINX" -t -p "$PP_TMP/nginx/" -c "$conf" > "$PP_TMP/t.out" 2>&1
pp_is "$?" 0 "nginx -t under the shim succeeds"
pp_ok "nginx -t says the test is successful" \
    grep -q 'test is successful' "$PP_TMP/t.out"
pp_ok "nginx -t creates no segment" test ! -e "$PP_TMP/seg"
pp_is "$(grep -c "^poolprof\\[" "$PP_TMP/t.out")" 0 "nginx -t: the shim is silent"

# other programs: silent no-op
out=$(LD_PRELOAD=$PP_SHIM POOLPROF_VERBOSE=1 POOLPROF_SEGMENT=$PP_TMP/seg2 \
      sh -c 'echo hello' 2>&1)
pp_is "$out" "hello" "a non-nginx program runs unchanged and silent"
pp_ok "a non-nginx program creates no segment" test ! -e "$PP_TMP/seg2"

# POOLPROF_DISABLE=1
PP_ENV="POOLPROF_DISABLE=1 POOLPROF_VERBOSE=1 POOLPROF_SEGMENT=$PP_TMP/seg"
pp_nginx_start || pp_done
pp_is "$(pp_get /ret)" "plain return" "nginx serves with POOLPROF_DISABLE=1"
pp_ok "POOLPROF_DISABLE=1 nginx stops gracefully" pp_nginx_stop
pp_ok "POOLPROF_DISABLE=1 creates no segment" test ! -e "$PP_TMP/seg"
pp_is "$(grep -c "^poolprof\\[" "$PP_TMP/nginx.stderr")" 0 \
    "POOLPROF_DISABLE=1: the shim is silent"

# an unwritable segment path: one line, nginx serves
PP_ENV="POOLPROF_SEGMENT=/proc/poolprof-cannot-be-here"
pp_nginx_start || pp_done
pp_is "$(pp_get /ret)" "plain return" "nginx serves when the segment fails"
pp_ok "unwritable segment nginx stops gracefully" pp_nginx_stop
pp_is "$(grep -c "^poolprof\\[" "$PP_TMP/nginx.stderr")" 1 \
    "an unwritable segment gives exactly one message"

# everything in the shim is hidden but execve(), which it interposes so
# that a binary upgrade into an unprofiled nginx ends its shard: no
# other name may interpose on the program's; the tests' ELF helpers
# (tests/unit/pp_elf_test.c) stay out of it
if pp_have nm; then
    pp_is "$(nm -D --defined-only "$PP_SHIM" | awk '{ print $NF }' \
             | tr '\n' ' ')" "execve " \
        "libpoolprof.so exports execve and nothing else"
    pp_is "$(nm "$PP_SHIM" | awk '$NF ~ /^pp_elf_(lookup|find|exports)$/ {
                                      print $NF }')" pp_elf_lookup \
        "libpoolprof.so has pp_elf_lookup, not pp_elf_find or pp_elf_exports"
else
    pp_skip "libpoolprof.so exports execve and nothing else" "$(pp_missing nm)"
    pp_skip "libpoolprof.so has no test-only ELF code" "$(pp_missing nm)"
fi

pp_done
