#!/usr/bin/env bash
# bench.sh runs softdelete's benchmark suite on every reachable database
# (SQLite always; PostgreSQL and MariaDB from SOFTDELETE_TEST_POSTGRES /
# SOFTDELETE_TEST_MYSQL, defaulting to the local servers):
#
#   1. bench/ (its own module: GORM and bun are not dependencies of the
#      library): typed reads (get, count, first, list, keyset page), single-row
#      soft delete and restore, purge, each against hand-written
#      database/sql, GORM and bun, in alternating rounds, printing medians,
#      ratios, allocations and statements per operation;
#   2. with ROOT=1 (the default for -size full): the root package's cascade
#      benchmark (1k / 10k / 100k rows, docs/bench-cascade.md) and the alive
#      page on 1M rows after adopt (docs/bench-alive.md).
#
#   scripts/bench.sh                    # default size, ~5 min per database on 2 cores
#   scripts/bench.sh -size tiny         # a smoke run (seconds; .ci/run runs it)
#   scripts/bench.sh -size full         # what docs/benchmarks.md reports, plus the root benchmarks
#   scripts/bench.sh -only 'delete|restore' -rounds 11
#   scripts/bench.sh -only restore -impl 'softdelete|target'   # some implementations only
#   scripts/bench.sh -db postgres
#
# Output is markdown (paste into docs/benchmarks.md). No cgo: GORM runs on
# SQLite through gorm.io/driver/sqlite with softdelete's modernc.org/sqlite
# pool (its Conn option), so its cgo driver is never built for real.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=0

root=${ROOT:-}
for a in "$@"; do
	if [[ "$a" == "full" ]]; then root=${ROOT:-1}; fi
done

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with changes)')"
(cd bench && go run . "$@")

if [[ "$root" == "1" ]]; then
	echo
	echo "# root package: cascade (docs/bench-cascade.md) and alive page after adopt (docs/bench-alive.md)"
	go test -run '^$' -bench 'BenchmarkCascade$' -benchtime=5x -timeout 60m .
	go test -run '^$' -bench 'BenchmarkAliveIndex$' -benchtime=1x -timeout 60m .
fi
