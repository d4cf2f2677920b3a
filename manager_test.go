package softdelete

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Customer maps the shop fixture's customers table (relations_test.go).
type Customer struct {
	ID        int64
	Name      string
	DeletedAt *time.Time
}

// Issue 8: soft or hard is decided by the row's state in the database, not
// by the struct. A copy that says "deleted" whose row is alive again (Undo,
// table-level Restore, someone else's restore) is soft-deleted again, never
// removed for good with its CASCADE children.
func TestDeleteDecidesFromDatabaseState(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		m, err := NewManager[Customer](db, "customers")
		if err != nil {
			t.Fatal(err)
		}
		tables := []string{"customers", "orders", "items", "item_notes"}
		c := must[*Customer](t)(m.Get(ctx, int64(1)))
		if err := m.Delete(ctx, c); err != nil {
			t.Fatal(err)
		}
		hidden := state(t, db, tables...)
		// Undo the delete through the log: the row and its children are live.
		var opID int64
		if err := db.SQL().QueryRow("SELECT MAX(id) FROM softdelete_operations WHERE kind = 'delete'").Scan(&opID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Undo(ctx, opID); err != nil {
			t.Fatal(err)
		}
		live := state(t, db, tables...)
		if c.DeletedAt == nil {
			t.Fatal("struct not marked deleted")
		}
		// c still says deleted: the second Delete must hide, not remove.
		if err := m.Delete(ctx, c); err != nil {
			t.Fatalf("delete of a restored row through a stale copy: %v", err)
		}
		if got := state(t, db, tables...); got != hidden {
			t.Fatalf("delete after undo did not soft-delete exactly the tree:\n%s\nwant\n%s", got, hidden)
		}
		// The same with the table-level Restore and a copy read while deleted.
		stale := must[*Customer](t)(m.OnlyDeleted().Where("id = ?", 1).First(ctx))
		if _, err := db.Restore(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		if got := state(t, db, tables...); got != live {
			t.Fatalf("restore:\n%s\nwant\n%s", got, live)
		}
		if err := m.Delete(ctx, stale); err != nil {
			t.Fatalf("delete through a stale deleted copy: %v", err)
		}
		if got := state(t, db, tables...); got != hidden {
			t.Fatalf("stale delete did not soft-delete exactly the tree:\n%s\nwant\n%s", got, hidden)
		}
		// A real second delete (row deleted in the database, copy deleted)
		// still removes the row for good.
		if err := m.Delete(ctx, stale); err != nil {
			t.Fatal(err)
		}
		if n := must[int64](t)(m.AllWithDeleted().Where("id = ?", 1).Count(ctx)); n != 0 {
			t.Fatalf("second delete left the row: %d", n)
		}
		// A copy that believes the row alive never removes a deleted row.
		c2 := must[*Customer](t)(m.Get(ctx, int64(2)))
		alive := *c2
		if err := m.Delete(ctx, c2); err != nil {
			t.Fatal(err)
		}
		if err := m.Delete(ctx, &alive); !errors.Is(err, ErrDeleted) {
			t.Fatalf("delete of a deleted row through an alive copy: %v, want ErrDeleted", err)
		}
		if n := must[int64](t)(m.OnlyDeleted().Where("id = ?", 2).Count(ctx)); n != 1 {
			t.Fatalf("row 2 is gone or alive: %d deleted rows", n)
		}
		// Missing row, deleted copy: ErrNotFound.
		gone := &Customer{ID: 999, DeletedAt: stale.DeletedAt}
		if err := m.Delete(ctx, gone); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete of a missing row: %v", err)
		}
	})
}

// Issue 8: every verb of a query keeps its scope. Restore on the default
// (alive) scope restores nothing; OnlyDeleted/AllWithDeleted reach hidden
// rows. AllWithDeleted().Delete soft-deletes the alive rows only.
func TestQueryVerbsKeepScope(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		m, err := NewManager[Customer](db, "customers")
		if err != nil {
			t.Fatal(err)
		}
		tables := []string{"customers", "orders", "items", "item_notes"}
		if _, err := db.Delete(ctx, "customers", 1); err != nil {
			t.Fatal(err)
		}
		before := state(t, db, tables...)
		n, err := m.Where("id = ?", 1).Restore(ctx)
		if err != nil || n != 0 {
			t.Fatalf("live-scope Restore = %d, %v; want 0, nil", n, err)
		}
		if got := state(t, db, tables...); got != before {
			t.Fatalf("live-scope Restore changed rows:\n%s\nwant\n%s", got, before)
		}
		if n := must[int64](t)(m.Where("id = ?", 1).Count(ctx)); n != 0 {
			t.Fatalf("live-scope Count sees a hidden row: %d", n)
		}
		if n := must[int64](t)(m.Where("id = ?", 1).HardDelete(ctx)); n != 0 {
			t.Fatalf("live-scope HardDelete removed a hidden row: %d", n)
		}
		if got := state(t, db, tables...); got != before {
			t.Fatalf("live-scope HardDelete changed rows")
		}
		// AllWithDeleted().Delete hides the alive rows and leaves the
		// deleted one as it is (no removal for good).
		if n := must[int64](t)(m.AllWithDeleted().Where("id IN (?)", []int64{1, 2}).Delete(ctx)); n != 1 {
			t.Fatalf("AllWithDeleted().Delete hid %d rows, want 1", n)
		}
		if n := must[int64](t)(m.OnlyDeleted().Count(ctx)); n != 2 {
			t.Fatalf("%d deleted customers, want 2", n)
		}
		if n := must[int64](t)(m.AllWithDeleted().Where("id = ?", 1).Restore(ctx)); n != 1 {
			t.Fatalf("AllWithDeleted().Restore = %d, want 1", n)
		}
		if n := must[int64](t)(m.OnlyDeleted().Where("id = ?", 2).Restore(ctx)); n != 1 {
			t.Fatalf("OnlyDeleted().Restore = %d, want 1", n)
		}
		if n := must[int64](t)(m.Count(ctx)); n != 2 {
			t.Fatalf("%d alive customers, want 2", n)
		}
	})
}
