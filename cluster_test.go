package softdelete

import (
	"context"
	"errors"
	"os"
	"testing"
)

// Cluster mode (cluster.go) writes a lock row for each parent a Create,
// Save or restore needs alive and for each referenced row a delete hides,
// so that two such operations on two Galera nodes write the same row and
// certification refuses one. On a single server it is off unless asked
// for (WithClusterLocks), and writes nothing. TestGaleraMultiPrimary is the
// test on a cluster; this one checks the lock rows themselves.
func TestClusterLockRows(t *testing.T) {
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "standalone", true: "WithClusterLocks"}[on], func(t *testing.T) {
			u := testURL(t, "mysql")
			var opts []Option
			if on {
				opts = append(opts, WithClusterLocks(true))
			}
			db, err := Open(u, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var wsrep int64
			if !on && db.SQL().QueryRow("SELECT @@wsrep_on").Scan(&wsrep) == nil && wsrep != 0 {
				t.Skip("the server is a Galera node: cluster mode is on by itself")
			}
			advSchema(t, db)
			advSeed(t, db, advSeedSize{customers: 3, ordersPer: 2, itemsPer: 2, products: 2, coupons: 2, nodes: 4})
			h := newAdvHandle(t, db)
			// Create an order of customer 2 (Create checks its parents).
			o := &advOrder{CustomerID: 2, Note: "new"}
			if err := h.orders.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			locks := func() map[string]int64 {
				out := map[string]int64{}
				rows, err := db.SQL().Query("SELECT name, SUM(n) FROM softdelete_locks GROUP BY name")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var name string
					var n int64
					if err := rows.Scan(&name, &n); err != nil {
						t.Fatal(err)
					}
					out[name] = n
				}
				return out
			}
			afterCreate := locks()
			// Delete customer 1 (cascades to its orders and their items),
			// then undo it.
			op, err := db.Delete(ctx, "customers", int64(1))
			if err != nil {
				t.Fatal(err)
			}
			afterDelete := locks()
			if _, err := db.Undo(ctx, op.ID); err != nil {
				t.Fatal(err)
			}
			afterUndo := locks()
			if !on {
				if len(afterUndo) != 0 {
					t.Fatalf("a single server wrote lock rows: %v", afterUndo)
				}
				return
			}
			if afterCreate["customers(id)"] == 0 {
				t.Errorf("Create wrote no lock row for its customer: %v", afterCreate)
			}
			if afterDelete["customers(id)"] <= afterCreate["customers(id)"] || afterDelete["orders(id)"] == 0 {
				t.Errorf("a cascade delete wrote no lock rows for the customer and orders it hid: %v -> %v", afterCreate, afterDelete)
			}
			if afterUndo["coupons(id)"] <= afterDelete["coupons(id)"] || afterUndo["products(id)"] <= afterDelete["products(id)"] {
				t.Errorf("the undo wrote no lock rows for the parents it checked: %v -> %v", afterDelete, afterUndo)
			}
			// ... and for the rows it brought back (a restore on another node
			// may have handed a row over to this operation meanwhile).
			if afterUndo["customers(id)"] <= afterDelete["customers(id)"] || afterUndo["orders(id)"] <= afterDelete["orders(id)"] {
				t.Errorf("the undo wrote no lock rows for the customer and orders it brought back: %v -> %v", afterDelete, afterUndo)
			}
			// A restore of one row writes the lock rows of the row and of its
			// parents: delete and restore order 200 (customer 2, coupon 1).
			if _, err := db.Delete(ctx, "orders", int64(200)); err != nil {
				t.Fatal(err)
			}
			beforeRestore := locks()
			if _, err := db.Restore(ctx, "orders", int64(200)); err != nil {
				t.Fatal(err)
			}
			afterRestore := locks()
			for _, name := range []string{"orders(id)", "customers(id)"} {
				if afterRestore[name] <= beforeRestore[name] {
					t.Errorf("the restore of order 200 wrote no %s lock row: %v -> %v", name, beforeRestore, afterRestore)
				}
			}
			// The operations did what they do without cluster mode.
			if n := count(t, db, "SELECT COUNT(*) FROM customers WHERE deleted_at IS NOT NULL"); n != 0 {
				t.Errorf("%d customers hidden after the undo", n)
			}
			advCheckState(t, db, newTally("mysql"), "cluster mode")
		})
	}
}

