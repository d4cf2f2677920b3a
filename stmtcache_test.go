package softdelete

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// stmtNote is fastSchema's notes with the column TestStmtCache adds.
type stmtNote struct {
	Model
	Body  string
	Extra string
}

// TestStmtCache: the statements the executor sends run through prepared
// statements kept per DB where the dialect asks for it (SQLite), and
// everything around them behaves as before: a schema change empties the
// cache (and the next statements see the new columns), the caller's
// transaction sees its own changes through cached statements and a
// rollback takes them back, the k-th statement still fails when the hook
// says so, and Close closes what is kept.
func TestStmtCache(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		skipOnGalera(t, db)
		fastSchema(t, db)
		ctx := context.Background()
		want := db.Dialect() == "sqlite"
		if db.cacheStmts != want {
			t.Fatalf("cacheStmts = %v on %s, want %v", db.cacheStmts, db.Dialect(), want)
		}
		m, err := NewManager[fastNote](db, "notes")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // the second and third runs reuse the statements
			if err := m.Delete(ctx, &fastNote{Model: Model{ID: 1}}); err != nil {
				t.Fatal(err)
			}
			if err := m.Restore(ctx, &fastNote{Model: Model{ID: 1}}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Get(ctx, 1); err != nil {
				t.Fatal(err)
			}
		}
		kept := db.stmts.len()
		if want && kept == 0 {
			t.Fatal("nothing kept")
		}
		if !want && kept != 0 {
			t.Fatalf("%d statements kept on %s", kept, db.Dialect())
		}

		// A schema change (ddl refreshes the schema): the cache is emptied
		// and the same statements read the new column.
		ddl(t, db, `ALTER TABLE notes ADD COLUMN extra {text} NULL`)
		if n := db.stmts.len(); n != 0 {
			t.Fatalf("%d statements kept after a schema change", n)
		}
		if _, err := db.SQL().ExecContext(ctx, "UPDATE notes SET extra = 'x' WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		m2, err := NewManager[stmtNote](db, "notes")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			n, err := m2.Get(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if n.Extra != "x" {
				t.Fatalf("extra = %q, want x", n.Extra)
			}
		}

		// Inside the caller's transaction: its own changes are seen, a
		// rollback takes them back.
		for _, commit := range []bool{false, true} {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			mt := m.WithTx(tx)
			if err := mt.Delete(ctx, &fastNote{Model: Model{ID: 2}}); err != nil {
				t.Fatal(err)
			}
			if _, err := mt.Get(ctx, 2); err != ErrNotFound {
				t.Fatalf("Get in the transaction after its delete: %v, want ErrNotFound", err)
			}
			if c, err := mt.Count(ctx); err != nil || c != 2 {
				t.Fatalf("Count in the transaction: %d, %v, want 2", c, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Get(ctx, 2)
			if commit && err != ErrNotFound {
				t.Fatalf("after commit: %v, want ErrNotFound", err)
			}
			if !commit && err != nil {
				t.Fatalf("after rollback: %v, want the row", err)
			}
		}
		if err := m.Restore(ctx, &fastNote{Model: Model{ID: 2}}); err != nil {
			t.Fatal(err)
		}

		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if n := db.stmts.len(); n != 0 {
			t.Fatalf("%d statements kept after Close", n)
		}
		if cs := db.stmts.put("SELECT 1", nil, db.stmts.generation()); !cs.dead {
			t.Fatal("a statement was kept after Close")
		}
	})
}

