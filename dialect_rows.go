package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
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
	// PrefixFallback is how a prefix search is written on a column no
	// index serves it for: a way that compares as SearchPrefix promises
	// (see writePrefix), with its collation.
	PrefixFallback() (prefixWay, string)
	// SearchUnion: a prefix or exact search that matches few rows is
	// written as the keys of a union of one lookup per column (SQLite: for
	// an OR of index ranges, or a range whose bound values make it look
	// wide, its planner prefers reading the table in the page's order,
	// which reads all of it when few rows match: 142 ms instead of 0.3 ms
	// on 1M rows). See DB.searchUnion.
	SearchUnion() bool
	// RawSortExpr is the expression that reads a sort column of this kind
	// and declared type for the cursor, when the driver's conversion of
	// the column would not compare equal to the stored value once bound
	// again (SQLite times: the driver parses the text, and the text
	// written back for a time.Time may have another format); "" when the
	// value scanned from the column itself is fine. cmp, when not "", is
	// the expression the keyset compares with that value instead of the
	// column (MariaDB ENUM and SET columns sort by their number, but
	// compare with a text value as text: the page after 'PG' would skip
	// 'NC-17', which sorts after it and compares before it).
	RawSortExpr(quoted string, kind ColumnKind, typ string) (raw, cmp string)
	// BytesAreText: a []byte the driver scans a raw sort value into is
	// text (MariaDB gives text as bytes), bound back as a string; false on
	// SQLite, where bytes are a BLOB (the driver gives text as a string)
	// and must be bound back as one: a BLOB another tool stored in a time
	// column compares after all text, so as text the cursor after it
	// selected it again (and bytes that are not UTF-8 made a cursor Rows
	// refuses).
	BytesAreText() bool
	// RowValueKeyset: a row-value comparison (a, b) > (?, ?) is an index
	// condition (PostgreSQL); elsewhere the keyset is written out with a
	// leading bound on the first column.
	RowValueKeyset() bool
	// StrictParams: the database refuses a bind value that does not fit
	// the column's type (PostgreSQL), so cursor values are checked
	// against the column's kind; SQLite and MariaDB convert.
	StrictParams() bool
	// BadValue recognises the error of a value that does not fit a
	// column's type, or of an operator the type lacks (equality on json).
	BadValue(err error) bool
	// EstimateRows is the catalog's estimate of a table's rows; ok false
	// when the database keeps none.
	EstimateRows(ctx context.Context, ex *executor, t *table) (n float64, ok bool, err error)
	// EstimateAliveShare is the estimated share of alive rows of a
	// soft-deletable table of about total rows; ok false when it cannot be
	// had cheaply.
	EstimateAliveShare(ctx context.Context, ex *executor, t *table, total float64) (share float64, ok bool, err error)
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

func (sqliteDialect) SearchUnion() bool   { return true }
func (postgresDialect) SearchUnion() bool { return false }
func (mysqlDialect) SearchUnion() bool    { return false }

// SQLite: byte by byte, as its default BINARY collation.
func (sqliteDialect) PrefixFallback() (prefixWay, string) { return prefixRange, "BINARY" }

// PostgreSQL: byte by byte (code point order), as the C collation.
func (postgresDialect) PrefixFallback() (prefixWay, string) { return prefixRange, `"C"` }

// MariaDB: LIKE, by the column's collation.
func (mysqlDialect) PrefixFallback() (prefixWay, string) { return prefixLike, "" }

func (sqliteDialect) RawSortExpr(quoted string, kind ColumnKind, _ string) (string, string) {
	if kind == KindTime {
		return "+" + quoted, "" // unary plus: the same value, with no declared type for the driver to parse
	}
	return "", ""
}

// PostgreSQL types a bind value as the column's type (an enum's text is
// compared as the enum), so the scanned value is fine.
func (postgresDialect) RawSortExpr(string, ColumnKind, string) (string, string) { return "", "" }

// MariaDB: ORDER BY an ENUM or SET column sorts by its number (the index
// order), and "col > 'PG'" compares text; a BIT value reads as bytes (a
// NUL byte for b'0', which a cursor's text cannot hold). The cursor holds
// the number and the keyset compares it with col+0. A date or time holds
// its text: the driver reads a date with a zero day or month that another
// tool stored ('2024-01-00', under a permissive sql_mode) as another day
// (2023-12-31), which sorts before it, so the next page listed the row
// again.
func (mysqlDialect) RawSortExpr(quoted string, kind ColumnKind, typ string) (string, string) {
	if t := strings.ToLower(strings.TrimSpace(typ)); strings.HasPrefix(t, "enum(") || strings.HasPrefix(t, "set(") || strings.HasPrefix(t, "bit(") {
		return quoted + "+0", "(" + quoted + "+0)"
	}
	if kind == KindTime {
		return "CAST(" + quoted + " AS CHAR)", ""
	}
	return "", ""
}

