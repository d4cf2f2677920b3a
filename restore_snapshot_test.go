package softdelete

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// waitLockWait waits until a statement on table is waiting for a row lock
// (MariaDB, PostgreSQL; SQLite serializes writers: a short pause).
func waitLockWait(t *testing.T, db *DB, table string) {
	t.Helper()
	var q string
	switch db.Dialect() {
	case "mysql":
		// A read-only transaction waiting for a row lock is not always
		// listed in INNODB_TRX: a statement on table running for 100ms
		// while the other transaction holds its locks is waiting.
		q = `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()
AND COMMAND = 'Query' AND TIME_MS > 100 AND INFO LIKE '%` + table + `%'`
	case "postgres":
		q = `SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%` + table + `%' AND pid <> pg_backend_pid()`
	default:
		time.Sleep(200 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no statement on %s waited for a lock", table)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Adversarial stress finding undo-misses-rows (MariaDB): RestoreWithParents
// of an order whose customer was being deleted waited for that delete,
// restored the customer, and left the customer's other orders (hidden by
// the same delete) hidden under it, out of reach of any undo. Its
// transaction read, under REPEATABLE READ, the snapshot taken by its first
// statement, before the delete committed: the look for the rows the
// delete hid found none. Restores run at READ COMMITTED on MariaDB now.
// (The same wait hit other checks of a restore: a parent handed over
// meanwhile still looked hidden, ErrParentDeleted; rwp-parent-deleted.)
func TestRestoreAfterWaitingForADeleteSeesItsRows(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := testURL(t, d)
			ctx := context.Background()
			var armed atomic.Bool
			held, release := make(chan struct{}), make(chan struct{})
			var released atomic.Bool
			free := func() {
				if released.CompareAndSwap(false, true) {
					close(release)
				}
			}
			defer free()
			deleter, err := Open(u, WithStatementHook(func(_ context.Context, q string, _ []any) error {
				if armed.Load() && strings.HasPrefix(q, "INSERT INTO softdelete_operations") {
					armed.Store(false)
					close(held)
					<-release // the delete holds its locks, not committed yet
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			defer deleter.Close()
			restorer, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer restorer.Close()
			ddl(t, restorer,
				`CREATE TABLE snapcust (id {big} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`,
				`CREATE TABLE snaporders (id {big} NOT NULL PRIMARY KEY, cust_id {big} NOT NULL REFERENCES snapcust (id) ON DELETE CASCADE, deleted_at {ts} NULL)`,
				`CREATE TABLE snapitems (id {big} NOT NULL PRIMARY KEY, order_id {big} NOT NULL REFERENCES snaporders (id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			exec(t, restorer, "INSERT INTO snapcust (id) VALUES (1)")
			exec(t, restorer, "INSERT INTO snaporders (id, cust_id) VALUES (10, 1), (11, 1), (12, 1)")
			exec(t, restorer, "INSERT INTO snapitems (id, order_id) VALUES (100, 10), (110, 11), (120, 12)")
			if err := deleter.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if err := deleter.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := restorer.Delete(ctx, "snaporders", 11); err != nil {
				t.Fatal(err)
			}
			armed.Store(true)
			delDone := make(chan error, 1)
			var delOp *Operation
			go func() {
				var err error
				delOp, err = deleter.Delete(ctx, "snapcust", 1)
				delDone <- err
			}()
			<-held
			resDone := make(chan error, 1)
			go func() {
				_, err := restorer.RestoreWithParents(ctx, "snaporders", 11)
				resDone <- err
			}()
			t0 := time.Now()
			waitLockWait(t, restorer, "snapcust")
			t.Logf("lock wait seen after %v", time.Since(t0))
			free()
			if err := <-delDone; err != nil {
				t.Fatalf("delete: %v", err)
			}
			t1 := time.Now()
			if err := <-resDone; err != nil {
				t.Fatalf("restore with parents: %v", err)
			}
			t.Logf("restore done %v after release", time.Since(t1))
			if delOp.Counts["snaporders"] != 2 || delOp.Counts["snapitems"] != 2 {
				t.Fatalf("the delete hid %v, want the customer, orders 10 and 12 and their items", delOp.Counts)
			}
			if got := state(t, restorer, "snapcust", "snaporders", "snapitems"); got != "snapcust alive=[1] deleted=[]\nsnaporders alive=[10 11 12] deleted=[]\nsnapitems alive=[100 110 120] deleted=[]\n" {
				t.Fatalf("after the restore with parents (the customer's restore brings back what its delete hid):\n%s", got)
			}
		})
	}
}
