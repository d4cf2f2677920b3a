package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
)

// The purge workload: porders 1..2n (the odd ones soft-deleted in 2020:
// due) with one pitems row each (ON DELETE CASCADE, the order's stamp), so
// 2n due rows; a purge of everything deleted before 2024 in batches of
// 1,000 rows, against the hand-written key-range loop (per range of order
// keys, one transaction: DELETE the due items of those orders, then the
// due orders), with ranges of 1,000 order keys (1,000 rows per
// transaction, like softdelete's batches) and of 2,000. Every run starts
// from a fresh, vacuumed copy; the three rotate which goes first.

var purgeCut = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const purgeBatch = 1000

type purgeWork struct {
	due      int
	sd       purgeSide
	sdAllocs []float64 // Go allocations per purged row
	// The hand-written loop with the same rows per transaction as
	// softdelete's batches (ranges of purgeBatch order keys: 500 due orders
	// and their 500 items), and with ranges twice as wide (1,000 due
	// orders and their items: twice the rows, half the commits).
	hand, hand2 purgeSide
}

// purgeSide is one implementation's rounds.
type purgeSide struct {
	secs    []float64 // total time, seconds
	long    []float64 // longest batch, ms
	mean    []float64 // mean batch (total time / batches), ms
	stmts   []float64 // statements per batch
	prof    []*stmtProfile
	batches []float64
}

func (ps *purgeSide) add(el time.Duration, batches int, long time.Duration, stmts int64, sp *stmtProfile) {
	ps.secs = append(ps.secs, el.Seconds())
	ps.long = append(ps.long, float64(long)/1e6)
	ps.mean = append(ps.mean, float64(el)/1e6/float64(max(batches, 1)))
	ps.stmts = append(ps.stmts, float64(stmts)/float64(max(batches, 1)))
	ps.batches = append(ps.batches, float64(batches))
	if sp != nil {
		ps.prof = append(ps.prof, sp)
	}
}

var verbose = os.Getenv("BENCH_VERBOSE") != ""

// stmtProfile charges each statement the time until the next one was sent
// (a batch's last statement also carries its COMMIT).
type stmtProfile struct {
	last  string
	at    time.Time
	count map[string]int
	total map[string]time.Duration
}

func newStmtProfile() *stmtProfile {
	return &stmtProfile{count: map[string]int{}, total: map[string]time.Duration{}}
}

func (sp *stmtProfile) note(q string) {
	now := time.Now()
	if sp.last != "" {
		sp.count[sp.last]++
		sp.total[sp.last] += now.Sub(sp.at)
	}
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 160 && os.Getenv("BENCH_VERBOSE") != "2" {
		q = q[:160] + "…"
	}
	sp.last, sp.at = q, now
}

// print writes the statements of the median run, by total time.
func (sp *stmtProfile) print(out io.Writer, name string) {
	keys := make([]string, 0, len(sp.count))
	for k := range sp.count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return sp.total[keys[i]] > sp.total[keys[j]] })
	fmt.Fprintf(out, "\n%s statements (time until the next statement):\n", name)
	for _, k := range keys {
		fmt.Fprintf(out, "  %4d  %7.1f ms  %s\n", sp.count[k], float64(sp.total[k])/1e6, k)
	}
}

