package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// shopDDL: customers -> orders -> items -> item_notes (CASCADE, 4 levels),
// items -> products (CASCADE, a second parent), orders -> coupons (SET
// NULL), invoices -> customers (RESTRICT).
var shopDDL = []string{
	`CREATE TABLE customers (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE coupons (id {id}, code {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE products (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, coupon_id {big} NULL, note {text} NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
	  FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL)`,
	`CREATE TABLE items (id {id}, order_id {big} NOT NULL, product_id {big} NULL, sku {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
	  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE)`,
	`CREATE TABLE item_notes (id {id}, item_id {big} NOT NULL, body {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE)`,
	`CREATE TABLE invoices (id {id}, customer_id {big} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT)`,
}

var shopTables = []string{"customers", "coupons", "products", "orders", "items", "item_notes", "invoices"}

func exec(t testing.TB, db *DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// shop creates the schema and this data:
//
//	customer 1: orders 10 (items 100, 101; note 1000 on 100), 11 (item 102)
//	customer 2: order 20 (item 200)
//	product 7 on items 100 and 200; coupon 5 on orders 10 and 20
func shop(t *testing.T, db *DB) {
	ddl(t, db, shopDDL...)
	for _, q := range []string{
		"INSERT INTO customers (id, name) VALUES (1, 'ann'), (2, 'bob')",
		"INSERT INTO coupons (id, code) VALUES (5, 'FIVE')",
		"INSERT INTO products (id, name) VALUES (7, 'pen'), (8, 'ink')",
		"INSERT INTO orders (id, customer_id, coupon_id) VALUES (10, 1, 5), (11, 1, NULL), (20, 2, 5)",
		"INSERT INTO items (id, order_id, product_id, sku) VALUES (100, 10, 7, 'a'), (101, 10, 8, 'b'), (102, 11, NULL, 'c'), (200, 20, 7, 'd')",
		"INSERT INTO item_notes (id, item_id, body) VALUES (1000, 100, 'fragile')",
	} {
		exec(t, db, q)
	}
}

// state lists, per table, the alive ids and the deleted ids.
func state(t testing.TB, db *DB, tables ...string) string {
	t.Helper()
	return stateQ(t, db.SQL(), tables...)
}

type queryer interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// stateQ is state read through any queryer (a pool or a transaction).
func stateQ(t testing.TB, db queryer, tables ...string) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range tables {
		rows, err := db.Query(fmt.Sprintf("SELECT id, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END FROM %s ORDER BY id", tbl))
		if err != nil {
			t.Fatal(err)
		}
		var alive, dead []string
		for rows.Next() {
			var id int64
			var d int
			if err := rows.Scan(&id, &d); err != nil {
				t.Fatal(err)
			}
			if d == 0 {
				alive = append(alive, fmt.Sprint(id))
			} else {
				dead = append(dead, fmt.Sprint(id))
			}
		}
		rows.Close()
		fmt.Fprintf(&b, "%s alive=[%s] deleted=[%s]\n", tbl, strings.Join(alive, " "), strings.Join(dead, " "))
	}
	return b.String()
}

func wantState(t *testing.T, db *DB, want string) {
	t.Helper()
	var tables []string
	for _, line := range strings.Split(strings.TrimSpace(want), "\n") {
		tables = append(tables, strings.Fields(line)[0])
	}
	got := state(t, db, tables...)
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if norm(got) != norm(want) {
		t.Fatalf("state:\n%s\nwant:\n%s", got, want)
	}
}

func TestCascadeDeleteAndRestore(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		before := state(t, db, shopTables...)
		op, err := db.Delete(ctx, "customers", 1)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"customers": 1, "orders": 2, "items": 3, "item_notes": 1}
		for tbl, n := range want {
			if op.Counts[tbl] != n {
				t.Errorf("counts[%s] = %d, want %d (all %v)", tbl, op.Counts[tbl], n, op.Counts)
			}
		}
		if op.Rows != 7 || op.ID == 0 {
			t.Errorf("op = %+v", op)
		}
		wantState(t, db, `
customers alive=[2] deleted=[1]
orders alive=[20] deleted=[10 11]
items alive=[200] deleted=[100 101 102]
item_notes alive=[] deleted=[1000]`)
		if _, err := db.Restore(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		if got := state(t, db, shopTables...); got != before {
			t.Fatalf("restore is not exact:\n%s\nwant\n%s", got, before)
		}
		if _, err := db.Delete(ctx, "customers", 99); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
	})
}

