package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of issue 8's reliability items: transient refusals are retried and
// typed, broken connections and deadlines are typed, COMMIT is not cut by
// a deadline, nothing inside a caller's transaction reaches for the pool,
// what a delete followed is recorded, and the log never breaks a delete.

const itemsDDL = `CREATE TABLE items (id {id}, name {text} NOT NULL DEFAULT '', deleted_at {ts} NULL)`

// withParams adds query parameters to a test URL.
func withParams(t testing.TB, raw string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openShortLocks opens a database whose lock waits give up quickly:
// SQLite busy_timeout 50ms (deferred transactions, so that a caller's
// transaction can meet a lock too), PostgreSQL lock_timeout 100ms, MariaDB
// innodb_lock_wait_timeout 1s (its minimum).
func openShortLocks(t *testing.T, d string, opts ...Option) *DB {
	t.Helper()
	var db *DB
	var err error
	switch d {
	case "sqlite":
		raw, oerr := sql.Open("sqlite", "file:"+t.TempDir()+"/busy.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(50)")
		if oerr != nil {
			t.Fatal(oerr)
		}
		t.Cleanup(func() { raw.Close() })
		db, err = New(raw, opts...)
	case "postgres":
		db, err = Open(withParams(t, testURL(t, d), "lock_timeout", "100"), opts...)
	case "mysql":
		db, err = Open(withParams(t, testURL(t, d), "innodb_lock_wait_timeout", "1"), opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdLock takes the write lock on row id of items (the whole database on
// SQLite) on a connection of its own and keeps it until release is called.
func holdLock(t *testing.T, db *DB, id int) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	begin := "BEGIN"
	if db.Dialect() == "sqlite" {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("UPDATE items SET name = 'locked' WHERE id = %d", id)); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Error(err)
			}
			conn.Close()
		})
	}
	t.Cleanup(release)
	return release
}

func opCount(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM softdelete_operations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func isDeleted(t *testing.T, db *DB, table string, id any) bool {
	t.Helper()
	var n int64
	q := "SELECT COUNT(*) FROM " + db.dialect.Quote(table) + " WHERE id = " + db.ph(1) + " AND deleted_at IS NOT NULL"
	if err := db.SQL().QueryRow(q, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A lock held by another transaction makes the first attempt fail
// (SQLITE_BUSY, 55P03, 1205); the operation retries in a fresh
// transaction and succeeds once the lock goes. Held for longer than all
// attempts, or met inside the caller's transaction, it comes back as
// ErrBusy and changes nothing.
func TestBusyRetriedThenTyped(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openShortLocks(t, d, WithRetry(3))
			ddl(t, db, itemsDDL, "INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			hold := map[string]time.Duration{"sqlite": 120 * time.Millisecond, "postgres": 150 * time.Millisecond, "mysql": 1500 * time.Millisecond}[d]

			// 1. Retried until the lock goes.
			release := holdLock(t, db, 1)
			time.AfterFunc(hold, release)
			if _, err := db.Delete(ctx, "items", 1); err != nil {
				t.Fatalf("delete behind a lock held %v: %v", hold, err)
			}
			if !isDeleted(t, db, "items", 1) {
				t.Fatal("row 1 not deleted")
			}

			// 2. Held past every attempt: ErrBusy after 3 attempts, nothing changed.
			ops := opCount(t, db)
			release = holdLock(t, db, 2)
			_, err := db.Delete(ctx, "items", 2)
			release()
			var be *BusyError
			if !errors.Is(err, ErrBusy) || !errors.As(err, &be) || be.Attempts != 3 {
				t.Fatalf("delete behind a lock held throughout: %v (%#v)", err, be)
			}
			if isDeleted(t, db, "items", 2) || opCount(t, db) != ops {
				t.Fatal("a busy delete changed something")
			}

			// 3. Inside the caller's transaction: ErrBusy at once, the
			// transaction still usable.
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if d == "sqlite" { // a reader until the delete needs to write
				if _, err := tx.ExecContext(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
			}
			release = holdLock(t, db, 3)
			start := time.Now()
			_, err = db.DeleteTx(ctx, tx, "items", 3)
			took := time.Since(start)
			release()
			if !errors.Is(err, ErrBusy) || !errors.As(err, &be) || be.Attempts != 1 {
				t.Fatalf("busy delete in the caller's tx: %v", err)
			}
			if took > 2*hold+time.Second {
				t.Fatalf("busy delete in the caller's tx took %v: retried?", took)
			}
			if d != "sqlite" { // SQLite: a busy write ends the deferred transaction's chance
				if _, err := db.DeleteTx(ctx, tx, "items", 3); err != nil {
					t.Fatalf("caller's tx unusable after ErrBusy: %v", err)
				}
			}
			tx.Rollback()
			if isDeleted(t, db, "items", 3) {
				t.Fatal("row 3 deleted although the caller rolled back")
			}
		})
	}
}

// killAll terminates every server connection of db's test database except
// the admin's.
func killAll(t testing.TB, db *DB) {
	adm, err := admin(db.Dialect())
	if err != nil {
		t.Error(err)
		return
	}
	ctx := context.Background()
	switch db.Dialect() {
	case "postgres":
		var schema string
		if err := db.SQL().QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
			t.Error(err)
			return
		}
		if _, err := adm.SQL().ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", schema); err != nil {
			t.Error(err)
		}
	case "mysql":
		var name string
		if err := db.SQL().QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
			t.Error(err)
			return
		}
		rows, err := adm.SQL().QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", name)
		if err != nil {
			t.Error(err)
			return
		}
		var ids []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			adm.SQL().ExecContext(ctx, fmt.Sprintf("KILL %d", id))
		}
	}
	time.Sleep(100 * time.Millisecond) // let the server close the sockets
}

