#!/bin/sh
# Covers programs that the shim is preloaded into but does not profile,
# and their own library lookups: a program whose DT_RUNPATH is
# $ORIGIN/lib dlopen()s "libplug.so" by its bare name, which glibc finds
# through the RUNPATH of the object that calls dlopen().  It must print
# plug()=42 plainly, under LD_PRELOAD of the shim, and under the shim with
# POOLPROF_DISABLE=1.  An exported dlopen() in the shim makes the shim
# the caller, and the lookup fails.

. "$top_srcdir/tests/lib.sh"

pp_need_built "$PP_SHIM"
cc=${CC:-cc}
pp_need "$cc" readelf

app=$PP_TMP/app
mkdir -p "$app/lib"

cat > "$PP_TMP/plug.c" <<'EOF'
int plug(void);

int
plug(void)
{
    return 42;
}
EOF

cat > "$PP_TMP/main.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>

int
main(void)
{
    int    (*plug)(void);
    void    *h;

    h = dlopen("libplug.so", RTLD_NOW);
    if (h == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }

    *(void **) &plug = dlsym(h, "plug");
    if (plug == NULL) {
        printf("dlsym failed: %s\n", dlerror());
        return 1;
    }

    printf("plug()=%d\n", plug());

    return 0;
}
EOF

pp_plan 5

# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker
if "$cc" -shared -fPIC -o "$app/lib/libplug.so" "$PP_TMP/plug.c" \
       2> "$PP_TMP/cc.err" \
   && "$cc" -o "$app/main_runpath" "$PP_TMP/main.c" \
       -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib' -ldl 2>> "$PP_TMP/cc.err"
then
    pp_pass "libplug.so and main_runpath built with $cc"
else
    pp_fail "libplug.so and main_runpath built with $cc"
    pp_diag "$(cat "$PP_TMP/cc.err")"
    pp_done
fi

# shellcheck disable=SC2016
pp_ok 'main_runpath has DT_RUNPATH $ORIGIN/lib, no DT_RPATH' \
    sh -c "readelf -d '$app/main_runpath' > '$PP_TMP/dyn' &&
           grep -q 'RUNPATH.*\\[\$ORIGIN/lib\\]' '$PP_TMP/dyn' &&
           ! grep -q '(RPATH)' '$PP_TMP/dyn'"

# from another directory: only $ORIGIN can find the library
cd / || pp_done

pp_is "$("$app/main_runpath" 2>&1)" "plug()=42" "plain: plug()=42"
pp_is "$(LD_PRELOAD=$PP_SHIM "$app/main_runpath" 2>&1)" "plug()=42" \
    "under the shim: plug()=42"
pp_is "$(LD_PRELOAD=$PP_SHIM POOLPROF_DISABLE=1 "$app/main_runpath" 2>&1)" \
    "plug()=42" "under the shim with POOLPROF_DISABLE=1: plug()=42"

pp_done