func TestExactRestore(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		// Earlier, on its own: item 101.
		if _, err := db.Delete(ctx, "items", 101); err != nil {
			t.Fatal(err)
		}
		// The customer, with what is left below it.
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		// Later, on its own: product 7, which hides item 200 (item 100 is
		// hidden already, by the customer's delete).
		op, err := db.Delete(ctx, "products", 7)
		if err != nil {
			t.Fatal(err)
		}
		if op.Counts["items"] != 1 {
			t.Fatalf("product delete hid %d items, want 1 (item 200)", op.Counts["items"])
		}
		// Restoring the customer brings back exactly its delete's rows,
		// except item 100 and its note: product 7 is deleted now, so they
		// pass to the product's delete and stay hidden.
		if _, err := db.Restore(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `
customers alive=[1 2] deleted=[]
orders alive=[10 11 20] deleted=[]
items alive=[102] deleted=[100 101 200]
item_notes alive=[] deleted=[1000]
products alive=[8] deleted=[7]`)
		// Restoring the product brings back item 100 (now its operation's)
		// and item 200, but not item 101 (deleted on its own).
		if _, err := db.Restore(ctx, "products", 7); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `
items alive=[100 102 200] deleted=[101]
item_notes alive=[1000] deleted=[]`)
		if _, err := db.Restore(ctx, "items", 101); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `items alive=[100 101 102 200] deleted=[]`)
	})
}

func TestRestrict(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		exec(t, db, "INSERT INTO invoices (id, customer_id) VALUES (1, 1), (2, 1), (3, 2)")
		before := state(t, db, shopTables...)
		_, err := db.Delete(ctx, "customers", 1)
		var re *RestrictedError
		if !errors.Is(err, ErrRestricted) || !errors.As(err, &re) || re.Blockers["invoices"] != 2 {
			t.Fatalf("delete with live invoices: %v", err)
		}
		if !strings.Contains(err.Error(), "invoices (2 rows)") {
			t.Fatalf("error does not name the blocker: %v", err)
		}
		if got := state(t, db, shopTables...); got != before {
			t.Fatalf("restricted delete changed data:\n%s", got)
		}
		plan, err := db.PlanDelete(ctx, "customers", 1)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Allowed() || plan.Blockers["invoices"] != 2 || plan.Counts["items"] != 3 {
			t.Fatalf("plan = %+v", plan)
		}
		// Deleted invoices do not block.
		if _, err := db.Delete(ctx, "invoices", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, "invoices", 2); err != nil {
			t.Fatal(err)
		}
		plan, err = db.PlanDelete(ctx, "customers", 1)
		if err != nil || !plan.Allowed() {
			t.Fatalf("plan after invoices deleted: %+v %v", plan, err)
		}
		op, err := db.Delete(ctx, "customers", 1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(op.Counts) != fmt.Sprint(plan.Counts) {
			t.Fatalf("dry run counts %v != delete counts %v", plan.Counts, op.Counts)
		}
		// Restoring an invoice whose customer is deleted is refused...
		_, err = db.Restore(ctx, "invoices", 1)
		var pe *ParentDeletedError
		if !errors.As(err, &pe) || pe.ParentTable != "customers" || pe.Columns[0] != "customer_id" {
			t.Fatalf("restore invoice under deleted customer: %v", err)
		}
		// ...unless the parents come back too.
		if _, err := db.RestoreWithParents(ctx, "invoices", 1); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `
customers alive=[1 2] deleted=[]
invoices alive=[1 3] deleted=[2]
items alive=[100 101 102 200] deleted=[]`)
	})
}