// A connection killed in the middle of an operation gives ErrConnLost,
// the operation changed nothing, and the next call works.
func TestKilledConnectionTyped(t *testing.T) {
	for _, d := range []string{"postgres", "mysql"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var kill atomic.Bool
			var db *DB
			hook := func(ctx context.Context, q string, args []any) error {
				// The first write: UPDATE, or the fast path's one statement
				// (fastpath.go): on PostgreSQL WITH ... UPDATE, on MariaDB
				// BEGIN NOT ATOMIC ... UPDATE.
				first := strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "WITH") ||
					(strings.HasPrefix(q, "BEGIN NOT ATOMIC") && strings.Contains(q, "UPDATE"))
				if first && kill.CompareAndSwap(true, false) {
					killAll(t, db)
				}
				return nil
			}
			u := testURL(t, d)
			if d == "postgres" {
				pu, _ := url.Parse(u)
				u = withParams(t, u, "application_name", pu.Query().Get("search_path"))
			}
			db = must[*DB](t)(Open(u, WithStatementHook(hook)))
			t.Cleanup(func() { db.Close() })
			ddl(t, db, itemsDDL, "INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			// On MariaDB a context that can end: the fast path runs between
			// BEGIN and COMMIT, so the kill comes mid-transaction. (With one
			// that cannot, it is one statement on an idle connection: the
			// driver sees the connection dead before sending it and
			// database/sql takes another, see below.)
			dctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			kill.Store(true)
			_, err := db.Delete(dctx, "items", 1)
			if !errors.Is(err, ErrConnLost) {
				t.Fatalf("delete on a killed connection: %v", err)
			}
			if isDeleted(t, db, "items", 1) {
				t.Fatal("row deleted by a failed operation")
			}
			// One statement as its own transaction, its connection killed
			// just before it: an ErrConnLost that changed nothing, or (the
			// driver found the connection dead before sending it) done once.
			kill.Store(true)
			op, err := db.Delete(ctx, "items", 1)
			switch {
			case errors.Is(err, ErrConnLost):
				if isDeleted(t, db, "items", 1) {
					t.Fatal("row deleted by a failed operation")
				}
			case err != nil:
				t.Fatalf("delete on a killed connection: %v", err)
			default:
				var logged int64
				if err := db.SQL().QueryRow("SELECT COUNT(*) FROM softdelete_operations WHERE root_table = 'items' AND kind = 'delete'").Scan(&logged); err != nil {
					t.Fatal(err)
				}
				if !isDeleted(t, db, "items", 1) || op.ID == 0 || logged != 1 {
					t.Fatalf("delete reported done after a kill: deleted %v, op %+v, %d log rows", isDeleted(t, db, "items", 1), op, logged)
				}
				if _, err := db.Restore(ctx, "items", 1); err != nil {
					t.Fatal(err)
				}
			}
			// In the caller's transaction too.
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			kill.Store(true)
			if _, err := db.DeleteTx(ctx, tx, "items", 2); !errors.Is(err, ErrConnLost) {
				t.Fatalf("delete in a tx on a killed connection: %v", err)
			}
			tx.Rollback()
			if _, err := db.Delete(ctx, "items", 1); err != nil {
				t.Fatalf("next call after a killed connection: %v", err)
			}
		})
	}
}

