package softdelete_test

import (
	"context"
	"fmt"
	"log"

	"github.com/softdelete-go/softdelete"
)

// Schema describes every table; Rows reads any of them by name, one
// keyset page at a time, in the scope asked for.
func ExampleDB_Rows() {
	ctx := context.Background()
	db, err := softdelete.Open("sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, deleted_at DATETIME)`,
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
			note TEXT, deleted_at DATETIME)`,
		`INSERT INTO customers (id, name) VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Alan')`,
		`INSERT INTO orders (id, customer_id, note) VALUES (10, 1, 'first'), (11, 2, NULL), (12, 3, 'third')`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := db.Delete(ctx, "customers", 2); err != nil { // hides order 11 too
		log.Fatal(err)
	}

	s, err := db.Schema(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range s.Tables {
		fmt.Printf("%s: key %v, soft-delete column %q\n", t.Name, t.PrimaryKey, t.DeletedColumn)
		for _, fk := range t.ForeignKeys {
			fmt.Printf("  %v -> %s %v, ON DELETE %v\n", fk.Columns, fk.Parent, fk.ParentColumns, fk.OnDelete)
		}
	}

	q := softdelete.RowsQuery{Table: "customers", Scope: softdelete.ScopeAll,
		OrderBy: []softdelete.RowOrder{{Column: "name"}}, Limit: 2}
	for {
		page, err := db.Rows(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range page.Rows {
			fmt.Println(page.Columns[1], r[1], "deleted:", r[2] != nil)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	deleted, _ := db.CountRows(ctx, softdelete.RowsQuery{Table: "orders", Scope: softdelete.ScopeDeleted})
	fmt.Println("deleted orders:", deleted)
	// Output:
	// customers: key [id], soft-delete column "deleted_at"
	// orders: key [id], soft-delete column "deleted_at"
	//   [customer_id] -> customers [id], ON DELETE CASCADE
	// name Ada deleted: false
	// name Alan deleted: false
	// name Grace deleted: true
	// deleted orders: 1
}