func (sqliteDialect) BytesAreText() bool   { return false }
func (postgresDialect) BytesAreText() bool { return true }
func (mysqlDialect) BytesAreText() bool    { return true }

func (sqliteDialect) RowValueKeyset() bool   { return false }
func (postgresDialect) RowValueKeyset() bool { return true }
func (mysqlDialect) RowValueKeyset() bool    { return false }

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

// EstimateRows (rowsDialect): the catalog's estimate of a table's rows;
// ok false when the database keeps none.
func (sqliteDialect) EstimateRows(context.Context, *executor, *table) (float64, bool, error) {
	return 0, false, nil
}

// EstimateAliveShare (rowsDialect): the estimated share of alive rows of
// a soft-deletable table of about total rows; ok false when none can be
// had cheaply.
func (sqliteDialect) EstimateAliveShare(context.Context, *executor, *table, float64) (float64, bool, error) {
	return 0, false, nil
}

// PostgreSQL: reltuples scaled to the table's current number of pages, as
// the planner does (-1: never vacuumed or analyzed).
func (postgresDialect) EstimateRows(ctx context.Context, ex *executor, t *table) (float64, bool, error) {
	var n sql.NullFloat64
	err := ex.queryRow(ctx, `SELECT CASE WHEN c.reltuples < 0 THEN NULL
  WHEN c.relpages > 0 THEN c.reltuples::float8 / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::float8)
  ELSE c.reltuples::float8 END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = $1`, []any{t.Name}, &n)
	if err == ErrNotFound {
		return 0, false, nil
	}
	if err != nil || !n.Valid {
		return 0, false, err
	}
	return n.Float64, true, nil
}

// PostgreSQL: the null fraction of the soft-delete column in pg_stats.
func (postgresDialect) EstimateAliveShare(ctx context.Context, ex *executor, t *table, _ float64) (float64, bool, error) {
	var f float64
	err := ex.queryRow(ctx, `SELECT s.null_frac::float8 FROM pg_stats s
WHERE s.schemaname = current_schema() AND s.tablename = $1 AND s.attname = $2
ORDER BY s.inherited DESC LIMIT 1`, []any{t.Name, t.SoftCol}, &f)
	if err == ErrNotFound {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return f, true, nil
}

// MariaDB: information_schema.TABLES.TABLE_ROWS (InnoDB's estimate).
func (mysqlDialect) EstimateRows(ctx context.Context, ex *executor, t *table) (float64, bool, error) {
	var n sql.NullInt64
	err := ex.queryRow(ctx, `SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
		[]any{t.Name}, &n)
	if err == ErrNotFound {
		return 0, false, nil
	}
	if err != nil || !n.Valid {
		return 0, false, err
	}
	return float64(n.Int64), true, nil
}

// MariaDB: through an index that starts with the soft-delete column, the
// optimizer's estimate of the alive rows (EXPLAIN: index dives, cheap and
// close); else the column's engine-independent statistics, when ANALYZE
// TABLE collected them and they can be read.
func (d mysqlDialect) EstimateAliveShare(ctx context.Context, ex *executor, t *table, total float64) (float64, bool, error) {
	if total <= 0 {
		return 0, false, nil
	}
	indexed := false
	for _, ix := range t.Indexes {
		if len(ix.Columns) > 0 && ix.Columns[0] == t.SoftCol && ix.Kind == "" {
			indexed = true
		}
	}
	if indexed {
		rows, err := ex.query(ctx, "EXPLAIN SELECT COUNT(*) FROM "+d.Quote(t.Name)+" WHERE "+d.Quote(t.SoftCol)+" IS NULL")
		if err != nil {
			return 0, false, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return 0, false, err
		}
		if rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return 0, false, err
			}
			var key, n string
			for i, c := range cols {
				switch strings.ToLower(c) {
				case "key":
					key = vals[i].String
				case "rows":
					n = vals[i].String
				}
			}
			if r, err := strconv.ParseFloat(n, 64); err == nil && key != "" {
				return min(r/total, 1), true, nil
			}
		}
		if err := closeRows(rows); err != nil {
			return 0, false, err
		}
	}
	var f sql.NullFloat64
	err := ex.queryRow(ctx, `SELECT nulls_ratio FROM mysql.column_stats WHERE db_name = DATABASE() AND table_name = ? AND column_name = ?`,
		[]any{t.Name, t.SoftCol}, &f)
	if err != nil || !f.Valid {
		return 0, false, nil // none collected, or not readable for this user: count
	}
	return f.Float64, true, nil
}