func purgeSeed(ctx context.Context, e *env, n int) error {
	e.sql.ExecContext(ctx, "DROP TABLE IF EXISTS pitems")
	e.sql.ExecContext(ctx, "DROP TABLE IF EXISTS porders")
	if err := e.exec(ctx, `CREATE TABLE porders (id {id}, customer_id {big} NOT NULL, note {text} NOT NULL,
 created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE pitems (id {id}, order_id {big} NOT NULL, sku {text} NOT NULL, qty {big} NOT NULL,
 created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL,
 FOREIGN KEY (order_id) REFERENCES porders (id) ON DELETE CASCADE)`); err != nil {
		return err
	}
	if e.dialect != "mysql" { // MariaDB indexes foreign keys itself
		if err := e.exec(ctx, `CREATE INDEX pitems_order_id ON pitems (order_id)`); err != nil {
			return err
		}
	}
	total := 2 * n
	var orders string
	switch e.dialect {
	case "postgres":
		if err := e.exec(ctx, "ALTER TABLE porders SET (autovacuum_enabled = false)", "ALTER TABLE pitems SET (autovacuum_enabled = false)"); err != nil {
			return err
		}
		orders = fmt.Sprintf(`INSERT INTO porders (id, customer_id, note, created_at, updated_at, deleted_at)
SELECT g, g %% 5000, 'order note ' || g, t, t, CASE WHEN g %% 2 = 1 THEN t + interval '1 day' END
FROM generate_series(1, %d) g CROSS JOIN LATERAL (SELECT timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' AS t) x`, total)
	case "sqlite":
		ts := func(day string) string {
			return `strftime('%Y-%m-%d %H:%M:%S', '` + day + `', '+' || g || ' seconds') || '.000000'`
		}
		orders = fmt.Sprintf(`INSERT INTO porders (id, customer_id, note, created_at, updated_at, deleted_at)
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d)
SELECT g, g %% 5000, 'order note ' || g, %s, %s, CASE WHEN g %% 2 = 1 THEN %s END FROM s`,
			total, ts("2020-01-01"), ts("2020-01-01"), ts("2020-01-02"))
	default:
		orders = fmt.Sprintf(`INSERT INTO porders (id, customer_id, note, created_at, updated_at, deleted_at)
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d)
SELECT g, g %% 5000, CONCAT('order note ', g), TIMESTAMPADD(SECOND, g, '2020-01-01 00:00:00'),
 TIMESTAMPADD(SECOND, g, '2020-01-01 00:00:00'), IF(g %% 2 = 1, TIMESTAMPADD(SECOND, g, '2020-01-02 00:00:00'), NULL) FROM s`, total)
		if _, err := e.sql.ExecContext(ctx, "SET SESSION max_recursive_iterations = 100000000"); err != nil {
			e.sql.ExecContext(ctx, "SET SESSION cte_max_recursion_depth = 100000000") // MySQL
		}
	}
	if _, err := e.sql.ExecContext(ctx, orders); err != nil {
		return fmt.Errorf("seeding porders: %w", err)
	}
	if _, err := e.sql.ExecContext(ctx, `INSERT INTO pitems (id, order_id, sku, qty, created_at, updated_at, deleted_at)
SELECT id, id, 'SKU-0000000042', 1, created_at, created_at, deleted_at FROM porders ORDER BY id`); err != nil {
		return fmt.Errorf("seeding pitems: %w", err)
	}
	if err := e.analyze(ctx, "porders", "pitems"); err != nil {
		return err
	}
	switch e.dialect {
	case "postgres":
		e.sql.ExecContext(ctx, "CHECKPOINT")
	case "sqlite":
		e.sql.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return e.db.Refresh(ctx)
}

// purgeHand is the hand-written loop over ranges of width order keys.
func purgeHand(ctx context.Context, e *env, width int64, sp *stmtProfile) (rows int64, batches int, long time.Duration, err error) {
	q1 := e.ph("DELETE FROM pitems WHERE order_id IN (SELECT id FROM porders WHERE id > ? AND id <= ? AND deleted_at < ?)")
	if e.dialect == "mysql" {
		// MariaDB runs a single-table DELETE ... IN (SELECT ...) as a full
		// scan with a dependent subquery (no semi-join before 11.1): the
		// way to write it there is the multi-table DELETE.
		q1 = "DELETE i FROM pitems i JOIN porders o ON o.id = i.order_id WHERE o.id > ? AND o.id <= ? AND o.deleted_at < ?"
	}
	q2 := e.ph("DELETE FROM porders WHERE id > ? AND id <= ? AND deleted_at < ?")
	cut := e.timeArg(purgeCut)
	var lo, hi *int64
	e.stmts.Add(1)
	if err := e.sql.QueryRowContext(ctx, e.ph("SELECT MIN(id), MAX(id) FROM porders WHERE deleted_at < ?"), cut).Scan(&lo, &hi); err != nil {
		return 0, 0, 0, err
	}
	if lo == nil {
		return 0, 0, 0, nil
	}
	for start := *lo - 1; start < *hi; start += width {
		t0 := time.Now()
		if sp != nil {
			sp.note("BEGIN")
		}
		tx, err := e.sql.BeginTx(ctx, nil)
		if err != nil {
			return rows, batches, long, err
		}
		for _, q := range []string{q1, q2} {
			if sp != nil {
				sp.note(q)
			}
			e.stmts.Add(1)
			res, err := tx.ExecContext(ctx, q, start, start+width, cut)
			if err != nil {
				tx.Rollback()
				return rows, batches, long, err
			}
			k, _ := res.RowsAffected()
			rows += k
		}
		if sp != nil {
			sp.note("COMMIT")
		}
		if err := tx.Commit(); err != nil {
			return rows, batches, long, err
		}
		batches++
		long = max(long, time.Since(t0))
	}
	if sp != nil {
		sp.note("")
	}
	return rows, batches, long, nil
}

func purgeWorkload(ctx context.Context, e *env, spec sizeSpec) (*purgeWork, error) {
	pw := &purgeWork{due: 2 * spec.purgeDue}
	for r := 0; r < spec.purgeRnd; r++ {
		for k := 0; k < 3; k++ {
			if err := purgeSeed(ctx, e, spec.purgeDue); err != nil {
				return nil, err
			}
			var sp *stmtProfile
			if verbose {
				sp = newStmtProfile()
			}
			e.stmts.Store(0)
			switch (k + r) % 3 {
			case 0:
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				if sp != nil {
					f := sp.note
					e.prof.Store(&f)
				}
				// No Progress callback: it makes Purge count the due rows
				// of every table first (PurgeProgress.Total), work the
				// hand-written loop does not do.
				t0 := time.Now()
				res, err := e.db.Purge(ctx, softdelete.PurgePolicy{Before: purgeCut, Tables: []string{"porders", "pitems"}, BatchSize: purgeBatch})
				el := time.Since(t0)
				if sp != nil {
					e.prof.Store(nil)
					sp.note("")
				}
				runtime.ReadMemStats(&m1)
				if err != nil {
					return nil, fmt.Errorf("purge: %w", err)
				}
				if n := res.Counts["porders"] + res.Counts["pitems"]; n != int64(pw.due) {
					return nil, fmt.Errorf("softdelete purged %d rows, want %d", n, pw.due)
				}
				pw.sd.add(el, res.Batches, res.LongestBatch, e.stmts.Load(), sp)
				pw.sdAllocs = append(pw.sdAllocs, float64(m1.Mallocs-m0.Mallocs)/float64(pw.due))
			default:
				side, width := &pw.hand, int64(purgeBatch)
				if (k+r)%3 == 2 {
					side, width = &pw.hand2, 2*purgeBatch
				}
				t0 := time.Now()
				n, batches, long, err := purgeHand(ctx, e, width, sp)
				el := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("hand-written purge: %w", err)
				}
				if n != int64(pw.due) {
					return nil, fmt.Errorf("hand-written purge removed %d rows, want %d", n, pw.due)
				}
				side.add(el, batches, long, e.stmts.Load(), sp)
			}
		}
	}
	return pw, nil
}

