#!/bin/sh
# Covers the reporter's segment reader against hostile input: builds the
# libFuzzer target (clang, with ASan and UBSan) and runs it for a bounded
# time from the seed corpus that test_read writes.  Without clang or its
# fuzzer runtime (libclang-rt-N-dev, for clang N) it skips as a missing
# package.

. "$top_srcdir/tests/lib.sh"

cc=${PP_CC_CLANG:-}
[ -n "$cc" ] && [ -x "$cc" ] \
    || pp_skip_all "$(pp_missing clang "configure found no clang")"
seconds=${PP_FUZZ_SECONDS:-30}

r=$top_srcdir/report
bin=$PP_TMP/fuzz_read

# can this clang build a fuzzer at all?  If not, skip; if it can and the
# target does not build, that is a failure
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n%s\n' \
    '{ (void) d; (void) n; return 0; }' > "$PP_TMP/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$PP_TMP/probe.c" \
    -o "$PP_TMP/probe" > "$PP_TMP/cc.log" 2>&1 \
    || pp_skip_all "missing package libclang-rt-$("$cc" -dumpversion \
                    | cut -d. -f1)-dev: clang cannot build a fuzzer here:" \
                    "$(tail -n 1 "$PP_TMP/cc.log")"

pp_plan 3

# every reader source but the program's main
srcs=
for f in "$r"/pp_*.c; do
    case $f in */pp_report.c|*/pp_list.c|*/pp_watch.c) continue ;; esac
    srcs="$srcs $f"
done

# shellcheck disable=SC2086
pp_ok "the fuzz target builds" pp_quiet "$cc" -g -O1 \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I "$top_srcdir/common" -I "$r" "$r/fuzz_read.c" $srcs -lelf -ldw -lz -lm \
    -o "$bin"
[ -x "$bin" ] || pp_done

mkdir -p "$PP_TMP/corpus"
pp_ok "seed corpus written" \
    pp_quiet "$top_builddir/report/test_read" --seeds "$PP_TMP/corpus"

ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" \
    -max_len=40000 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$PP_TMP/" "$PP_TMP/corpus" > "$PP_TMP/fuzz.log" 2>&1
rc=$?
pp_is "$rc" 0 "${seconds}s of fuzzing the segment reader found nothing"
pp_diag "$(grep -E '^(Done|#[0-9]+ *DONE)' "$PP_TMP/fuzz.log" | tail -n 1)"
[ $rc -eq 0 ] || pp_diag "$(tail -n 30 "$PP_TMP/fuzz.log")"

pp_done