// TestStmtCacheFaults: with the statements kept (after a first run), the
// hook still sees every statement, with its text and arguments, and fails
// the k-th: the operation fails with the hook's error, nothing changes,
// and the next run succeeds with the same statements.
func TestStmtCacheFaults(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			c := &counter{}
			db := openTest(t, d, WithStatementHook(c.hook))
			skipOnGalera(t, db)
			fastSchema(t, db)
			ctx := context.Background()
			m, err := NewManager[fastNote](db, "notes")
			if err != nil {
				t.Fatal(err)
			}
			ops := []struct {
				name string
				do   func() error
			}{ // each leaves the row as the next one needs it
				{"delete", func() error { return m.Delete(ctx, &fastNote{Model: Model{ID: 1}}) }},
				{"count", func() error { _, err := m.Where("body = ?", "b").Count(ctx); return err }},
				{"restore", func() error { return m.Restore(ctx, &fastNote{Model: Model{ID: 1}}) }},
				{"get", func() error { _, err := m.Get(ctx, 1); return err }},
			}
			total := map[string]int{}
			first := map[string][]string{}
			for run := 0; run < 2; run++ { // the statements are kept from the first run on; the second is recorded (MariaDB's first restore asks the server's version once)
				for _, op := range ops {
					c.reset(0)
					if err := op.do(); err != nil {
						t.Fatalf("%s: %v", op.name, err)
					}
					total[op.name], first[op.name] = c.count(), append([]string(nil), c.log...)
				}
			}
			for _, op := range ops {
				pre := snapshot(t, db, "notes", "softdelete_operations")
				for k := 1; k <= total[op.name]; k++ {
					c.reset(k)
					err := op.do()
					log := append([]string(nil), c.log...)
					c.reset(0)
					if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("injected fault at statement %d", k)) {
						t.Fatalf("%s: fault at statement %d (%.60s): %v", op.name, k, first[op.name][k-1], err)
					}
					if strings.Join(log, "\n") != strings.Join(first[op.name][:k], "\n") {
						t.Fatalf("%s: statements up to the fault:\n%v\nwant\n%v", op.name, log, first[op.name][:k])
					}
					if got := snapshot(t, db, "notes", "softdelete_operations"); got != pre {
						t.Fatalf("%s: fault at statement %d changed the data:\n%s\n%s", op.name, k, pre, got)
					}
				}
				c.reset(0)
				if err := op.do(); err != nil {
					t.Fatalf("%s after the faults: %v", op.name, err)
				}
				if n := c.count(); n != total[op.name] {
					t.Fatalf("%s: %d statements, want %d", op.name, n, total[op.name])
				}
			}
			if want := db.Dialect() == "sqlite"; want != (db.stmts.len() > 0) {
				t.Fatalf("%d statements kept on %s", db.stmts.len(), db.Dialect())
			}
		})
	}
}

// TestStmtCacheBounds: the cache keeps at most stmtCacheSize statements;
// rows still being read from a statement that is evicted (or flushed)
// meanwhile read on; a pool of one connection held by the caller's
// transaction (sqlite::memory:) does not wait for itself when a statement
// is not kept yet (hung 20 s when a miss inside a transaction prepared on
// the pool).
func TestStmtCacheBounds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db := openTest(t, "sqlite")
	mem, err := Open("sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, d := range []*DB{db, mem} {
		ddl(t, d, `CREATE TABLE notes (id {id}, body {text} NOT NULL, created_at {ts} NULL, updated_at {ts} NULL, deleted_at {ts} NULL)`,
			`INSERT INTO notes (body) VALUES ('a'), ('b'), ('c')`)
	}
	m, err := NewManager[struct {
		Model
		Body string
	}](mem, "notes")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.exec().query(ctx, "SELECT id FROM notes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < stmtCacheSize+20; i++ {
		if _, err := db.exec().queryInt64(ctx, fmt.Sprintf("SELECT COUNT(*) FROM notes WHERE id > %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.stmts.len(); n != stmtCacheSize {
		t.Fatalf("%d statements kept, want %d", n, stmtCacheSize)
	}
	db.stmts.flush(false)
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil || len(ids) != 3 {
		t.Fatalf("rows of an evicted statement: %v, %v", ids, err)
	}

	// The caller's transaction holds the only connection; the statements
	// are not kept yet.
	tx, err := mem.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	mt := m.WithTx(tx)
	if err := mt.Delete(ctx, &struct {
		Model
		Body string
	}{Model: Model{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	if c, err := mt.Count(ctx); err != nil || c != 2 {
		t.Fatalf("count %d, %v", c, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestStmtCacheNoExtraConnection: used from one goroutine, softdelete
// keeps to one connection of the pool, as database/sql does with text:
// statements first met inside a transaction are prepared before the next
// one begins, on the connection it then takes, never on another one
// opened meanwhile (which kept the demo from leaving WAL mode: "database
// is locked" from PRAGMA journal_mode = DELETE). They are kept all the
// same: the fast path's UPDATE runs prepared from its second use on.
func TestStmtCacheNoExtraConnection(t *testing.T) {
	db := openTest(t, "sqlite")
	fastSchema(t, db)
	ctx := context.Background()
	m, err := NewManager[fastNote](db, "notes")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := m.Delete(ctx, &fastNote{Model: Model{ID: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := m.Restore(ctx, &fastNote{Model: Model{ID: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Where("body = ?", "a").Count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.SQL().Stats().OpenConnections; n != 1 {
		t.Fatalf("%d connections open, want 1", n)
	}
	updates := 0
	db.stmts.mu.Lock()
	for q := range db.stmts.m {
		if strings.HasPrefix(q, "UPDATE ") {
			updates++
		}
	}
	db.stmts.mu.Unlock()
	if updates != 2 { // the delete's and the restore's
		t.Fatalf("%d UPDATE statements kept, want 2", updates)
	}
	var mode string
	if err := db.SQL().QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil || mode != "delete" {
		t.Fatalf("leaving WAL mode: %q, %v", mode, err)
	}
}
