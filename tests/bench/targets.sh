#!/bin/sh
# tests/bench/targets.sh RESULTS: the last part of `make bench`.  Reads
# the "WORKLOAD.STACKS.FIGURE VALUE" lines that ab.sh appended to
# RESULTS (AB_RESULTS) and prints one line per target, PASS or MISS,
# with the figure; MISS also when a figure was not measured (its
# workload could not run).  Then the machine the figures belong to: the
# CPU model and the kernel's mitigations.  Always exits 0: timings are
# never a failure of the build.

results=${1:-}

# fig KEY: the last value of KEY in RESULTS, empty when none
fig()
{
    [ -f "$results" ] || return 0
    awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$results"
}

# why WORKLOAD.STACKS: the reason ab.sh gave for not running it
why()
{
    [ -f "$results" ] || return 0
    awk -v k="$1.skipped" '$1 == k { sub(/^[^ ]+ /, ""); v = $0 }
        END { print v }' "$results"
}

# target DESC VALUE OP LIMIT [WORKLOAD.STACKS]: OP is ">=" or "<="
target()
{
    if [ -z "$2" ]; then
        w=
        [ -n "${5:-}" ] && w=$(why "$5")
        echo "MISS  $1: not measured${w:+ ($w)}"
        return
    fi
    awk -v d="$1" -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
        ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        printf "%s  %s: %s %s %s\n", ok ? "PASS" : "MISS", d, v, op, l }'
}

echo "targets (side by side, tests/bench/ab.sh; ratio = CPU per request" \
     "plain/shim, median of rounds):"
target "small file, stacks off, ratio" "$(fig small.0.ratio)" ">=" 0.97 \
    small.0
target "HTTPS + HTTP/2 (tls-h2), stacks off, ratio" \
    "$(fig tls-h2.0.ratio)" ">=" 0.97 tls-h2.0
target "proxy to a keepalive upstream, stacks off, ratio" \
    "$(fig proxy.0.ratio)" ">=" 0.97 proxy.0
target "small file, default stack sampling, ratio" \
    "$(fig small.default.ratio)" ">=" 0.93 small.default
target "small file, 1 pool in 64 (POOLPROF_SAMPLE=64), stacks off, ratio" \
    "$(fig small.0-s64.ratio)" ">=" 0.99 small.0-s64
target "200 allocations (allocs), stacks off, ns per hooked call, marginal (less allocs1)" \
    "$(fig allocs.0.ns_per_call_marginal)" "<=" 10 allocs.0
echo "      (the same, gross: (shim - plain) per request of allocs / 200:" \
     "$(fig allocs.0.ns_per_call) ns)"

# churn: 20000 allocations and frees a request; churn200: 200
churn=$(fig churn.0.ns_per_event)
small=$(fig churn200.0.ns_per_event)
desc="churn, stacks off, ns per event, within 2x of churn200's"
limit=
if [ -n "$small" ]; then
    desc="$desc $small"
    limit=$(awk -v s="$small" 'BEGIN { printf "%.2f", 2 * s }')
else
    churn=
fi
target "$desc" "$churn" "<=" "$limit" churn.0

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' \
     /proc/cpuinfo | head -n 1), kernel $(uname -r)"
echo "mitigations:"
for f in /sys/devices/system/cpu/vulnerabilities/*; do
    [ -r "$f" ] && echo "    ${f##*/}: $(cat "$f")"
done

exit 0