func TestNonSoftReferencesBlock(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		ddl(t, db, `CREATE TABLE ledger (id {id}, customer_id {big} NOT NULL,
		  FOREIGN KEY (customer_id) REFERENCES customers (id))`,
			`CREATE TABLE visits (id {id}, customer_id {big} NOT NULL,
		  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`)
		exec(t, db, "INSERT INTO ledger (id, customer_id) VALUES (1, 2)")
		exec(t, db, "INSERT INTO visits (id, customer_id) VALUES (1, 1)")
		// Customer 1: visits has no soft-delete column and CASCADE: left alone.
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		// Customer 2: a ledger row (NO ACTION, not soft-deletable) blocks.
		_, err := db.Delete(ctx, "customers", 2)
		var re *RestrictedError
		if !errors.As(err, &re) || re.Blockers["ledger"] != 1 {
			t.Fatalf("ledger should block: %v", err)
		}
	})
}

func TestSetNull(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		exec(t, db, "UPDATE orders SET coupon_id = 5 WHERE id = 11")
		// Order 11 is deleted on its own first: its reference stays.
		if _, err := db.Delete(ctx, "orders", 11); err != nil {
			t.Fatal(err)
		}
		op, err := db.Delete(ctx, "coupons", 5)
		if err != nil {
			t.Fatal(err)
		}
		if op.Nulled["orders.coupon_id"] != 2 {
			t.Fatalf("nulled = %v, want orders.coupon_id: 2", op.Nulled)
		}
		coupons := func() string {
			rows, err := db.SQL().Query("SELECT id, coupon_id FROM orders ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var parts []string
			for rows.Next() {
				var id int64
				var c *int64
				if err := rows.Scan(&id, &c); err != nil {
					t.Fatal(err)
				}
				if c == nil {
					parts = append(parts, fmt.Sprintf("%d:-", id))
				} else {
					parts = append(parts, fmt.Sprintf("%d:%d", id, *c))
				}
			}
			return strings.Join(parts, " ")
		}
		if got := coupons(); got != "10:- 11:5 20:-" {
			t.Fatalf("after delete: %s", got)
		}
		// Someone re-points order 20 meanwhile: restore must not clobber it.
		exec(t, db, "INSERT INTO coupons (id, code) VALUES (6, 'SIX')")
		exec(t, db, "UPDATE orders SET coupon_id = 6 WHERE id = 20")
		if _, err := db.Restore(ctx, "coupons", 5); err != nil {
			t.Fatal(err)
		}
		if got := coupons(); got != "10:5 11:5 20:6" {
			t.Fatalf("after restore: %s", got)
		}
		var left int
		db.SQL().QueryRow("SELECT COUNT(*) FROM softdelete_nulled").Scan(&left)
		// The coupon is back, so its entries are spent, order 20's included
		// (its reference was changed by hand and stays as it is).
		if left != 0 {
			t.Fatalf("bookkeeping rows left: %d, want 0", left)
		}
	})
}

func TestFourLevelChainAndFaults(t *testing.T) {
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
			before := state(t, db, shopTables...)
			// Fail each statement of the delete in turn: nothing changes.
			c.reset(0)
			op, err := db.PlanDelete(ctx, "customers", 1)
			if err != nil {
				t.Fatal(err)
			}
			total := c.count()
			if total < 4 {
				t.Fatalf("delete took only %d statements?", total)
			}
			for k := 1; k <= total; k++ {
				c.reset(k)
				if _, err := db.Delete(ctx, "customers", 1); err == nil {
					t.Fatalf("fault at statement %d/%d not reported", k, total)
				}
				c.reset(0)
				if got := state(t, db, shopTables...); got != before {
					t.Fatalf("fault at statement %d left changes:\n%s", k, got)
				}
			}
			// Cancel the context in the middle of the cascade.
			cctx, cancel := context.WithCancel(ctx)
			cancelAt := 3
			n := 0
			c.reset(0)
			db.hook = func(hctx context.Context, q string, args []any) error {
				n++
				if n == cancelAt {
					cancel()
				}
				return nil
			}
			if _, err := db.Delete(cctx, "customers", 1); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled cascade: %v", err)
			}
			db.hook = c.hook
			if got := state(t, db, shopTables...); got != before {
				t.Fatalf("cancelled cascade left changes:\n%s", got)
			}
			if _, err := db.Delete(ctx, "customers", 1); err != nil {
				t.Fatal(err)
			}
			_ = op
			// And each statement of the restore: count them on one restore,
			// delete again, then fail each in turn.
			c.reset(0)
			if _, err := db.Restore(ctx, "customers", 1); err != nil {
				t.Fatal(err)
			}
			total = c.count()
			if _, err := db.Delete(ctx, "customers", 1); err != nil {
				t.Fatal(err)
			}
			deleted := state(t, db, shopTables...)
			for k := 1; k <= total; k++ {
				c.reset(k)
				if _, err := db.Restore(ctx, "customers", 1); err == nil {
					t.Fatalf("restore fault at %d/%d not reported", k, total)
				}
				c.reset(0)
				if got := state(t, db, shopTables...); got != deleted {
					t.Fatalf("restore fault at %d left changes:\n%s", k, got)
				}
			}
		})
	}
}

