package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"
)

type stampUser struct {
	ID        int64      `db:"id"`
	Name      string     `db:"name"`
	DeletedAt *time.Time `db:"deleted_at"`
}

// foreignStamp writes deleted_at the way another tool does.
type foreignStamp struct {
	name string
	// set returns the SQL expression (with at most one ?) and its args
	// for a stamp at time at.
	set func(at time.Time) (string, []any)
	// driver: bind through a pool opened without _time_format (modernc's
	// default: time.Time.String()).
	plainDriver bool
}

func foreignStamps() []foreignStamp {
	now := func(at time.Time) bool { return time.Since(at) < time.Minute }
	// sqlNow writes expr (which reads 'now') now, and the same expression
	// on a bound time for a stamp in the past.
	sqlNow := func(expr string) func(time.Time) (string, []any) {
		return func(at time.Time) (string, []any) {
			if now(at) {
				return expr, nil
			}
			return strings.Replace(expr, "'now'", "?", 1), []any{at.UTC().Format("2006-01-02 15:04:05.000")}
		}
	}
	return []foreignStamp{
		{name: "datetime('now')", set: sqlNow("datetime('now')")},
		{name: "CURRENT_TIMESTAMP", set: func(at time.Time) (string, []any) {
			if now(at) {
				return "CURRENT_TIMESTAMP", nil
			}
			return "?", []any{at.UTC().Format(time.DateTime)}
		}},
		{name: "RFC 3339 UTC", set: func(at time.Time) (string, []any) { return "?", []any{at.UTC().Format(time.RFC3339)} }},
		{name: "RFC 3339 +05:00", set: func(at time.Time) (string, []any) {
			return "?", []any{at.In(time.FixedZone("", 5*3600)).Format(time.RFC3339Nano)}
		}},
		{name: "time.Time _time_format=sqlite", set: func(at time.Time) (string, []any) { return "?", []any{at} }},
		{name: "time.Time driver default", set: func(at time.Time) (string, []any) { return "?", []any{at} }, plainDriver: true},
		{name: "strftime ms", set: sqlNow("strftime('%Y-%m-%d %H:%M:%f', 'now')")},
		{name: "unixepoch()", set: func(at time.Time) (string, []any) {
			if now(at) {
				return "unixepoch()", nil
			}
			return "?", []any{at.Unix()}
		}},
		{name: "unixepoch subsec", set: func(at time.Time) (string, []any) {
			if now(at) {
				return "unixepoch('now', 'subsec')", nil
			}
			return "?", []any{float64(at.UnixMilli()) / 1000}
		}},
		{name: "julianday()", set: func(at time.Time) (string, []any) {
			if now(at) {
				return "julianday('now')", nil
			}
			return "julianday(?)", []any{at.UTC().Format("2006-01-02 15:04:05.000")}
		}},
	}
}

