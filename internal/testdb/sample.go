package testdb

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/internal/sqlscript"
)

// Samples are the public sample databases under testdata/sampledb, each
// with the dialects it has a script for.
var Samples = []struct{ Name, Dialect string }{
	{"chinook", "sqlite"}, {"chinook", "postgres"}, {"chinook", "mysql"},
	{"pagila", "postgres"}, {"sakila", "mysql"},
}

// LoadSample loads a sample database (testdata/sampledb; see make.py there)
// into a fresh database of the dialect and returns its URL.
func LoadSample(t testing.TB, name, dialect string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "..", "testdata", "sampledb")
	file := map[string]string{
		"chinook/sqlite": "chinook/sqlite.sql", "chinook/postgres": "chinook/postgresql.sql",
		"chinook/mysql": "chinook/mysql.sql", "pagila/postgres": "pagila/pagila.sql", "sakila/mysql": "sakila/mysql.sql",
	}[name+"/"+dialect]
	if file == "" {
		t.Fatalf("no sample %s for %s", name, dialect)
	}
	src, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	u := URL(t, dialect)
	db, err := softdelete.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := sqlscript.Run(ctx, conn, dialect, string(src)); err != nil {
		t.Fatalf("loading %s on %s: %v", name, dialect, err)
	}
	return u
}
