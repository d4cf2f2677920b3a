package softdelete_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/softdelete-go/softdelete"
	_ "modernc.org/sqlite"
)

// Product is the seed's model: the embedded Model brings id, created/
// updated timestamps and the soft-delete stamp.
type Product struct {
	softdelete.Model
	Name  string
	Price float64
}

// The seed walk-through: a deleted product disappears from the default
// scope, stays visible through AllWithDeleted, and comes back on Restore.
func Example() {
	ctx := context.Background()
	db, err := softdelete.Open("sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_, err = db.SQL().Exec(`CREATE TABLE products (
		id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL,
		created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, deleted_at DATETIME)`)
	if err != nil {
		log.Fatal(err)
	}
	products, err := softdelete.NewManager[Product](db, "products")
	if err != nil {
		log.Fatal(err)
	}

	laptop := &Product{Name: "Laptop", Price: 1200}
	_ = products.Create(ctx, laptop)
	n, _ := products.Count(ctx)
	fmt.Println("count:", n)

	_ = products.Delete(ctx, laptop)
	n, _ = products.Count(ctx)
	fmt.Println("count after delete:", n, "deleted:", laptop.IsDeleted())

	n, _ = products.AllWithDeleted().Count(ctx)
	first, _ := products.AllWithDeleted().First(ctx)
	fmt.Println("with deleted:", n, first.Name)

	_ = products.Restore(ctx, laptop)
	n, _ = products.Count(ctx)
	first, _ = products.First(ctx)
	fmt.Println("count after restore:", n, first.Name)
	// Output:
	// count: 1
	// count after delete: 0 deleted: true
	// with deleted: 1 Laptop
	// count after restore: 1 Laptop
}

// Get never returns a soft-deleted row, and a second Delete removes the
// row for good.
func ExampleManager_Delete() {
	ctx := context.Background()
	db, _ := softdelete.Open("sqlite::memory:")
	defer db.Close()
	db.SQL().Exec(`CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL,
		created_at DATETIME, updated_at DATETIME, deleted_at DATETIME)`)
	products, _ := softdelete.NewManager[Product](db, "products")

	p := &Product{Name: "Mouse"}
	_ = products.Create(ctx, p)
	_ = products.Delete(ctx, p)
	_, err := products.Get(ctx, p.ID)
	fmt.Println("get deleted:", err)

	_ = products.Delete(ctx, p) // already soft-deleted: hard delete
	n, _ := products.AllWithDeleted().Count(ctx)
	fmt.Println("rows left:", n)
	// Output:
	// get deleted: softdelete: row not found
	// rows left: 0
}

// shopDB opens an in-memory shop: customers -> orders -> items, all
// ON DELETE CASCADE, and invoices -> customers ON DELETE RESTRICT.
func shopDB() *softdelete.DB {
	db, err := softdelete.Open("sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, deleted_at DATETIME)`,
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers ON DELETE CASCADE, deleted_at DATETIME)`,
		`CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders ON DELETE CASCADE, deleted_at DATETIME)`,
		`CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers ON DELETE RESTRICT, deleted_at DATETIME)`,
		`INSERT INTO customers (id, name) VALUES (1, 'ann'), (2, 'bob')`,
		`INSERT INTO orders (id, customer_id) VALUES (10, 1), (11, 1), (20, 2)`,
		`INSERT INTO items (id, order_id) VALUES (100, 10), (101, 10), (110, 11), (200, 20)`,
		`INSERT INTO invoices (id, customer_id) VALUES (1, 2)`,
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	return db
}

// A soft delete follows the foreign keys like a hard delete would, and a
// restore brings back exactly what that delete hid: here item 101, deleted
// on its own before, stays deleted.
func ExampleDB_Delete() {
	ctx := context.Background()
	db := shopDB()
	defer db.Close()

	db.Delete(ctx, "items", 101)
	op, _ := db.Delete(ctx, "customers", 1)
	fmt.Println("hid:", op.Counts)

	_, err := db.Delete(ctx, "customers", 2)
	fmt.Println(err)

	db.Restore(ctx, "customers", 1)
	var alive int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM items WHERE ` + db.Alive("")).Scan(&alive)
	fmt.Println("alive items after restore:", alive)
	// Output:
	// hid: map[customers:1 items:2 orders:2]
	// softdelete: delete from customers restricted by live rows in invoices (1 row); delete or detach them first, or override the relation's rule
	// alive items after restore: 3
}

// PlanDelete answers "what would this delete hide?" from the same code
// path as Delete (run, then rolled back): what an admin confirmation shows.
func ExampleDB_PlanDelete() {
	ctx := context.Background()
	db := shopDB()
	defer db.Close()
	plan, _ := db.PlanDelete(ctx, "customers", 1)
	fmt.Println(plan.Allowed(), plan.Counts)
	plan, _ = db.PlanDelete(ctx, "customers", 2)
	fmt.Println(plan.Allowed(), plan.Blockers)
	// Output:
	// true map[customers:1 items:3 orders:2]
	// false map[invoices:1]
}

// Every operation is logged with who and why; Undo restores exactly what
// one delete hid.
func ExampleDB_Undo() {
	ctx := softdelete.WithReason(softdelete.WithActor(context.Background(), "alice"), "ticket #42")
	db := shopDB()
	defer db.Close()

	db.Delete(ctx, "customers", 1)
	trash, _ := db.Operations(ctx, softdelete.OpFilter{Trash: true})
	op := trash[0]
	fmt.Println(op.Kind, op.Table, op.Key, op.Actor, op.Reason, op.Rows)

	undo, _ := db.Undo(ctx, op.ID)
	fmt.Println(undo.Kind, undo.Rows)
	trash, _ = db.Operations(ctx, softdelete.OpFilter{Trash: true})
	fmt.Println("in trash:", len(trash))
	// Output:
	// delete customers 1 alice ticket #42 6
	// undo 6
	// in trash: 0
}

// Purge removes for good what was soft-deleted before the cut-off,
// children first, in batches.
func ExampleDB_Purge() {
	ctx := context.Background()
	db := shopDB()
	defer db.Close()
	db.Delete(ctx, "customers", 1)
	res, _ := db.Purge(ctx, softdelete.PurgePolicy{Before: time.Now().Add(time.Second)})
	fmt.Println(res.Counts)
	var rows int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM items`).Scan(&rows)
	fmt.Println("items left:", rows)
	// Output:
	// map[customers:1 items:3 orders:2]
	// items left: 1
}

// Adopt prints the DDL that makes an existing table ready: here the unique
// email becomes unique among alive rows only, so a deleted user's email can
// be reused.
func ExampleDB_Adopt() {
	ctx := context.Background()
	db, _ := softdelete.Open("sqlite::memory:")
	defer db.Close()
	db.SQL().Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)`)
	db.SQL().Exec(`CREATE UNIQUE INDEX users_email ON users (email)`)
	m, _ := db.Adopt(ctx, softdelete.AdoptOptions{})
	fmt.Print(softdelete.Script(m.Up))
	// Output:
	// ALTER TABLE "users" ADD COLUMN "deleted_at" DATETIME;
	// DROP INDEX "users_email";
	// CREATE UNIQUE INDEX "users_email_key" ON "users" (email) WHERE "deleted_at" IS NULL;
}
