package softdelete

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Lock order (issue 8, the full-size stress run): operations that lock
// rows take them in one order, the order of a cascade delete (parent
// before child; within one statement, primary-key order), and never take
// a share lock they later upgrade. These tests provoke the deadlocks the
// old orders made, deterministically: a barrier in the statement hook
// holds each of two operations just before its first exclusive row lock
// until the other one gets there too (or a few seconds pass), and retries
// are off, so a deadlock comes back as ErrBusy. On SQLite (no row locks,
// writers serialized) the same calls run and their outcome is checked.

// lockBarrier stops each of n operations (told apart by the context
// value barrierKey) twice: before its first statement that asks for an
// exclusive row lock, and before its next locking read after that (so
// that each has its first exclusive lock before either goes on), until
// all n are there or timeout passes.
type lockBarrier struct {
	n       int
	timeout time.Duration
	mu      sync.Mutex
	phase   map[string]int
	arrived [2]int
	all     [2]chan struct{}
}

type barrierKey struct{}

func newLockBarrier(n int) *lockBarrier {
	return &lockBarrier{n: n, timeout: 3 * time.Second, phase: map[string]int{}, all: [2]chan struct{}{make(chan struct{}), make(chan struct{})}}
}

func (lb *lockBarrier) hook(ctx context.Context, q string, args []any) error {
	g, _ := ctx.Value(barrierKey{}).(string)
	if g == "" {
		return nil
	}
	lb.mu.Lock()
	ph := lb.phase[g]
	if ph >= 2 || (ph == 0 && !strings.Contains(q, " FOR UPDATE")) ||
		(ph == 1 && !strings.Contains(q, " FOR UPDATE") && !strings.Contains(q, " FOR SHARE") && !strings.Contains(q, " LOCK IN SHARE MODE")) {
		lb.mu.Unlock()
		return nil
	}
	lb.phase[g] = ph + 1
	lb.arrived[ph]++
	if lb.arrived[ph] == lb.n {
		close(lb.all[ph])
	}
	timeout := lb.timeout
	lb.mu.Unlock()
	select {
	case <-lb.all[ph]:
	case <-time.After(timeout):
	}
	return nil
}

// stmtTrace records the statements (and their arguments) sent with a
// context carrying traceKey.
type stmtTrace struct {
	mu   sync.Mutex
	log  []string
	args [][]any
}

type traceKey struct{}

func (tr *stmtTrace) hook(ctx context.Context, q string, args []any) error {
	if ctx.Value(traceKey{}) == nil {
		return nil
	}
	tr.mu.Lock()
	tr.log = append(tr.log, q)
	tr.args = append(tr.args, append([]any(nil), args...))
	tr.mu.Unlock()
	return nil
}

func hooks(hs ...StatementHook) StatementHook {
	return func(ctx context.Context, q string, args []any) error {
		for _, h := range hs {
			if err := h(ctx, q, args); err != nil {
				return err
			}
		}
		return nil
	}
}

const lockTreeDDL = `CREATE TABLE nodes (id {id}, parent_id {big} NULL, deleted_at {ts} NULL,
  FOREIGN KEY (parent_id) REFERENCES nodes (id) ON DELETE CASCADE)`

// lockTreeDB opens a database with the table nodes and the given rows
// (id -> parent, 0 for none, inserted in id order), with retries off and
// the barrier and the trace in the statement hook.
func lockTreeDB(t *testing.T, dialect string, lb *lockBarrier, tr *stmtTrace, parents map[int]int) *DB {
	t.Helper()
	db := openTest(t, dialect, WithRetry(1), WithStatementHook(hooks(lb.hook, tr.hook)))
	ddl(t, db, lockTreeDDL)
	for id := 1; id <= len(parents); id++ {
		if p := parents[id]; p == 0 {
			exec(t, db, fmt.Sprintf("INSERT INTO nodes (id) VALUES (%d)", id))
		} else {
			exec(t, db, fmt.Sprintf("INSERT INTO nodes (id, parent_id) VALUES (%d, %d)", id, p))
		}
	}
	return db
}

