#!/bin/sh
# Keeps poolprof-json(5) honest: every key of tests/golden/report.json
# (a real report, cut to the test module's rows), every key name the
# reporter's JSON printers spell out literally (report/pp_json.c,
# report/pp_leaks.c), and every key of the field tables
# (common/pp_fields.h, report/pp_values.c) is documented in man/poolprof-json.5 as `.Va NAME`
# or in an `.It Va A , B` list.  With mandoc, the page lints clean but
# for the STYLE lines about manuals not installed here.

. "$top_srcdir/tests/lib.sh"

pp_need jq

PAGE=$top_srcdir/man/poolprof-json.5
GOLDEN=$top_srcdir/tests/golden/report.json

# the last name of every path: the keys of every object, nested or not
jq -r '[paths | map(select(type == "string")) | last
        | select(. != null)] | unique | .[]' "$GOLDEN" \
    > "$PP_TMP/golden.keys" 2> "$PP_TMP/jq.err"
jq_rc=$?

# "name" as the printers write it: pp_json_u(f, "name", pp_ju("name",
# \"name\": and the where-functions' first field, pp_..._where(f, r, "name"
grep -ohE '(pp_json_u\(f, |pp_ju\(|_where\(f, r, )"[a-z0-9_]+"|\\"[a-z0-9_]+\\":' \
    "$top_srcdir/report/pp_json.c" "$top_srcdir/report/pp_leaks.c" \
    | tr -d '\134' | sed -E 's/^.*"([a-z0-9_]+)".*$/\1/' \
    > "$PP_TMP/printed.keys"

# the tables: F(record, field, "key", ...) and a derived { "key", ...
{ cat "$PP_TMP/printed.keys"
  grep -ohE '^ *F\(pp_[a-z]+_t, [a-z0-9_]+, "[a-z0-9_]+"' \
      "$top_srcdir/common/pp_fields.h"
  grep -ohE '^ *\{ "[a-z0-9_]+", ' "$top_srcdir/report/pp_values.c"
} | sed -E 's/^[^"]*"([a-z0-9_]+)".*$/\1/' | sort -u > "$PP_TMP/source.keys"

sort -u "$PP_TMP/golden.keys" "$PP_TMP/source.keys" > "$PP_TMP/all.keys"

n=$(wc -l < "$PP_TMP/all.keys")
pp_plan $((n + 3))

golden_ok()
{
    [ "$jq_rc" -eq 0 ] && [ -s "$PP_TMP/golden.keys" ]
}

pp_ok "the golden report's keys are read ($(wc -l < "$PP_TMP/golden.keys"))" \
    golden_ok
pp_ok "the printers' keys are read ($(wc -l < "$PP_TMP/source.keys"))" \
    test "$(wc -l < "$PP_TMP/source.keys")" -gt 50

# documented NAME: a line `.Va NAME ...`, `.It Va NAME ...` or
# `.It Va A , NAME , B`
documented()
{
    grep -Eq "^\.(It )?Va ([a-z0-9_]+ , )*$1( |\$)" "$PAGE"
}

while read -r key; do
    if grep -qx "$key" "$PP_TMP/golden.keys"; then
        from="golden report.json"
    else
        from="report/*.c"
    fi
    pp_ok "$key ($from) is documented in poolprof-json(5)" documented "$key"
done < "$PP_TMP/all.keys"

if pp_have mandoc; then
    mandoc -Tlint "$PAGE" > "$PP_TMP/lint" 2>&1
    grep -v -e 'STYLE: referenced manual not found' \
        -e 'outdated mandoc.db' "$PP_TMP/lint" > "$PP_TMP/lint.left"
    pp_ok "mandoc -Tlint: nothing but manuals not installed here" \
        test ! -s "$PP_TMP/lint.left"
    [ -s "$PP_TMP/lint.left" ] && pp_diag "$(cat "$PP_TMP/lint.left")"
else
    pp_skip "mandoc -Tlint" "$(pp_missing mandoc)"
fi

pp_done
