package main

import (
	"context"
	"strings"
	"testing"

	"github.com/softdelete-go/softdelete"
)

// Table names on the command line match as the database matches them
// (SQLite: ignoring case), in adopt, doctor, trash and purge alike.
func TestTableNamesCaseCLI(t *testing.T) {
	path := sqliteFile(t,
		`CREATE TABLE "Album" (id INTEGER PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX album_title ON "Album" (title)`,
		`INSERT INTO "Album" (title) VALUES ('a'), ('b')`)
	dsn := "sqlite:" + path
	code, out, stderr := run(t, "doctor", "--table", "album", "--dsn", dsn)
	if code != 3 || !strings.Contains(stderr, "none of the 1 tables") {
		t.Fatalf("doctor --table album before adopt: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "adopt", "--table", "album", "--index", "ALBUM:title", "--apply", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "to Album") {
		t.Fatalf("adopt --table album: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "doctor", "--table", "ALBUM", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "checked 1 tables") {
		t.Fatalf("doctor --table ALBUM after adopt: %d %q %q", code, out, stderr)
	}
	code, _, stderr = run(t, "doctor", "--table", "Albums", "--dsn", dsn)
	if code != 1 || !strings.Contains(stderr, "no such table") {
		t.Fatalf("doctor --table Albums: %d %q", code, stderr)
	}
	db, err := softdelete.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(context.Background(), "album", 1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, stderr = run(t, "trash", "--table", "aLbUm", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "Album") || strings.Contains(out, "no operations") {
		t.Fatalf("trash --table aLbUm: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "purge", "--table", "album", "--older-than", "0s", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "purged 1 rows") {
		t.Fatalf("purge --table album: %d %q %q", code, out, stderr)
	}
}