// Deadlines at every point of an operation: an error means nothing
// changed (and says DeadlineExceeded), success means committed.
func TestShortDeadlinesAllOrNothing(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 15
	}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d)
			ctx := context.Background()
			ddl(t, db, itemsDDL, `CREATE TABLE subs (id {id}, item_id {big} NOT NULL REFERENCES items(id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			for i := 1; i <= n+2; i++ {
				exec(t, db, fmt.Sprintf("INSERT INTO items (id) VALUES (%d)", i))
				exec(t, db, fmt.Sprintf("INSERT INTO subs (id, item_id) VALUES (%d, %d), (%d, %d)", 2*i, i, 2*i+1, i))
			}
			if _, err := db.Delete(ctx, "items", n+2); err != nil { // warm: schema and log read
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := db.Delete(ctx, "items", n+1); err != nil {
				t.Fatal(err)
			}
			typical := time.Since(start)
			var failed, ok int
			for i := 1; i <= n; i++ {
				ops := opCount(t, db)
				dl := time.Duration(rand.Int64N(int64(typical*3/2) + 1))
				c, cancel := context.WithTimeout(ctx, dl)
				_, err := db.Delete(c, "items", i)
				cancel()
				var hidden int64
				if err := db.SQL().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM subs WHERE item_id = %d AND deleted_at IS NOT NULL", i)).Scan(&hidden); err != nil {
					t.Fatal(err)
				}
				del, logged := isDeleted(t, db, "items", i), opCount(t, db)-ops
				if err != nil {
					failed++
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("item %d (deadline %v): error without DeadlineExceeded: %v", i, dl, err)
					}
					if del || hidden != 0 || logged != 0 {
						t.Errorf("item %d (deadline %v): failed with %v but changed rows (deleted %v, children %d, logged %d)", i, dl, err, del, hidden, logged)
					}
				} else {
					ok++
					if !del || hidden != 2 || logged != 1 {
						t.Errorf("item %d: succeeded but deleted %v, children %d, logged %d", i, del, hidden, logged)
					}
				}
			}
			t.Logf("%s: %d ops, %d failed on their deadline, %d committed (typical %v)", d, n, failed, ok, typical)
		})
	}
}

// COMMIT is not cut by the deadline: a deferred trigger makes PostgreSQL's
// COMMIT take 300ms (and shrug off a cancel request) while the context
// ends 50ms into it. Before, the caller got an error for a committed
// change; now COMMIT finishes and the call succeeds.
func TestDeadlineDuringCommit(t *testing.T) {
	ctx := context.Background()
	var armed atomic.Bool
	var cancelOp atomic.Value
	hook := func(_ context.Context, q string, _ []any) error {
		if strings.HasPrefix(q, "INSERT INTO softdelete_operations") && armed.Load() {
			if f, ok := cancelOp.Load().(context.CancelFunc); ok {
				time.AfterFunc(50*time.Millisecond, f)
			}
		}
		return nil
	}
	db := must[*DB](t)(Open(testURL(t, "postgres"), WithStatementHook(hook)))
	t.Cleanup(func() { db.Close() })
	ddl(t, db, itemsDDL, "INSERT INTO items (id) VALUES (1)",
		`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN PERFORM pg_sleep(0.3); EXCEPTION WHEN query_canceled THEN NULL; END;
  RETURN NULL;
END $$`,
		`CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	cancelOp.Store(context.CancelFunc(cancel))
	armed.Store(true)
	_, err := db.Delete(c, "items", 1)
	armed.Store(false)
	del := isDeleted(t, db, "items", 1)
	if (err == nil) != del {
		t.Fatalf("delete returned %v but the row is deleted=%v", err, del)
	}
	if err != nil {
		t.Fatalf("delete whose context ended during COMMIT: %v (want the commit to finish)", err)
	}
}

