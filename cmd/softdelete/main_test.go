package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softdelete-go/softdelete"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	code, _, stderr := run(t)
	if code != 2 || !strings.Contains(stderr, "usage: softdelete") || !strings.Contains(stderr, "SOFTDELETE_DSN") {
		t.Fatalf("no-args usage: %d %q", code, stderr)
	}
	code, _, stderr = run(t, "nosuch")
	if code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, stderr)
	}
	t.Setenv("SOFTDELETE_DSN", "")
	code, _, stderr = run(t, "doctor")
	if code != 1 || !strings.Contains(stderr, "--dsn") {
		t.Fatalf("doctor without dsn: %d %q", code, stderr)
	}
}

func TestDemo(t *testing.T) {
	code, out, stderr := run(t, "demo", "--walkthrough", "--dsn", "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	if code != 0 || !strings.Contains(out, "removed it for good") {
		t.Fatalf("demo: %d\n%s\n%s", code, out, stderr)
	}
}

func TestAdoptDoctorCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, deleted_at DATETIME)",
		"INSERT INTO users (email, deleted_at) VALUES ('a@x', NULL), ('b@x', '2020-01-01 00:00:00.000000')",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	dsn := "sqlite:" + path
	t.Setenv("SOFTDELETE_DSN", dsn)
	code, out, _ := run(t, "doctor")
	if code != 1 || !strings.Contains(out, "counts deleted rows") {
		t.Fatalf("doctor before adopt: %d\n%s", code, out)
	}
	code, out, _ = run(t, "adopt", "--table", "users")
	if code != 0 || !strings.Contains(out, "WHERE \"deleted_at\" IS NULL") || !strings.Contains(out, "dry run") {
		t.Fatalf("adopt dry run: %d\n%s", code, out)
	}
	dir := t.TempDir()
	code, out, _ = run(t, "adopt", "--out", dir, "--format", "goose")
	files, _ := os.ReadDir(dir)
	if code != 0 || len(files) != 1 {
		t.Fatalf("adopt --out: %d %s %v", code, out, files)
	}
	code, out, stderr := run(t, "adopt", "--apply")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("adopt --apply: %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, "doctor", "--json")
	if code != 0 || !strings.Contains(out, "[]") {
		t.Fatalf("doctor after adopt: %d\n%s", code, out)
	}
}

func TestTrashUndoAuditPurgeCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ops.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE lists (id INTEGER PRIMARY KEY, deleted_at DATETIME)",
		"CREATE TABLE tasks (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE, deleted_at DATETIME)",
		"INSERT INTO lists (id) VALUES (1), (2)",
		"INSERT INTO tasks (id, list_id) VALUES (1, 1), (2, 1), (3, 2)",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	dsn := "sqlite:" + path
	t.Setenv("SOFTDELETE_DSN", dsn)
	db, err := softdelete.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := softdelete.WithActor(context.Background(), "alice")
	if _, err := db.Delete(ctx, "lists", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "lists", 2); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ := run(t, "trash")
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "tasks:2") {
		t.Fatalf("trash: %d\n%s", code, out)
	}
	code, out, _ = run(t, "trash", "--json")
	var ops []softdelete.Operation
	if code != 0 || json.Unmarshal([]byte(out), &ops) != nil || len(ops) != 2 {
		t.Fatalf("trash --json: %d\n%s", code, out)
	}
	code, out, _ = run(t, "trash", fmt.Sprint(ops[1].ID))
	if code != 0 || !strings.Contains(out, "tasks, still hidden by it (first 50): 1 2") {
		t.Fatalf("trash ID: %d\n%s", code, out)
	}
	code, out, stderr := run(t, "undo", fmt.Sprint(ops[1].ID))
	if code != 0 || !strings.Contains(out, "restored 3 rows") {
		t.Fatalf("undo: %d %s %s", code, out, stderr)
	}
	code, _, stderr = run(t, "undo", fmt.Sprint(ops[1].ID))
	if code != 1 || !strings.Contains(stderr, "nothing left to undo") {
		t.Fatalf("second undo: %d %s", code, stderr)
	}
	code, out, _ = run(t, "audit", "--actor", "alice")
	if code != 0 || strings.Count(out, "delete") != 2 {
		t.Fatalf("audit: %d\n%s", code, out)
	}
	code, _, stderr = run(t, "purge")
	if code != 2 || !strings.Contains(stderr, "--older-than is required") {
		t.Fatalf("purge without age: %d %s", code, stderr)
	}
	// Nothing is an hour old yet (a 1s cut-off here raced a loaded machine:
	// the steps above can take longer than a second).
	code, out, _ = run(t, "purge", "--older-than", "1h", "--dry-run")
	if code != 0 || !strings.Contains(out, "nothing to purge") {
		t.Fatalf("purge dry run: %d %s", code, out)
	}
	time.Sleep(1100 * time.Millisecond)
	code, out, _ = run(t, "purge", "--older-than", "1s", "--dry-run")
	if code != 0 || !strings.Contains(out, "would purge 2 rows") {
		t.Fatalf("purge dry run, rows due: %d %s", code, out)
	}
	code, out, stderr = run(t, "purge", "--older-than", "1s", "--batch", "1")
	if code != 0 || !strings.Contains(out, "purged 2 rows") || !strings.Contains(stderr, "purge: 2/2 rows") {
		t.Fatalf("purge: %d %s %s", code, out, stderr)
	}
}
