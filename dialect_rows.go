package softdelete

import (
	"errors"
	"strings"
)

// rowsDialect is what the table-level reader (rows.go) asks of a dialect.
type rowsDialect interface {
	// NullsHigh: in ascending order NULL sorts after every value
	// (PostgreSQL); SQLite and MariaDB sort it first. Rows keeps each
	// database's own NULL order, so that an index on the column serves
	// both directions, and writes its keyset conditions to match.
	NullsHigh() bool
	// SearchLike writes a case-insensitive "expr LIKE pattern" with '!' as
	// the escape character (pattern is a bind argument already escaped).
	SearchLike(b *sqlBuilder, expr string, pattern string)
	// RawSortExpr is the expression that reads a sort column of this kind
	// as stored, when the driver's conversion of the column would not
	// compare equal to the stored value once bound again (SQLite times:
	// the driver parses the text, and the text written back for a
	// time.Time may have another format); "" when the value scanned from
	// the column itself is fine.
	RawSortExpr(quoted string, kind ColumnKind) string
	// StrictParams: the database refuses a bind value that does not fit
	// the column's type (PostgreSQL), so cursor values are checked
	// against the column's kind; SQLite and MariaDB convert.
	StrictParams() bool
	// BadValue recognises the error of a value that does not fit a
	// column's type, or of an operator the type lacks (equality on json).
	BadValue(err error) bool
}

var (
	_ rowsDialect = sqliteDialect{}
	_ rowsDialect = postgresDialect{}
	_ rowsDialect = mysqlDialect{}
)

func (sqliteDialect) NullsHigh() bool   { return false }
func (postgresDialect) NullsHigh() bool { return true }
func (mysqlDialect) NullsHigh() bool    { return false }

// SQLite's LIKE ignores the case of ASCII letters (unless PRAGMA
// case_sensitive_like); its lower() knows no other letters either.
func (sqliteDialect) SearchLike(b *sqlBuilder, expr, pattern string) {
	b.WriteString(expr)
	b.WriteString(" LIKE ")
	b.arg(pattern)
	b.WriteString(" ESCAPE '!'")
}

// PostgreSQL: ILIKE, by the database's locale.
func (postgresDialect) SearchLike(b *sqlBuilder, expr, pattern string) {
	b.WriteString(expr)
	b.WriteString(" ILIKE ")
	b.arg(pattern)
	b.WriteString(" ESCAPE '!'")
}

// MariaDB: LIKE follows the column's collation (the default ones ignore
// case; a _bin or binary column is searched case-sensitively).
func (mysqlDialect) SearchLike(b *sqlBuilder, expr, pattern string) {
	b.WriteString(expr)
	b.WriteString(" LIKE ")
	b.arg(pattern)
	b.WriteString(" ESCAPE '!'")
}

func (sqliteDialect) RawSortExpr(quoted string, kind ColumnKind) string {
	if kind == KindTime {
		return "+" + quoted // unary plus: the same value, with no declared type for the driver to parse
	}
	return ""
}
func (postgresDialect) RawSortExpr(string, ColumnKind) string { return "" }
func (mysqlDialect) RawSortExpr(string, ColumnKind) string    { return "" }

func (sqliteDialect) StrictParams() bool   { return false }
func (postgresDialect) StrictParams() bool { return true }
func (mysqlDialect) StrictParams() bool    { return false }

func (sqliteDialect) BadValue(error) bool { return false }
func (postgresDialect) BadValue(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		code := st.SQLState()
		// Class 22: data exception (invalid text representation, datetime
		// field overflow...); 42883: undefined function (no = or < for
		// the type); 42804: datatype mismatch.
		return strings.HasPrefix(code, "22") || code == "42883" || code == "42804"
	}
	return false
}
func (mysqlDialect) BadValue(err error) bool {
	msg := err.Error()
	// 1267: illegal mix of collations; 1366/1292: incorrect value.
	return strings.Contains(msg, "Error 1267") || strings.Contains(msg, "Error 1366") || strings.Contains(msg, "Error 1292")
}
