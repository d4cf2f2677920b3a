package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

// DeleteTx in the caller's transaction whose snapshot was taken (by an
// earlier read) before another connection restored a child under RESTRICT:
// the delete's RESTRICT check must see the child restored, not the
// snapshot's hidden one, or it commits a live invoice under a hidden
// customer. MariaDB's BeginTx(nil) is REPEATABLE READ: the check is a
// locking read there (the latest committed rows). PostgreSQL's default,
// READ COMMITTED, reads the latest rows per statement (under REPEATABLE
// READ it cannot: see DB.DeleteTx). Issue 12's Galera finding, on one
// server.
func TestDeleteTxRestrictSeesLaterRestore(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		if db.Dialect() == "sqlite" {
			// One writer: the caller's read transaction blocks the
			// restore's commit (rollback journal) or, in WAL mode, its own
			// write fails on the stale snapshot. The race cannot happen.
			t.Skip("SQLite serializes writers")
		}
		ctx := context.Background()
		advSchema(t, db)
		for trial := 1; trial <= 2; trial++ {
			advSeed(t, db, advSeedSize{customers: 3, ordersPer: 1, itemsPer: 1, products: 2, coupons: 1, nodes: 2})
			if _, err := db.Delete(ctx, "invoices", int64(3)); err != nil {
				t.Fatal(err)
			}
			var opts *sql.TxOptions // the database's default isolation
			tx, err := db.SQL().BeginTx(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM invoices WHERE deleted_at IS NULL").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Restore(ctx, "invoices", int64(3)); err != nil {
				t.Fatalf("trial %d: restore of invoice 3: %v", trial, err)
			}
			_, err = db.DeleteTx(ctx, tx, "customers", int64(3))
			switch {
			case err == nil:
				if cerr := tx.Commit(); cerr == nil {
					t.Errorf("trial %d: DeleteTx of customer 3 committed after invoice 3 (RESTRICT) was restored", trial)
				}
			case errors.Is(err, ErrRestricted):
				tx.Rollback()
			default:
				t.Logf("trial %d: DeleteTx: %v (refused, not a violation)", trial, err)
				tx.Rollback()
			}
			var bad int64
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoices i JOIN customers c ON c.id = i.customer_id
				WHERE i.deleted_at IS NULL AND c.deleted_at IS NOT NULL`).Scan(&bad); err != nil {
				t.Fatal(err)
			}
			if bad != 0 {
				t.Fatalf("trial %d: %d live invoices under a hidden customer", trial, bad)
			}
		}
	})
}
