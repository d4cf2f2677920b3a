package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	code, out, stderr := run(t, "demo", "--dsn", "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
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
