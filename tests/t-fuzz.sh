#!/bin/sh
# Covers the reporter's segment reader against hostile input: builds the
# libFuzzer target (clang, with ASan and UBSan) and runs it for a bounded
# time from the seed corpus that test_read writes.  Skips without clang
# or its fuzzer runtime.

. "$top_srcdir/tests/lib.sh"

cc=${PP_CC_CLANG:-}
[ -n "$cc" ] && [ -x "$cc" ] || pp_skip_all "no clang"
seconds=${PP_FUZZ_SECONDS:-30}

r=$top_srcdir/report
bin=$PP_TMP/fuzz_read
if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -I "$top_srcdir/common" \
        "$r/fuzz_read.c" "$r/pp_read.c" "$r/pp_merge.c" "$r/pp_data.c" \
        "$r/pp_sort.c" "$r/pp_sym.c" "$r/pp_elf.c" "$r/pp_json.c" \
        "$r/pp_text.c" -lelf -ldw -o "$bin" > "$PP_TMP/cc.log" 2>&1
then
    pp_skip_all "clang cannot build a fuzzer here: $(tail -n 1 "$PP_TMP/cc.log")"
fi

pp_plan 2

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
