#!/usr/bin/env bash
# benchratio.sh runs BenchmarkReadGroup (bench_test.go) COUNT times and
# prints, per dialect, the median ns/op, B/op and allocs/op of every
# implementation and its ratio to hand-written database/sql ("raw").
#
#   scripts/benchratio.sh                 # run, then summarise
#   scripts/benchratio.sh results.txt     # summarise saved `go test -bench` output
#
# Environment: COUNT (default 5), BENCHTIME (default 2000x), BENCH (default
# BenchmarkReadGroup), OUT (where the raw output is kept; default a temp
# file). benchstat is used as well when it is on PATH.
set -euo pipefail

cd "$(dirname "$0")/.."

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-2000x}
BENCH=${BENCH:-BenchmarkReadGroup}

if [[ $# -ge 1 ]]; then
	out=$1
else
	out=${OUT:-$(mktemp -t benchratio.XXXXXX)}
	echo "# go test -run '^\$' -bench '$BENCH' -benchtime=$BENCHTIME -count $COUNT ." >&2
	go test -run '^$' -bench "$BENCH" -benchtime="$BENCHTIME" -count "$COUNT" . | tee "$out" >&2
	echo "# raw output kept in $out" >&2
fi

# Lines look like:
# BenchmarkReadGroup/postgres/softdelete-2  2000  264670 ns/op  47305 B/op  835 allocs/op
awk '
function median(key,    n, i, j, v, tmp) {
	n = cnt[key]
	for (i = 1; i <= n; i++) tmp[i] = val[key, i]
	for (i = 2; i <= n; i++) {            # insertion sort (portable awk)
		v = tmp[i]
		for (j = i - 1; j >= 1 && tmp[j] > v; j--) tmp[j + 1] = tmp[j]
		tmp[j + 1] = v
	}
	if (n % 2) return tmp[(n + 1) / 2]
	return (tmp[n / 2] + tmp[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
/^Benchmark/ && / ns\/op/ {
	name = $1
	sub(/-[0-9]+$/, "", name)             # GOMAXPROCS suffix
	k = split(name, p, "/")
	if (k < 3) next
	d = p[k - 1]; impl = p[k]
	if (!(d in seenD)) { seenD[d] = 1; dialects[++nd] = d }
	if (!((d, impl) in seenI)) { seenI[d, impl] = 1; impls[d, ++ni[d]] = impl }
	for (f = 2; f < NF; f++) {
		if ($(f + 1) == "ns/op") add(d SUBSEP impl SUBSEP "ns", $f)
		if ($(f + 1) == "B/op") add(d SUBSEP impl SUBSEP "B", $f)
		if ($(f + 1) == "allocs/op") add(d SUBSEP impl SUBSEP "allocs", $f)
	}
}
END {
	if (nd == 0) { print "no benchmark lines found" > "/dev/stderr"; exit 1 }
	printf "%-9s %-11s %5s %12s %10s %10s %9s %10s\n", "dialect", "impl", "runs", "ns/op", "B/op", "allocs/op", "time/raw", "allocs/raw"
	for (i = 1; i <= nd; i++) {
		d = dialects[i]
		rk = d SUBSEP "raw"
		rns = (cnt[rk SUBSEP "ns"] ? median(rk SUBSEP "ns") : 0)
		ral = (cnt[rk SUBSEP "allocs"] ? median(rk SUBSEP "allocs") : 0)
		for (j = 1; j <= ni[d]; j++) {
			impl = impls[d, j]
			key = d SUBSEP impl
			ns = median(key SUBSEP "ns"); by = median(key SUBSEP "B"); al = median(key SUBSEP "allocs")
			tr = (rns ? sprintf("%.3f", ns / rns) : "n/a")
			ar = (ral ? sprintf("%.3f", al / ral) : "n/a")
			printf "%-9s %-11s %5d %12.0f %10.0f %10.0f %9s %10s\n", d, impl, cnt[key SUBSEP "ns"], ns, by, al, tr, ar
		}
	}
	print ""
	for (i = 1; i <= nd; i++) {
		d = dialects[i]
		sk = d SUBSEP "softdelete"; rk = d SUBSEP "raw"
		if (!cnt[sk SUBSEP "ns"] || !cnt[rk SUBSEP "ns"]) continue
		printf "%-9s softdelete/raw: time %.3fx, allocs %.3fx (%+.0f allocs/op)\n", d,
			median(sk SUBSEP "ns") / median(rk SUBSEP "ns"),
			median(sk SUBSEP "allocs") / median(rk SUBSEP "allocs"),
			median(sk SUBSEP "allocs") - median(rk SUBSEP "allocs")
	}
}' "$out"

benchstat=$(command -v benchstat || true)
if [[ -z $benchstat && -x "$(go env GOPATH)/bin/benchstat" ]]; then
	benchstat="$(go env GOPATH)/bin/benchstat"
fi
if [[ -n $benchstat ]]; then
	echo
	echo "# benchstat $out"
	"$benchstat" "$out" || true
fi