func TestForeignStampsSQLite(t *testing.T) {
	ctx := context.Background()
	for _, fs := range foreignStamps() {
		t.Run(fs.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, "sqlite")
			ddl(t, db, `CREATE TABLE users (id {id}, name {text} NOT NULL, deleted_at {ts})`,
				`CREATE TABLE posts (id {id}, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, deleted_at {ts})`)
			writer := db.SQL()
			if fs.plainDriver {
				path := strings.TrimPrefix(testURLOf(t, db), "sqlite:")
				w, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				writer = w
			}
			hide := func(table string, id int64, at time.Time) {
				t.Helper()
				expr, args := fs.set(at)
				if _, err := writer.ExecContext(ctx, "UPDATE "+table+" SET deleted_at = "+expr+" WHERE id = ?", append(args, id)...); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= 5; i++ {
				if _, err := db.SQL().ExecContext(ctx, "INSERT INTO users (id, name) VALUES (?, ?)", i, "u"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.SQL().ExecContext(ctx, "INSERT INTO posts (id, user_id) VALUES (?, ?)", i, i); err != nil {
					t.Fatal(err)
				}
			}
			var raw any
			// Another tool hid user 1 with its post (same statement time).
			now := time.Now()
			hide("users", 1, now)
			// The same value on its post (one operation of that tool).
			if _, err := db.SQL().ExecContext(ctx, "UPDATE posts SET deleted_at = (SELECT deleted_at FROM users WHERE id = 1) WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			db.SQL().QueryRow("SELECT CAST(deleted_at AS TEXT) || ' (' || typeof(deleted_at) || ')' FROM users WHERE id = 1").Scan(&raw)
			t.Logf("stored: %v", raw)
			if _, err := db.Restore(ctx, "users", int64(1)); err != nil {
				t.Fatalf("Restore by key: %v", err)
			}
			assertAlive(t, db, "users", 1, true)
			assertAlive(t, db, "posts", 1, true)

			// OnlyDeleted().Where(pk).Restore()
			hide("users", 2, now)
			m, err := NewManager[stampUser](db, "users")
			if err != nil {
				t.Fatal(err)
			}
			n, err := m.OnlyDeleted().Where("id = ?", 2).Restore(ctx)
			if err != nil || n != 1 {
				t.Fatalf("OnlyDeleted().Where(pk).Restore() = %d, %v; want 1, nil", n, err)
			}
			assertAlive(t, db, "users", 2, true)

			// Purge: a row hidden a second ago stays; a row hidden 40 days
			// ago in the same format goes.
			hide("posts", 3, time.Now().Add(-time.Second))
			hide("posts", 4, time.Now().Add(-40*24*time.Hour))
			res, err := db.Purge(ctx, PurgePolicy{OlderThan: 30 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts["posts"] != 1 {
				t.Errorf("purged %v, want posts: 1", res.Counts)
			}
			if !rowExists(t, db, "posts", 3) {
				t.Errorf("post 3, hidden a second ago, was purged")
			}
			if rowExists(t, db, "posts", 4) {
				t.Errorf("post 4, hidden 40 days ago, was not purged")
			}
			// A cut-off on the same day as the stamp (RFC 3339's "T" sorts
			// after the space of a text cut-off: never due).
			hide("posts", 5, time.Now().Add(-2*time.Hour))
			if res, err = db.Purge(ctx, PurgePolicy{OlderThan: time.Hour}); err != nil {
				t.Fatal(err)
			}
			if rowExists(t, db, "posts", 5) || !rowExists(t, db, "posts", 3) {
				t.Errorf("Purge(OlderThan: 1h) = %v: want post 5 (hidden 2h ago) gone and post 3 kept", res.Counts)
			}
		})
	}
}

// testURLOf returns the sqlite path of db (tests open sqlite:DIR/test.db).
func testURLOf(t *testing.T, db *DB) string {
	t.Helper()
	var file string
	rows, err := db.SQL().Query("PRAGMA database_list")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			t.Fatal(err)
		}
		if name == "main" {
			break
		}
	}
	return "sqlite:" + file
}

func assertAlive(t *testing.T, db *DB, table string, id int64, want bool) {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM "+db.dialect.Quote(table)+" WHERE id = "+db.ph(1)+" AND deleted_at IS NULL", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if (n == 1) != want {
		t.Errorf("%s %d alive = %v, want %v", table, id, n == 1, want)
	}
}

