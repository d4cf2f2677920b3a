package softdelete

// BenchmarkCascade measures the cascade soft delete and restore of one
// customer -> orders -> items subtree (ON DELETE CASCADE keys, indexes on
// orders(customer_id) and items(order_id)) on every dialect, against the
// same work written by hand as set-based UPDATEs in one transaction.
//
//	go test -run '^$' -bench BenchmarkCascade -benchtime=5x -timeout 30m .
//
// Each sub-benchmark BenchmarkCascade/<dialect>/items=<n> seeds its own
// database with one customer, n/100 orders and 100 items per order. An
// iteration runs both implementations, alternating which goes first: a
// delete (timed) then a restore (timed), which puts the data back, then an
// untimed settle step (PostgreSQL VACUUM + CHECKPOINT, SQLite WAL
// checkpoint, MariaDB waiting for InnoDB purge) so that neither side pays
// for the other's garbage. The reported metrics are medians over the
// iterations:
//
//	hw-delete-ms, sd-delete-ms, delete-x    hand-written, softdelete, ratio sd/hw
//	hw-restore-ms, sd-restore-ms, restore-x (ratio: median of the per-round ratios)
//	sd-delete-stmts, sd-restore-stmts       statements softdelete sent (BEGIN/COMMIT not counted)
//	sd-delete-B, sd-restore-B               Go bytes allocated per operation (runtime TotalAlloc)
//
// ns/op is one whole round (four operations); ignore it. Both sides check
// that they changed exactly 1 + orders + items rows. softdelete also writes
// one row to its operations log per operation (in the same transaction);
// that is part of the product and is included in its time.
//
// TestCascadeBenchReference (a normal, small test) checks that the
// hand-written reference hides and restores exactly the rows softdelete
// does, and that softdelete's statement count does not depend on the
// subtree size.

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var cascadeBenchDDL = []string{
	`CREATE TABLE customers (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, note {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`,
	`CREATE TABLE items (id {id}, order_id {big} NOT NULL, sku {text} NOT NULL, qty {big} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE)`,
}

// cascadeBenchIndexes: MySQL/MariaDB index foreign keys by themselves.
var cascadeBenchIndexes = []string{
	`CREATE INDEX orders_customer_id ON orders (customer_id)`,
	`CREATE INDEX items_order_id ON items (order_id)`,
}

func cascadeBenchSchema(t testing.TB, db *DB) {
	t.Helper()
	ddl(t, db, cascadeBenchDDL...)
	if db.Dialect() != "mysql" {
		ddl(t, db, cascadeBenchIndexes...)
	}
	if db.Dialect() == "postgres" {
		// The benchmark vacuums between runs itself; autovacuum starting in
		// the middle of a timed run would only add noise.
		for _, tbl := range []string{"customers", "orders", "items"} {
			exec(t, db, "ALTER TABLE "+tbl+" SET (autovacuum_enabled = false)")
		}
	}
}

// cascadeDigitsSQL is a ten-row derived table (column d = 0..9), portable to all
// three dialects; cross joins of it generate rows set-based.
const cascadeDigitsSQL = `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)`

