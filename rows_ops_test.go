package softdelete

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestRowsOperation: RowsQuery.Operation pages the rows a delete still
// hides by key (the trash of a large delete, without OFFSET), and
// WithOperations names the delete that hid each row.
func TestRowsOperation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rowsFixture(t, db)
		rowsSeed(t, db, 30) // items 1..30; every third deleted outside softdelete; even ids in cat 1
		// No log yet: no operation, and nothing created.
		p, err := db.Rows(ctx, RowsQuery{Table: "items", Scope: ScopeAll, WithOperations: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Operations) != len(p.Rows) || slices.ContainsFunc(p.Operations, func(id int64) bool { return id != 0 }) {
			t.Fatalf("operations without a log: %v", p.Operations)
		}
		op1, err := db.Delete(ctx, "cats", 1)
		if err != nil {
			t.Fatal(err)
		}
		op2, err := db.Delete(ctx, "items", 1)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := int64(2); i <= 30; i += 2 {
			if i%3 != 0 {
				want = append(want, i)
			}
		}
		// Keyset pages of 3 over the cascade's items.
		var got []int64
		q := RowsQuery{Table: "items", Operation: op1.ID, Limit: 3}
		for pages := 0; ; pages++ {
			p, err := db.Rows(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, pageIDs(t, p)...)
			if p.Next == "" || pages > 10 {
				break
			}
			q.After = p.Next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("operation %d hides %v, want %v", op1.ID, got, want)
		}
		if n, err := db.CountRows(ctx, RowsQuery{Table: "items", Operation: op1.ID}); err != nil || n != int64(len(want)) {
			t.Fatalf("count %d, %v", n, err)
		}
		// Scope is ignored; search and filters still apply.
		p, err = db.Rows(ctx, RowsQuery{Table: "items", Operation: op2.ID, Scope: ScopeAlive})
		if err != nil || !slices.Equal(pageIDs(t, p), []int64{1}) {
			t.Fatalf("operation %d: %v %v", op2.ID, p, err)
		}
		// Which operation hid each row.
		p, err = db.Rows(ctx, RowsQuery{Table: "items", Scope: ScopeAll, WithOperations: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range pageIDs(t, p) {
			var w int64
			switch {
			case id == 1:
				w = op2.ID
			case slices.Contains(want, id):
				w = op1.ID
			}
			if p.Operations[i] != w {
				t.Errorf("item %d hidden by %d, want %d", id, p.Operations[i], w)
			}
		}
		p, err = db.Rows(ctx, RowsQuery{Table: "cats", Scope: ScopeDeleted, WithOperations: true})
		if err != nil || len(p.Rows) != 1 || p.Operations[0] != op1.ID {
			t.Fatalf("cats: %v %v", p, err)
		}
		// A table that is not soft-deletable has no operations.
		if p, err = db.Rows(ctx, RowsQuery{Table: "notes", WithOperations: true}); err != nil || len(p.Operations) != 0 {
			t.Fatalf("notes: %v %v", p, err)
		}
		// Bad operations.
		rop, err := db.Restore(ctx, "items", 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []RowsQuery{{Table: "items", Operation: rop.ID}, {Table: "notes", Operation: op1.ID}} {
			if _, err := db.Rows(ctx, q); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", q, err)
			}
		}
		var nf *OperationNotFoundError
		if _, err := db.Rows(ctx, RowsQuery{Table: "items", Operation: 99999}); !errors.As(err, &nf) {
			t.Errorf("unknown operation: %v", err)
		}
		// Restored rows are no longer the operation's; undone, none are.
		if p, err = db.Rows(ctx, RowsQuery{Table: "items", Operation: op2.ID}); err != nil || len(p.Rows) != 0 {
			t.Fatalf("after restore: %v %v", p, err)
		}
		if _, err := db.Undo(ctx, op1.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = db.Rows(ctx, RowsQuery{Table: "items", Operation: op1.ID}); err != nil || len(p.Rows) != 0 {
			t.Fatalf("after undo: %v %v", p, err)
		}
	})
}

// TestRowsOperationOtherStampTypes: the operation of a row is found from a
// soft-delete column whose type differs from the log's (PostgreSQL
// timestamp without time zone, MariaDB TIMESTAMP), under a session time
// zone that is not UTC.
func TestRowsOperationOtherStampTypes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		typ := map[string]string{"sqlite": "TEXT", "postgres": "TIMESTAMP(6)", "mysql": "TIMESTAMP(6) NULL"}[db.Dialect()]
		ddl(t, db, `CREATE TABLE zparents (id {id}, deleted_at `+typ+`)`,
			`CREATE TABLE zchildren (id {id}, parent_id {big} NOT NULL REFERENCES zparents (id) ON DELETE CASCADE, deleted_at `+typ+`)`)
		if db.Dialect() == "mysql" {
			db.SQL().SetMaxOpenConns(1)
			if _, err := db.SQL().ExecContext(ctx, "SET time_zone = '+05:30'"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO zparents (id) VALUES (1), (2)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO zchildren (id, parent_id) VALUES (1, 1), (2, 1), (3, 2)"); err != nil {
			t.Fatal(err)
		}
		op, err := db.Delete(ctx, "zparents", 1)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.Rows(ctx, RowsQuery{Table: "zchildren", Scope: ScopeAll, WithOperations: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Operations, []int64{op.ID, op.ID, 0}) {
			t.Fatalf("operations %v, want [%d %d 0]", p.Operations, op.ID, op.ID)
		}
		if p, err = db.Rows(ctx, RowsQuery{Table: "zchildren", Operation: op.ID}); err != nil || !slices.Equal(pageIDs(t, p), []int64{1, 2}) {
			t.Fatalf("rows of operation %d: %v %v", op.ID, p, err)
		}
	})
}