func rowExists(t *testing.T, db *DB, table string, id int64) bool {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM "+db.dialect.Quote(table)+" WHERE id = "+db.ph(1), id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

var _ = errors.Is

// TestCoarseStampColumnsRefused: a soft-delete column that keeps less than
// microseconds (Laravel's timestamp, MariaDB DATETIME, GORM's datetime(3))
// cannot tell operations apart: a cascading delete is refused before
// anything changes, doctor says so in the same words, and adopt widens
// the column, after which the delete cascades and restores exactly.
func TestCoarseStampColumnsRefused(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ dialect, typ string }{
		{"postgres", "timestamp(0)"},
		{"postgres", "timestamp(3) with time zone"},
		{"mysql", "DATETIME"},
		{"mysql", "DATETIME(3)"},
		{"mysql", "TIMESTAMP NULL DEFAULT NULL"},
	}
	for _, tc := range cases {
		t.Run(tc.dialect+" "+tc.typ, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, tc.dialect)
			ddl(t, db, `CREATE TABLE users (id {id}, name {text} NOT NULL, deleted_at `+tc.typ+`)`,
				`CREATE TABLE posts (id {id}, user_id {big} NOT NULL REFERENCES users(id) ON DELETE CASCADE, deleted_at `+tc.typ+`)`,
				`CREATE TABLE tags (id {id}, name {text} NOT NULL, deleted_at `+tc.typ+`)`,
				`CREATE TABLE labels (id {id}, name {text} NOT NULL, deleted_at `+tc.typ+`)`,
				`CREATE TABLE notes (id {id}, label_id {big} NOT NULL REFERENCES labels(id) ON DELETE RESTRICT)`)
			for _, q := range []string{
				"INSERT INTO users (id, name) VALUES (1, 'a')", "INSERT INTO users (id, name) VALUES (2, 'b')",
				"INSERT INTO posts (id, user_id) VALUES (1, 1)", "INSERT INTO posts (id, user_id) VALUES (2, 2)",
				"INSERT INTO tags (id, name) VALUES (1, 't')",
				"INSERT INTO labels (id, name) VALUES (1, 'l')", "INSERT INTO notes (id, label_id) VALUES (1, 1)",
			} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, db, "users", "posts")
			_, err := db.Delete(ctx, "users", int64(1))
			var se *StampError
			if !errors.Is(err, ErrStampPrecision) || !errors.As(err, &se) || !errors.Is(err, ErrSchema) {
				t.Fatalf("Delete(users, 1) = %v, want a *StampError (ErrStampPrecision)", err)
			}
			if se.Table != "users" || se.Column != "deleted_at" || se.Op != OpDelete || se.Want == "" {
				t.Errorf("StampError = %+v", se)
			}
			t.Logf("%v", err)
			if _, err := db.PlanDelete(ctx, "users", int64(1)); !errors.Is(err, ErrStampPrecision) {
				t.Errorf("PlanDelete = %v, want ErrStampPrecision", err)
			}
			if after := snapshot(t, db, "users", "posts"); after != before {
				t.Fatalf("a refused delete changed rows:\n%s\nwant\n%s", after, before)
			}
			// Rows another tool hid with the rounded value: restore and
			// undo are refused the same way.
			if _, err := db.SQL().ExecContext(ctx, "UPDATE users SET deleted_at = CURRENT_TIMESTAMP WHERE id = 2"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Restore(ctx, "users", int64(2)); !errors.Is(err, ErrStampPrecision) {
				t.Errorf("Restore = %v, want ErrStampPrecision", err)
			}
			// A table without dependants: a row's restore selects it by its
			// key and its own value, so the delete and restore work; Undo
			// (which selects by the stamp alone) is refused.
			op, err := db.Delete(ctx, "tags", int64(1))
			if err != nil {
				t.Fatalf("Delete(tags, 1) without dependants: %v", err)
			}
			if _, err := db.Undo(ctx, op.ID); !errors.Is(err, ErrStampPrecision) {
				t.Errorf("Undo on a coarse column = %v, want ErrStampPrecision", err)
			}
			if _, err := db.Restore(ctx, "tags", int64(1)); err != nil {
				t.Errorf("Restore(tags, 1): %v", err)
			}
			assertAlive(t, db, "tags", 1, true)

			// A RESTRICT check finds the rows just hidden by their stamp: a
			// live note must keep its label (refused either way, never done).
			if _, err := db.Delete(ctx, "labels", int64(1)); !errors.Is(err, ErrStampPrecision) && !errors.Is(err, ErrRestricted) {
				t.Errorf("Delete(labels, 1) under a live RESTRICT reference = %v, want a refusal", err)
			}
			assertAlive(t, db, "labels", 1, true)

			// Doctor says the same beforehand.
			fs, err := db.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range fs {
				if f.Table == "users" && f.Severity == Danger && strings.Contains(f.Problem, stampProblemText("users", "deleted_at", se.Type)) &&
					strings.Contains(f.Fix, stampFixText("users", "deleted_at", se.Want)) {
					found = true
				}
			}
			if !found {
				t.Fatalf("doctor did not report the stamp column: %+v", fs)
			}
			// Adopt widens it; then the delete cascades and undoes exactly.
			m, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"users", "posts"}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ToLower(Script(m.Up)), strings.ToLower(se.Want)) {
				t.Fatalf("adopt does not change the column to %s:\n%s", se.Want, Script(m.Up))
			}
			if err := db.ApplyMigration(ctx, m, false); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, "UPDATE users SET deleted_at = NULL"); err != nil {
				t.Fatal(err)
			}
			op, err = db.Delete(ctx, "users", int64(1))
			if err != nil {
				t.Fatalf("Delete after adopt: %v", err)
			}
			assertAlive(t, db, "posts", 1, false)
			if _, err := db.Undo(ctx, op.ID); err != nil {
				t.Fatalf("Undo after adopt: %v", err)
			}
			assertAlive(t, db, "users", 1, true)
			assertAlive(t, db, "posts", 1, true)
		})
	}
}

