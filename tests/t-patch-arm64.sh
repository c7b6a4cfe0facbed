#!/bin/sh
# Covers the aarch64 entry patcher (shim/patch/pp_*_arm64.c) on any
# host: tests/unit/test_patch_arm64, built static by an aarch64 compiler
# and run under qemu-user (natively on an aarch64 machine), relocates
# and runs every kind of displaced word and checks every refusal.  The
# cases themselves are listed in tests/unit/test_patch_arm64.c.

. "$top_srcdir/tests/lib.sh"

# the packages are those of scripts/setup: a skip for want of one fails
# scripts/check
[ -n "${PP_A64_CC:-}" ] || pp_skip_all "missing package" \
    "gcc-aarch64-linux-gnu: configure found no aarch64-linux-gnu-gcc"

# configure builds the test only if the compiler links static programs
[ -e "$PP_A64_TEST" ] || pp_skip_all "missing package libc6-dev-arm64-cross:" \
    "$PP_A64_CC links no static aarch64 program"

run=
if [ "$(uname -m)" != aarch64 ]; then
    [ -n "${PP_QEMU_A64:-}" ] || pp_skip_all "missing package" \
        "qemu-user-static: configure found no qemu-aarch64-static"
    run=$PP_QEMU_A64
fi

$run "$PP_A64_TEST"
