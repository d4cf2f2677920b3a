package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type Product struct {
	Model
	Name  string
	Price float64
}

const productsDDL = `CREATE TABLE products (id {id}, name {text} NOT NULL, price {dec} NOT NULL DEFAULT 0,
 created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`

func products(t *testing.T, db *DB) *Manager[Product] {
	t.Helper()
	ddl(t, db, productsDDL)
	m, err := NewManager[Product](db, "products")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestSeedWalkthrough(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		laptop := &Product{Name: "Laptop", Price: 1200}
		if err := m.Create(ctx, laptop); err != nil {
			t.Fatal(err)
		}
		if laptop.ID == 0 || laptop.CreatedAt.IsZero() || laptop.UpdatedAt.IsZero() {
			t.Fatalf("Create did not set id/timestamps: %+v", laptop)
		}
		count := func() int64 { return must[int64](t)(m.Count(ctx)) }
		if n := count(); n != 1 {
			t.Fatalf("count = %d, want 1", n)
		}
		if err := m.Delete(ctx, laptop); err != nil {
			t.Fatal(err)
		}
		if !laptop.IsDeleted() || !m.IsDeleted(laptop) {
			t.Fatal("deleted product not marked deleted")
		}
		if n := count(); n != 0 {
			t.Fatalf("count after delete = %d, want 0", n)
		}
		if n := must[int64](t)(m.AllWithDeleted().Count(ctx)); n != 1 {
			t.Fatalf("AllWithDeleted count = %d, want 1", n)
		}
		first := must[*Product](t)(m.AllWithDeleted().First(ctx))
		if first.Name != "Laptop" || !first.IsDeleted() {
			t.Fatalf("AllWithDeleted().First() = %+v", first)
		}
		if err := m.Restore(ctx, laptop); err != nil {
			t.Fatal(err)
		}
		if laptop.IsDeleted() {
			t.Fatal("restored product still marked deleted")
		}
		if n := count(); n != 1 {
			t.Fatalf("count after restore = %d, want 1", n)
		}
		if f := must[*Product](t)(m.First(ctx)); f.Name != "Laptop" {
			t.Fatalf("First().Name = %q", f.Name)
		}
	})
}

func TestGetNeverReturnsDeleted(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Phone"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		got := must[*Product](t)(m.Get(ctx, p.ID))
		if got.Name != "Phone" {
			t.Fatalf("Get = %+v", got)
		}
		must[struct{}](t)(struct{}{}, m.Delete(ctx, p))
		_, err := m.Get(ctx, p.ID)
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("Get(deleted) err = %v, want ErrNotFound matching sql.ErrNoRows", err)
		}
		if _, err := m.Get(ctx, int64(987654)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(missing) err = %v", err)
		}
		if n := must[int64](t)(m.OnlyDeleted().Count(ctx)); n != 1 {
			t.Fatalf("OnlyDeleted count = %d", n)
		}
	})
}

func TestSecondDeleteRemovesForGood(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Tablet"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		must[struct{}](t)(struct{}{}, m.Delete(ctx, p))
		must[struct{}](t)(struct{}{}, m.Delete(ctx, p))
		if n := must[int64](t)(m.AllWithDeleted().Count(ctx)); n != 0 {
			t.Fatalf("row still there after second delete: %d", n)
		}
		// Delete of a row deleted by someone else (stale struct): ErrDeleted.
		q := &Product{Name: "Watch"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, q))
		stale := *q
		must[struct{}](t)(struct{}{}, m.Delete(ctx, q))
		if err := m.Delete(ctx, &stale); !errors.Is(err, ErrDeleted) {
			t.Fatalf("delete with stale alive struct: %v, want ErrDeleted", err)
		}
		if n := must[int64](t)(m.OnlyDeleted().Count(ctx)); n != 1 {
			t.Fatalf("stale delete changed data: %d deleted rows", n)
		}
		// HardDelete of an alive row.
		r := &Product{Name: "Pen"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, r))
		must[struct{}](t)(struct{}{}, m.HardDelete(ctx, r))
		if _, err := m.AllWithDeleted().Where("id = ?", r.ID).First(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("hard-deleted row still readable: %v", err)
		}
		if err := m.HardDelete(ctx, r); !errors.Is(err, ErrNotFound) {
			t.Fatalf("hard delete of missing row: %v", err)
		}
	})
}

func TestSaveAndDeletedRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Desk", Price: 10}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		before := p.UpdatedAt
		time.Sleep(2 * time.Millisecond)
		p.Price = 12.5
		must[struct{}](t)(struct{}{}, m.Save(ctx, p))
		if !p.UpdatedAt.After(before) {
			t.Fatal("Save did not bump UpdatedAt")
		}
		got := must[*Product](t)(m.Get(ctx, p.ID))
		if got.Price != 12.5 || !got.UpdatedAt.Equal(p.UpdatedAt) || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("after Save got %+v want %+v", got, p)
		}
		must[struct{}](t)(struct{}{}, m.Delete(ctx, p))
		snap := snapshot(t, db, "products")
		p.Price = 99
		if err := m.Save(ctx, p); !errors.Is(err, ErrDeleted) {
			t.Fatalf("Save(deleted) = %v, want ErrDeleted", err)
		}
		stale := *got // alive copy of a now-deleted row
		stale.Price = 77
		if err := m.Save(ctx, &stale); !errors.Is(err, ErrDeleted) {
			t.Fatalf("Save(stale copy of deleted) = %v, want ErrDeleted", err)
		}
		if s := snapshot(t, db, "products"); s != snap {
			t.Fatalf("refused Save changed data:\n%s\nvs\n%s", s, snap)
		}
		missing := &Product{Model: Model{ID: 424242}, Name: "x"}
		if err := m.Save(ctx, missing); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Save(missing) = %v", err)
		}
		if err := m.Restore(ctx, &stale); err != nil {
			t.Fatal(err)
		}
		if err := m.Restore(ctx, &stale); !errors.Is(err, ErrNotDeleted) {
			t.Fatalf("Restore(alive) = %v, want ErrNotDeleted", err)
		}
	})
}

func TestTimestampsRoundTripExactly(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		created := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.FixedZone("X", 5*3600))
		p := &Product{Name: "Clock", Model: Model{CreatedAt: created}}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		must[struct{}](t)(struct{}{}, m.Delete(ctx, p))
		got := must[*Product](t)(m.AllWithDeleted().Where("id = ?", p.ID).First(ctx))
		if !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("created_at %v, want %v in UTC", got.CreatedAt, created)
		}
		if got.UpdatedAt != p.UpdatedAt || got.UpdatedAt.Nanosecond()%1000 != 0 {
			t.Fatalf("updated_at %v != %v", got.UpdatedAt, p.UpdatedAt)
		}
		if got.DeletedAt == nil || *got.DeletedAt != *p.DeletedAt {
			t.Fatalf("deleted_at %v != %v", got.DeletedAt, p.DeletedAt)
		}
		// Comparisons on stamps work in SQL too.
		n := must[int64](t)(m.AllWithDeleted().Where("deleted_at = ?", *p.DeletedAt).Count(ctx))
		if n != 1 {
			t.Fatalf("deleted_at = stamp matched %d rows", n)
		}
		n = must[int64](t)(m.AllWithDeleted().Where("created_at < ?", created.Add(time.Microsecond)).Count(ctx))
		if n != 1 {
			t.Fatalf("created_at < stamp+1µs matched %d rows", n)
		}
	})
}

func TestQueries(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		var ids []int64
		for i, name := range []string{"a", "b", "c", "d", "e"} {
			p := &Product{Name: name, Price: float64(i)}
			must[struct{}](t)(struct{}{}, m.Create(ctx, p))
			ids = append(ids, p.ID)
		}
		d := &Product{Model: Model{ID: ids[1]}}
		must[struct{}](t)(struct{}{}, m.Delete(ctx, d))
		all := must[[]Product](t)(m.OrderBy("-name").All(ctx))
		if len(all) != 4 || all[0].Name != "e" || all[3].Name != "a" {
			t.Fatalf("OrderBy(-name) = %v", names(all))
		}
		page := must[[]Product](t)(m.OrderBy("name").Limit(2).Offset(1).All(ctx))
		if len(page) != 2 || page[0].Name != "c" || page[1].Name != "d" {
			t.Fatalf("page = %v", names(page))
		}
		in := must[[]Product](t)(m.Where("id IN (?)", ids[:3]).OrderBy("id").All(ctx))
		if len(in) != 2 || in[0].Name != "a" || in[1].Name != "c" {
			t.Fatalf("IN = %v", names(in))
		}
		if n := must[int64](t)(m.Where("id IN (?)", []int64{}).Count(ctx)); n != 0 {
			t.Fatalf("IN () matched %d", n)
		}
		if n := must[int64](t)(m.Where("price >= ?", 2).Where("name <> ?", "e").Count(ctx)); n != 2 {
			t.Fatalf("chained Where count = %d", n)
		}
		if n := must[int64](t)(m.OrderBy("id").Limit(3).Count(ctx)); n != 3 {
			t.Fatalf("Count with Limit = %d", n)
		}
		if ok := must[bool](t)(m.Where("name = ?", "b").Exists(ctx)); ok {
			t.Fatal("deleted row exists in default scope")
		}
		if ok := must[bool](t)(m.AllWithDeleted().Where("name = ?", "b").Exists(ctx)); !ok {
			t.Fatal("deleted row missing from AllWithDeleted")
		}
		if _, err := m.Where("name = ?", "zzz").First(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("First on empty = %v", err)
		}
		if n := must[int64](t)(m.Where("LOWER(name) LIKE ? OR products.price = ?", "%d%", 0).Count(ctx)); n != 2 {
			t.Fatalf("functions/qualified columns: %d", n)
		}
		// Bulk delete and restore.
		n := must[int64](t)(m.Where("price < ?", 3).Delete(ctx))
		if n != 2 { // a, c (b already deleted)
			t.Fatalf("bulk delete hid %d rows, want 2", n)
		}
		if c := must[int64](t)(m.Count(ctx)); c != 2 {
			t.Fatalf("alive after bulk delete = %d", c)
		}
		r := must[int64](t)(m.OnlyDeleted().Where("price < ?", 3).Restore(ctx))
		if r != 3 {
			t.Fatalf("bulk restore brought back %d rows, want 3", r)
		}
		if c := must[int64](t)(m.Count(ctx)); c != 5 {
			t.Fatalf("alive after bulk restore = %d", c)
		}
		// Emptying the trash.
		must[int64](t)(m.Where("name IN (?)", []string{"a", "b"}).Delete(ctx))
		if n := must[int64](t)(m.OnlyDeleted().Delete(ctx)); n != 2 {
			t.Fatalf("OnlyDeleted().Delete removed %d, want 2", n)
		}
		if n := must[int64](t)(m.AllWithDeleted().Count(ctx)); n != 3 {
			t.Fatalf("rows left = %d", n)
		}
	})
}