func mustTable(t testing.TB, db *DB, name string) *table {
	tb, err := db.tableInfo(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestSelfReferencingTree(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE categories (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE CASCADE)`)
		// 1 > 2 > 3 > 4 > 5 > 6 > 7 > 8 > 9 (deeper than the nesting cap), 1 > 10, 11 alone
		exec(t, db, "INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'root')")
		for i := 2; i <= 9; i++ {
			exec(t, db, fmt.Sprintf("INSERT INTO categories (id, parent_id, name) VALUES (%d, %d, 'c')", i, i-1))
		}
		exec(t, db, "INSERT INTO categories (id, parent_id, name) VALUES (10, 1, 'x'), (11, NULL, 'y')")
		if _, err := db.Delete(ctx, "categories", 7); err != nil { // earlier, on its own
			t.Fatal(err)
		}
		op, err := db.Delete(ctx, "categories", 1)
		if err != nil {
			t.Fatal(err)
		}
		if op.Counts["categories"] != 7 {
			t.Fatalf("tree delete hid %d, want 7 (1-6, 10)", op.Counts["categories"])
		}
		wantState(t, db, `categories alive=[11] deleted=[1 2 3 4 5 6 7 8 9 10]`)
		if _, err := db.Restore(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `categories alive=[1 2 3 4 5 6 10 11] deleted=[7 8 9]`)
		if _, err := db.Restore(ctx, "categories", 7); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `categories alive=[1 2 3 4 5 6 7 8 9 10 11] deleted=[]`)
		// A subtree restore under a deleted parent is refused.
		if _, err := db.Delete(ctx, "categories", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Restore(ctx, "categories", 4); !errors.Is(err, ErrParentDeleted) {
			t.Fatalf("restore under deleted parent: %v", err)
		}
	})
}

func TestCycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE teams (id {id}, lead_id {big} NULL, deleted_at {ts} NULL)`,
			`CREATE TABLE people (id {id}, team_id {big} NOT NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE)`)
		if db.Dialect() == "sqlite" {
			// SQLite cannot add a constraint later: rebuild teams with it.
			exec(t, db, "PRAGMA foreign_keys = OFF")
			exec(t, db, "DROP TABLE teams")
			ddl(t, db, `CREATE TABLE teams (id {id}, lead_id {big} NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (lead_id) REFERENCES people (id) ON DELETE CASCADE)`)
			exec(t, db, "PRAGMA foreign_keys = ON")
		} else {
			ddl(t, db, `ALTER TABLE teams ADD CONSTRAINT teams_lead FOREIGN KEY (lead_id) REFERENCES people (id) ON DELETE CASCADE`)
		}
		exec(t, db, "INSERT INTO teams (id) VALUES (1), (2)")
		exec(t, db, "INSERT INTO people (id, team_id) VALUES (10, 1), (11, 1), (20, 2)")
		exec(t, db, "UPDATE teams SET lead_id = 10 WHERE id = 1")
		exec(t, db, "UPDATE teams SET lead_id = 20 WHERE id = 2")
		op, err := db.Delete(ctx, "people", 10)
		if err != nil {
			t.Fatal(err)
		}
		if op.Counts["teams"] != 1 || op.Counts["people"] != 2 {
			t.Fatalf("cycle counts %v", op.Counts)
		}
		wantState(t, db, `
teams alive=[2] deleted=[1]
people alive=[20] deleted=[10 11]`)
		if _, err := db.Restore(ctx, "people", 10); !errors.Is(err, ErrParentDeleted) {
			t.Fatalf("restore of a cycle member whose parent is in the same operation: %v", err)
		}
		if _, err := db.RestoreWithParents(ctx, "people", 10); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `
teams alive=[1 2] deleted=[]
people alive=[10 11 20] deleted=[]`)
	})
}

