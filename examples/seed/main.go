// Program seed runs the seed article's walk-through through softdelete's
// public API from outside its module, importing only the root package and
// the database drivers. It creates its own table (seed_products) and drops
// it at the end.
//
//	go run . sqlite:seed.db
//	go run . 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run . mysql://root@127.0.0.1:3306/test
package main

import (
	"context"
	"fmt"
	"os"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/softdelete-go/softdelete"
	_ "modernc.org/sqlite"
)

type Product struct {
	softdelete.Model
	Name  string
	Price float64
}

var ddl = map[string]string{
	"sqlite":   `CREATE TABLE seed_products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, deleted_at DATETIME)`,
	"postgres": `CREATE TABLE seed_products (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, price DOUBLE PRECISION NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ)`,
	"mysql":    `CREATE TABLE seed_products (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DOUBLE NOT NULL, created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL, deleted_at DATETIME(6) NULL)`,
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seed DATABASE_URL")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func check(what string, got, want any) error {
	fmt.Printf("%-32s %v\n", what, got)
	if got != want {
		return fmt.Errorf("%s = %v, want %v", what, got, want)
	}
	return nil
}

func run(url string) (err error) {
	ctx := context.Background()
	db, err := softdelete.Open(url)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.SQL().Exec(ddl[db.Dialect()]); err != nil {
		return err
	}
	defer db.SQL().Exec("DROP TABLE seed_products")
	products, err := softdelete.NewManager[Product](db, "seed_products")
	if err != nil {
		return err
	}
	laptop := &Product{Name: "Laptop", Price: 1200}
	if err := products.Create(ctx, laptop); err != nil {
		return err
	}
	n, _ := products.Count(ctx)
	if err := check("count", n, int64(1)); err != nil {
		return err
	}
	if err := products.Delete(ctx, laptop); err != nil {
		return err
	}
	n, _ = products.Count(ctx)
	if err := check("count after delete", n, int64(0)); err != nil {
		return err
	}
	n, _ = products.AllWithDeleted().Count(ctx)
	if err := check("AllWithDeleted().Count()", n, int64(1)); err != nil {
		return err
	}
	first, err := products.AllWithDeleted().First(ctx)
	if err != nil {
		return err
	}
	if err := check("AllWithDeleted().First().Name", first.Name, "Laptop"); err != nil {
		return err
	}
	if err := products.Restore(ctx, laptop); err != nil {
		return err
	}
	n, _ = products.Count(ctx)
	if err := check("count after restore", n, int64(1)); err != nil {
		return err
	}
	fmt.Println("seed walk-through OK on", db.Dialect())
	return nil
}
