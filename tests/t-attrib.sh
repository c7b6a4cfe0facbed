#!/bin/sh
# Covers attribution through a library on Debian's nginx with the test
# module, exact counts: "pp_test lib_cb" hands libpp_cb.so (built here,
# not a module: it imports nothing of nginx) callbacks that tail-call
# ngx_palloc() and ngx_pfree() on r->pool, so both call sites lie in the
# library.  N requests give exactly N allocations and N no-op frees at
# the library's sites, whose module is the test module, with the owner
# frame in the lib_cb handler; --by module shows the test module and
# not the library; the text names the library frame as the detail.  The
# library also creates a pool through a callback that tail-calls
# ngx_create_pool(): N pools at its site, kind "module", whose module is
# the test module.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"
pp_need_built "$(dirname "$PP_MODULE")/libpp_cb.so"

N=9
S=64
M=ngx_http_poolprof_test_module.so

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg POOLPROF_STACKS=0"
PP_SERVER="
        location /lib { pp_test lib_cb; pp_test_size $S; }"

# lib FIELD: the field summed over the sites in libpp_cb.so
lib()
{
    jq "[.sites[] | select(.object | endswith(\"/libpp_cb.so\")) | .$1]
        | add // 0" "$PP_TMP/report.json"
}

# lib_all FILTER: 1 when every site in libpp_cb.so passes it
lib_all()
{
    jq -e "[.sites[] | select(.object | endswith(\"/libpp_cb.so\"))]
           | length > 0 and all($1)" "$PP_TMP/report.json" >/dev/null
}

pp_plan 13

pp_nginx_start || pp_done
pp_ok "$N requests to the library's location" pp_requests $N /lib
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/report.json" 2>/dev/null
"$PP_REPORT" --top 1000 --color never "$PP_TMP/seg" > "$PP_TMP/report.txt" \
    2>/dev/null
"$PP_REPORT" --by module --top 1000 --color never "$PP_TMP/seg" \
    > "$PP_TMP/modules.txt" 2>/dev/null

pp_is "$(lib allocs)" "$N" "$N allocations at the library's sites"
pp_is "$(lib noop_frees)" "$N" "$N no-op frees at the library's sites"
pp_is "$(lib pinned_bytes)" "$((N * S))" "$((N * S)) pinned bytes there"
pp_ok "their module is the test module" lib_all ".module == \"$M\""
pp_ok "their owner is the lib_cb handler" \
    lib_all '.owner_symbol == "ngx_http_pp_test_lib_cb_handler"'
pp_is "$(awk -v m="$M" 'index($0, m) { print $3 }' "$PP_TMP/modules.txt")" \
    "$N" "--by module shows the test module's $N no-op frees"
pp_ok "--by module does not show the library" \
    sh -c "! grep -q libpp_cb '$PP_TMP/modules.txt'"
pp_ok "the text names the library's frame under the module's row" \
    grep -q "^ *in library libpp_cb.so: pp_cb_run$" "$PP_TMP/report.txt"

# libpool FILTER: 1 when the pool rows in libpp_cb.so are one, passing it
libpool()
{
    jq -e "[.pools[] | select(.object | endswith(\"/libpp_cb.so\"))]
           | length == 1 and all($1)" "$PP_TMP/report.json" >/dev/null
}

pp_ok "the library's pool site created and destroyed $N pools" \
    libpool ".created == $N and .destroyed == $N"
pp_ok "its module is the test module, its owner the handler" \
    libpool ".module == \"$M\"
             and .owner_symbol == \"ngx_http_pp_test_lib_cb_handler\""
pp_ok "its kind is module, without a directive" \
    libpool '.kind == "module" and .directive == null'

pp_done
