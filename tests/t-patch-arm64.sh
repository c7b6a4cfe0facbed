#!/bin/sh
# Covers the aarch64 entry patcher (shim/patch/pp_*_arm64.c) on any
# host: tests/unit/test_patch_arm64, built static by an aarch64 compiler
# and run under qemu-user (natively on an aarch64 machine), relocates
# and runs every kind of displaced word and checks every refusal.  The
# cases themselves are listed in tests/unit/test_patch_arm64.c.

. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/arm64.sh"

pp_need_arm64

# configure builds the test only if the compiler links static programs
[ -e "$PP_A64_TEST" ] || pp_skip_all "missing package libc6-dev-arm64-cross:" \
    "$PP_A64_CC links no static aarch64 program"

$pp_arm64_run "$PP_A64_TEST"
