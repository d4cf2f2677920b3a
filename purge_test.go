package softdelete

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigShop adds customers 3..7, each with 6 orders of 5 items.
func bigShop(t *testing.T, db *DB) {
	shop(t, db)
	var cs, os, is []string
	for c := 3; c <= 7; c++ {
		cs = append(cs, fmt.Sprintf("(%d, 'c%d')", c, c))
		for o := 0; o < 6; o++ {
			oid := c*100 + o
			os = append(os, fmt.Sprintf("(%d, %d)", oid, c))
			for i := 0; i < 5; i++ {
				is = append(is, fmt.Sprintf("(%d, %d, 'x')", oid*10+i, oid))
			}
		}
	}
	exec(t, db, "INSERT INTO customers (id, name) VALUES "+strings.Join(cs, ", "))
	exec(t, db, "INSERT INTO orders (id, customer_id) VALUES "+strings.Join(os, ", "))
	exec(t, db, "INSERT INTO items (id, order_id, sku) VALUES "+strings.Join(is, ", "))
}

func count(t testing.TB, db *DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// orphans counts rows whose parent row is missing.
func orphans(t testing.TB, db *DB) int64 {
	return count(t, db, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)") +
		count(t, db, "SELECT COUNT(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)") +
		count(t, db, "SELECT COUNT(*) FROM item_notes n WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = n.item_id)")
}

// purgeScenario deletes customers 1, 3, 4 and 5, restores 5, and returns
// the state a complete purge must reach and the live rows it must keep.
func purgeScenario(t *testing.T, db *DB) (live string) {
	ctx := context.Background()
	bigShop(t, db)
	for _, c := range []int{1, 3, 4, 5} {
		if _, err := db.Delete(ctx, "customers", c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Restore(ctx, "customers", 5); err != nil {
		t.Fatal(err)
	}
	return aliveRows(t, db)
}

func aliveRows(t testing.TB, db *DB) string {
	var b strings.Builder
	for _, tbl := range []string{"customers", "orders", "items", "item_notes"} {
		fmt.Fprintf(&b, "%s:%d ", tbl, count(t, db, "SELECT COUNT(*) FROM "+tbl+" WHERE deleted_at IS NULL"))
	}
	return b.String()
}

func TestPurgeRemovesDueRowsOnly(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		live := purgeScenario(t, db)
		cutoff := time.Now().Add(time.Second)
		// Deleted after the cut-off: not due.
		if _, err := db.Delete(ctx, "customers", 6); err != nil {
			t.Fatal(err)
		}
		exec(t, db, "UPDATE customers SET deleted_at = '2999-01-01 00:00:00' WHERE id = 6")
		exec(t, db, "UPDATE orders SET deleted_at = '2999-01-01 00:00:00' WHERE customer_id = 6")
		exec(t, db, "UPDATE items SET deleted_at = '2999-01-01 00:00:00' WHERE order_id IN (SELECT id FROM orders WHERE customer_id = 6)")
		liveNow := aliveRows(t, db)
		dry, err := db.Purge(ctx, PurgePolicy{Before: cutoff, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		var progress []PurgeProgress
		res, err := db.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 7, Progress: func(p PurgeProgress) { progress = append(progress, p) }})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"customers": 3, "orders": 2 + 12, "items": 3 + 60, "item_notes": 1}
		for tbl, n := range want {
			if res.Counts[tbl] != n || dry.Counts[tbl] != n {
				t.Errorf("%s: purged %d, dry run said %d, want %d", tbl, res.Counts[tbl], dry.Counts[tbl], n)
			}
		}
		if got := aliveRows(t, db); got != liveNow {
			t.Fatalf("purge touched live rows: %s vs %s (before deleting 6: %s)", got, liveNow, live)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM customers WHERE id = 6"); n != 1 {
			t.Fatal("a row deleted after the cut-off was purged")
		}
		if o := orphans(t, db); o != 0 {
			t.Fatalf("%d orphans", o)
		}
		if len(progress) != res.Batches || progress[len(progress)-1].Done != 81 || res.Batches < 81/7 {
			t.Fatalf("progress %d calls, batches %d, last %+v", len(progress), res.Batches, progress[len(progress)-1])
		}
		ops, _ := db.Operations(ctx, OpFilter{Kind: OpPurge, Limit: 1000})
		var logged int64
		for _, op := range ops {
			logged += op.Rows
		}
		if len(ops) != res.Batches || logged != 81 {
			t.Fatalf("log: %d purge operations with %d rows; want %d batches, 81 rows", len(ops), logged, res.Batches)
		}
		again, err := db.Purge(ctx, PurgePolicy{Before: cutoff})
		if err != nil || again.Batches != 0 {
			t.Fatalf("second purge: %+v %v", again, err)
		}
	})
}

