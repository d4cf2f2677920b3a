package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/softdelete-go/softdelete"
)

// The purge workload: porders 1..2n (the odd ones soft-deleted in 2020:
// due) with one pitems row each (ON DELETE CASCADE, the order's stamp), so
// 2n due rows; a purge of everything deleted before 2024 in batches of
// 1,000, against the hand-written key-range loop (per range of 2,000
// order keys, one transaction: DELETE the due items of those orders, then
// the due orders). Every round starts from a fresh, vacuumed copy; the two
// sides alternate which goes first.

var purgeCut = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const purgeBatch = 1000

type purgeWork struct {
	due                int
	sd, hand           []float64 // seconds
	sdLong, handLong   []float64 // longest batch, ms
	sdBatch, handBatch []float64 // median batch, ms
	sdStmts, handStmts []float64 // statements per batch
	sdAllocs           []float64 // Go allocations per purged row
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

// purgeHand is the hand-written loop.
func purgeHand(ctx context.Context, e *env) (rows int64, batches []time.Duration, err error) {
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
		return 0, nil, err
	}
	if lo == nil {
		return 0, nil, nil
	}
	width := int64(2 * purgeBatch)
	for start := *lo - 1; start < *hi; start += width {
		t0 := time.Now()
		tx, err := e.sql.BeginTx(ctx, nil)
		if err != nil {
			return rows, batches, err
		}
		for _, q := range []string{q1, q2} {
			e.stmts.Add(1)
			res, err := tx.ExecContext(ctx, q, start, start+width, cut)
			if err != nil {
				tx.Rollback()
				return rows, batches, err
			}
			k, _ := res.RowsAffected()
			rows += k
		}
		if err := tx.Commit(); err != nil {
			return rows, batches, err
		}
		batches = append(batches, time.Since(t0))
	}
	return rows, batches, nil
}

func purgeWorkload(ctx context.Context, e *env, spec sizeSpec) (*purgeWork, error) {
	pw := &purgeWork{due: 2 * spec.purgeDue}
	for r := 0; r < spec.purgeRnd; r++ {
		for k := 0; k < 2; k++ {
			if err := purgeSeed(ctx, e, spec.purgeDue); err != nil {
				return nil, err
			}
			if (k+r)%2 == 0 {
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				e.stmts.Store(0)
				var batches []float64
				t0 := time.Now()
				res, err := e.db.Purge(ctx, softdelete.PurgePolicy{Before: purgeCut, Tables: []string{"porders", "pitems"}, BatchSize: purgeBatch,
					Progress: func(p softdelete.PurgeProgress) { batches = append(batches, float64(p.LastBatch)/1e6) }})
				el := time.Since(t0)
				runtime.ReadMemStats(&m1)
				if err != nil {
					return nil, fmt.Errorf("purge: %w", err)
				}
				if n := res.Counts["porders"] + res.Counts["pitems"]; n != int64(pw.due) {
					return nil, fmt.Errorf("softdelete purged %d rows, want %d", n, pw.due)
				}
				pw.sd = append(pw.sd, el.Seconds())
				pw.sdLong = append(pw.sdLong, float64(res.LongestBatch)/1e6)
				pw.sdBatch = append(pw.sdBatch, median(batches))
				pw.sdStmts = append(pw.sdStmts, float64(e.stmts.Load())/float64(max(res.Batches, 1)))
				pw.sdAllocs = append(pw.sdAllocs, float64(m1.Mallocs-m0.Mallocs)/float64(pw.due))
			} else {
				e.stmts.Store(0)
				t0 := time.Now()
				n, batches, err := purgeHand(ctx, e)
				el := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("hand-written purge: %w", err)
				}
				if n != int64(pw.due) {
					return nil, fmt.Errorf("hand-written purge removed %d rows, want %d", n, pw.due)
				}
				var long float64
				var ms []float64
				for _, b := range batches {
					ms = append(ms, float64(b)/1e6)
					long = max(long, float64(b)/1e6)
				}
				pw.hand = append(pw.hand, el.Seconds())
				pw.handLong = append(pw.handLong, long)
				pw.handBatch = append(pw.handBatch, median(ms))
				pw.handStmts = append(pw.handStmts, float64(e.stmts.Load())/float64(max(len(batches), 1)))
			}
		}
	}
	return pw, nil
}

func (pw *purgeWork) report(out io.Writer) {
	if pw == nil {
		return
	}
	fmt.Fprintf(out, "\n### purge\n%d due rows (%d orders, one item each), batches of %d; hand-written: a key-range loop, one transaction per range (DELETE items, DELETE orders)\n\n", pw.due, pw.due/2, purgeBatch)
	fmt.Fprintf(out, "| implementation | total ms (median) | × hand-written | median batch ms | longest batch ms | statements/batch | allocs/row |\n|---|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(out, "| **softdelete** | %.0f | %.2f | %.1f | %.1f | %.1f | %.1f |\n", median(pw.sd)*1000, ratio(pw.sd, pw.hand), median(pw.sdBatch), median(pw.sdLong), median(pw.sdStmts), median(pw.sdAllocs))
	fmt.Fprintf(out, "| hand-written | %.0f | 1.00 | %.1f | %.1f | %.1f | |\n", median(pw.hand)*1000, median(pw.handBatch), median(pw.handLong), median(pw.handStmts))
	if os.Getenv("BENCH_VERBOSE") != "" {
		fmt.Fprintf(out, "\nsoftdelete s: %v\nhand s: %v\n", pw.sd, pw.hand)
	}
}
