package testdb

import (
	"context"
	"testing"

	"github.com/softdelete-go/softdelete"
	"github.com/softdelete-go/softdelete/internal/sqlscript"
)

// Samples are the public sample databases the tests load (see
// internal/sqlscript).
var Samples = sqlscript.Samples

// LoadSample loads a sample database into a fresh database of the dialect
// and returns its URL.
func LoadSample(t testing.TB, name, dialect string) string {
	t.Helper()
	u := URL(t, dialect)
	db, err := softdelete.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlscript.LoadSample(context.Background(), db.SQL(), name, dialect); err != nil {
		t.Fatal(err)
	}
	return u
}
