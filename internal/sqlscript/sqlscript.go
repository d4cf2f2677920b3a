// Package sqlscript runs the SQL scripts of the sample databases the tests
// load (testdata/sampledb): it cuts a script into statements the way the
// database's own client would.
package sqlscript

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Run sends the statements of src one by one on conn.
func Run(ctx context.Context, conn *sql.Conn, dialect, src string) error {
	for _, s := range Split(dialect, src) {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return &Error{stmt: firstLine(s), err: err}
		}
	}
	return nil
}

// Error is a statement of a script that failed: its first line and the
// database's error.
type Error struct {
	stmt string
	err  error
}

func (e *Error) Error() string { return e.stmt + ": " + e.err.Error() }

// Split cuts an SQL script into statements: quotes, comments,
// PostgreSQL dollar quotes, psql meta-commands (dropped) and the mysql
// client's DELIMITER lines are understood.
func Split(dialect, src string) []string {
	var out []string
	delim := ";"
	var cur strings.Builder
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s != "" {
			out = append(out, s)
		}
	}
	atLineStart := true
	for i := 0; i < len(src); {
		c := src[i]
		if atLineStart {
			j := i
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			rest := src[j:]
			line, _, _ := strings.Cut(rest, "\n")
			if dialect == "mysql" && len(line) > 10 && strings.EqualFold(line[:10], "DELIMITER ") {
				flush()
				delim = strings.TrimSpace(line[10:])
				i = j + len(line)
				continue
			}
			if dialect == "postgres" && strings.HasPrefix(line, "\\") {
				i = j + len(line)
				continue
			}
		}
		atLineStart = c == '\n'
		switch {
		case strings.HasPrefix(src[i:], delim):
			flush()
			i += len(delim)
			continue
		case c == '-' && strings.HasPrefix(src[i:], "--"), dialect == "mysql" && c == '#':
			e := strings.IndexByte(src[i:], '\n')
			if e < 0 {
				e = len(src) - i
			}
			i += e
			continue
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			e := strings.Index(src[i+2:], "*/")
			if e < 0 {
				e = len(src) - i - 2
			}
			i += e + 4
			continue
		case c == '\'' || c == '"' || c == '`' || (dialect == "sqlite" && c == '['):
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(src) {
				if dialect == "mysql" && src[j] == '\\' && end == '\'' {
					j += 2
					continue
				}
				if src[j] == end {
					if j+1 < len(src) && src[j+1] == end && end != ']' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			cur.WriteString(src[i:min(j+1, len(src))])
			i = j + 1
			continue
		case dialect == "postgres" && c == '$':
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			if j < len(src) && src[j] == '$' {
				tag := src[i : j+1]
				e := strings.Index(src[j+1:], tag)
				if e >= 0 {
					end := j + 1 + e + len(tag)
					cur.WriteString(src[i:end])
					i = end
					continue
				}
			}
		}
		cur.WriteByte(c)
		i++
	}
	flush()
	return out
}

// Unwrap returns the database's error.
func (e *Error) Unwrap() error { return e.err }

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func isIdentChar(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// Samples are the public sample databases under testdata/sampledb (see
// make.py there for their sources and licences), each with a dialect it
// has a script for: Chinook on the three, Pagila (PostgreSQL: inheritance
// partitions, a GiST full-text index, rules and triggers) and Sakila
// (MariaDB: FULLTEXT, ENUM and SET columns, triggers).
var Samples = []struct{ Name, Dialect string }{
	{"chinook", "sqlite"}, {"chinook", "postgres"}, {"chinook", "mysql"},
	{"pagila", "postgres"}, {"sakila", "mysql"},
}

// SampleFile is the script of a sample database for a dialect.
func SampleFile(name, dialect string) (string, error) {
	f := map[string]string{
		"chinook/sqlite": "chinook/sqlite.sql", "chinook/postgres": "chinook/postgresql.sql",
		"chinook/mysql": "chinook/mysql.sql", "pagila/postgres": "pagila/pagila.sql", "sakila/mysql": "sakila/mysql.sql",
	}[name+"/"+dialect]
	if f == "" {
		return "", fmt.Errorf("no sample database %s for %s", name, dialect)
	}
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "testdata", "sampledb", f), nil
}

// LoadSample loads a sample database into db (an empty database).
func LoadSample(ctx context.Context, db *sql.DB, name, dialect string) error {
	file, err := SampleFile(name, dialect)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := Run(ctx, conn, dialect, string(src)); err != nil {
		return fmt.Errorf("loading %s on %s: %w", name, dialect, err)
	}
	return nil
}
