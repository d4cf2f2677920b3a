package softdelete

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct{ in, driver, dsnHas string }{
		{"sqlite:app.db", "sqlite", "file:app.db?_pragma=foreign_keys(1)"},
		{"sqlite::memory:", "sqlite", "file::memory:?"},
		{"postgres://u@h:5432/db?sslmode=disable", "pgx", "timezone=UTC"},
		{"postgresql://u@h/db", "pgx", "postgresql://u@h/db"},
		{"mysql://root:pw@127.0.0.1:3306/app", "mysql", "root:pw@tcp(127.0.0.1:3306)/app?"},
		{"mysql://root@db/app", "mysql", "tcp(db:3306)"},
	} {
		driver, dsn, _, _, err := parseURL(c.in)
		if err != nil || driver != c.driver || !strings.Contains(dsn, c.dsnHas) {
			t.Errorf("parseURL(%q) = %q, %q, %v", c.in, driver, dsn, err)
		}
		if driver == "mysql" && (!strings.Contains(dsn, "parseTime=true") || !strings.Contains(dsn, "clientFoundRows=true") || !strings.Contains(dsn, "loc=UTC")) {
			t.Errorf("mysql DSN lacks its settings: %s", dsn)
		}
	}
	for _, bad := range []string{"", "sqlite:", "oracle://x", "mysql://%zz"} {
		if _, _, _, _, err := parseURL(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseURL(%q) err = %v", bad, err)
		}
	}
	_, err := Open("oracle://scott:tiger@db/x")
	if err == nil || strings.Contains(err.Error(), "tiger") {
		t.Errorf("bad URL error leaks the password or is nil: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bob:s3cret@db:5432/app?sslmode=disable": "postgres://bob:xxxxx@db:5432/app?sslmode=disable",
		"postgres://bob:s3cret@db/%zz":                      "postgres://bob:xxxxx@db/%zz",
		"mysql://bob:s3:cr@t@[::1/db":                       "mysql://bob:xxxxx@[::1/db",
		"postgres://db/app?password=s3cret":                 "postgres://db/app?password=xxxxx",
		"sqlite:/tmp/app.db":                                "sqlite:/tmp/app.db",
		"postgres://bob@db/app":                             "postgres://bob@db/app",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := Open("postgres://bob:s3cret@db/%zz"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open error shows the password: %v", err)
	}
}
