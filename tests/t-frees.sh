#!/bin/sh
# Covers the kinds of ngx_pfree() calls on Debian's nginx with the test
# module, exact counts: N requests to "pp_test bad_frees", each of which
# frees NULL, frees a large allocation twice, frees a pointer of the
# connection's pool into the request's pool and frees an interior
# pointer, give N of each kind (null, repeated, cross-pool, interior) at
# its handler and in the totals, N real frees and no no-op frees there;
# the cross-pool frees name the site that created the connection pools
# (ngx_event_accept).  "pp_test noop_twice" (a small allocation no-op
# freed twice) gives N no-op frees, N repeated ones and N*S pinned
# bytes, not 2N*S.  The no-op, large and foreign locations keep their
# figures; a foreign free of a live temporary pool's pointer is a
# cross-pool one that names the module's pool site.  The counts are read
# from the JSON report.  "pp_test large_inside" in a fresh nginx frees
# an interior pointer of a large allocation made before the index of
# pool memory was kept: N interior frees.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=7
R=3
S=128
L=8192

PP_PRELOAD=$PP_SHIM
PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg"
PP_SERVER="
        location /bad     { pp_test bad_frees; }
        location /twice   { pp_test noop_twice;   pp_test_size $S; }
        location /noop    { pp_test noop_free;    pp_test_size $S;
                            pp_test_repeat $R; }
        location /large   { pp_test large_free;   pp_test_size $L; }
        location /foreign { pp_test foreign_free; pp_test_size 100; }
        location /inside  { pp_test large_inside; }"

h=ngx_http_pp_test

# site SYMBOL FIELD: the field summed over the sites (call sites) of that
# symbol; for cross_site, the one that is not 0x0
site()
{
    if [ "$2" = cross_site ]; then
        jq -r "[.sites[] | select(.symbol == \"$1\") | .cross_site
                | select(. != \"0x0\")] | first // \"\"" "$PP_TMP/report.json"
    else
        jq "[.sites[] | select(.symbol == \"$1\") | .$2] | add // 0" \
            "$PP_TMP/report.json"
    fi
}

total()
{
    jq ".totals.$1" "$PP_TMP/report.json"
}

# pool_of ADDRESS: the symbol of the pool site at that address
pool_of()
{
    jq -r ".pools[] | select(.address == \"$1\") | .symbol" \
        "$PP_TMP/report.json"
}

load()
{
    for loc in bad twice noop large foreign; do
        pp_requests $N /$loc || return 1
    done
}

pp_plan 39

pp_nginx_start || pp_done
pp_is "$(pp_get /bad)" "bad_frees ok" "bad_frees answers"
pp_ok "$N requests to each location" load
pp_ok "nginx stops gracefully" pp_nginx_stop

"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/report.json" \
    2> "$PP_TMP/report.err"
pp_ok "the segment is read" jq -e .totals "$PP_TMP/report.json"

# one more request to /bad than N: the one answered first
B=$((N + 1))
b=${h}_bad_frees_handler
pp_is "$(site $b frees_null)" $B "bad_frees: N null frees"
pp_is "$(site $b frees_repeated)" $B "bad_frees: N repeated frees"
pp_is "$(site $b frees_cross_pool)" $B "bad_frees: N cross-pool frees"
pp_is "$(site $b frees_interior)" $B "bad_frees: N interior frees"
pp_is "$(site $b foreign_frees)" $((2 * B)) \
    "bad_frees: foreign = cross-pool + interior"
pp_is "$(site $b freed)" $B "bad_frees: N large allocations freed"
pp_is "$(site $b noop_frees)" 0 "bad_frees: no no-op frees"
pp_is "$(site $b pinned_bytes)" 0 "bad_frees: nothing pinned"
pp_is "$(site $b unknown_frees)" 0 "bad_frees: no frees of unknown size"

cross=$(site $b cross_site)
pp_is "$(pool_of "$cross")" ngx_event_accept \
    "bad_frees: cross_site is the connection pools' site, ngx_event_accept"

t=${h}_noop_twice_handler
pp_is "$(site $t noop_frees)" $N "noop_twice: N no-op frees"
pp_is "$(site $t frees_repeated)" $N "noop_twice: N repeated frees"
pp_is "$(site $t pinned_bytes)" $((N * S)) \
    "noop_twice: N*S pinned bytes, each allocation once"
pp_is "$(site $t foreign_frees)" 0 "noop_twice: no foreign frees"

o=${h}_noop_free_handler
pp_is "$(site $o noop_frees)" $((N * R)) "noop: N*R no-op frees"
pp_is "$(site $o pinned_bytes)" $((N * R * S)) "noop: N*R*S pinned bytes"
pp_is "$(site $o frees_repeated)" 0 "noop: no repeated frees"
pp_is "$(site $o foreign_frees)" 0 "noop: no foreign frees"

g=${h}_large_free_handler
pp_is "$(site $g freed)" $N "large: N freed"
pp_is "$(site $g frees_repeated)" 0 "large: no repeated frees"

f=${h}_foreign_free_handler
pp_is "$(site $f foreign_frees)" $N "foreign: N foreign frees"
pp_is "$(site $f frees_cross_pool)" $N \
    "foreign: each of a live pool's pointer, cross-pool"
pp_is "$(pool_of "$(site $f cross_site)")" $f \
    "foreign: cross_site is the module's temporary pool's site"

pp_is "$(total frees_null)" "$B" "totals: N null frees"
pp_is "$(total frees_repeated)" $((B + N)) \
    "totals: the repeated frees of bad_frees and noop_twice"
pp_is "$(total frees_interior)" "$B" "totals: N interior frees"
pp_is "$(total frees_cross_pool)" $((B + N)) \
    "totals: the cross-pool frees of bad_frees and foreign"

# the text report's warnings name each kind, its count and its site
"$PP_REPORT" --color never "$PP_TMP/seg" 2> /dev/null | tr -s ' \n' '  ' \
    > "$PP_TMP/report.line"
said_text()
{
    grep -qF "$1" "$PP_TMP/report.line"
}
b=${h}_bad_frees_handler
pp_ok "text: the null frees, harmless, at bad_frees" \
    said_text "$B ngx_pfree() of NULL (harmless), $B at $b"
w="ngx_pfree() of a pointer inside an allocation (interior)"
pp_ok "text: the interior frees at bad_frees" said_text "$B $w, $B at $b"
w="of another live pool's memory (cross-pool), $B at $b"
pp_ok "text: the cross-pool frees, with the pool's creating site" \
    said_text "$w, of a pool created at ngx_event_accept"

# A fresh worker whose first free that misses its pool's log is of a
# large allocation made before: the index of pool memory is filled then,
# from nginx's own lists of the live pools, and kept from there on.
rm -f "$PP_TMP/seg"
pp_nginx_start || pp_done
pp_ok "$N requests to the large interior location first" \
    pp_requests $N /inside
pp_ok "nginx stops gracefully again" pp_nginx_stop
"$PP_REPORT" --format json "$PP_TMP/seg" > "$PP_TMP/report.json" \
    2> "$PP_TMP/report.err"
i=${h}_large_inside_handler
pp_is "$(site $i frees_interior)" $N \
    "large_inside: N interior frees, the first found by the late index"
pp_is "$(site $i freed)" $N "large_inside: N freed"
pp_is "$(site $i foreign_frees)" $N "large_inside: interior is foreign"

pp_done
