#!/bin/sh
# Covers the shim's CET markings (built with -fcf-protection=full when the
# compiler takes it): each of the 18 wrappers, which the relays reach with
# an indirect jmp, starts with endbr64; each of the shim's objects carries
# the IBT and SHSTK property; and libpoolprof.so carries it when this
# toolchain's own objects let a shared object carry it (configure's
# check: Debian's crti.o, crtn.o and libc_nonshared.a do not).

. "$top_srcdir/tests/lib.sh"

pp_need_built "$PP_SHIM"
[ -n "${PP_CET_CFLAGS:-}" ] || pp_skip_all "the compiler has no -fcf-protection"
pp_need readelf objdump

wrappers="create_pool destroy_pool reset_pool palloc pnalloc pmemalign pfree
pcalloc pcalloc_self palloc_small pnalloc_small pcalloc_small cleanup_add
create_temp_buf create_chain_of_bufs alloc_chain_link get_free_buf
update_chains"

pp_plan 3

# the first instruction of every function: "<name>: mnemonic"
objdump -d --no-show-raw-insn "$PP_SHIM" \
    | awk '/^[0-9a-f]+ <[^>]*>:$/ { name = $2; getline; print name, $2 }' \
    > "$PP_TMP/entries"

missing=
n=0
for w in $wrappers; do
    if grep -qx "<pp_$w>: endbr64" "$PP_TMP/entries"; then
        n=$((n + 1))
    else
        missing="$missing pp_$w"
    fi
done
pp_is "$n$missing" 18 "the 18 wrappers start with endbr64"

objs=$(ls "$top_builddir"/shim/.libs/libpoolprof_la-*.o \
          "$top_builddir"/shim/patch/.libs/libpppatch_la-*.o 2>/dev/null)
unmarked=
for o in $objs; do
    readelf -n "$o" | grep -q 'x86 feature: IBT, SHSTK' \
        || unmarked="$unmarked ${o##*/}"
done
[ -n "$objs" ] || unmarked="(no objects in $top_builddir/shim/.libs)"
pp_is "${unmarked:-none}" none \
    "the shim's $(echo "$objs" | wc -w) objects carry IBT and SHSTK"

if [ "${PP_CET_NOTE:-no}" = yes ]; then
    pp_ok "libpoolprof.so carries the IBT and SHSTK property note" \
        pp_quiet sh -c "readelf -n '$PP_SHIM' \
                        | grep -q 'x86 feature: IBT, SHSTK'"
else
    # configure found that this toolchain cannot mark a shared object
    # (Debian bookworm's crti.o and libc_nonshared.a lack the property):
    # check that this is so, rather than skip
    crt=$(${CC:-cc} -print-file-name=crti.o)
    if ! readelf -n "$crt" 2>/dev/null | grep -q 'x86 feature: IBT, SHSTK' \
        && ! readelf -n "$PP_SHIM" | grep -q 'x86 feature: IBT'
    then
        pp_pass "no property note on libpoolprof.so, as $crt has none"
    else
        pp_fail "no property note on libpoolprof.so, as $crt has none"
        pp_diag "$(readelf -n "$crt" "$PP_SHIM" 2>&1 | grep -i feature)"
    fi
fi

pp_done
