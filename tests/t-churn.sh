#!/bin/sh
# Covers a churning request pool on Debian's nginx with the test module,
# exact counts: N requests to "pp_test churn", which makes R allocations
# of S bytes from r->pool and then ngx_pfree()s each of them, oldest
# first, give at its handler N*R allocations, N*R no-op frees, N*R*S
# pinned bytes and nothing freed.  Once with R = 20000 (one pool of
# about 320 blocks, 20000 pins in it) and once with R = 200; each in its
# own nginx and segment, since both locations are one site.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need jq
pp_need_built "$PP_SHIM" "$PP_REPORT"

N=3
S=64

PP_PRELOAD=$PP_SHIM
h=ngx_http_pp_test_churn_handler

# site FIELD: the field summed over the sites of the churn handler
site()
{
    jq "[.sites[] | select(.symbol == \"$h\") | .$1] | add // 0" \
        "$PP_TMP/report.json"
}

# load: N requests on one keepalive connection; prints the bodies
load()
{
    # shellcheck disable=SC2046
    curl -sS --max-time 120 $(pp_urls "$N" /churn)
}

pp_plan 16

for R in 20000 200; do
    PP_ENV="POOLPROF_SEGMENT=$PP_TMP/seg.$R"
    PP_SERVER="
        location = /churn { pp_test churn; pp_test_size $S;
                            pp_test_repeat $R; }"
    w="R=$R:"

    pp_nginx_start || pp_done
    pp_is "$(load | grep -c '^churn ok$')" $N "$w $N requests answered"
    pp_ok "$w nginx stops gracefully" pp_nginx_stop

    if ! "$PP_REPORT" --format json "$PP_TMP/seg.$R" \
        > "$PP_TMP/report.json" 2> "$PP_TMP/report.err"
    then
        pp_diag "$(cat "$PP_TMP/report.err")"
    fi
    pp_ok "$w the report is valid JSON" \
        pp_quiet jq -e .totals "$PP_TMP/report.json"

    pp_is "$(site allocs)" $((N * R)) "$w N*R allocations at the site"
    pp_is "$(site noop_frees)" $((N * R)) "$w N*R no-op frees"
    pp_is "$(site pinned_bytes)" $((N * R * S)) "$w N*R*S pinned bytes"
    pp_is "$(site freed)" 0 "$w nothing freed there"
    pp_is "$(jq '[.segment.processes[] | select(.state != "exited")]
                 | length' "$PP_TMP/report.json")" 0 "$w every process exited"
done

pp_done