// TestMariaDBTimestampSessionZones: TIMESTAMP columns are converted
// through the session time zone, which differs between handles (an app
// pool at +05:00, the CLI at UTC). A delete in one handle is undone,
// restored and kept by a 4-hour purge from the other.
func TestMariaDBTimestampSessionZones(t *testing.T) {
	ctx := context.Background()
	base := testURL(t, "mysql")
	utc, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer utc.Close()
	plus5, err := Open(base + "?time_zone=%27%2B05%3A00%27")
	if err != nil {
		t.Fatal(err)
	}
	defer plus5.Close()
	var tz string
	if err := plus5.SQL().QueryRow("SELECT @@session.time_zone").Scan(&tz); err != nil || tz != "+05:00" {
		t.Fatalf("session zone %q, %v", tz, err)
	}
	ddl(t, utc, `CREATE TABLE users (id {id}, name {text} NOT NULL, deleted_at TIMESTAMP(6) NULL DEFAULT NULL)`,
		`CREATE TABLE posts (id {id}, user_id {big} NOT NULL, deleted_at TIMESTAMP(6) NULL DEFAULT NULL,
		  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE)`,
		"INSERT INTO users (id, name) VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 2)")
	alive := func(table string, id int64, want bool) {
		t.Helper()
		assertAlive(t, utc, table, id, want)
	}
	for _, pair := range []struct {
		name     string
		del, oth *DB
	}{{"delete at +05:00", plus5, utc}, {"delete at UTC", utc, plus5}} {
		t.Run(pair.name, func(t *testing.T) {
			op, err := pair.del.Delete(ctx, "users", int64(1))
			if err != nil {
				t.Fatal(err)
			}
			alive("posts", 1, false)
			// The row holds the instant of the delete, whatever the zone.
			var ago float64
			if err := pair.oth.SQL().QueryRow("SELECT UNIX_TIMESTAMP() - UNIX_TIMESTAMP(deleted_at) FROM users WHERE id = 1").Scan(&ago); err != nil {
				t.Fatal(err)
			}
			if ago < -60 || ago > 60 {
				t.Errorf("the stamp is %.0f s away from now", ago)
			}
			for _, h := range []*DB{pair.oth, pair.del} {
				res, err := h.Purge(ctx, PurgePolicy{OlderThan: 4 * time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				if res.Counts["users"]+res.Counts["posts"] != 0 {
					t.Fatalf("Purge(OlderThan: 4h) removed rows hidden seconds ago: %v", res.Counts)
				}
			}
			if _, err := pair.oth.Undo(ctx, op.ID); err != nil {
				t.Fatalf("Undo from the other zone: %v", err)
			}
			alive("users", 1, true)
			alive("posts", 1, true)
			if _, err := pair.del.Delete(ctx, "users", int64(1)); err != nil {
				t.Fatal(err)
			}
			if _, err := pair.oth.Restore(ctx, "users", int64(1)); err != nil {
				t.Fatalf("Restore from the other zone: %v", err)
			}
			alive("users", 1, true)
			alive("posts", 1, true)
			// OnlyDeleted().Where(pk).Restore() from the other zone.
			if _, err := pair.del.Delete(ctx, "users", int64(1)); err != nil {
				t.Fatal(err)
			}
			m, err := NewManager[stampUser](pair.oth, "users")
			if err != nil {
				t.Fatal(err)
			}
			if n, err := m.OnlyDeleted().Where("id = ?", 1).Restore(ctx); err != nil || n != 1 {
				t.Fatalf("OnlyDeleted().Where(pk).Restore() = %d, %v", n, err)
			}
			alive("posts", 1, true)
		})
	}
	// A row hidden 5 hours ago goes with a 4-hour purge from either zone.
	for i, h := range []*DB{plus5, utc} {
		id := int64(i + 1)
		if _, err := utc.SQL().ExecContext(ctx, "UPDATE users SET deleted_at = FROM_UNIXTIME(UNIX_TIMESTAMP() - 5*3600) WHERE id = ?", id); err != nil {
			t.Fatal(err)
		}
		if _, err := utc.SQL().ExecContext(ctx, "UPDATE posts SET deleted_at = FROM_UNIXTIME(UNIX_TIMESTAMP() - 5*3600) WHERE user_id = ?", id); err != nil {
			t.Fatal(err)
		}
		res, err := h.Purge(ctx, PurgePolicy{OlderThan: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts["users"] != 1 || res.Counts["posts"] != 1 {
			t.Errorf("purge %d: %v, want one user and one post", i, res.Counts)
		}
	}
}

// TestPostgresNaiveTimestampSessionZone: timestamp without time zone holds
// the UTC wall clock; copying a stamp between it and softdelete's own
// timestamptz tables must not go through the session time zone (here
// +05:00), or a SET NULL reference cleared under a parent's stamp is never
// put back and restores lose their operation.
func TestPostgresNaiveTimestampSessionZone(t *testing.T) {
	ctx := context.Background()
	base := testURL(t, "postgres")
	utc, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer utc.Close()
	plus5, err := Open(base + "&timezone=Asia%2FKarachi")
	if err != nil {
		t.Fatal(err)
	}
	defer plus5.Close()
	ddl(t, utc, `CREATE TABLE authors (id {id}, name {text} NOT NULL, deleted_at timestamp(6))`,
		`CREATE TABLE books (id {id}, author_id {big} REFERENCES authors(id) ON DELETE SET NULL, deleted_at timestamp(6))`,
		"INSERT INTO authors (id, name) VALUES (1, 'a')",
		"INSERT INTO books (id, author_id) VALUES (1, 1)")
	for _, db := range []*DB{plus5, utc} {
		opBook, err := db.Delete(ctx, "books", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		opAuthor, err := db.Delete(ctx, "authors", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		// The book comes back while its author stays hidden: its reference
		// is cleared under the author's stamp ...
		r, err := plus5.Restore(ctx, "books", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		if r.TargetOp != opBook.ID {
			t.Errorf("restore of the book reversed operation %d, want %d", r.TargetOp, opBook.ID)
		}
		// ... and put back when the author is restored.
		r, err = plus5.Restore(ctx, "authors", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		if r.TargetOp != opAuthor.ID {
			t.Errorf("restore of the author reversed operation %d, want %d", r.TargetOp, opAuthor.ID)
		}
		var author sql.NullInt64
		if err := utc.SQL().QueryRow("SELECT author_id FROM books WHERE id = 1").Scan(&author); err != nil {
			t.Fatal(err)
		}
		if author.Int64 != 1 {
			t.Fatalf("book's author_id = %v after its author came back, want 1", author)
		}
	}
}
