package softdelete

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRelationRuleOverride(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d, WithRelationRule("invoices", "customers", Cascade))
			ctx := context.Background()
			shop(t, db)
			exec(t, db, "INSERT INTO invoices (id, customer_id) VALUES (1, 1)")
			op, err := db.Delete(ctx, "customers", 1)
			if err != nil {
				t.Fatal(err)
			}
			if op.Counts["invoices"] != 1 {
				t.Fatalf("override did not cascade: %v", op.Counts)
			}
			if _, err := db.Restore(ctx, "customers", 1); err != nil {
				t.Fatal(err)
			}
			wantState(t, db, `invoices alive=[1] deleted=[]`)
		})
	}
}

// The number of statements of a cascade depends on the schema, not on the
// number of rows.
func TestCascadeStatementsDoNotGrowWithRows(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			c := &counter{}
			db := openTest(t, d, WithStatementHook(c.hook))
			ctx := context.Background()
			shop(t, db)
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			measure := func(id int) (del, res int) {
				c.reset(0)
				if _, err := db.Delete(ctx, "customers", id); err != nil {
					t.Fatal(err)
				}
				del = c.count()
				c.reset(0)
				if _, err := db.Restore(ctx, "customers", id); err != nil {
					t.Fatal(err)
				}
				return del, c.count()
			}
			exec(t, db, "INSERT INTO customers (id, name) VALUES (3, 'big')")
			var vals []string
			for o := 0; o < 50; o++ {
				vals = append(vals, fmt.Sprintf("(%d, 3)", 300+o))
			}
			exec(t, db, "INSERT INTO orders (id, customer_id) VALUES "+strings.Join(vals, ", "))
			vals = vals[:0]
			for i := 0; i < 1000; i++ {
				vals = append(vals, fmt.Sprintf("(%d, %d, 'x')", 3000+i, 300+i%50))
			}
			exec(t, db, "INSERT INTO items (id, order_id, sku) VALUES "+strings.Join(vals, ", "))
			exec(t, db, "INSERT INTO item_notes (id, item_id, body) VALUES (5000, 3000, 'n')")
			smallDel, smallRes := measure(1) // 2 orders, 3 items, 1 note
			bigDel, bigRes := measure(3)     // 50 orders, 1000 items, 1 note
			if smallDel != bigDel || smallRes != bigRes {
				t.Fatalf("statements grew with rows: delete %d vs %d, restore %d vs %d", smallDel, bigDel, smallRes, bigRes)
			}
			t.Logf("%s: delete %d statements, restore %d statements", d, bigDel, bigRes)
		})
	}
}

