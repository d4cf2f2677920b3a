package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// trash prints composite keys as (a,b), lists only deletes that still hide
// rows, and names an unknown operation as such.
func TestTrashCompositeAndUnknownCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE film_actor (actor_id INTEGER NOT NULL, film_id INTEGER NOT NULL, deleted_at DATETIME, PRIMARY KEY (actor_id, film_id))",
		"INSERT INTO film_actor (actor_id, film_id) VALUES (1, 23), (12, 3), (4, 5)",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	dsn := "sqlite:" + path
	db, err := softdelete.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	op, err := db.Delete(ctx, "film_actor", 1, 23)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := db.Delete(ctx, "film_actor", 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Restore(ctx, "film_actor", 4, 5); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, stderr := run(t, "trash", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "(1,23)") || strings.Contains(out, "(4,5)") {
		t.Fatalf("trash: %d\n%s\n%s", code, out, stderr)
	}
	_ = gone
	code, out, stderr = run(t, "trash", "--dsn", dsn, "1")
	if code != 0 || strings.Count(out, "(1,23)") != 2 {
		t.Fatalf("trash %d: %d\n%s\n%s", op.ID, code, out, stderr)
	}
	code, _, stderr = run(t, "trash", "--dsn", dsn, "999")
	if code != 1 || !strings.Contains(stderr, "no operation 999") {
		t.Fatalf("trash 999: %d %q", code, stderr)
	}
	code, _, stderr = run(t, "undo", "--dsn", dsn, "999")
	if code != 1 || !strings.Contains(stderr, "no operation 999") {
		t.Fatalf("undo 999: %d %q", code, stderr)
	}
}
