package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

// Issue 8: a refused NewManager leaves no trace. Before the fix a struct
// tagging a text column `db:"name,deleted"` made that column the table's
// soft-delete column for the whole DB (db.Delete then said ErrDeleted on a
// live row and Purge removed live rows), and created the operations log.
func TestRefusedNewManagerLeavesNoTrace(t *testing.T) {
	type TaggedText struct {
		ID   int64
		Name string `db:"name,deleted"`
	}
	type TaggedTextPtr struct {
		ID   int64
		Name *time.Time `db:"name,deleted"`
	}
	type TaggedNumber struct {
		ID  int64
		Qty *time.Time `db:"qty,deleted"`
	}
	type Note struct {
		ID        int64
		Name      *string
		Qty       *int64
		DeletedAt *time.Time
	}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE notes (id {id}, name {text} NULL, qty {big} NULL, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO notes (id, name, qty) VALUES (1, 'one', 1), (2, 'two', 2)")
		var se *SchemaError
		if _, err := NewManager[TaggedText](db, "notes"); !errors.As(err, &se) {
			t.Fatalf("text soft-delete column with a string field: %v", err)
		}
		// Nothing was created in the database.
		if _, err := db.SQL().ExecContext(ctx, "SELECT COUNT(*) FROM softdelete_operations"); err == nil {
			t.Fatal("a refused NewManager created the operations log")
		}
		// The DB behaves as before: deleted_at is the soft-delete column.
		if _, err := db.Delete(ctx, "notes", 1); err != nil {
			t.Fatalf("db.Delete of a live row after a refused NewManager: %v", err)
		}
		if _, err := db.Restore(ctx, "notes", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := NewManager[TaggedTextPtr](db, "notes"); !errors.As(err, &se) || se.Column != "name" {
			t.Fatalf("text soft-delete column: %v, want a SchemaError naming column name", err)
		}
		if _, err := NewManager[TaggedNumber](db, "notes"); !errors.As(err, &se) || se.Column != "qty" {
			t.Fatalf("integer soft-delete column: %v, want a SchemaError naming column qty", err)
		}
		if _, err := db.Delete(ctx, "notes", 2); err != nil {
			t.Fatal(err)
		}
		// Purge compares instants at the precision of the stored stamp (on
		// SQLite through unixepoch(..., 'subsec'), milliseconds): let the
		// stamp be clearly older than the cut-off.
		time.Sleep(20 * time.Millisecond)
		if _, err := db.Purge(ctx, PurgePolicy{OlderThan: time.Nanosecond}); err != nil {
			t.Fatal(err)
		}
		if got := state(t, db, "notes"); got != "notes alive=[1] deleted=[]\n" {
			t.Fatalf("after delete, restore and purge: %q", got)
		}
		// A valid Manager still works afterwards.
		m, err := NewManager[Note](db, "notes")
		if err != nil {
			t.Fatal(err)
		}
		if n := must[int64](t)(m.Count(ctx)); n != 1 {
			t.Fatalf("count = %d", n)
		}
	})
}