func aliveNodes(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.SQL().Query("SELECT id FROM nodes WHERE deleted_at IS NULL ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(id))
	}
	return strings.Join(ids, " ")
}

// both runs f("a") and f("b") at once, each with its barrier name in the
// context, and returns their errors.
func both(f func(ctx context.Context, g string) error) (ea, eb error) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ea = f(context.WithValue(context.Background(), barrierKey{}, "a"), "a")
	}()
	go func() {
		defer wg.Done()
		eb = f(context.WithValue(context.Background(), barrierKey{}, "b"), "b")
	}()
	wg.Wait()
	return
}

// rowLockReads lists the keys of the rows of table that restores read
// (and lock, where the dialect has row locks) by key, in order.
func (tr *stmtTrace) rowLockReads(table string) []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	re := regexp.MustCompile(`^SELECT .* FROM ["` + "`" + `]?` + table + `["` + "`" + `]? r0 WHERE r0\.`)
	var out []string
	for i, q := range tr.log {
		if re.MatchString(q) && len(tr.args[i]) > 0 {
			out = append(out, fmt.Sprint(tr.args[i][len(tr.args[i])-1]))
		}
	}
	return out
}

// RestoreWithParents restores the hidden parents first, top-down, each a
// locked step: it used to lock the row, then walk up to its parents
// (bottom-up, the opposite of a cascade delete), after share-locking the
// hidden parent it then restored (a lock upgrade). Two RestoreWithParents
// of siblings under one hidden parent both held the share lock and both
// asked to upgrade it: a deadlock (ErrBusy with retries off) on
// PostgreSQL and MariaDB.
func TestRestoreWithParentsLocksTopDown(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			lb, tr := newLockBarrier(2), &stmtTrace{}
			// 1 -> 2 -> {3, 4}; 3 and 4 hidden by operations of their own,
			// then 2 by a third.
			db := lockTreeDB(t, d, lb, tr, map[int]int{1: 0, 2: 1, 3: 2, 4: 2})
			for _, id := range []int{3, 4, 2} {
				if _, err := db.Delete(ctx, "nodes", id); err != nil {
					t.Fatal(err)
				}
			}
			if d == "sqlite" {
				lb.timeout = 0 // writers are serialized: nothing to provoke
			}
			ea, eb := both(func(ctx context.Context, g string) error {
				_, err := db.RestoreWithParents(ctx, "nodes", map[string]int{"a": 3, "b": 4}[g])
				return err
			})
			if ea != nil || eb != nil {
				t.Fatalf("RestoreWithParents of two siblings under one hidden parent: %v / %v (a deadlock is ErrBusy: %v)", ea, eb, errors.Is(ea, ErrBusy) || errors.Is(eb, ErrBusy))
			}
			if got := aliveNodes(t, db); got != "1 2 3 4" {
				t.Fatalf("alive after both: %s, want 1 2 3 4", got)
			}

			// The order, on every dialect: 5 -> 6 -> 7 -> 8, each hidden by
			// its own operation (bottom-up, so that none hides another);
			// RestoreWithParents(8) reads (and locks) 6, 7, 8 in that order.
			for id, p := range []int{5: 1, 6: 5, 7: 6, 8: 7} {
				if id >= 5 {
					exec(t, db, fmt.Sprintf("INSERT INTO nodes (id, parent_id) VALUES (%d, %d)", id, p))
				}
			}
			for _, id := range []int{8, 7, 6} {
				if _, err := db.Delete(ctx, "nodes", id); err != nil {
					t.Fatal(err)
				}
			}
			tctx := context.WithValue(ctx, traceKey{}, true)
			if _, err := db.RestoreWithParents(tctx, "nodes", 8); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(tr.rowLockReads("nodes"), " "), "6 7 8"; got != want {
				t.Fatalf("rows locked by RestoreWithParents(8): %s, want %s (top-down)", got, want)
			}
			if got := aliveNodes(t, db); got != "1 2 3 4 5 6 7 8" {
				t.Fatalf("alive: %s", got)
			}
		})
	}
}

