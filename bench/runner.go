package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

// impl is one implementation of a workload.
type impl struct {
	name  string
	setup func(ctx context.Context) error // untimed, before each timed batch
	op    func(ctx context.Context, i int) error
}

// sample is one timed batch of one implementation.
type sample struct {
	ns, allocs, bytes, stmts float64 // per operation
}

// workload is one operation done by several implementations; ratios are
// to base (the hand-written code).
type workload struct {
	name    string
	bases   []string // the hand-written implementations ratios are to
	what    string   // one line: what is measured
	impls   []*impl
	samples map[string][]sample
	rounds  int
}

// implFilter (-impl) keeps only the implementations it matches, and each
// workload's first base (and the bases named after it: "... + target").
var implFilter *regexp.Regexp

// filterImpls drops the implementations re does not match (nil: none),
// keeping the first base; bases no longer run are dropped from the ratios.
func (w *workload) filterImpls(re *regexp.Regexp) {
	if re == nil {
		return
	}
	var keep []*impl
	have := map[string]bool{}
	for _, im := range w.impls {
		if re.MatchString(im.name) || (len(w.bases) > 0 && strings.HasPrefix(im.name, w.bases[0])) {
			keep = append(keep, im)
			have[im.name] = true
		}
	}
	w.impls = keep
	var bases []string
	for _, b := range w.bases {
		if have[b] {
			bases = append(bases, b)
		}
	}
	w.bases = bases
}

// runRounds runs every workload's implementations ops times each, round
// after round; the order of the implementations rotates from one round to
// the next, so that none is always first (cold) or last.
func runRounds(ctx context.Context, e *env, ws []*workload, rounds, ops int) error {
	for _, w := range ws {
		w.samples = map[string][]sample{}
		w.rounds = rounds
		// One untimed pass: plans, prepared statements, caches.
		for _, im := range w.impls {
			if err := runBatch(ctx, e, im, min(ops, 20), nil); err != nil {
				return fmt.Errorf("%s/%s (warm-up): %w", w.name, im.name, err)
			}
		}
	}
	for r := 0; r < rounds; r++ {
		for _, w := range ws {
			n := len(w.impls)
			for k := 0; k < n; k++ {
				im := w.impls[(k+r)%n]
				var s sample
				if err := runBatch(ctx, e, im, ops, &s); err != nil {
					return fmt.Errorf("%s/%s: %w", w.name, im.name, err)
				}
				w.samples[im.name] = append(w.samples[im.name], s)
			}
		}
	}
	return nil
}

func runBatch(ctx context.Context, e *env, im *impl, ops int, out *sample) error {
	if im.setup != nil {
		if err := im.setup(ctx); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	e.stmts.Store(0)
	t0 := time.Now()
	for i := 0; i < ops; i++ {
		if err := im.op(ctx, i); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	el := time.Since(t0)
	stmts := e.stmts.Load()
	runtime.ReadMemStats(&m1)
	if out != nil {
		n := float64(ops)
		*out = sample{ns: float64(el.Nanoseconds()) / n, allocs: float64(m1.Mallocs-m0.Mallocs) / n,
			bytes: float64(m1.TotalAlloc-m0.TotalAlloc) / n, stmts: float64(stmts) / n}
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (w *workload) col(name string, f func(sample) float64) []float64 {
	var out []float64
	for _, s := range w.samples[name] {
		out = append(out, f(s))
	}
	return out
}

// report prints one markdown table: medians over the rounds, and the
// ratios to the bases as the medians of the per-round ratios (each round
// runs every implementation once, close together in time).
func (w *workload) report(out io.Writer) {
	fmt.Fprintf(out, "\n### %s\n%s\n\n| implementation | µs/op (median) |", w.name, w.what)
	for _, b := range w.bases {
		fmt.Fprintf(out, " × %s |", b)
	}
	fmt.Fprintf(out, " allocs/op | B/op | statements/op |\n|---|---:|%s---:|---:|---:|\n", strings.Repeat("---:|", len(w.bases)))
	ns := func(name string) []float64 { return w.col(name, func(s sample) float64 { return s.ns }) }
	for _, im := range w.impls {
		name := im.name
		if strings.HasPrefix(name, "softdelete") {
			name = "**" + name + "**"
		}
		fmt.Fprintf(out, "| %s | %.1f |", name, median(ns(im.name))/1000)
		for _, b := range w.bases {
			fmt.Fprintf(out, " %.2f |", ratio(ns(im.name), ns(b)))
		}
		fmt.Fprintf(out, " %.0f | %.0f | %.2f |\n",
			median(w.col(im.name, func(s sample) float64 { return s.allocs })),
			median(w.col(im.name, func(s sample) float64 { return s.bytes })),
			median(w.col(im.name, func(s sample) float64 { return s.stmts })))
	}
}

// ratio is the median of the per-round ratios a[i]/b[i].
func ratio(a, b []float64) float64 {
	var rs []float64
	for i := range a {
		if i < len(b) && b[i] > 0 {
			rs = append(rs, a[i]/b[i])
		}
	}
	return median(rs)
}