// Issue 8: NewManager refuses a key that does not select one row (no
// primary key, or a column that is not the primary key) and fields whose
// Go type cannot hold their column, naming field, column and types.
func TestNewManagerRefusesBadKeysAndTypes(t *testing.T) {
	type Row struct {
		ID        int64
		Name      string
		DeletedAt *time.Time
	}
	type NameInt struct {
		ID        int64
		Name      int64
		DeletedAt *time.Time
	}
	type WhenText struct {
		ID        int64
		Name      time.Time
		DeletedAt *time.Time
	}
	type FlagText struct {
		ID        int64
		Name      bool
		DeletedAt *time.Time
	}
	type KeyByName struct {
		ID        int64
		Name      string `db:"name,pk"`
		DeletedAt *time.Time
	}
	type StructField struct {
		ID        int64
		Name      struct{ A int }
		DeletedAt *time.Time
	}
	type Scanned struct {
		ID        int64
		Name      sql.NullString
		Qty       *float64
		DeletedAt *time.Time
	}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db,
			`CREATE TABLE nokey (id {big} NOT NULL, name {text} NOT NULL, deleted_at {ts} NULL)`,
			`CREATE TABLE typed (id {id}, name {text} NOT NULL, qty {dec} NULL, deleted_at {ts} NULL)`)
		exec(t, db, "INSERT INTO nokey (id, name) VALUES (7, 'a'), (7, 'b')")
		var se *SchemaError
		if _, err := NewManager[Row](db, "nokey"); !errors.As(err, &se) || se.Column != "id" || !errors.Is(err, ErrSchema) {
			t.Fatalf("table without a primary key: %v", err)
		}
		if _, err := NewManager[KeyByName](db, "typed"); !errors.As(err, &se) || se.Column != "name" || se.Field != "Name" {
			t.Fatalf("key that is not the primary key: %v", err)
		}
		for name, f := range map[string]func() error{
			"int field on a text column":    func() error { _, err := NewManager[NameInt](db, "typed"); return err },
			"time field on a text column":   func() error { _, err := NewManager[WhenText](db, "typed"); return err },
			"bool field on a text column":   func() error { _, err := NewManager[FlagText](db, "typed"); return err },
			"struct field on a text column": func() error { _, err := NewManager[StructField](db, "typed"); return err },
		} {
			err := f()
			if db.Dialect() == "sqlite" && name == "time field on a text column" {
				if err != nil { // SQLite keeps times as text: allowed
					t.Errorf("%s on sqlite: %v", name, err)
				}
				continue
			}
			if !errors.As(err, &se) || se.Field != "Name" || se.Column != "name" || !strings.Contains(se.Msg, "cannot hold") {
				t.Errorf("%s: %v, want a SchemaError naming field Name and column name", name, err)
			}
		}
		m, err := NewManager[Scanned](db, "typed")
		if err != nil {
			t.Fatalf("sql.NullString and *float64 fields: %v", err)
		}
		if err := m.Create(ctx, &Scanned{Name: sql.NullString{String: "x", Valid: true}}); err != nil {
			t.Fatal(err)
		}
		// Nothing above changed the table (the two rows with id 7 are intact).
		if n := must[int64](t)(countRows(t, db, "nokey")); n != 2 {
			t.Fatalf("nokey has %d rows", n)
		}
	})
}

// countRows counts every row of a table.
func countRows(t *testing.T, db *DB, table string) (int64, error) {
	var n int64
	err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + db.dialect.Quote(table)).Scan(&n)
	return n, err
}