// An undo of a tree locks the parents it checks in the tree for update at
// once: it used to share-lock them (the root of the subtree and every
// inner row among them) and then lock the subtree's rows for update, so
// two undos of the same operation both held the share locks and both
// asked to upgrade them (ErrBusy with retries off). Now one undoes and the
// other finds nothing left to undo.
func TestConcurrentUndosOfATreeDoNotDeadlock(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			lb, tr := newLockBarrier(2), &stmtTrace{}
			db := lockTreeDB(t, d, lb, tr, map[int]int{1: 0, 2: 1, 3: 2, 4: 3, 5: 3})
			op, err := db.Delete(ctx, "nodes", 2)
			if err != nil {
				t.Fatal(err)
			}
			if d == "sqlite" {
				lb.timeout = 0
			}
			ea, eb := both(func(ctx context.Context, g string) error {
				_, err := db.Undo(context.WithValue(ctx, traceKey{}, true), op.ID)
				return err
			})
			if errors.Is(ea, ErrBusy) || errors.Is(eb, ErrBusy) {
				t.Fatalf("two undos of one tree operation deadlocked: %v / %v", ea, eb)
			}
			if (ea == nil) == (eb == nil) || !(errors.Is(ea, ErrNotDeleted) || errors.Is(eb, ErrNotDeleted)) {
				t.Fatalf("two undos of one operation: %v / %v, want one nil and one ErrNotDeleted", ea, eb)
			}
			if got := aliveNodes(t, db); got != "1 2 3 4 5" {
				t.Fatalf("alive: %s", got)
			}
			tr.mu.Lock()
			defer tr.mu.Unlock()
			for _, q := range tr.log {
				if (strings.Contains(q, " FOR SHARE") || strings.Contains(q, " LOCK IN SHARE MODE")) && strings.Contains(q, "nodes") {
					t.Errorf("an undo of a tree share-locks rows of the tree: %s", q)
				}
			}
		})
	}
}