// TestDetectCluster: the first schema read asks the server whether it is a
// Galera node (SHOW VARIABLES LIKE 'wsrep_on'), with no error on a server
// that lacks the variable and no matching of error text: a single MariaDB
// (wsrep_on OFF) is not a cluster, a Galera node (ON) is.
func TestDetectCluster(t *testing.T) {
	ctx := context.Background()
	urls := map[string]string{"single server": testURL(t, "mysql")}
	if env := os.Getenv("SOFTDELETE_TEST_GALERA"); env != "" {
		urls["galera node"] = galeraURLs(t)[0]
	}
	for name, u := range urls {
		t.Run(name, func(t *testing.T) {
			db, err := Open(u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			var v, val string
			if err := db.SQL().QueryRow("SHOW VARIABLES LIKE 'wsrep_on'").Scan(&v, &val); err != nil {
				t.Fatal(err)
			}
			want := clusterNo
			if val == "ON" {
				want = clusterYes
			}
			if got := db.cluster.Load(); got != want {
				t.Fatalf("wsrep_on %s: cluster state %d, want %d", val, got, want)
			}
			if name == "galera node" && want != clusterYes {
				t.Fatalf("a Galera node says wsrep_on %s", val)
			}
		})
	}
	// Without the variable (MySQL), no row: not a cluster, and no error.
	db := openTest(t, "mysql")
	on, err := db.clusterSetting(ctx, db.exec(), "SHOW VARIABLES LIKE 'softdelete_no_such_variable'")
	if err != nil || on {
		t.Fatalf("a missing variable: on %v, err %v", on, err)
	}
}

// TestClusterLocksColumnN: the lock rows' upsert (INSERT ... SELECT ... ON
// DUPLICATE KEY UPDATE) read n = n + 1 ambiguously when a table the SELECT
// reads has a column named n: every delete, restore and check of such a
// table failed in cluster mode with error 1052 (found by TestKeysAdversarial
// on the Galera node in .ci/run).
func TestClusterLocksColumnN(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, "mysql", WithClusterLocks(true))
	ddl(t, db, `CREATE TABLE lp (id {id}, n {big} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE lc (id {id}, n {big} NOT NULL, lp_id {big} NOT NULL, deleted_at {ts} NULL, FOREIGN KEY (lp_id) REFERENCES lp (id) ON DELETE RESTRICT)`,
		`CREATE TABLE lk (id {id}, n {big} NOT NULL, lp_id {big} NOT NULL, deleted_at {ts} NULL, FOREIGN KEY (lp_id) REFERENCES lp (id) ON DELETE CASCADE)`)
	exec(t, db, "INSERT INTO lp (id, n) VALUES (1, 1), (2, 2)")
	exec(t, db, "INSERT INTO lc (id, n, lp_id) VALUES (1, 1, 1)")
	exec(t, db, "INSERT INTO lk (id, n, lp_id) VALUES (1, 1, 2)")
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "lp", int64(1)); !errors.Is(err, ErrRestricted) {
		t.Fatalf("Delete under RESTRICT: %v, want ErrRestricted", err)
	}
	op, err := db.Delete(ctx, "lp", int64(2))
	if err != nil {
		t.Fatalf("Delete with a cascade: %v", err)
	}
	if _, err := db.Undo(ctx, op.ID); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM lk WHERE deleted_at IS NULL"); n != 1 {
		t.Fatalf("%d alive children after undo, want 1", n)
	}
}
