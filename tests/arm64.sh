# tests/arm64.sh: what the arm64 tests need, after tests/lib.sh.  Source
# it.  pp_need_arm64: the aarch64 compiler and, on another machine,
# qemu-user, or the test skips; sets pp_arm64_run to the command that
# runs an aarch64 program here (empty on aarch64).  The packages are
# those of scripts/setup: a skip for want of one fails scripts/check.

pp_need_arm64()
{
    [ -n "${PP_A64_CC:-}" ] || pp_skip_all "missing package" \
        "gcc-aarch64-linux-gnu: configure found no aarch64-linux-gnu-gcc"

    pp_arm64_run=
    if [ "$(uname -m)" != aarch64 ]; then
        [ -n "${PP_QEMU_A64:-}" ] || pp_skip_all "missing package" \
            "qemu-user-static: configure found no qemu-aarch64-static"
        pp_arm64_run=$PP_QEMU_A64
    fi
}