// A connection killed by the server in the middle of a cascade leaves every
// row as it was.
func TestKilledConnectionMidCascade(t *testing.T) {
	for _, d := range []string{"postgres", "mysql"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := testURL(t, d)
			app := randName()
			if d == "postgres" {
				pu, _ := url.Parse(u)
				q := pu.Query()
				q.Set("application_name", app)
				pu.RawQuery = q.Encode()
				u = pu.String()
			}
			adm, err := admin(d)
			if err != nil {
				t.Fatal(err)
			}
			var armed bool
			var target int
			n := 0
			hook := func(ctx context.Context, q string, args []any) error {
				if !armed {
					return nil
				}
				n++
				if n != target {
					return nil
				}
				// Kill our own connection from outside, between statements.
				switch d {
				case "postgres":
					_, err := adm.SQL().ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app)
					return err
				default:
					rows, err := adm.SQL().QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", strings.TrimPrefix(mustParse(u).Path, "/"))
					if err != nil {
						return err
					}
					var ids []int64
					for rows.Next() {
						var id int64
						rows.Scan(&id)
						ids = append(ids, id)
					}
					rows.Close()
					for _, id := range ids {
						adm.SQL().ExecContext(ctx, fmt.Sprintf("KILL %d", id))
					}
				}
				return nil
			}
			db, err := Open(u, WithStatementHook(hook))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			shop(t, db)
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			before := state(t, db, shopTables...)
			for _, k := range []int{2, 3, 4, 5} {
				armed, target, n = true, k, 0
				_, err := db.Delete(ctx, "customers", 1)
				armed = false
				if err == nil {
					t.Fatalf("delete survived a killed connection at statement %d", k)
				}
				if got := state(t, db, shopTables...); got != before {
					t.Fatalf("killed at statement %d left changes:\n%s", k, got)
				}
			}
			if _, err := db.Delete(ctx, "customers", 1); err != nil {
				t.Fatalf("delete after the kills: %v", err)
			}
		})
	}
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// A restored row whose SET NULL parent was deleted meanwhile comes back
// with the reference cleared (as that parent's delete would have done),
// and gets it back when that parent is restored.
func TestRestoreClearsReferenceToDeletedSetNullParent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		if _, err := db.Delete(ctx, "customers", 1); err != nil { // hides order 10 (coupon 5)
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, "coupons", 5); err != nil { // clears order 20 only
			t.Fatal(err)
		}
		if _, err := db.Restore(ctx, "customers", 1); err != nil {
			t.Fatalf("restore blocked by a deleted SET NULL parent: %v", err)
		}
		var c *int64
		if err := db.SQL().QueryRow("SELECT coupon_id FROM orders WHERE id = 10").Scan(&c); err != nil || c != nil {
			t.Fatalf("order 10 coupon after restore: %v %v", c, err)
		}
		if _, err := db.Restore(ctx, "coupons", 5); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{10, 20} {
			if err := db.SQL().QueryRow(fmt.Sprintf("SELECT coupon_id FROM orders WHERE id = %d", id)).Scan(&c); err != nil || c == nil || *c != 5 {
				t.Fatalf("order %d coupon after restoring the coupon: %v %v", id, c, err)
			}
		}
		// Restoring an order directly works the same way.
		if _, err := db.Delete(ctx, "orders", 10); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, "coupons", 5); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Restore(ctx, "orders", 10); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `orders alive=[10 11 20] deleted=[]`)
	})
}

// A child created while its parent is being soft-deleted either lands
// before the cascade (and is hidden by it) or is refused: no live row ever
// points at a deleted parent.
func TestCreateRacingParentDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		orders, err := NewManager[Order](db, "orders")
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 25; round++ {
			id := 100 + round
			exec(t, db, fmt.Sprintf("INSERT INTO customers (id, name) VALUES (%d, 'r')", id))
			done := make(chan error, 2)
			go func() {
				var err error
				for i := 0; i < 4 && err == nil; i++ {
					err = orders.Create(ctx, &Order{ID: int64(10000 + round*10 + i), CustomerID: int64(id)})
				}
				if errors.Is(err, ErrParentDeleted) {
					err = nil
				}
				done <- err
			}()
			go func() {
				_, err := db.Delete(ctx, "customers", id)
				done <- err
			}()
			for i := 0; i < 2; i++ {
				if err := <-done; err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		}
		var dangling int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id
			WHERE o.deleted_at IS NULL AND c.deleted_at IS NOT NULL`).Scan(&dangling); err != nil {
			t.Fatal(err)
		}
		if dangling != 0 {
			t.Fatalf("%d live orders point at deleted customers", dangling)
		}
	})
}

type Category struct {
	ID        int64
	ParentID  *int64
	Name      string
	DeletedAt *time.Time
}

// A bulk restore whose condition reads deleted_at still brings back the
// whole tree (the levels below a self-reference continue after the roots).
func TestBulkRestoreByDeletedAt(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE categories (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE CASCADE)`)
		exec(t, db, "INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, NULL, 'd')")
		cats, err := NewManager[Category](db, "categories")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().Add(-time.Second)
		if _, err := db.Delete(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		n, err := cats.OnlyDeleted().Where("deleted_at >= ? AND parent_id IS NULL", t0).Restore(ctx)
		if err != nil || n != 3 { // the root and the two rows below it, all in this table
			t.Fatalf("bulk restore: %d %v", n, err)
		}
		wantState(t, db, `categories alive=[1 2 3 4] deleted=[]`)
	})
}
