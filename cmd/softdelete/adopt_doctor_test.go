package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sqliteFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range stmts {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func journalMode(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

// doctor only reads, and says when there was nothing to check.
func TestDoctorTellsTheTruth(t *testing.T) {
	// No soft-delete column anywhere: its own outcome, not "no problems".
	path := sqliteFile(t, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
	code, out, stderr := run(t, "doctor", "--dsn", "sqlite:"+path)
	if code != 3 || strings.Contains(out, "no problems") || !strings.Contains(stderr, "nothing to check") {
		t.Fatalf("doctor without soft-delete columns: %d %q %q", code, out, stderr)
	}
	// Read-only: the file keeps its journal mode (no switch to WAL).
	if mode := journalMode(t, path); mode != "delete" {
		t.Fatalf("doctor changed the journal mode to %s", mode)
	}
	// A mistyped path is an error and creates no file.
	missing := filepath.Join(t.TempDir(), "typo.db")
	code, _, stderr = run(t, "doctor", "--dsn", "sqlite:"+missing)
	if code != 1 || !strings.Contains(stderr, "no SQLite database") {
		t.Fatalf("doctor on a missing file: %d %q", code, stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("doctor created %s", missing)
	}
	// A read-only file (?mode=ro) works.
	path = sqliteFile(t, "CREATE TABLE users (id INTEGER PRIMARY KEY, deleted_at DATETIME)")
	code, out, stderr = run(t, "doctor", "--dsn", "sqlite:"+path+"?mode=ro")
	if code != 0 || !strings.Contains(out, "checked 1 tables") {
		t.Fatalf("doctor ?mode=ro: %d %q %q", code, out, stderr)
	}
	// A MySQL URL without a database name.
	code, _, stderr = run(t, "doctor", "--dsn", "mysql://root@127.0.0.1:1")
	if code != 1 || !strings.Contains(stderr, "names no database") {
		t.Fatalf("doctor on a MySQL URL without database: %d %q", code, stderr)
	}
	// SET NULL on a NOT NULL column.
	path = sqliteFile(t,
		"CREATE TABLE rentals (id INTEGER PRIMARY KEY, deleted_at DATETIME)",
		"CREATE TABLE payments (id INTEGER PRIMARY KEY, rental_id INTEGER NOT NULL REFERENCES rentals (id) ON DELETE SET NULL, deleted_at DATETIME)",
		"CREATE INDEX payments_rental ON payments (rental_id)")
	code, out, _ = run(t, "doctor", "--dsn", "sqlite:"+path)
	if code != 1 || !strings.Contains(out, "payments.rental_id is NOT NULL") {
		t.Fatalf("doctor on SET NULL over NOT NULL: %d\n%s", code, out)
	}
}

// adopt --down after --apply gives the down migration of what was applied.
func TestAdoptDownAfterApplyCLI(t *testing.T) {
	path := sqliteFile(t,
		"CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)",
		"CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE)",
		"CREATE INDEX users_email_plain ON users (email)")
	dsn := "sqlite:" + path
	code, out, stderr := run(t, "adopt", "--down", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "nothing to undo") {
		t.Fatalf("adopt --down before apply: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "adopt", "--apply", "--dsn", dsn)
	if code != 0 || !strings.Contains(stderr, "ordinary indexes") {
		t.Fatalf("adopt --apply: %d %q %q", code, out, stderr)
	}
	code, out, _ = run(t, "adopt", "--down", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, `CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE)`) || !strings.Contains(out, "DROP COLUMN") {
		t.Fatalf("adopt --down after apply: %d\n%s", code, out)
	}
	code, out, stderr = run(t, "adopt", "--down", "--apply", "--dsn", dsn)
	if code != 0 {
		t.Fatalf("adopt --down --apply: %d %q %q", code, out, stderr)
	}
	raw, _ := sql.Open("sqlite", "file:"+path)
	defer raw.Close()
	var n int
	raw.QueryRow("SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'deleted_at'").Scan(&n)
	var idx string
	raw.QueryRow("SELECT group_concat(sql, ';') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'").Scan(&idx)
	if n != 0 || !strings.Contains(idx, "users_email ON users (email COLLATE NOCASE)") || !strings.Contains(idx, "users_email_plain") {
		t.Fatalf("after down: deleted_at %d, indexes %s", n, idx)
	}
}

// trash and audit only read: on a database never written to they list
// nothing and create no table; a read-only file works.
func TestTrashAuditReadOnly(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE lists (id INTEGER PRIMARY KEY, deleted_at DATETIME)")
	for _, cmd := range []string{"trash", "audit"} {
		for _, dsn := range []string{"sqlite:" + path, "sqlite:" + path + "?mode=ro"} {
			code, out, stderr := run(t, cmd, "--dsn", dsn)
			if code != 0 {
				t.Fatalf("%s %s: %d %q %q", cmd, dsn, code, out, stderr)
			}
		}
	}
	raw, _ := sql.Open("sqlite", "file:"+path+"?mode=ro")
	defer raw.Close()
	var n int
	raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'softdelete_%'").Scan(&n)
	if n != 0 {
		t.Fatalf("trash/audit created %d softdelete tables", n)
	}
	if mode := journalMode(t, path); mode != "delete" {
		t.Fatalf("trash/audit changed the journal mode to %s", mode)
	}
}