func (pw *purgeWork) report(out io.Writer) {
	if pw == nil {
		return
	}
	fmt.Fprintf(out, "\n### purge\n%d due rows (%d orders, one item each), batches of %d rows; hand-written: a key-range loop, one transaction per range of order keys (DELETE the due items of those orders, DELETE the due orders): ranges of %d keys hold %d rows like softdelete's batches, ranges of %d keys twice that\n\n",
		pw.due, pw.due/2, purgeBatch, purgeBatch, purgeBatch, 2*purgeBatch)
	fmt.Fprintf(out, "| implementation | total ms (median) | × hand-written | batches | mean batch ms | longest batch ms | statements/batch | allocs/row |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(out, "| **softdelete** | %.0f | %.2f | %.0f | %.1f | %.1f | %.1f | %.1f |\n", median(pw.sd.secs)*1000, ratio(pw.sd.secs, pw.hand.secs), median(pw.sd.batches), median(pw.sd.mean), median(pw.sd.long), median(pw.sd.stmts), median(pw.sdAllocs))
	fmt.Fprintf(out, "| hand-written, %d rows per transaction | %.0f | 1.00 | %.0f | %.1f | %.1f | %.1f | |\n", purgeBatch, median(pw.hand.secs)*1000, median(pw.hand.batches), median(pw.hand.mean), median(pw.hand.long), median(pw.hand.stmts))
	fmt.Fprintf(out, "| hand-written, %d rows per transaction | %.0f | %.2f | %.0f | %.1f | %.1f | %.1f | |\n", 2*purgeBatch, median(pw.hand2.secs)*1000, ratio(pw.hand2.secs, pw.hand.secs), median(pw.hand2.batches), median(pw.hand2.mean), median(pw.hand2.long), median(pw.hand2.stmts))
	fmt.Fprintf(out, "\nsoftdelete against the wider ranges: %.2f×\n", ratio(pw.sd.secs, pw.hand2.secs))
	if verbose {
		fmt.Fprintf(out, "\nsoftdelete s: %v\nhand s: %v\nhand (wide) s: %v\n", pw.sd.secs, pw.hand.secs, pw.hand2.secs)
		for _, x := range []struct {
			name string
			ps   *purgeSide
		}{{"softdelete", &pw.sd}, {"hand-written", &pw.hand}, {"hand-written, wide ranges", &pw.hand2}} {
			if p := medianProf(x.ps.prof, x.ps.secs); p != nil {
				p.print(out, x.name+" (median run)")
			}
		}
	}
}

// medianProf returns the profile of the run with the median time.
func medianProf(ps []*stmtProfile, secs []float64) *stmtProfile {
	if len(ps) == 0 || len(ps) != len(secs) {
		return nil
	}
	idx := make([]int, len(secs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return secs[idx[a]] < secs[idx[b]] })
	return ps[idx[len(idx)/2]]
}