func names(ps []Product) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return s
}

func TestBadInputChangesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Keep"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		snap := snapshot(t, db, "products")
		check := func(what string, err error, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: err = %v, want %v", what, err, want)
			}
			if s := snapshot(t, db, "products"); s != snap {
				t.Errorf("%s changed data", what)
			}
		}
		_, err := m.Where("nosuch = ?", 1).All(ctx)
		check("unknown column in Where", err, ErrInvalid)
		_, err = m.Where("name = ?; DROP TABLE products", 1).Delete(ctx)
		check("statement separator", err, ErrInvalid)
		_, err = m.Where("name = ? -- x", 1).Count(ctx)
		check("comment", err, ErrInvalid)
		_, err = m.Where("name = ?").Count(ctx)
		check("missing argument", err, ErrInvalid)
		_, err = m.OrderBy("name; DROP TABLE products").All(ctx)
		check("unknown OrderBy column", err, ErrInvalid)
		_, err = m.OrderBy("nosuch").First(ctx)
		check("unknown OrderBy column", err, ErrInvalid)
		_, err = m.Where("name = ?", "Keep").Limit(1).Delete(ctx)
		check("bulk delete with limit", err, ErrInvalid)
		check("nil Create", m.Create(ctx, nil), ErrInvalid)
		check("nil Save", m.Save(ctx, nil), ErrInvalid)
		check("nil Delete", m.Delete(ctx, nil), ErrInvalid)
		check("nil Restore", m.Restore(ctx, nil), ErrInvalid)
		check("zero-id Delete", m.Delete(ctx, &Product{}), ErrInvalid)
		check("zero-id Save", m.Save(ctx, &Product{Name: "x"}), ErrInvalid)
		_, err = m.Get(ctx, 0)
		check("zero-id Get", err, ErrInvalid)
		_, err = m.Get(ctx, nil)
		check("nil Get", err, ErrInvalid)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		check("cancelled Delete", m.Delete(cctx, p), context.Canceled)
		_, err = m.Count(cctx)
		check("cancelled Count", err, context.Canceled)

		type Wrong struct {
			Model
			Name  string
			Color string
		}
		_, err = NewManager[Wrong](db, "products")
		var se *SchemaError
		if !errors.As(err, &se) || se.Field != "Color" || se.Column != "color" || !errors.Is(err, ErrSchema) {
			t.Errorf("mismatched struct: %v", err)
		}
		_, err = NewManager[Product](db, "nosuch")
		if !errors.As(err, &se) || se.Table != "nosuch" {
			t.Errorf("missing table: %v", err)
		}
		_, err = NewManager[int](db, "products")
		if !errors.Is(err, ErrSchema) {
			t.Errorf("non-struct: %v", err)
		}
		ddl(t, db, `CREATE TABLE plain (id {id}, name {text})`)
		type Plain struct {
			ID   int64
			Name string
		}
		_, err = NewManager[Plain](db, "plain")
		if !errors.As(err, &se) || se.Column != "deleted_at" {
			t.Errorf("table without deleted_at: %v", err)
		}

		db.Close()
		check2 := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s on closed DB: %v", what, err)
			}
		}
		_, err = m.Count(ctx)
		check2("Count", err)
		check2("Delete", m.Delete(ctx, p))
		check2("Create", m.Create(ctx, &Product{Name: "n"}))
	})
}

func TestRacingDeletesApplyOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Contested"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		const n = 8
		var ok, deleted atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &Product{Model: Model{ID: p.ID}, Name: p.Name}
				err := m.Delete(ctx, c)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrDeleted):
					deleted.Add(1)
				default:
					t.Errorf("racing delete: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || deleted.Load() != n-1 {
			t.Fatalf("%d deletes applied, %d refused; want 1 and %d", ok.Load(), deleted.Load(), n-1)
		}
		var ops int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM softdelete_operations WHERE kind = 'delete'").Scan(&ops); err != nil {
			t.Fatal(err)
		}
		if ops != 1 {
			t.Fatalf("%d delete operations logged, want 1", ops)
		}
		var rok, rnot atomic.Int32
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &Product{Model: Model{ID: p.ID}}
				err := m.Restore(ctx, c)
				switch {
				case err == nil:
					rok.Add(1)
				case errors.Is(err, ErrNotDeleted):
					rnot.Add(1)
				default:
					t.Errorf("racing restore: %v", err)
				}
			}()
		}
		wg.Wait()
		if rok.Load() != 1 {
			t.Fatalf("%d restores applied, want 1", rok.Load())
		}
	})
}

func TestWithTx(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := products(t, db)
		p := &Product{Name: "Tx"}
		must[struct{}](t)(struct{}{}, m.Create(ctx, p))
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mt := m.WithTx(tx)
		must[struct{}](t)(struct{}{}, mt.Delete(ctx, p))
		if n := must[int64](t)(mt.Count(ctx)); n != 0 {
			t.Fatalf("inside tx count = %d", n)
		}
		q := &Product{Name: "InTx"}
		must[struct{}](t)(struct{}{}, mt.Create(ctx, q))
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := must[int64](t)(m.Count(ctx)); n != 1 {
			t.Fatalf("after rollback count = %d, want 1", n)
		}
		if got := must[*Product](t)(m.First(ctx)); got.Name != "Tx" {
			t.Fatalf("after rollback first = %+v", got)
		}
	})
}

// A struct that does not embed Model: key and soft-delete column by tag.
type Article struct {
	Slug      string     `db:"slug,pk"`
	Title     string     `db:"title"`
	RemovedAt *time.Time `db:"removed_at,deleted"`
	Ignored   string     `db:"-"`
}

func TestCustomStruct(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d) // the tag names the soft-delete column
			ctx := context.Background()
			ddl(t, db, `CREATE TABLE articles (slug {text} PRIMARY KEY, title {text} NOT NULL, removed_at {ts} NULL)`)
			m, err := NewManager[Article](db, "articles")
			if err != nil {
				t.Fatal(err)
			}
			a := &Article{Slug: "hello", Title: "Hello"}
			must[struct{}](t)(struct{}{}, m.Create(ctx, a))
			must[struct{}](t)(struct{}{}, m.Delete(ctx, a))
			if a.RemovedAt == nil {
				t.Fatal("RemovedAt not set")
			}
			if _, err := m.Get(ctx, "hello"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get(deleted) = %v", err)
			}
			must[struct{}](t)(struct{}{}, m.Restore(ctx, a))
			got := must[*Article](t)(m.Get(ctx, "hello"))
			if got.Title != "Hello" {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// Inside the caller's transaction a failed operation leaves nothing
// behind, and failure diagnostics read through that transaction (on
// sqlite::memory: there is only one connection).
func TestFailuresInsideCallerTx(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			var db *DB
			if d == "sqlite" {
				db = must[*DB](t)(Open("sqlite::memory:"))
				t.Cleanup(func() { db.Close() })
			} else {
				db = openTest(t, d)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			shop(t, db)
			orders, err := NewManager[Order](db, "orders")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Delete(ctx, "customers", 2); err != nil {
				t.Fatal(err)
			}
			exec(t, db, "INSERT INTO invoices (id, customer_id) VALUES (1, 1)")
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := orders.WithTx(tx).Create(ctx, &Order{ID: 99, CustomerID: 2}); !errors.Is(err, ErrParentDeleted) {
				t.Fatalf("create under a deleted parent in a tx: %v", err)
			}
			before := stateQ(t, tx, "customers", "orders", "items")
			// Restricted by the invoice: the cascade had already hidden orders
			// and items when the check failed; the savepoint takes them back.
			if _, err := db.DeleteTx(ctx, tx, "customers", 1); !errors.Is(err, ErrRestricted) {
				t.Fatalf("restricted delete in a tx: %v", err)
			}
			if got := stateQ(t, tx, "customers", "orders", "items"); got != before {
				t.Fatalf("failed delete left changes in the caller's transaction:\n%s\nwant\n%s", got, before)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("transaction unusable after a failed operation: %v", err)
			}
		})
	}
}
