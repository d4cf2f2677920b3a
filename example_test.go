package softdelete_test

import (
	"context"
	"fmt"
	"log"

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
