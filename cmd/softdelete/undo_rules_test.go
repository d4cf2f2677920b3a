package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// The CLI, which knows nothing of the application's WithRelationRule,
// undoes a delete that cascaded through one: the delete recorded its rules.
func TestUndoCLIFollowsRecordedRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE users (id INTEGER PRIMARY KEY, deleted_at DATETIME)",
		"CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), deleted_at DATETIME)",
		"CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE, deleted_at DATETIME)",
		"INSERT INTO users (id) VALUES (1)",
		"INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 1)",
		"INSERT INTO comments (id, post_id) VALUES (1, 1), (2, 2), (3, 2)",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	defer raw.Close()
	dsn := "sqlite:" + path
	app, err := softdelete.Open(dsn, softdelete.WithRelationRule("posts", "users", softdelete.Cascade))
	if err != nil {
		t.Fatal(err)
	}
	op, err := app.Delete(context.Background(), "users", 1)
	app.Close()
	if err != nil {
		t.Fatal(err)
	}
	if op.Rows != 6 {
		t.Fatalf("delete hid %d rows, want 6", op.Rows)
	}
	code, out, stderr := run(t, "undo", "--dsn", dsn, fmt.Sprint(op.ID))
	if code != 0 || !strings.Contains(out, "restored 6 rows") {
		t.Fatalf("undo: %d %s %s", code, out, stderr)
	}
	for _, tbl := range []string{"users", "posts", "comments"} {
		var n int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + tbl + " WHERE deleted_at IS NOT NULL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows still hidden after the CLI's undo", tbl, n)
		}
	}
}