// seedCascade adds customer id with `orders` orders (at most 1000) of
// perOrder items each (at most 100), with three INSERT statements.
func seedCascade(t testing.TB, db *DB, id int64, orders, perOrder int) {
	t.Helper()
	if orders > 1000 || perOrder > 100 {
		t.Fatalf("seedCascade: at most 1000 orders of 100 items")
	}
	d := db.dialect
	ph := func(n int) string {
		b := newBuilder(d, 4)
		d.Placeholder(&b.Builder, n)
		return b.String()
	}
	exec(t, db, "INSERT INTO customers (id, name) VALUES ("+ph(1)+", "+ph(2)+")", id, fmt.Sprintf("customer %d", id))
	exec(t, db, `INSERT INTO orders (customer_id, note)
SELECT `+ph(1)+`, 'order note' FROM `+cascadeDigitsSQL+` a CROSS JOIN `+cascadeDigitsSQL+` b CROSS JOIN `+cascadeDigitsSQL+` c
WHERE a.d * 100 + b.d * 10 + c.d < `+ph(2)+` ORDER BY a.d, b.d, c.d`, id, orders)
	exec(t, db, `INSERT INTO items (order_id, sku, qty)
SELECT o.id, 'SKU-0000000042', a.d * 10 + b.d + 1 FROM orders o CROSS JOIN `+cascadeDigitsSQL+` a CROSS JOIN `+cascadeDigitsSQL+` b
WHERE o.customer_id = `+ph(1)+` AND a.d * 10 + b.d < `+ph(2)+` ORDER BY o.id, a.d, b.d`, id, perOrder)
	analyze := map[string][]string{
		"sqlite":   {"ANALYZE"},
		"postgres": {"VACUUM ANALYZE customers, orders, items"},
		"mysql":    {"ANALYZE TABLE customers, orders, items"},
	}[db.Dialect()]
	for _, q := range analyze {
		exec(t, db, q)
	}
}

// cascadeHand is the reference: the same cascade written by hand as
// set-based UPDATEs in one transaction. The restore is given the stamp of
// the delete (the application remembered it), so it does no lookup.
type cascadeHand struct {
	del, res []string
	// args returns the arguments of statement i for customer id and stamp.
	args func(i int, id int64, stamp any) []any
}

func newCascadeHand(dialect string) cascadeHand {
	switch dialect {
	case "mysql":
		return cascadeHand{
			del: []string{
				"UPDATE customers SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
				"UPDATE orders SET deleted_at = ? WHERE customer_id = ? AND deleted_at IS NULL",
				"UPDATE items i JOIN orders o ON o.id = i.order_id SET i.deleted_at = ? WHERE i.deleted_at IS NULL AND o.customer_id = ? AND o.deleted_at = ?",
			},
			res: []string{
				"UPDATE items i JOIN orders o ON o.id = i.order_id SET i.deleted_at = NULL WHERE i.deleted_at = ? AND o.customer_id = ? AND o.deleted_at = ?",
				"UPDATE orders SET deleted_at = NULL WHERE deleted_at = ? AND customer_id = ?",
				"UPDATE customers SET deleted_at = NULL WHERE deleted_at = ? AND id = ?",
			},
			args: func(i int, id int64, stamp any) []any {
				if i == 2 {
					return []any{stamp, id, stamp}
				}
				return []any{stamp, id}
			},
		}
	default:
		p1, p2 := "$1", "$2"
		if dialect == "sqlite" {
			p1, p2 = "?1", "?2"
		}
		r := strings.NewReplacer("$1", p1, "$2", p2)
		return cascadeHand{
			del: []string{
				r.Replace("UPDATE customers SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL"),
				r.Replace("UPDATE orders SET deleted_at = $1 WHERE customer_id = $2 AND deleted_at IS NULL"),
				r.Replace("UPDATE items SET deleted_at = $1 WHERE deleted_at IS NULL AND order_id IN (SELECT id FROM orders WHERE customer_id = $2 AND deleted_at = $1)"),
			},
			res: []string{
				r.Replace("UPDATE items SET deleted_at = NULL WHERE deleted_at = $1 AND order_id IN (SELECT id FROM orders WHERE customer_id = $2 AND deleted_at = $1)"),
				r.Replace("UPDATE orders SET deleted_at = NULL WHERE deleted_at = $1 AND customer_id = $2"),
				r.Replace("UPDATE customers SET deleted_at = NULL WHERE deleted_at = $1 AND id = $2"),
			},
			args: func(_ int, id int64, stamp any) []any { return []any{stamp, id} },
		}
	}
}