func TestPurgeKeepsReferencedParents(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		// Items keep a longer retention: their orders and customer must stay.
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second),
			Retention: map[string]Retention{"items": {OlderThan: 24 * time.Hour}, "item_notes": {Skip: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts["orders"] != 0 || res.Counts["customers"] != 0 || res.Blocked["orders"] != 2 || res.Blocked["customers"] != 1 {
			t.Fatalf("result %+v", res)
		}
		if o := orphans(t, db); o != 0 {
			t.Fatalf("%d orphans", o)
		}
	})
}

// batchKiller fails the failAt-th statement counted from the first batch
// of a purge (so every kill lands inside the batches, not the set-up).
type batchKiller struct {
	mu     sync.Mutex
	armed  bool
	seen   int
	failAt int
}

func (k *batchKiller) hook(ctx context.Context, q string, args []any) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if strings.Contains(q, "SELECT MAX(k)") || strings.Contains(q, "SELECT MIN(") {
		k.armed = true
	}
	if !k.armed || k.failAt == 0 {
		return nil
	}
	k.seen++
	if k.seen == k.failAt {
		return fmt.Errorf("injected fault at batch statement %d", k.seen)
	}
	return nil
}

func (k *batchKiller) arm(failAt int) {
	k.mu.Lock()
	k.armed, k.seen, k.failAt = false, 0, failAt
	k.mu.Unlock()
}

func TestPurgeKilledAndRerunConverges(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			killer := &batchKiller{}
			db := openTest(t, d, WithStatementHook(killer.hook))
			ctx := context.Background()
			live := purgeScenario(t, db)
			cutoff := time.Now().Add(time.Second)
			kills := 0
			rng := rand.New(rand.NewPCG(uint64(len(d)), 42))
			for attempt := 0; attempt < 500; attempt++ {
				k := 1 + rng.IntN(14) // a random statement of the batches
				killer.arm(k)
				_, err := db.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 1})
				killer.arm(0)
				if err == nil {
					break // the purge finished before statement k
				}
				kills++
				if got := aliveRows(t, db); got != live {
					t.Fatalf("kill at %d touched live rows: %s", k, got)
				}
				if o := orphans(t, db); o != 0 {
					t.Fatalf("kill at %d left %d orphans", k, o)
				}
			}
			if kills < 20 {
				t.Fatalf("only %d kill points", kills)
			}
			t.Logf("%s: converged after %d killed purges", d, kills)
			if _, err := db.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 5}); err != nil {
				t.Fatal(err)
			}
			if got := aliveRows(t, db); got != live {
				t.Fatalf("live rows changed: %s", got)
			}
			deleted := count(t, db, "SELECT COUNT(*) FROM customers WHERE deleted_at IS NOT NULL") +
				count(t, db, "SELECT COUNT(*) FROM orders WHERE deleted_at IS NOT NULL") +
				count(t, db, "SELECT COUNT(*) FROM items WHERE deleted_at IS NOT NULL")
			if deleted != 0 || orphans(t, db) != 0 {
				t.Fatalf("did not converge: %d deleted rows left, %d orphans", deleted, orphans(t, db))
			}
			ops, _ := db.Operations(ctx, OpFilter{Kind: OpPurge, Limit: 1000})
			var logged int64
			for _, op := range ops {
				logged += op.Rows
			}
			if logged != 3+14+63+1 { // customers 1,3,4; their orders, items, note
				t.Fatalf("purge log counts %d rows", logged)
			}
		})
	}
}