// Every read that may lock several rows takes them in primary-key order
// (ORDER BY the key before the lock clause), so that two operations
// locking overlapping sets (a few hot parents such as coupons, the rows
// of a level) queue instead of deadlocking. Checked in the statements of
// bulk restores, undos and RestoreWithParents over a schema with several
// parents; only reads of one row by its key may go without.
func TestMultiRowLocksTakeKeyOrder(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tr := &stmtTrace{}
			db := openTest(t, d, WithStatementHook(tr.hook))
			ddl(t, db,
				`CREATE TABLE customers (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE coupons (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE products (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, coupon_id {big} NULL, deleted_at {ts} NULL,
				  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
				  FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL)`,
				`CREATE TABLE items (id {id}, order_id {big} NOT NULL, product_id {big} NOT NULL, deleted_at {ts} NULL,
				  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
				  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE)`,
				lockTreeDDL)
			for i := 1; i <= 4; i++ {
				exec(t, db, fmt.Sprintf("INSERT INTO customers (id) VALUES (%d)", i))
				exec(t, db, fmt.Sprintf("INSERT INTO coupons (id) VALUES (%d)", i))
				exec(t, db, fmt.Sprintf("INSERT INTO products (id) VALUES (%d)", i))
			}
			for o := 1; o <= 8; o++ {
				exec(t, db, fmt.Sprintf("INSERT INTO orders (id, customer_id, coupon_id) VALUES (%d, %d, %d)", o, 1+o%2, 1+(9-o)%4))
				for k := 0; k < 3; k++ {
					exec(t, db, fmt.Sprintf("INSERT INTO items (id, order_id, product_id) VALUES (%d, %d, %d)", 10*o+k, o, 1+(o+k)%4))
				}
			}
			for id, p := range map[int]int{1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3} {
				if p == 0 {
					exec(t, db, fmt.Sprintf("INSERT INTO nodes (id) VALUES (%d)", id))
				}
			}
			for _, id := range []int{2, 3, 4, 5, 6, 7} {
				exec(t, db, fmt.Sprintf("INSERT INTO nodes (id, parent_id) VALUES (%d, %d)", id, map[int]int{2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3}[id]))
			}
			tctx := context.WithValue(ctx, traceKey{}, true)
			mustOp := func(op *Operation, err error) *Operation {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				return op
			}
			// Bulk delete and restore of orders with several coupons and
			// products; a customer's cascade and its undo; a tree.
			for _, o := range []int{8, 5, 2} {
				mustOp(db.Delete(ctx, "orders", o))
			}
			m, err := NewManager[struct {
				ID         int64      `db:"id"`
				CustomerID int64      `db:"customer_id"`
				CouponID   *int64     `db:"coupon_id"`
				DeletedAt  *time.Time `db:"deleted_at"`
			}](db, "orders")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.OnlyDeleted().Where("id IN (?)", []int{8, 5, 2}).Restore(tctx); err != nil {
				t.Fatal(err)
			}
			op := mustOp(db.Delete(ctx, "customers", 2))
			mustOp(db.Undo(tctx, op.ID))
			mustOp(db.Delete(ctx, "products", 3))
			mustOp(db.Delete(ctx, "orders", 3))
			mustOp(db.RestoreWithParents(tctx, "items", 32))
			op = mustOp(db.Delete(ctx, "nodes", 1))
			mustOp(db.Undo(tctx, op.ID))

			tr.mu.Lock()
			defer tr.mu.Unlock()
			locking := 0
			rowRead := regexp.MustCompile(`^SELECT .* r0 WHERE r0\.\S+ = \S+ (FOR|LOCK)`)
			for _, q := range tr.log {
				if !strings.Contains(q, " FOR UPDATE") && !strings.Contains(q, " FOR SHARE") && !strings.Contains(q, " LOCK IN SHARE MODE") {
					continue
				}
				locking++
				if rowRead.MatchString(q) {
					continue // one row, by its key
				}
				if !strings.Contains(q, " ORDER BY ") {
					t.Errorf("a read that locks rows without ORDER BY the key: %s", q)
				}
			}
			if d != "sqlite" && locking == 0 {
				t.Fatal("no locking read traced")
			}
		})
	}
}

// The SET NULL steps lock the rows they change in key order before their
// UPDATE (PostgreSQL): a delete of a coupon clears, and its restore puts
// back, the references of many orders, and the UPDATE took them in the
// order its plan read them (here the heap's: 2 before 1), while restores
// share-lock orders (the parents of the items they bring back) in key
// order: a deadlock. The other side is played by a transaction of the
// test that share-locks order 1, waits until the delete (or the restore)
// waits for it, then share-locks order 2, as a restore does.
func TestSetNullLocksItsRowsInKeyOrder(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openTest(t, d, WithRetry(1))
			ddl(t, db,
				`CREATE TABLE coupons (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE orders (id {id}, coupon_id {big} NULL, deleted_at {ts} NULL,
				  FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL)`)
			exec(t, db, "INSERT INTO coupons (id) VALUES (1)")
			exec(t, db, "INSERT INTO orders (id, coupon_id) VALUES (2, 1)")
			exec(t, db, "INSERT INTO orders (id, coupon_id) VALUES (1, 1)")
			coupons := func() string {
				var n1, n2 int
				if err := db.SQL().QueryRow("SELECT COUNT(CASE WHEN id = 1 AND coupon_id = 1 THEN 1 END), COUNT(CASE WHEN id = 2 AND coupon_id = 1 THEN 1 END) FROM orders").Scan(&n1, &n2); err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(n1, n2)
			}
			// against runs op while a transaction of the test holds order 1
			// (and then asks for order 2) where there are row locks.
			against := func(what string, op func() error) {
				t.Helper()
				if d != "postgres" {
					if err := op(); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					return
				}
				tx, err := db.SQL().BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if _, err := tx.Exec("SELECT id FROM orders WHERE id = 1 FOR SHARE"); err != nil {
					t.Fatal(err)
				}
				var pid int
				if err := tx.QueryRow("SELECT pg_backend_pid()").Scan(&pid); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- op() }()
				waitForLockWait(t, db, pid)
				_, lerr := tx.Exec("SELECT id FROM orders WHERE id = 2 FOR SHARE")
				if lerr == nil {
					lerr = tx.Commit()
				} else {
					tx.Rollback()
				}
				err = <-done
				if lerr != nil || err != nil {
					t.Fatalf("%s against a transaction locking orders 1 then 2: %v; the transaction: %v", what, err, lerr)
				}
			}
			against("delete of the coupon", func() error { _, err := db.Delete(ctx, "coupons", 1); return err })
			if got := coupons(); got != "0 0" {
				t.Fatalf("after the delete: orders 1 and 2 keep coupon 1: %s, want 0 0", got)
			}
			against("restore of the coupon", func() error { _, err := db.Restore(ctx, "coupons", 1); return err })
			if got := coupons(); got != "1 1" {
				t.Fatalf("after the restore: %s, want 1 1", got)
			}
		})
	}
}

