package softdelete

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastSchema: notes (a leaf nothing references, no parent), doc_lines (a leaf
// with a soft-deletable parent: deletes take the fast path, restores do
// not), docs (referenced by doc_lines: the full path both ways), users (an
// alive-only unique key: restores take the full path).
func fastSchema(t *testing.T, db *DB) {
	t.Helper()
	stmts := []string{
		`CREATE TABLE notes (id {id}, body {text} NOT NULL, created_at {ts} NULL, updated_at {ts} NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE docs (id {id}, title {text} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE doc_lines (id {id}, doc_id {big} NOT NULL, deleted_at {ts} NULL, FOREIGN KEY (doc_id) REFERENCES docs(id) ON DELETE CASCADE)`,
		`CREATE TABLE users (id {id}, email {text} NOT NULL, deleted_at {ts} NULL)`,
		// Explicit ids: a Galera node steps AUTO_INCREMENT by the cluster
		// size (ids 1, 4, 7 on node 1).
		`INSERT INTO notes (id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
		`INSERT INTO docs (id, title) VALUES (1, 'd1'), (2, 'd2')`,
		`INSERT INTO doc_lines (id, doc_id) VALUES (1, 1), (2, 1), (3, 2)`,
		`INSERT INTO users (id, email) VALUES (1, 'x@example.com'), (2, 'y@example.com')`,
	}
	if db.Dialect() == "postgres" { // identity columns: continue after the fixed ids
		for _, tbl := range []string{"notes", "docs", "doc_lines", "users"} {
			stmts = append(stmts, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), 100)", tbl))
		}
	}
	if db.Dialect() == "mysql" {
		stmts = append(stmts, `ALTER TABLE users ADD COLUMN softdelete_alive TINYINT AS (IF(deleted_at IS NULL, 1, NULL)) PERSISTENT, ADD UNIQUE KEY users_email_alive (email, softdelete_alive)`)
	} else {
		stmts = append(stmts, `CREATE UNIQUE INDEX users_email_alive ON users (email) WHERE deleted_at IS NULL`)
	}
	ddl(t, db, stmts...)
}

// skipOnGalera skips a test that expects the fast path on a Galera node
// (the .ci/run Galera stage runs the suite on node 1): cluster mode is on
// by itself there, and the fast path off (TestFastPathOffInClusterMode).
func skipOnGalera(t *testing.T, db *DB) {
	t.Helper()
	var on int64
	if db.Dialect() == "mysql" && db.SQL().QueryRow("SELECT @@wsrep_on").Scan(&on) == nil && on != 0 {
		t.Skip("a Galera node: cluster mode is on by itself, the fast path off")
	}
}

type fastNote struct {
	Model
	Body string
}

// TestFastPathStatements: a single leaf row's soft delete and restore send
// one statement on PostgreSQL (a writable CTE, its own transaction when
// the context cannot end) and two on SQLite and MariaDB (the UPDATE and
// the log INSERT, in one transaction), through the statement hook, and
// log what the full path logs.
func TestFastPathStatements(t *testing.T) {
	want := map[string]int{"sqlite": 2, "postgres": 1, "mysql": 1}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			c := &counter{}
			db := openTest(t, d, WithStatementHook(c.hook))
			skipOnGalera(t, db)
			fastSchema(t, db)
			ctx := context.Background()
			// Warm up: the log's tables, the schema, MariaDB's version.
			if _, err := db.Delete(ctx, "notes", 3); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Restore(ctx, "notes", 3); err != nil {
				t.Fatal(err)
			}
			check := func(what string, fn func() error) {
				t.Helper()
				before := db.fastOps.Load()
				c.reset(0)
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if n := c.count(); n != want[d] {
					t.Errorf("%s: %d statements, want %d:\n%s", what, n, want[d], strings.Join(c.log, "\n"))
				}
				if db.fastOps.Load() != before+1 {
					t.Errorf("%s did not take the fast path", what)
				}
			}
			var del, res *Operation
			check("Delete", func() (err error) { del, err = db.Delete(ctx, "notes", 1); return })
			if del.Kind != OpDelete || del.ID == 0 || del.Stamp == nil || del.Counts["notes"] != 1 || del.Rows != 1 || del.Key != "1" {
				t.Errorf("delete operation %+v", del)
			}
			check("Restore", func() (err error) { res, err = db.Restore(ctx, "notes", 1); return })
			if res.Kind != OpRestore || res.ID == 0 || res.TargetOp != del.ID || res.Counts["notes"] != 1 || res.Rows != 1 {
				t.Errorf("restore operation %+v, want target %d", res, del.ID)
			}
			// The log reads back as the full path writes it.
			ops, err := db.Operations(ctx, OpFilter{Table: "notes", Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != 2 || ops[0].ID != res.ID || ops[0].TargetOp != del.ID || ops[1].ID != del.ID ||
				ops[1].Stamp == nil || !ops[1].Stamp.Equal(*del.Stamp) || ops[1].Counts["notes"] != 1 || ops[1].Outcome != "done" {
				t.Errorf("log: %+v", ops)
			}
			// Actor and reason are recorded.
			actx := WithReason(WithActor(ctx, "alice"), "cleanup")
			check("Delete with actor", func() (err error) { del, err = db.Delete(actx, "notes", 2); return })
			ops, err = db.Operations(ctx, OpFilter{Actor: "alice", Limit: 1})
			if err != nil || len(ops) != 1 || ops[0].Reason != "cleanup" || ops[0].ID != del.ID {
				t.Errorf("actor/reason: %+v %v", ops, err)
			}
			// A context that can end: the same statements (PostgreSQL: in
			// a transaction).
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			check("Restore with a deadline", func() error { _, err := db.Restore(cctx, "notes", 2); return err })
			check("Delete with a deadline", func() error { _, err := db.Delete(cctx, "notes", 2); return err })
			check("Restore again", func() error { _, err := db.Restore(cctx, "notes", 2); return err })
			// The typed API.
			m, err := NewManager[fastNote](db, "notes")
			if err != nil {
				t.Fatal(err)
			}
			n, err := m.Get(ctx, int64(1))
			if err != nil {
				t.Fatal(err)
			}
			check("Manager.Delete", func() error { return m.Delete(ctx, n) })
			if n.DeletedAt == nil {
				t.Error("Manager.Delete left DeletedAt nil")
			}
			check("Manager.Restore", func() error { return m.Restore(ctx, n) })
			if n.DeletedAt != nil {
				t.Error("Manager.Restore left DeletedAt set")
			}
			// Deletes of a leaf with a parent: the fast path; its restore
			// checks the parent: the full path.
			check("Delete lines 1", func() error { _, err := db.Delete(ctx, "doc_lines", 1); return err })
			before := db.fastOps.Load()
			if _, err := db.Restore(ctx, "doc_lines", 1); err != nil {
				t.Fatal(err)
			}
			if db.fastOps.Load() != before {
				t.Error("a restore of a row with a soft-deletable parent took the fast path")
			}
			// Errors are the full path's.
			if _, err := db.Delete(ctx, "notes", 99); !errors.Is(err, ErrNotFound) {
				t.Errorf("delete of a missing row: %v", err)
			}
			if _, err := db.Restore(ctx, "notes", 99); !errors.Is(err, ErrNotFound) {
				t.Errorf("restore of a missing row: %v", err)
			}
			if _, err := db.Restore(ctx, "notes", 1); !errors.Is(err, ErrNotDeleted) {
				t.Errorf("restore of an alive row: %v", err)
			}
			if _, err := db.Delete(ctx, "notes", 1); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Delete(ctx, "notes", 1); !errors.Is(err, ErrDeleted) {
				t.Errorf("second delete: %v", err)
			}
		})
	}
}

// TestFastPathFullPathCases: rows with dependants, an alive-only unique
// key (restore), a soft-deletable parent (restore), hooks, the caller's
// transaction, plans and cluster mode take the full path, with its checks.
func TestFastPathFullPathCases(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		fastSchema(t, db)
		ctx := context.Background()
		full := func(what string, fn func() error) {
			t.Helper()
			before := db.fastOps.Load()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if db.fastOps.Load() != before {
				t.Errorf("%s took the fast path", what)
			}
		}
		// Dependants: the cascade hides the doc's lines.
		full("Delete docs 1", func() error {
			op, err := db.Delete(ctx, "docs", 1)
			if err == nil && op.Counts["doc_lines"] != 2 {
				err = fmt.Errorf("cascade hid %d lines, want 2", op.Counts["doc_lines"])
			}
			return err
		})
		full("Restore docs 1", func() error { _, err := db.Restore(ctx, "docs", 1); return err })
		// A restore whose alive-only unique key is taken meanwhile: the
		// full path's ConflictError, nothing changed.
		if _, err := db.Delete(ctx, "users", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`INSERT INTO users (email) VALUES ('x@example.com')`); err != nil {
			t.Fatal(err)
		}
		before := db.fastOps.Load()
		if _, err := db.Restore(ctx, "users", 1); !errors.Is(err, ErrConflict) {
			t.Errorf("restore onto a taken unique key: %v, want ErrConflict", err)
		}
		if db.fastOps.Load() != before {
			t.Error("restore of a row with an alive-only unique key took the fast path")
		}
		// A restore under a hidden parent: ParentDeletedError.
		if _, err := db.Delete(ctx, "doc_lines", 3); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, "docs", 2); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Restore(ctx, "doc_lines", 3); !errors.Is(err, ErrParentDeleted) {
			t.Errorf("restore under a hidden parent: %v, want ErrParentDeleted", err)
		}
		// The caller's transaction.
		full("DeleteTx notes 1", func() error {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := db.DeleteTx(ctx, tx, "notes", 1); err != nil {
				return err
			}
			return tx.Commit()
		})
		// Plans.
		full("PlanDelete notes 2", func() error { _, err := db.PlanDelete(ctx, "notes", 2); return err })
		full("PlanRestore notes 1", func() error { _, err := db.PlanRestore(ctx, "notes", false, 1); return err })
		// Hooks see the operation, with its keys.
		var seen []string
		db.AddHooks(Hooks{Before: func(ctx context.Context, ev *Event) error {
			return ev.Keys(ctx, "notes", 10, func(keys [][]any) error {
				seen = append(seen, fmt.Sprintf("%s %v", ev.Op.Kind, keys))
				return nil
			})
		}})
		full("Restore notes 1 with hooks", func() error { _, err := db.Restore(ctx, "notes", 1); return err })
		full("Delete notes 2 with hooks", func() error { _, err := db.Delete(ctx, "notes", 2); return err })
		if got := strings.Join(seen, "; "); got != "restore [[1]]; delete [[2]]" {
			t.Errorf("hooks saw %q", got)
		}
	})
}

// TestFastPathOffInClusterMode: with cluster mode on, single-row deletes
// and restores take the full path (on Galera the lock rows it writes are
// what makes certification refuse one side of a parent/child race).
func TestFastPathOffInClusterMode(t *testing.T) {
	for _, d := range allDialects {
		if d != "mysql" {
			continue
		}
		t.Run(d, func(t *testing.T) {
			db := openTest(t, d, WithClusterLocks(true))
			fastSchema(t, db)
			ctx := context.Background()
			for _, fn := range []func() error{
				func() error { _, err := db.Delete(ctx, "notes", 1); return err },
				func() error { _, err := db.Restore(ctx, "notes", 1); return err },
				func() error { _, err := db.Delete(ctx, "doc_lines", 1); return err },
			} {
				if err := fn(); err != nil {
					t.Fatal(err)
				}
			}
			if n := db.fastOps.Load(); n != 0 {
				t.Errorf("%d operations took the fast path in cluster mode", n)
			}
		})
	}
}

// TestFastPathFaults: a fault at every statement of a fast delete and
// restore (the statement fails; the context is cancelled just before it)
// leaves every row and the log as they were, with a typed error, and the
// next call works.
func TestFastPathFaults(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			var cancelAt func()
			c := &counter{}
			hook := func(ctx context.Context, q string, args []any) error {
				err := c.hook(ctx, q, args)
				c.mu.Lock()
				n := c.n
				c.mu.Unlock()
				if cancelAt != nil && n == c.failAt+1000 {
					cancelAt()
				}
				return err
			}
			db := openTest(t, d, WithStatementHook(hook))
			skipOnGalera(t, db)
			fastSchema(t, db)
			ctx := context.Background()
			if _, err := db.Delete(ctx, "notes", 3); err != nil { // warm up
				t.Fatal(err)
			}
			if _, err := db.Restore(ctx, "notes", 3); err != nil {
				t.Fatal(err)
			}
			state := func() string { return snapshot(t, db, "notes", "softdelete_operations") }
			ops := []struct {
				name string
				do   func(ctx context.Context) error
			}{
				{"delete", func(ctx context.Context) error { _, err := db.Delete(ctx, "notes", 1); return err }},
				{"restore", func(ctx context.Context) error { _, err := db.Restore(ctx, "notes", 1); return err }},
			}
			for _, mode := range []string{"error", "cancel"} {
				for _, op := range ops { // each leaves the row as the next one needs it
					for k := 1; ; k++ {
						pre := state()
						fired := db.fastOps.Load()
						var err error
						if mode == "error" {
							c.reset(k)
							err = op.do(ctx)
						} else {
							cctx, cancel := context.WithCancel(ctx)
							c.reset(0)
							c.mu.Lock()
							c.failAt = k - 1000 // the hook cancels at statement k
							c.mu.Unlock()
							cancelAt = cancel
							err = op.do(cctx)
							cancelAt = nil
							cancel()
						}
						n := c.count()
						c.reset(0)
						if n < k {
							// The operation finished before statement k.
							if err != nil {
								t.Fatalf("%s without a fault: %v", op.name, err)
							}
							if db.fastOps.Load() != fired+1 {
								t.Errorf("%s did not take the fast path", op.name)
							}
							break
						}
						if err == nil {
							t.Fatalf("%s: %s at statement %d: no error", op.name, mode, k)
						}
						if mode == "cancel" && !errors.Is(err, context.Canceled) {
							t.Errorf("%s: cancel at statement %d: %v, want context.Canceled", op.name, k, err)
						}
						if got := state(); got != pre {
							t.Fatalf("%s: %s at statement %d (%v) changed the data:\nbefore:\n%s\nafter:\n%s", op.name, mode, k, err, pre, got)
						}
					}
				}
			}
		})
	}
}

// TestFastPathConcurrent: goroutines delete and restore the same rows at
// once (a context with a deadline on half of them: PostgreSQL's
// transaction form of the statement). Every success is logged, every
// restore names the delete it reversed (the delete of the same row just
// before it in the log), and each row ends deleted exactly when its
// successful deletes outnumber its restores.
func TestFastPathConcurrent(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d)
			skipOnGalera(t, db)
			fastSchema(t, db)
			ctx := context.Background()
			const workers, rounds = 6, 30
			var mu sync.Mutex
			dels, ress := map[int64]int{}, map[int64]int{}
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						id := int64(1 + i%2)
						c := ctx
						if w%2 == 1 {
							var cancel context.CancelFunc
							c, cancel = context.WithTimeout(ctx, time.Minute)
							defer cancel()
						}
						if (w+i/2)%2 == 0 {
							if _, err := db.Delete(c, "notes", id); err == nil {
								mu.Lock()
								dels[id]++
								mu.Unlock()
							} else if !errors.Is(err, ErrDeleted) && !errors.Is(err, ErrBusy) {
								t.Errorf("delete: %v", err)
							}
						} else {
							if _, err := db.Restore(c, "notes", id); err == nil {
								mu.Lock()
								ress[id]++
								mu.Unlock()
							} else if !errors.Is(err, ErrNotDeleted) && !errors.Is(err, ErrBusy) {
								t.Errorf("restore: %v", err)
							}
						}
					}
				}(w)
			}
			wg.Wait()
			rows, err := db.SQL().QueryContext(ctx, "SELECT id, kind, root_key, COALESCE(target_op, 0) FROM softdelete_operations WHERE root_table = 'notes' ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			last := map[string]int64{} // key -> the delete not yet restored
			logged := map[string]int{}
			for rows.Next() {
				var id, target int64
				var kind, key string
				if err := rows.Scan(&id, &kind, &key, &target); err != nil {
					t.Fatal(err)
				}
				logged[kind+" "+key]++
				switch kind {
				case OpDelete:
					if last[key] != 0 {
						t.Errorf("delete %d of %s while delete %d still hid it", id, key, last[key])
					}
					last[key] = id
				case OpRestore:
					if target == 0 || target != last[key] {
						t.Errorf("restore %d of %s reverses %d, want %d", id, key, target, last[key])
					}
					last[key] = 0
				}
			}
			for id := int64(1); id <= 2; id++ {
				key := fmt.Sprint(id)
				if logged["delete "+key] != dels[id] || logged["restore "+key] != ress[id] {
					t.Errorf("row %d: %d deletes and %d restores succeeded, %d and %d logged", id, dels[id], ress[id], logged["delete "+key], logged["restore "+key])
				}
				var n int
				if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM notes WHERE id = "+key+" AND deleted_at IS NOT NULL").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != dels[id]-ress[id] {
					t.Errorf("row %d: deleted=%d after %d deletes and %d restores", id, n, dels[id], ress[id])
				}
			}
			if db.fastOps.Load() == 0 {
				t.Error("no operation took the fast path")
			}
		})
	}
}

// TestFastPathStampTypes: the restore finds the operation it reverses
// whatever the soft-delete column's type (PostgreSQL timestamp without
// time zone, MariaDB TIMESTAMP read through the session zone).
func TestFastPathStampTypes(t *testing.T) {
	typ := map[string]string{"postgres": "timestamp(6)", "mysql": "TIMESTAMP(6) NULL DEFAULT NULL", "sqlite": "TEXT"}
	forEachDB(t, func(t *testing.T, db *DB) {
		skipOnGalera(t, db)
		ddl(t, db, `CREATE TABLE tnotes (id {id}, body {text} NOT NULL, deleted_at `+typ[db.Dialect()]+`)`,
			`INSERT INTO tnotes (body) VALUES ('a'), ('b')`)
		ctx := context.Background()
		for round := 0; round < 2; round++ {
			before := db.fastOps.Load()
			del, err := db.Delete(ctx, "tnotes", 1)
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Restore(ctx, "tnotes", 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.TargetOp != del.ID {
				t.Errorf("restore reverses operation %d, want %d", res.TargetOp, del.ID)
			}
			if db.fastOps.Load() != before+2 {
				t.Errorf("%d of 2 operations took the fast path", db.fastOps.Load()-before)
			}
		}
	})
}
