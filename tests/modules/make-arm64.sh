#!/bin/sh
# tests/modules/make-arm64.sh MAKE-ARGS...: the make of build.sh
# (MAKE_NGINX) for an aarch64 test module.  nginx-dev is configured on
# this machine, so its ngx_auto_config.h gets what auto/os/conf sets on
# aarch64 instead (NGX_ALIGNMENT 16, not NGX_HAVE_NONALIGNED); the rest
# is the same on every 64-bit Linux.  The compiler is $PP_A64_CC, with
# the multiarch headers of the sysroot $PP_A64_ROOT (openssl's).

set -eu

c=objs/ngx_auto_config.h
awk '/^#ifndef NGX_HAVE_NONALIGNED$/ {
         print "#ifndef NGX_ALIGNMENT"; print "#define NGX_ALIGNMENT  16"
         getline; next
     }
     { print }' "$c" > "$c.tmp"
mv "$c.tmp" "$c"

exec make CC="$PP_A64_CC -I$PP_A64_ROOT/usr/include/aarch64-linux-gnu" "$@"
