// Command bench runs softdelete's everyday workloads side by side with
// hand-written database/sql, GORM and bun on every reachable database, in
// alternating rounds, and prints medians, ratios, allocations and
// statements per operation.
//
//	cd bench && go run . [-size tiny|default|full] [-rounds N] [-db sqlite,postgres,mysql] [-only REGEXP]
//
// scripts/bench.sh runs it (and the cascade and alive-page benchmarks of the
// root package); docs/benchmarks.md shows results and explains every
// workload. It is its own module so that the library does not depend on
// GORM or bun.
//
// Databases: PostgreSQL from SOFTDELETE_TEST_POSTGRES, MariaDB/MySQL from
// SOFTDELETE_TEST_MYSQL (both default to the local servers the tests
// use), SQLite in a temporary file. Each run creates its own schema or
// database and drops it at the end. A server that cannot be reached is
// skipped (BENCH_REQUIRE_ALL_DBS=1 makes that an error).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

type sizeSpec struct {
	name     string
	groups   int // read workload: groups of rows
	perGroup int // rows per group (a third of them soft-deleted)
	ops      int // operations per implementation per round (reads, single-row writes)
	purgeDue int // purge: due orders (each with one due item: 2x due rows)
	rounds   int
	purgeRnd int // purge rounds (each reseeds)
}

var sizes = map[string]sizeSpec{
	"tiny":    {name: "tiny", groups: 4, perGroup: 30, ops: 40, purgeDue: 1000, rounds: 2, purgeRnd: 1},
	"default": {name: "default", groups: 20, perGroup: 150, ops: 100, purgeDue: 20000, rounds: 21, purgeRnd: 5},
	"full":    {name: "full", groups: 20, perGroup: 150, ops: 200, purgeDue: 100000, rounds: 31, purgeRnd: 7},
}

func main() {
	size := flag.String("size", "default", "tiny (a smoke run), default, or full")
	rounds := flag.Int("rounds", 0, "rounds (default: the size's)")
	dbs := flag.String("db", "sqlite,postgres,mysql", "databases to run on")
	only := flag.String("only", "", "run only workloads whose name matches this regular expression")
	implRE := flag.String("impl", "", "run only the implementations whose name matches this regular expression (and each workload's first base)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	spec, ok := sizes[*size]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown size %q\n", *size)
		os.Exit(2)
	}
	if *rounds > 0 {
		spec.rounds = *rounds
		spec.purgeRnd = *rounds
	}
	var re *regexp.Regexp
	if *only != "" {
		re = regexp.MustCompile(*only)
	}
	if *implRE != "" {
		implFilter = regexp.MustCompile(*implRE)
	}
	ctx := context.Background()
	fmt.Printf("# softdelete bench: size %s, %d rounds (purge %d), %d ops per implementation per round\n", spec.name, spec.rounds, spec.purgeRnd, spec.ops)
	fmt.Printf("# %s, GOMAXPROCS %d, %s/%s, load average %s\n", runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, loadavg())
	failed := false
	for _, d := range strings.Split(*dbs, ",") {
		d = strings.TrimSpace(d)
		env, err := openEnv(ctx, d)
		if err != nil {
			if os.Getenv("BENCH_REQUIRE_ALL_DBS") == "1" {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", d, err)
				os.Exit(1)
			}
			fmt.Printf("\n## %s: skipped (%v)\n", d, err)
			continue
		}
		fmt.Printf("\n## %s (%s)\n", d, env.version)
		if err := runAll(ctx, env, spec, re); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", d, err)
			failed = true
		}
		env.close()
	}
	fmt.Printf("\n# load average at the end: %s\n", loadavg())
	if failed {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// runAll runs every workload on one database.
func runAll(ctx context.Context, e *env, spec sizeSpec, re *regexp.Regexp) error {
	start := time.Now()
	groups := []func(context.Context, *env, sizeSpec) ([]*workload, error){readWorkloads, writeWorkloads}
	var all []*workload
	for _, g := range groups {
		ws, err := g(ctx, e, spec)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if re == nil || re.MatchString(w.name) {
				w.filterImpls(implFilter)
				all = append(all, w)
			}
		}
	}
	if err := runRounds(ctx, e, all, spec.rounds, spec.ops); err != nil {
		return err
	}
	for _, w := range all {
		w.report(os.Stdout)
	}
	if re == nil || re.MatchString("purge") {
		pw, err := purgeWorkload(ctx, e, spec)
		if err != nil {
			return err
		}
		pw.report(os.Stdout)
	}
	fmt.Printf("\n(%s: %.0f s)\n", e.dialect, time.Since(start).Seconds())
	return nil
}