// run executes the delete (restore=false) or the restore in one
// transaction and returns the rows changed.
func (h cascadeHand) run(ctx context.Context, db *DB, restore bool, id int64, stamp time.Time) (int64, error) {
	stmts := h.del
	if restore {
		stmts = h.res
	}
	st := db.dialect.TimeArg(stamp)
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var total int64
	for i, q := range stmts {
		ai := i
		if restore {
			ai = len(stmts) - 1 - i // args are by delete position
		}
		res, err := tx.ExecContext(ctx, q, h.args(ai, id, st)...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, tx.Commit()
}

// cascadeStmtHook counts the statements softdelete sends and, when asked, keeps
// their text. It allocates nothing while only counting.
type cascadeStmtHook struct {
	n       atomic.Int64
	capture atomic.Bool
	mu      sync.Mutex
	log     []string
}

func (h *cascadeStmtHook) hook(_ context.Context, q string, args []any) error {
	h.n.Add(1)
	if h.capture.Load() {
		h.mu.Lock()
		h.log = append(h.log, fmt.Sprintf("%s -- args %v", q, args))
		h.mu.Unlock()
	}
	return nil
}

func (h *cascadeStmtHook) start(capture bool) {
	h.n.Store(0)
	h.mu.Lock()
	h.log = nil
	h.mu.Unlock()
	h.capture.Store(capture)
}

func (h *cascadeStmtHook) take() (int64, []string) {
	h.capture.Store(false)
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n.Load(), h.log
}

// settleCascade clears what the last run left behind, so that the next
// one (of either implementation) starts from the same state.
func settleCascade(t testing.TB, db *DB) {
	t.Helper()
	ctx := context.Background()
	switch db.Dialect() {
	case "postgres":
		exec(t, db, "VACUUM customers, orders, items")
		exec(t, db, "CHECKPOINT")
	case "sqlite":
		exec(t, db, "PRAGMA wal_checkpoint(TRUNCATE)")
	case "mysql":
		// Wait (bounded) for InnoDB to purge the old row versions.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			var name string
			var n int64
			if err := db.SQL().QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'").Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			if n < 50 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func cascadeTotalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func cascadeMedian[T int64 | uint64 | float64](xs []T) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return (float64(s[n/2-1]) + float64(s[n/2])) / 2
}

// cascadeSample is one measured run of one implementation.
type cascadeSample struct {
	del, res           time.Duration
	delStmts, resStmts int64
	delAlloc, resAlloc uint64
	delLog, resLog     []string
}

// cascadeRunSoftdelete deletes and restores customer id through softdelete.
func cascadeRunSoftdelete(t testing.TB, db *DB, h *cascadeStmtHook, id, want int64, capture bool) cascadeSample {
	t.Helper()
	ctx := context.Background()
	var s cascadeSample
	h.start(capture)
	a0 := cascadeTotalAlloc()
	t0 := time.Now()
	op, err := db.Delete(ctx, "customers", id)
	s.del = time.Since(t0)
	s.delAlloc = cascadeTotalAlloc() - a0
	s.delStmts, s.delLog = h.take()
	if err != nil {
		t.Fatal(err)
	}
	if op.Rows != want {
		t.Fatalf("softdelete delete changed %d rows, want %d (%v)", op.Rows, want, op.Counts)
	}
	h.start(capture)
	a0 = cascadeTotalAlloc()
	t0 = time.Now()
	op, err = db.Restore(ctx, "customers", id)
	s.res = time.Since(t0)
	s.resAlloc = cascadeTotalAlloc() - a0
	s.resStmts, s.resLog = h.take()
	if err != nil {
		t.Fatal(err)
	}
	if op.Rows != want {
		t.Fatalf("softdelete restore changed %d rows, want %d (%v)", op.Rows, want, op.Counts)
	}
	return s
}

// cascadeRunHand deletes and restores customer id with the hand-written SQL.
func cascadeRunHand(t testing.TB, db *DB, h cascadeHand, id, want int64) cascadeSample {
	t.Helper()
	ctx := context.Background()
	var s cascadeSample
	stamp := time.Now().UTC().Truncate(time.Microsecond)
	t0 := time.Now()
	n, err := h.run(ctx, db, false, id, stamp)
	s.del = time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("hand-written delete changed %d rows, want %d", n, want)
	}
	t0 = time.Now()
	n, err = h.run(ctx, db, true, id, stamp)
	s.res = time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("hand-written restore changed %d rows, want %d", n, want)
	}
	return s
}

var cascadeBenchSizes = []struct{ orders, perOrder int }{{10, 100}, {100, 100}, {1000, 100}}

func BenchmarkCascade(b *testing.B) {
	for _, dialect := range allDialects {
		b.Run(dialect, func(b *testing.B) {
			for _, sz := range cascadeBenchSizes {
				b.Run(fmt.Sprintf("items=%d", sz.orders*sz.perOrder), func(b *testing.B) {
					benchCascade(b, dialect, sz.orders, sz.perOrder)
				})
			}
		})
	}
}

func benchCascade(b *testing.B, dialect string, orders, perOrder int) {
	ctx := context.Background()
	h := &cascadeStmtHook{}
	db := openTest(b, dialect, WithStatementHook(h.hook))
	cascadeBenchSchema(b, db)
	const id = 1
	t0 := time.Now()
	seedCascade(b, db, id, orders, perOrder)
	b.Logf("%s: seeded 1 customer, %d orders, %d items in %v", dialect, orders, orders*perOrder, time.Since(t0).Round(time.Millisecond))
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	want := int64(1 + orders + orders*perOrder)
	hand := newCascadeHand(dialect)

	// Warm-up round (untimed): caches, the operations log, and on
	// PostgreSQL the first update of freshly loaded (full) pages.
	first := cascadeRunSoftdelete(b, db, h, id, want, testing.Verbose())
	settleCascade(b, db)
	cascadeRunHand(b, db, hand, id, want)
	settleCascade(b, db)
	if testing.Verbose() {
		b.Logf("softdelete delete (%d statements):\n  %s", first.delStmts, strings.Join(first.delLog, "\n  "))
		b.Logf("softdelete restore (%d statements):\n  %s", first.resStmts, strings.Join(first.resLog, "\n  "))
	}

	var sd, hw []cascadeSample
	i := 0
	for b.Loop() {
		sdFirst := i%2 == 0
		for k := 0; k < 2; k++ {
			if (k == 0) == sdFirst {
				s := cascadeRunSoftdelete(b, db, h, id, want, false)
				if s.delStmts != first.delStmts || s.resStmts != first.resStmts {
					b.Fatalf("statement count changed: %d/%d, first run %d/%d", s.delStmts, s.resStmts, first.delStmts, first.resStmts)
				}
				sd = append(sd, s)
			} else {
				hw = append(hw, cascadeRunHand(b, db, hand, id, want))
			}
			b.StopTimer()
			settleCascade(b, db)
			b.StartTimer()
		}
		i++
	}

	ms := func(xs []cascadeSample, f func(cascadeSample) time.Duration) float64 {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = float64(f(x)) / 1e6
		}
		return cascadeMedian(v)
	}
	hwDel := ms(hw, func(s cascadeSample) time.Duration { return s.del })
	sdDel := ms(sd, func(s cascadeSample) time.Duration { return s.del })
	hwRes := ms(hw, func(s cascadeSample) time.Duration { return s.res })
	sdRes := ms(sd, func(s cascadeSample) time.Duration { return s.res })
	// Ratios pair the two runs of the same round (run back to back), which
	// cancels slow drift in machine load better than a ratio of medians.
	var delX, resX []float64
	for i := range sd {
		delX = append(delX, float64(sd[i].del)/float64(hw[i].del))
		resX = append(resX, float64(sd[i].res)/float64(hw[i].res))
	}
	b.ReportMetric(hwDel, "hw-delete-ms")
	b.ReportMetric(sdDel, "sd-delete-ms")
	b.ReportMetric(cascadeMedian(delX), "delete-x")
	b.ReportMetric(hwRes, "hw-restore-ms")
	b.ReportMetric(sdRes, "sd-restore-ms")
	b.ReportMetric(cascadeMedian(resX), "restore-x")
	b.ReportMetric(float64(first.delStmts), "sd-delete-stmts")
	b.ReportMetric(float64(first.resStmts), "sd-restore-stmts")
	var da, ra []uint64
	for _, s := range sd {
		da = append(da, s.delAlloc)
		ra = append(ra, s.resAlloc)
	}
	b.ReportMetric(cascadeMedian(da), "sd-delete-B")
	b.ReportMetric(cascadeMedian(ra), "sd-restore-B")
	if testing.Verbose() {
		for i := range sd {
			b.Logf("run %d: softdelete %v / %v, hand-written %v / %v", i, sd[i].del, sd[i].res, hw[i].del, hw[i].res)
		}
	}
}