// Inside callers' transactions nothing reaches for the pool: on
// sqlite::memory: (one connection) and on PostgreSQL/MariaDB with
// MaxOpenConns(4) and 4 callers each in a transaction, DeleteTx on a table
// the DB has not read yet (and, on a fresh database, the first use of the
// log) must not wait for a connection. MariaDB refuses to create the log
// inside the caller's transaction (DDL would commit it) with a clear error.
func TestNoPoolInsideCallerTx(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			callers := 4
			var db *DB
			if d == "sqlite" {
				db = must[*DB](t)(Open("sqlite::memory:"))
				t.Cleanup(func() { db.Close() })
				callers = 1
			} else {
				db = openTest(t, d)
				db.SQL().SetMaxOpenConns(callers)
			}
			raw := func(q string) {
				t.Helper()
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			// Created behind the DB's back: not in its schema yet.
			typ := map[string]string{"sqlite": "INTEGER", "postgres": "BIGINT", "mysql": "BIGINT"}[d]
			ts := map[string]string{"sqlite": "DATETIME", "postgres": "TIMESTAMPTZ", "mysql": "DATETIME(6)"}[d]
			raw("CREATE TABLE things (id " + typ + " PRIMARY KEY, deleted_at " + ts + " NULL)")
			raw("INSERT INTO things (id) VALUES (1), (2), (3), (4)")
			if d == "mysql" {
				tx := must[*sql.Tx](t)(db.SQL().BeginTx(ctx, nil))
				_, err := db.DeleteTx(ctx, tx, "things", 1)
				tx.Rollback()
				var se *SchemaError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), "Migrate") {
					t.Fatalf("MariaDB, log missing, in a tx: %v (want a SchemaError saying to call Migrate)", err)
				}
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				raw("CREATE TABLE later (id BIGINT PRIMARY KEY, deleted_at DATETIME(6) NULL)")
				raw("INSERT INTO later (id) VALUES (1), (2), (3), (4)")
			}
			run := func(table string) {
				var wg sync.WaitGroup
				errs := make(chan error, callers)
				var ready sync.WaitGroup
				ready.Add(callers)
				for i := 1; i <= callers; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						tx, err := db.SQL().BeginTx(ctx, nil)
						ready.Done()
						if err != nil {
							errs <- err
							return
						}
						defer func() { tx.Rollback() }()
						ready.Wait() // every connection is now held by a caller
						for attempt := 1; ; attempt++ {
							_, err := db.DeleteTx(ctx, tx, table, i)
							if err == nil {
								errs <- tx.Commit()
								return
							}
							// Inside the caller's transaction ErrBusy comes back
							// at once (PostgreSQL can pick one of the callers
							// creating the log's tables as a deadlock victim):
							// the caller retries its own transaction.
							tx.Rollback()
							if !errors.Is(err, ErrBusy) || attempt == 5 {
								errs <- fmt.Errorf("DeleteTx(%s, %d): %w", table, i, err)
								return
							}
							if tx, err = db.SQL().BeginTx(ctx, nil); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				for i := 1; i <= callers; i++ {
					if !isDeleted(t, db, table, i) {
						t.Fatalf("%s %d not deleted", table, i)
					}
				}
			}
			if d == "mysql" {
				run("later")
			} else {
				run("things")
			}
			if ctx.Err() != nil {
				t.Fatal("hung: a caller's transaction waited for the pool")
			}
			// Undo inside a transaction works too, and so does a table
			// created inside the caller's transaction (SQLite, PostgreSQL).
			tx := must[*sql.Tx](t)(db.SQL().BeginTx(ctx, nil))
			defer tx.Rollback()
			if d != "mysql" {
				if _, err := tx.ExecContext(ctx, "CREATE TABLE fresh (id "+typ+" PRIMARY KEY, deleted_at "+ts+" NULL)"); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO fresh (id) VALUES (7)"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.DeleteTx(ctx, tx, "fresh", 7); err != nil {
					t.Fatalf("DeleteTx on a table created in the tx: %v", err)
				}
			}
			var id int64
			if err := tx.QueryRowContext(ctx, "SELECT MIN(id) FROM softdelete_operations").Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UndoTx(ctx, tx, id); err != nil {
				t.Fatalf("UndoTx: %v", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The log never breaks a delete: an actor or reason the log cannot hold is
// refused with ErrInvalid before any statement is sent, what fits (up to
// MaxActorLen/MaxReasonLen characters, any UTF-8) is stored whole, and a
// long text key is logged whole (MariaDB: a log table from before, with
// VARCHAR(1024) keys, is upgraded by Migrate).
func TestLogTextLimits(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := &counter{}
			db := openTest(t, d, WithStatementHook(c.hook))
			if d == "mysql" { // the log as an older version created it
				exec(t, db, `CREATE TABLE softdelete_operations (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(32) NOT NULL, stamp DATETIME(6) NULL,
  root_table VARCHAR(255) NOT NULL DEFAULT '', root_key VARCHAR(1024) NOT NULL DEFAULT '',
  actor VARCHAR(255) NOT NULL DEFAULT '', reason TEXT NOT NULL, created_at DATETIME(6) NOT NULL,
  rows_total BIGINT NOT NULL DEFAULT 0, counts TEXT NOT NULL, outcome VARCHAR(32) NOT NULL DEFAULT 'done',
  target_op BIGINT NULL, undone_by BIGINT NULL, UNIQUE KEY softdelete_operations_stamp (stamp))`)
			}
			key := map[string]string{"sqlite": "TEXT", "postgres": "TEXT", "mysql": "VARCHAR(2000) CHARACTER SET ascii"}[d]
			ddl(t, db, "CREATE TABLE notes (k "+key+" PRIMARY KEY, deleted_at {ts} NULL)")
			long := strings.Repeat("k", 1500)
			for _, k := range []string{"a", "b", "c", long} {
				exec(t, db, "INSERT INTO notes (k) VALUES ("+db.ph(1)+")", k)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			bad := []struct {
				name          string
				actor, reason string
			}{
				{"actor not UTF-8", "bob\xff", ""},
				{"actor with NUL", "bo\x00b", ""},
				{"actor too long", strings.Repeat("a", MaxActorLen+1), ""},
				{"reason not UTF-8", "", "why\xc3"},
				{"reason with NUL", "", "wh\x00y"},
				{"reason too long", "", strings.Repeat("é", MaxReasonLen+1)},
			}
			for _, b := range bad {
				cx := WithReason(WithActor(ctx, b.actor), b.reason)
				c.reset(0)
				if _, err := db.Delete(cx, "notes", "a"); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: %v, want ErrInvalid", b.name, err)
				}
				if n := c.count(); n != 0 {
					t.Errorf("%s: %d statements sent before the refusal: %q", b.name, n, c.log)
				}
				if isDeletedKey(t, db, "a") {
					t.Fatalf("%s: the row was deleted", b.name)
				}
			}
			// The longest that fits, in 4-byte characters, round-trips.
			actor, reason := strings.Repeat("😀", MaxActorLen), strings.Repeat("😀", MaxReasonLen)
			op, err := db.Delete(WithReason(WithActor(ctx, actor), reason), "notes", "b")
			if err != nil {
				t.Fatalf("delete with the longest actor and reason: %v", err)
			}
			got := must[*Operation](t)(db.Operation(ctx, op.ID))
			if got.Actor != actor || got.Reason != reason {
				t.Fatalf("actor/reason did not round-trip: %d/%d characters back", len([]rune(got.Actor)), len([]rune(got.Reason)))
			}
			op, err = db.Delete(ctx, "notes", long)
			if err != nil {
				t.Fatalf("delete by a %d-character key: %v", len(long), err)
			}
			if got := must[*Operation](t)(db.Operation(ctx, op.ID)); got.Key != long {
				t.Fatalf("logged key has %d characters, want %d", len(got.Key), len(long))
			}
			if _, err := db.Undo(ctx, op.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func isDeletedKey(t *testing.T, db *DB, k string) bool {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM notes WHERE k = "+db.ph(1)+" AND deleted_at IS NOT NULL", k).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

type ruleUser struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,deleted"`
}

// A delete that cascaded through WithRelationRule is undone, restored by
// key and restored in bulk by a handle opened without that rule: what it
// recorded is what the restore follows.
func TestUndoFollowsRecordedRules(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := testURL(t, d)
			a := must[*DB](t)(Open(u, WithRelationRule("posts", "users", Cascade)))
			t.Cleanup(func() { a.Close() })
			// The log as a version that recorded no rules created it: Migrate
			// adds the column on first use.
			ddl(t, a, `CREATE TABLE softdelete_operations (id {id}, kind {text} NOT NULL, stamp {ts} NULL,
  root_table {text} NOT NULL DEFAULT '', root_key {text} NOT NULL DEFAULT '', actor {text} NOT NULL DEFAULT '',
  reason {text} NOT NULL DEFAULT '', created_at {ts} NOT NULL, rows_total {big} NOT NULL DEFAULT 0,
  counts {text} NOT NULL DEFAULT '{}', outcome {text} NOT NULL DEFAULT 'done', target_op {big} NULL, undone_by {big} NULL)`,
				`CREATE UNIQUE INDEX softdelete_operations_stamp ON softdelete_operations (stamp)`)
			ddl(t, a, `CREATE TABLE users (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE posts (id {id}, user_id {big} NOT NULL REFERENCES users(id), deleted_at {ts} NULL)`,
				`CREATE TABLE comments (id {id}, post_id {big} NOT NULL REFERENCES posts(id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			for u := 1; u <= 3; u++ {
				exec(t, a, fmt.Sprintf("INSERT INTO users (id) VALUES (%d)", u))
				for p := 1; p <= 2; p++ {
					exec(t, a, fmt.Sprintf("INSERT INTO posts (id, user_id) VALUES (%d, %d)", 10*u+p, u))
					exec(t, a, fmt.Sprintf("INSERT INTO comments (id, post_id) VALUES (%d, %d)", 100*u+p, 10*u+p))
				}
			}
			b := must[*DB](t)(Open(u)) // no relation rule: posts -> users is NO ACTION here
			t.Cleanup(func() { b.Close() })
			hidden := func() string {
				var parts []string
				for _, tbl := range []string{"users", "posts", "comments"} {
					var n int64
					if err := b.SQL().QueryRow("SELECT COUNT(*) FROM " + tbl + " WHERE deleted_at IS NOT NULL").Scan(&n); err != nil {
						t.Fatal(err)
					}
					parts = append(parts, fmt.Sprintf("%s:%d", tbl, n))
				}
				return strings.Join(parts, " ")
			}
			var ops []*Operation
			for u := 1; u <= 3; u++ {
				op, err := a.Delete(ctx, "users", u)
				if err != nil {
					t.Fatal(err)
				}
				if op.Counts["posts"] != 2 || op.Counts["comments"] != 2 {
					t.Fatalf("delete of user %d did not cascade: %v", u, op.Counts)
				}
				ops = append(ops, op)
			}
			if got := hidden(); got != "users:3 posts:6 comments:6" {
				t.Fatalf("after deletes: %s", got)
			}
			if _, err := b.Undo(ctx, ops[0].ID); err != nil {
				t.Fatalf("undo from a handle without the rule: %v", err)
			}
			if got := hidden(); got != "users:2 posts:4 comments:4" {
				t.Fatalf("undo from a handle without the rule left: %s", got)
			}
			if _, err := b.Restore(ctx, "users", 2); err != nil {
				t.Fatalf("restore from a handle without the rule: %v", err)
			}
			if got := hidden(); got != "users:1 posts:2 comments:2" {
				t.Fatalf("restore from a handle without the rule left: %s", got)
			}
			m := must[*Manager[ruleUser]](t)(NewManager[ruleUser](b, "users"))
			if _, err := m.OnlyDeleted().Where("id = ?", 3).Restore(ctx); err != nil {
				t.Fatalf("bulk restore from a handle without the rule: %v", err)
			}
			if got := hidden(); got != "users:0 posts:0 comments:0" {
				t.Fatalf("bulk restore from a handle without the rule left: %s", got)
			}
		})
	}
}

// Concurrent cascading deletes and restores through two handles: no raw
// driver error escapes (deadlocks and serialization failures are retried,
// and what is left is ErrBusy), and no live child is left under a hidden
// parent. SOFTDELETE_STRESS=N multiplies the size.
func TestContentionNoRawErrors(t *testing.T) {
	scale := 1
	if v := os.Getenv("SOFTDELETE_STRESS"); v != "" {
		fmt.Sscan(v, &scale)
	}
	goroutines, perG, parents := 12*scale, 15*scale, 6
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := testURL(t, d)
			a := must[*DB](t)(Open(u))
			t.Cleanup(func() { a.Close() })
			ddl(t, a, `CREATE TABLE parents (id {id}, deleted_at {ts} NULL)`,
				`CREATE TABLE kids (id {id}, parent_id {big} NOT NULL REFERENCES parents(id) ON DELETE CASCADE, deleted_at {ts} NULL)`,
				`CREATE TABLE toys (id {id}, kid_id {big} NOT NULL REFERENCES kids(id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			for p := 1; p <= parents; p++ {
				exec(t, a, fmt.Sprintf("INSERT INTO parents (id) VALUES (%d)", p))
				for k := 1; k <= 3; k++ {
					exec(t, a, fmt.Sprintf("INSERT INTO kids (id, parent_id) VALUES (%d, %d)", 10*p+k, p))
					exec(t, a, fmt.Sprintf("INSERT INTO toys (id, kid_id) VALUES (%d, %d)", 100*p+k, 10*p+k))
				}
			}
			if err := a.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			b := must[*DB](t)(Open(u))
			t.Cleanup(func() { b.Close() })
			var busy, done atomic.Int64
			var mu sync.Mutex
			var raw []string
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db := a
					if g%2 == 1 {
						db = b
					}
					for i := 0; i < perG; i++ {
						p := 1 + rand.IntN(parents)
						k := 10*p + 1 + rand.IntN(3)
						var err error
						switch rand.IntN(5) {
						case 0:
							_, err = db.Delete(ctx, "parents", p)
						case 1:
							_, err = db.Restore(ctx, "parents", p)
						case 2:
							_, err = db.Delete(ctx, "kids", k)
						case 3:
							_, err = db.Restore(ctx, "kids", k)
						case 4:
							_, err = db.RestoreWithParents(ctx, "kids", k)
						}
						done.Add(1)
						switch {
						case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrDeleted),
							errors.Is(err, ErrNotDeleted), errors.Is(err, ErrParentDeleted):
						case errors.Is(err, ErrBusy):
							busy.Add(1)
						default:
							mu.Lock()
							raw = append(raw, err.Error())
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("%s: %d operations, %d ErrBusy after retries", d, done.Load(), busy.Load())
			if len(raw) > 0 {
				t.Fatalf("%d untyped errors escaped, e.g. %q", len(raw), raw[0])
			}
			var orphans int64
			if err := a.SQL().QueryRow(`SELECT COUNT(*) FROM kids k JOIN parents p ON p.id = k.parent_id
WHERE k.deleted_at IS NULL AND p.deleted_at IS NOT NULL`).Scan(&orphans); err != nil {
				t.Fatal(err)
			}
			if orphans != 0 {
				t.Fatalf("%d live kids under hidden parents", orphans)
			}
		})
	}
}
