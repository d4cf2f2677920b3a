// Package testdb gives tests outside the root package (the browser tests,
// internal/demoshop) a fresh database per test on each dialect, the way the
// root package's testdb_test.go does: PostgreSQL and MariaDB/MySQL from
// SOFTDELETE_TEST_POSTGRES / SOFTDELETE_TEST_MYSQL (defaulting to the local
// services), one schema or database per test, dropped afterwards. A server
// that cannot be reached skips the test unless SOFTDELETE_REQUIRE_ALL_DBS=1.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/softdelete-go/softdelete"

	_ "github.com/go-sql-driver/mysql" // drivers for the tests that use this package
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Dialects are the three the project supports, as DB.Dialect names them.
var Dialects = []string{"sqlite", "postgres", "mysql"}

// RequireAll reports whether SOFTDELETE_REQUIRE_ALL_DBS=1 forbids skipping.
func RequireAll() bool { return os.Getenv("SOFTDELETE_REQUIRE_ALL_DBS") == "1" }

func baseURL(dialect string) string {
	switch dialect {
	case "postgres":
		if u := os.Getenv("SOFTDELETE_TEST_POSTGRES"); u != "" {
			return u
		}
		return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	default:
		if u := os.Getenv("SOFTDELETE_TEST_MYSQL"); u != "" {
			return u
		}
		return "mysql://root@127.0.0.1:3306/test"
	}
}

var (
	mu    sync.Mutex
	admin = map[string]*softdelete.DB{}
	errs  = map[string]error{}
)

func adminDB(dialect string) (*softdelete.DB, error) {
	mu.Lock()
	defer mu.Unlock()
	if db, ok := admin[dialect]; ok {
		return db, errs[dialect]
	}
	db, err := softdelete.Open(baseURL(dialect))
	admin[dialect], errs[dialect] = db, err
	return db, err
}

// URL creates an empty database (SQLite file, PostgreSQL schema, MariaDB
// database) for the test and returns its URL; it is dropped when the test
// ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite:" + t.TempDir() + "/test.db"
	}
	adm, err := adminDB(dialect)
	if err != nil {
		if RequireAll() {
			t.Fatalf("%s unreachable and SOFTDELETE_REQUIRE_ALL_DBS=1: %v", dialect, err)
		}
		t.Skipf("%s unreachable: %v", dialect, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "sdt_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	switch dialect {
	case "postgres":
		if _, err := adm.SQL().ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { adm.SQL().ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE") })
		u, _ := url.Parse(baseURL(dialect))
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	default:
		if _, err := adm.SQL().ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { adm.SQL().ExecContext(context.Background(), "DROP DATABASE "+name) })
		u, _ := url.Parse(baseURL(dialect))
		u.Path = "/" + name
		return u.String()
	}
}

// Open opens a fresh database of the dialect, closed when the test ends.
func Open(t testing.TB, dialect string, opts ...softdelete.Option) *softdelete.DB {
	t.Helper()
	db, err := softdelete.Open(URL(t, dialect), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
