package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
)

const purgeSummary = `Removes for good the rows soft-deleted longer ago than --older-than, children before
parents, in key-range batches (one transaction each). Safe to interrupt and run again,
and to run from several machines at once.`

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("purge", purgeSummary, stderr)
	dsn := dbFlags(fs)
	var older durationFlag
	fs.Var(&older, "older-than", "retention, e.g. 30d, 2w, 12h, 90m; 0s purges everything deleted until now (required)")
	var tables listFlag
	fs.Var(&tables, "table", "only this table (repeatable; default: every soft-deletable table)")
	var skip listFlag
	fs.Var(&skip, "skip", "never purge this table (repeatable)")
	batch := fs.Int("batch", 1000, "rows per batch at most")
	dry := fs.Bool("dry-run", false, "count what would be purged; change nothing")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	actor := fs.String("actor", "", "who is purging (recorded in the log)")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "softdelete purge: unexpected argument %q (tables are given with --table)\n", clean(pos[0]))
		return 2
	}
	if !older.set {
		fmt.Fprintln(stderr, "softdelete purge: --older-than is required (e.g. --older-than 30d; 0s purges everything deleted until now)")
		return 2
	}
	if *batch <= 0 {
		fmt.Fprintln(stderr, "softdelete purge: --batch must be at least 1")
		return 2
	}
	db, err := openDSN(*dsn)
	if err != nil {
		return fail(stderr, "purge", err)
	}
	defer db.Close()
	p := softdelete.PurgePolicy{OlderThan: older.d, Tables: tables, BatchSize: *batch, DryRun: *dry, Retention: map[string]softdelete.Retention{}}
	if older.d == 0 {
		p.Before = time.Now() // everything deleted until now
	}
	for _, t := range skip {
		p.Retention[t] = softdelete.Retention{Skip: true}
	}
	if !*asJSON {
		p.Progress = progressPrinter(stderr)
	}
	res, err := db.Purge(softdelete.WithReason(softdelete.WithActor(ctx, *actor), "retention "+older.String()), p)
	if err != nil {
		if res != nil {
			fmt.Fprintf(stderr, "purged %d rows in %d batches before the error; run the same command again to finish\n", sum(res.Counts), res.Batches)
		}
		return fail(stderr, "purge", err)
	}
	if *asJSON {
		printJSON(stdout, purgeResultJSON(res))
		warnSkipped(stderr, res.Skipped)
		return 0
	}
	verb := "purged"
	if res.DryRun {
		verb = "would purge"
	}
	if n := sum(res.Counts); n == 0 {
		fmt.Fprintf(stdout, "nothing to purge: no rows were soft-deleted more than %s ago (%s)\n", older.String(), res.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "%s %d rows (%s) in %d batches, longest batch %s, %s\n", verb, n, clean(countsText(res.Counts)),
			res.Batches, res.LongestBatch.Round(time.Microsecond), res.Elapsed.Round(time.Millisecond))
	}
	if len(res.Blocked) > 0 {
		fmt.Fprintf(stdout, "kept %s: rows that are not due (or alive) still reference them\n", clean(countsText(res.Blocked)))
	}
	warnSkipped(stderr, res.Skipped)
	return 0
}

// warnSkipped says which soft-deletable tables the purge could not reach.
func warnSkipped(w io.Writer, skipped map[string]string) {
	names := make([]string, 0, len(skipped))
	for t := range skipped {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		fmt.Fprintf(w, "softdelete purge: warning: table %s was not purged: %s\n", clean(t), clean(skipped[t]))
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// progressPrinter draws a progress bar with rows/s and ETA on a terminal,
// and plain progress lines (at most one a second) otherwise.
func progressPrinter(w io.Writer) func(softdelete.PurgeProgress) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var last time.Time
	return func(p softdelete.PurgeProgress) {
		frac := 1.0
		if p.Total > 0 {
			frac = float64(p.Done) / float64(p.Total)
		}
		if tty {
			const width = 30
			n := int(frac * width)
			fmt.Fprintf(w, "\r[%s%s] %5.1f%% %d/%d rows  %.0f rows/s  ETA %s  (%s)  ",
				strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, p.Done, p.Total, p.Rate, p.ETA.Round(time.Second), clean(p.Table))
			if p.Done >= p.Total {
				fmt.Fprintln(w)
			}
			return
		}
		if time.Since(last) >= time.Second || p.Done >= p.Total {
			last = time.Now()
			fmt.Fprintf(w, "purge: %d/%d rows (%.1f%%), %.0f rows/s, ETA %s, table %s\n", p.Done, p.Total, frac*100, p.Rate, p.ETA.Round(time.Second), clean(p.Table))
		}
	}
}