// waitForLockWait waits until a session waits for a lock the PostgreSQL
// backend pid holds, or a few seconds.
func waitForLockWait(t *testing.T, db *DB, pid int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A child with two CASCADE parents (items under orders and products):
// restores share-lock the parents they check in one global order, table
// name then key (PostgreSQL). A restore of an order locked its row, then
// the products of its items; a restore of a product its row, then the
// orders of its items: each held its own row and waited for the other's
// (40P01 with retries off). Now the product's restore share-locks the
// orders first ("orders" < "products"). Item 1 is hidden by the order's
// delete, item 2 by the product's (as if handed over to it); both restores
// succeed and everything is back. On SQLite and MariaDB (no pre-locks
// there) the restores run one after the other.
func TestRestoresOfTwoParentsOfOneChildDoNotDeadlock(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			lb := newLockBarrier(2)
			db := openTest(t, d, WithRetry(1), WithStatementHook(lb.hook))
			ddl(t, db,
				`CREATE TABLE orders (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE products (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE items (id {id}, order_id {big} NOT NULL, product_id {big} NOT NULL, deleted_at {ts} NULL,
				  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
				  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE)`)
			exec(t, db, "INSERT INTO orders (id) VALUES (1)")
			exec(t, db, "INSERT INTO products (id) VALUES (1)")
			exec(t, db, "INSERT INTO items (id, order_id, product_id) VALUES (1, 1, 1)")
			exec(t, db, "INSERT INTO items (id, order_id, product_id) VALUES (2, 1, 1)")
			if _, err := db.Delete(ctx, "orders", 1); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Delete(ctx, "products", 1); err != nil {
				t.Fatal(err)
			}
			exec(t, db, "UPDATE items SET deleted_at = (SELECT deleted_at FROM products WHERE id = 1) WHERE id = 2")
			restore := func(ctx context.Context, g string) error {
				_, err := db.Restore(ctx, map[string]string{"a": "orders", "b": "products"}[g], 1)
				return err
			}
			var ea, eb error
			if preLocks(db.dialect) {
				ea, eb = both(restore)
			} else {
				ea = restore(ctx, "a")
				eb = restore(ctx, "b")
			}
			if ea != nil || eb != nil {
				t.Fatalf("restores of an order and a product sharing items: %v / %v", ea, eb)
			}
			var alive int
			if err := db.SQL().QueryRow("SELECT (SELECT COUNT(*) FROM orders WHERE deleted_at IS NULL) + (SELECT COUNT(*) FROM products WHERE deleted_at IS NULL) + (SELECT COUNT(*) FROM items WHERE deleted_at IS NULL)").Scan(&alive); err != nil {
				t.Fatal(err)
			}
			if alive != 4 {
				t.Fatalf("%d rows alive after both restores, want 4", alive)
			}
		})
	}
}