func TestTwoPurgersPurgeEachRowOnce(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := testURL(t, d)
			db := must[*DB](t)(Open(u))
			defer db.Close()
			ctx := context.Background()
			live := purgeScenario(t, db)
			cutoff := time.Now().Add(time.Second)
			var wg sync.WaitGroup
			results := make([]*PurgeResult, 2)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					other := must[*DB](t)(Open(u))
					defer other.Close()
					r, err := other.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 3})
					if err != nil {
						t.Error(err)
						return
					}
					results[i] = r
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			var total int64
			for _, r := range results {
				for _, n := range r.Counts {
					total += n
				}
			}
			if total != 81 {
				t.Fatalf("two purgers removed %d rows together, want 81 (%v / %v)", total, results[0].Counts, results[1].Counts)
			}
			if got := aliveRows(t, db); got != live || orphans(t, db) != 0 {
				t.Fatalf("live rows %s, orphans %d", got, orphans(t, db))
			}
		})
	}
}

func TestPurgeVetoedByHook(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		db.AddHooks(Hooks{Before: func(ctx context.Context, ev *Event) error {
			if ev.Op.Kind == OpPurge {
				return errors.New("legal hold")
			}
			return nil
		}})
		before := state(t, db, shopTables...)
		if _, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second)}); !errors.Is(err, ErrVetoed) {
			t.Fatalf("vetoed purge: %v", err)
		}
		if got := state(t, db, shopTables...); got != before {
			t.Fatal("vetoed purge changed data")
		}
		if _, err := db.Purge(ctx, PurgePolicy{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("purge without a cut-off: %v", err)
		}
	})
}

// Tables with a non-integer key take the next BatchSize due keys per batch.
func TestPurgeTextKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE tags (slug {text} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`)
		var vals []string
		for i := 0; i < 25; i++ {
			vals = append(vals, fmt.Sprintf("('t%02d')", i))
		}
		exec(t, db, "INSERT INTO tags (slug) VALUES "+strings.Join(vals, ", "))
		for i := 0; i < 25; i += 2 {
			if _, err := db.Delete(ctx, "tags", fmt.Sprintf("t%02d", i)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second), BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts["tags"] != 13 || res.Batches != 4 || count(t, db, "SELECT COUNT(*) FROM tags") != 12 {
			t.Fatalf("purge: %+v", res)
		}
	})
}

// Keys at the ends of the integer range, and a lease row deleted by hand.
func TestPurgeKeyExtremesAndMissingLease(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE big (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO big (id) VALUES (-9223372036854775808), (-5), (0), (7), (9223372036854775806), (9223372036854775807)")
		for _, id := range []int64{math.MinInt64, -5, 7, math.MaxInt64 - 1, math.MaxInt64} {
			if _, err := db.Delete(ctx, "big", id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Second), BatchSize: 2}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM big"); n != 1 {
			t.Fatalf("%d rows left, want 1 (id 0)", n)
		}
		if db.Dialect() != "sqlite" {
			exec(t, db, "DELETE FROM softdelete_purge_lease")
		}
		exec(t, db, "INSERT INTO big (id) VALUES (1)")
		if _, err := db.Delete(ctx, "big", 1); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := db.Purge(cctx, PurgePolicy{Before: time.Now().Add(time.Second)}); err != nil {
			t.Fatalf("purge after the lease row was deleted: %v", err)
		}
	})
}