func TestCompositeKeyFK(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE regions_orders (region {text} NOT NULL, no {big} NOT NULL, deleted_at {ts} NULL, PRIMARY KEY (region, no))`,
			`CREATE TABLE shipments (id {id}, region {text} NOT NULL, order_no {big} NOT NULL, deleted_at {ts} NULL,
			  FOREIGN KEY (region, order_no) REFERENCES regions_orders (region, no) ON DELETE CASCADE)`)
		exec(t, db, "INSERT INTO regions_orders (region, no) VALUES ('eu', 1), ('us', 1)")
		exec(t, db, "INSERT INTO shipments (id, region, order_no) VALUES (1, 'eu', 1), (2, 'eu', 1), (3, 'us', 1)")
		op, err := db.Delete(ctx, "regions_orders", "eu", 1)
		if err != nil {
			t.Fatal(err)
		}
		if op.Counts["shipments"] != 2 {
			t.Fatalf("composite cascade %v", op.Counts)
		}
		wantState(t, db, `shipments alive=[3] deleted=[1 2]`)
		if _, err := db.Restore(ctx, "shipments", 1); !errors.Is(err, ErrParentDeleted) {
			t.Fatalf("restore under deleted composite parent: %v", err)
		}
		if _, err := db.Restore(ctx, "regions_orders", "eu", 1); err != nil {
			t.Fatal(err)
		}
		wantState(t, db, `shipments alive=[1 2 3] deleted=[]`)
		if _, err := db.Delete(ctx, "regions_orders", "eu"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("short key: %v", err)
		}
	})
}

type Order struct {
	ID         int64  `db:"id"`
	CustomerID int64  `db:"customer_id"`
	CouponID   *int64 `db:"coupon_id"`
	Note       *string
}

type Item struct {
	ID        int64 `db:"id"`
	OrderID   int64
	ProductID *int64
	SKU       string `db:"sku"`
}

func TestParentDeletedOnCreateSaveRestore(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		orders, err := NewManager[Order](db, "orders")
		if err != nil {
			t.Fatal(err)
		}
		items, err := NewManager[Item](db, "items")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, "customers", 2); err != nil {
			t.Fatal(err)
		}
		before := state(t, db, shopTables...)
		var pe *ParentDeletedError
		err = orders.Create(ctx, &Order{CustomerID: 2})
		if !errors.As(err, &pe) || pe.ParentTable != "customers" || pe.Columns[0] != "customer_id" {
			t.Fatalf("create under deleted parent: %v", err)
		}
		o := &Order{CustomerID: 1}
		if err := orders.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		exec(t, db, fmt.Sprintf("DELETE FROM orders WHERE id = %d", o.ID)) // back to the snapshot
		o = &Order{ID: 10, CustomerID: 2}
		if err := orders.Save(ctx, o); !errors.As(err, &pe) {
			t.Fatalf("save re-pointing at a deleted parent: %v", err)
		}
		// Self-referencing save goes through the MySQL-safe guard too.
		seven := int64(8)
		if _, err := db.Delete(ctx, "products", 8); err != nil {
			t.Fatal(err)
		}
		before = state(t, db, shopTables...)
		if err := items.Save(ctx, &Item{ID: 102, OrderID: 11, ProductID: &seven, SKU: "c"}); !errors.As(err, &pe) || pe.ParentTable != "products" {
			t.Fatalf("save with deleted product: %v", err)
		}
		if got := state(t, db, shopTables...); got != before {
			t.Fatal("refused save changed data")
		}
		// Loading related rows hides deleted children unless asked.
		kids, err := items.In("order_id", []int64{10, 11}).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) != 2 { // 101 was hidden with product 8
			t.Fatalf("alive children: %d", len(kids))
		}
		all, err := items.AllWithDeleted().In("order_id", []int64{10, 11}).All(ctx)
		if err != nil || len(all) != 3 {
			t.Fatalf("all children: %d %v", len(all), err)
		}
		// The alive helper keeps hand-written joins right.
		q := "SELECT COUNT(*) FROM orders o JOIN items i ON i.order_id = o.id WHERE " + db.Alive("o") + " AND " + db.Alive("i")
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("alive join = %d", n)
		}
	})
}
