#!/bin/sh
# Covers the reporter's segment reader against hostile input: runs the
# libFuzzer target (tests/unit/fuzz_read, which `make check` builds with
# clang, ASan and UBSan) for a bounded time from the seed corpus that
# test_read writes.  Without clang or its fuzzer runtime
# (libclang-rt-N-dev, for clang N) it skips as a missing package.

. "$top_srcdir/tests/lib.sh"

cc=${PP_CC_CLANG:-}
bin=${PP_FUZZ:-}
[ -n "$cc" ] && [ -x "$cc" ] \
    || pp_skip_all "$(pp_missing clang "configure found no clang")"
seconds=${PP_FUZZ_SECONDS:-30}

# configure builds the target only if this clang can link a fuzzer: if it
# cannot, say which package is missing
if [ ! -x "$bin" ]; then
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n%s\n' \
        '{ (void) d; (void) n; return 0; }' > "$PP_TMP/probe.c"
    "$cc" -fsanitize=fuzzer,address,undefined "$PP_TMP/probe.c" \
        -o "$PP_TMP/probe" > "$PP_TMP/cc.log" 2>&1 \
        || pp_skip_all "missing package libclang-rt-$("$cc" -dumpversion \
                        | cut -d. -f1)-dev: clang cannot build a fuzzer" \
                        "here: $(tail -n 1 "$PP_TMP/cc.log")"
    pp_skip_all "$bin was not built: configure found no fuzzer; run" \
        "configure again"
fi

pp_plan 2

mkdir -p "$PP_TMP/corpus"
pp_ok "seed corpus written" \
    pp_quiet "$top_builddir/tests/unit/test_read" --seeds "$PP_TMP/corpus"

ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" \
    -max_len=40000 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$PP_TMP/" "$PP_TMP/corpus" > "$PP_TMP/fuzz.log" 2>&1
rc=$?
pp_is "$rc" 0 "${seconds}s of fuzzing the segment reader found nothing"
pp_diag "$(grep -E '^(Done|#[0-9]+ *DONE)' "$PP_TMP/fuzz.log" | tail -n 1)"
[ $rc -eq 0 ] || pp_diag "$(tail -n 30 "$PP_TMP/fuzz.log")"

pp_done