// Issue 8: Create with a key the database generates that is not an integer
// (uuid, text default). PostgreSQL and SQLite return it (RETURNING) into
// the field; MySQL cannot, so Create refuses before writing. Before the fix
// Create reported a failure after inserting the row (a retry duplicated it).
func TestCreateGeneratedNonIntegerKey(t *testing.T) {
	type Token struct {
		ID        string
		Name      string
		DeletedAt *time.Time
	}
	type Code struct {
		Code      string `db:"code,pk"`
		DeletedAt *time.Time
	}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		key := map[string]string{
			"sqlite":   "id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16))))",
			"postgres": "id TEXT PRIMARY KEY DEFAULT md5(random()::text)",
			"mysql":    "id VARCHAR(36) NOT NULL DEFAULT (uuid()) PRIMARY KEY",
		}[db.Dialect()]
		ddl(t, db, `CREATE TABLE tokens (`+key+`, name {text} NOT NULL, deleted_at {ts} NULL)`,
			`CREATE TABLE codes (code {text} NOT NULL PRIMARY KEY, deleted_at {ts} NULL)`)
		tokens, err := NewManager[Token](db, "tokens")
		if err != nil {
			t.Fatal(err)
		}
		tok := &Token{Name: "a"}
		err = tokens.Create(ctx, tok)
		rows := must[int64](t)(countRows(t, db, "tokens"))
		if db.Dialect() == "mysql" {
			if !errors.Is(err, ErrInvalid) || rows != 0 {
				t.Fatalf("mysql: Create with a generated text key = %v with %d rows; want ErrInvalid and no row", err, rows)
			}
		} else {
			if err != nil || tok.ID == "" || rows != 1 {
				t.Fatalf("Create with a generated text key = %v, id %q, %d rows", err, tok.ID, rows)
			}
			got := must[*Token](t)(tokens.Get(ctx, tok.ID))
			if got.Name != "a" {
				t.Fatalf("Get = %+v", got)
			}
			if err := tokens.Delete(ctx, tok); err != nil || tok.DeletedAt == nil {
				t.Fatalf("Delete: %v", err)
			}
		}
		// A key set in Go works everywhere.
		if err := tokens.Create(ctx, &Token{ID: "set-in-go", Name: "b"}); err != nil {
			t.Fatal(err)
		}
		// A zero key on a table that generates none is refused before writing.
		codes, err := NewManager[Code](db, "codes")
		if err != nil {
			t.Fatal(err)
		}
		if err := codes.Create(ctx, &Code{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("zero key without a default: %v, want ErrInvalid", err)
		}
		if n := must[int64](t)(countRows(t, db, "codes")); n != 0 {
			t.Fatalf("a refused Create wrote %d rows", n)
		}
		if db.Dialect() == "postgres" {
			ddl(t, db, `CREATE TABLE uids (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), name TEXT NOT NULL, deleted_at TIMESTAMPTZ NULL)`)
			uids, err := NewManager[Token](db, "uids")
			if err != nil {
				t.Fatal(err)
			}
			u := &Token{Name: "u"}
			if err := uids.Create(ctx, u); err != nil || len(u.ID) != 36 {
				t.Fatalf("uuid key: %v, id %q", err, u.ID)
			}
			if _, err := uids.Get(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Issue 8: a ConflictError from Create or Save inside the caller's
// transaction leaves that transaction usable (PostgreSQL aborted it).
func TestConflictInCallerTxKeepsTxUsable(t *testing.T) {
	type Member struct {
		Model
		Email string
	}
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE members (id {id}, email {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL, UNIQUE (email))`)
		m, err := NewManager[Member](db, "members")
		if err != nil {
			t.Fatal(err)
		}
		a := &Member{Email: "a@x"}
		if err := m.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		mt := m.WithTx(tx)
		var ce *ConflictError
		if err := mt.Create(ctx, &Member{Email: "a@x"}); !errors.As(err, &ce) {
			t.Fatalf("duplicate Create in a tx: %v, want ConflictError", err)
		}
		b := &Member{Email: "b@x"}
		if err := mt.Create(ctx, b); err != nil {
			t.Fatalf("Create after a conflict in the same tx: %v", err)
		}
		b.Email = "a@x"
		if err := mt.Save(ctx, b); !errors.As(err, &ce) {
			t.Fatalf("conflicting Save in a tx: %v, want ConflictError", err)
		}
		b.Email = "c@x"
		if err := mt.Save(ctx, b); err != nil {
			t.Fatalf("Save after a conflict in the same tx: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit after conflicts: %v", err)
		}
		if n := must[int64](t)(m.Where("email IN (?)", []string{"a@x", "c@x"}).Count(ctx)); n != 2 {
			t.Fatalf("%d rows after commit, want 2", n)
		}
	})
}

// Issue 8: PlanDelete is a dry run for hooks: Before hooks see
// Event.DryRun (and may veto the plan), After hooks never run, and no
// operation is logged. Before the fix After saw a logged operation id that
// was then rolled back.
func TestPlanDeleteHooksKnowDryRun(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		shop(t, db)
		m, err := NewManager[Customer](db, "customers")
		if err != nil {
			t.Fatal(err)
		}
		var before, after, dryBefore int
		veto := false
		db.AddHooks(Hooks{
			Before: func(ctx context.Context, ev *Event) error {
				before++
				if ev.DryRun {
					dryBefore++
					if ev.Op.ID != 0 {
						t.Errorf("dry run has an operation id %d", ev.Op.ID)
					}
				}
				if veto {
					return errors.New("no")
				}
				return nil
			},
			After: func(ctx context.Context, ev *Event) error {
				after++
				if ev.DryRun {
					t.Error("After hook saw a dry run")
				}
				return nil
			},
		})
		plan, err := m.PlanDelete(ctx, &Customer{ID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Counts["orders"] != 2 || !plan.Allowed() {
			t.Fatalf("plan = %+v", plan)
		}
		if _, err := db.PlanDelete(ctx, "customers", 2); err != nil {
			t.Fatal(err)
		}
		if before != 2 || dryBefore != 2 || after != 0 {
			t.Fatalf("plans ran Before %d times (%d dry), After %d times; want 2, 2, 0", before, dryBefore, after)
		}
		var ops int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM softdelete_operations").Scan(&ops); err != nil {
			t.Fatal(err)
		}
		if ops != 0 {
			t.Fatalf("plans logged %d operations", ops)
		}
		veto = true
		if _, err := m.PlanDelete(ctx, &Customer{ID: 1}); !errors.Is(err, ErrVetoed) {
			t.Fatalf("vetoed plan: %v, want ErrVetoed", err)
		}
		veto = false
		if err := m.Delete(ctx, &Customer{ID: 1}); err != nil {
			t.Fatal(err)
		}
		if after != 1 {
			t.Fatalf("a real delete ran After %d times", after)
		}
	})
}

// A struct's `db:"col,deleted"` tag may not switch a table whose
// soft-delete column was chosen explicitly (WithTableDeletedColumn); the
// refusal changes nothing, and an untagged struct uses the table's column.
func TestSoftColumnTagCannotOverrideExplicitChoice(t *testing.T) {
	type ByRemoved struct {
		ID        int64
		RemovedAt *time.Time
	}
	type ByHidden struct {
		ID       int64
		HiddenAt *time.Time `db:"hidden_at,deleted"`
	}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d, WithTableDeletedColumn("docs", "removed_at"))
			ctx := context.Background()
			ddl(t, db, `CREATE TABLE docs (id {id}, removed_at {ts} NULL, hidden_at {ts} NULL)`)
			exec(t, db, "INSERT INTO docs (id) VALUES (1), (2)")
			var se *SchemaError
			if _, err := NewManager[ByHidden](db, "docs"); !errors.As(err, &se) || se.Column != "hidden_at" {
				t.Fatalf("tag against WithTableDeletedColumn: %v", err)
			}
			m, err := NewManager[ByRemoved](db, "docs")
			if err != nil {
				t.Fatalf("untagged struct on a table with its own column: %v", err)
			}
			if _, err := db.Delete(ctx, "docs", 1); err != nil {
				t.Fatal(err)
			}
			if n := must[int64](t)(m.OnlyDeleted().Count(ctx)); n != 1 {
				t.Fatalf("%d deleted docs through removed_at, want 1", n)
			}
		})
	}
}

// TestCreateZeroKeyWithoutRowid: on SQLite an INTEGER PRIMARY KEY is an
// alias of the rowid, which the database fills, except in a WITHOUT ROWID
// table, where the key is an ordinary NOT NULL column: a Create with a zero
// key there is refused before writing (ErrInvalid, no row), not sent to
// fail on the NOT NULL constraint. A rowid table still gets its key.
func TestCreateZeroKeyWithoutRowid(t *testing.T) {
	type Item struct {
		ID        int64
		Name      string
		DeletedAt *time.Time
	}
	ctx := context.Background()
	db := openTest(t, "sqlite")
	ddl(t, db, `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, deleted_at DATETIME NULL) WITHOUT ROWID`,
		`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL, deleted_at DATETIME NULL)`)
	items, err := NewManager[Item](db, "items")
	if err != nil {
		t.Fatal(err)
	}
	err = items.Create(ctx, &Item{Name: "a"})
	if rows := must[int64](t)(countRows(t, db, "items")); !errors.Is(err, ErrInvalid) || rows != 0 {
		t.Fatalf("Create with a zero key in a WITHOUT ROWID table = %v with %d rows; want ErrInvalid and no row", err, rows)
	}
	if err := items.Create(ctx, &Item{ID: 7, Name: "b"}); err != nil {
		t.Fatalf("Create with a key: %v", err)
	}
	things, err := NewManager[Item](db, "things")
	if err != nil {
		t.Fatal(err)
	}
	th := &Item{Name: "c"}
	if err := things.Create(ctx, th); err != nil || th.ID == 0 {
		t.Fatalf("Create in a rowid table = %v, id %d", err, th.ID)
	}
}
