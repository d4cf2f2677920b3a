package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
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
	older := fs.String("older-than", "", "retention, e.g. 30d, 12h, 90m (required)")
	var tables listFlag
	fs.Var(&tables, "table", "only this table (repeatable; default: every soft-deletable table)")
	var skip listFlag
	fs.Var(&skip, "skip", "never purge this table (repeatable)")
	batch := fs.Int("batch", 1000, "rows per batch at most")
	dry := fs.Bool("dry-run", false, "count what would be purged; change nothing")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	actor := fs.String("actor", "", "who is purging (recorded in the log)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := parseAge(*older)
	if err != nil {
		fmt.Fprintln(stderr, "softdelete purge:", err)
		return 2
	}
	db, err := openDSN(*dsn)
	if err != nil {
		return fail(stderr, "purge", err)
	}
	defer db.Close()
	p := softdelete.PurgePolicy{OlderThan: d, Tables: tables, BatchSize: *batch, DryRun: *dry, Retention: map[string]softdelete.Retention{}}
	for _, t := range skip {
		p.Retention[t] = softdelete.Retention{Skip: true}
	}
	if !*asJSON {
		p.Progress = progressPrinter(stderr)
	}
	res, err := db.Purge(softdelete.WithReason(softdelete.WithActor(ctx, *actor), "retention "+*older), p)
	if err != nil {
		if res != nil {
			fmt.Fprintf(stderr, "purged %d rows in %d batches before the error; run the same command again to finish\n", sum(res.Counts), res.Batches)
		}
		return fail(stderr, "purge", err)
	}
	if *asJSON {
		printJSON(stdout, res)
		return 0
	}
	verb := "purged"
	if res.DryRun {
		verb = "would purge"
	}
	fmt.Fprintf(stdout, "%s %d rows (%s) in %d batches, longest batch %s, %s\n", verb, sum(res.Counts), countsText(res.Counts),
		res.Batches, res.LongestBatch.Round(time.Microsecond), res.Elapsed.Round(time.Millisecond))
	if len(res.Blocked) > 0 {
		fmt.Fprintf(stdout, "kept %s: rows that are not due (or alive) still reference them\n", countsText(res.Blocked))
	}
	return 0
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// parseAge reads 30d, 12h, 90m, 45s (and Go durations).
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("--older-than is required (e.g. --older-than 30d)")
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--older-than %q: want a positive number of days like 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--older-than %q: want a positive age like 30d, 12h or 90m", s)
	}
	return d, nil
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
				strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, p.Done, p.Total, p.Rate, p.ETA.Round(time.Second), p.Table)
			if p.Done >= p.Total {
				fmt.Fprintln(w)
			}
			return
		}
		if time.Since(last) >= time.Second || p.Done >= p.Total {
			last = time.Now()
			fmt.Fprintf(w, "purge: %d/%d rows (%.1f%%), %.0f rows/s, ETA %s, table %s\n", p.Done, p.Total, frac*100, p.Rate, p.ETA.Round(time.Second), p.Table)
		}
	}
}