// TestCascadeBenchReference checks, on small data, that the hand-written
// reference of BenchmarkCascade does exactly softdelete's work and that
// softdelete's statement count does not grow with the subtree.
func TestCascadeBenchReference(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		h := &cascadeStmtHook{}
		db.hook = h.hook
		cascadeBenchSchema(t, db)
		seedCascade(t, db, 1, 2, 3)
		seedCascade(t, db, 2, 20, 50)
		seedCascade(t, db, 3, 1, 1)
		hand := newCascadeHand(db.Dialect())
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil { // its DDL is not part of an operation
			t.Fatal(err)
		}
		tables := []string{"customers", "orders", "items"}
		initial := state(t, db, tables...)
		var stmts [][2]int64
		for _, c := range []struct {
			id   int64
			want int64
		}{{1, 1 + 2 + 6}, {2, 1 + 20 + 1000}} {
			// softdelete, step by step, remembering the state after delete.
			h.start(false)
			op, err := db.Delete(ctx, "customers", c.id)
			if err != nil {
				t.Fatal(err)
			}
			nd, _ := h.take()
			if op.Rows != c.want {
				t.Fatalf("customer %d: softdelete hid %d rows, want %d", c.id, op.Rows, c.want)
			}
			afterSD := state(t, db, tables...)
			h.start(false)
			if _, err := db.Restore(ctx, "customers", c.id); err != nil {
				t.Fatal(err)
			}
			nr, _ := h.take()
			stmts = append(stmts, [2]int64{nd, nr})
			if got := state(t, db, tables...); got != initial {
				t.Fatalf("softdelete restore is not exact:\n%s\nwant\n%s", got, initial)
			}
			// The hand-written reference must do the same.
			stamp := time.Now().UTC().Truncate(time.Microsecond)
			n, err := hand.run(ctx, db, false, c.id, stamp)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Fatalf("customer %d: hand-written delete changed %d rows, want %d", c.id, n, c.want)
			}
			if got := state(t, db, tables...); got != afterSD {
				t.Fatalf("hand-written delete differs from softdelete:\n%s\nwant\n%s", got, afterSD)
			}
			n, err = hand.run(ctx, db, true, c.id, stamp)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Fatalf("customer %d: hand-written restore changed %d rows, want %d", c.id, n, c.want)
			}
			if got := state(t, db, tables...); got != initial {
				t.Fatalf("hand-written restore is not exact:\n%s\nwant\n%s", got, initial)
			}
		}
		if stmts[0] != stmts[1] {
			t.Fatalf("statements per delete/restore depend on the subtree size: %v", stmts)
		}
		t.Logf("softdelete statements: delete %d, restore %d", stmts[0][0], stmts[0][1])
	})
}
