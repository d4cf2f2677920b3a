package softdelete

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sqliteDialect targets SQLite through modernc.org/sqlite (driver "sqlite").
type sqliteDialect struct{}

func (sqliteDialect) Name() string                          { return "sqlite" }
func (sqliteDialect) Quote(s string) string                 { return quoteWith('"', s) }
func (sqliteDialect) Placeholder(b *strings.Builder, _ int) { b.WriteByte('?') }
func (sqliteDialect) InsertReturning() bool                 { return true }
func (sqliteDialect) PartialIndexes() bool                  { return true }
func (sqliteDialect) UpdateJoin() bool                      { return false }
func (sqliteDialect) ShareLock() string                     { return "" } // writers are serialized
func (sqliteDialect) RowLock(bool, string) string           { return "" }
func (sqliteDialect) SkipLocked() string                    { return "" }

// RestoreIsolation: writers are serialized; the default.
func (sqliteDialect) RestoreIsolation() sql.IsolationLevel { return sql.LevelDefault }
func (sqliteDialect) FromDual() string                     { return "" }
func (sqliteDialect) TimestampType() string                { return "DATETIME" }
func (sqliteDialect) InsertIgnore() (string, string) {
	return "INSERT INTO", " ON CONFLICT DO NOTHING"
}

// sqliteTimeLayout is fixed-width so that text comparison orders times.
const sqliteTimeLayout = "2006-01-02 15:04:05.000000"

// TimeArg stores UTC text with exactly six fractional digits: it sorts as
// text, round-trips to the microsecond and is what SQLite's date functions read.
func (sqliteDialect) TimeArg(t time.Time) any { return t.UTC().Format(sqliteTimeLayout) }

func (sqliteDialect) Classify(err error) errKind {
	var coder interface{ Code() int }
	if errors.As(err, &coder) {
		switch coder.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
			return errUnique
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return errForeignKey
		}
		switch coder.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)
			return errBusy
		case 8, 23: // SQLITE_READONLY, SQLITE_AUTH
			return errPrivilege
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return errUnique
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return errForeignKey
	case strings.Contains(msg, "database is locked"), strings.Contains(msg, "database table is locked"):
		return errBusy
	}
	return errOther
}

func (d sqliteDialect) LoadSchema(ctx context.Context, ex *executor) (*schema, error) {
	s := &schema{tables: map[string]*table{}, names: namesASCII}
	rows, err := ex.query(ctx, `SELECT m.name, p.name, p.type, p."notnull", p.dflt_value IS NOT NULL, p.pk, p.hidden
FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl string
		var c column
		var hidden int
		if err := rows.Scan(&tbl, &c.Name, &c.Type, &c.NotNull, &c.Default, &c.pkPos, &hidden); err != nil {
			rows.Close()
			return nil, err
		}
		c.Generated = hidden == 2 || hidden == 3
		s.addColumn(tbl, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT m.name, m.sql, l.wr FROM sqlite_master m JOIN pragma_table_list l ON l.schema = 'main' AND l.name = m.name
WHERE m.type = 'table' AND m.sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, def string
		var noRowid bool
		if err := rows.Scan(&name, &def, &noRowid); err != nil {
			rows.Close()
			return nil, err
		}
		if t := s.tables[name]; t != nil {
			t.def, t.noRowid = def, noRowid
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT m.name, f.id, f."table", f."from", COALESCE(f."to", ''), f.on_delete
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table'
ORDER BY m.name, f.id, f.seq`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, id, parent, from, to, rule string
		if err := rows.Scan(&child, &id, &parent, &from, &to, &rule); err != nil {
			rows.Close()
			return nil, err
		}
		s.addFKColumn(child, "fk"+id, parent, from, to, rule)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT m.name, il.name, il."unique", il.origin, il.partial, COALESCE(s.sql, ''), COALESCE(ii.name, ''), ii.cid = -2,
  COALESCE(ii.coll, '')
FROM sqlite_master m
JOIN pragma_index_list(m.name) il
JOIN pragma_index_xinfo(il.name) ii
LEFT JOIN sqlite_master s ON s.type = 'index' AND s.name = il.name
WHERE m.type = 'table' AND ii.key = 1
ORDER BY m.name, il.name, ii.seqno`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl, col string
		var ix index
		var origin string
		var expr bool // an expression key part (cid -2)
		var coll string
		if err := rows.Scan(&tbl, &ix.Name, &ix.Unique, &origin, &ix.Partial, &ix.Def, &col, &expr, &coll); err != nil {
			rows.Close()
			return nil, err
		}
		// A prefix search: a range in a BINARY index, LIKE (which ignores
		// the case of ASCII letters) in a NOCASE one.
		// Only the built-in collations are written into conditions.
		switch strings.ToUpper(coll) {
		case "BINARY":
			ix.prefix, ix.coll = prefixRange, "BINARY"
		case "NOCASE":
			ix.prefix, ix.coll = prefixLike, "NOCASE"
		case "RTRIM":
			ix.coll = "RTRIM"
		}
		ix.Primary = origin == "pk"
		ix.Constraint = origin != "c"
		ix.AliveOnly = ix.Partial && aliveOnlyPredicate(ix.Def)
		if expr {
			s.addIndexExpr(tbl, ix)
		} else {
			s.addIndexColumn(tbl, ix, col)
		}
	}
	return s, closeRows(rows)
}

func (sqliteDialect) TableProbe(b *sqlBuilder, name string, _ nameCase) {
	b.WriteString(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name = `)
	b.arg(name)
	b.WriteString(" COLLATE NOCASE")
}

// aliveOnlyPredicate reports whether an index definition (or its WHERE
// clause) restricts it to rows whose deleted_at IS NULL.
func aliveOnlyPredicate(def string) bool {
	d := strings.ToLower(strings.Join(strings.Fields(def), " "))
	d = strings.NewReplacer(`"`, "", "`", "", "(", "", ")", "").Replace(d)
	i := strings.Index(d, " where ")
	if i >= 0 {
		d = d[i:]
	}
	return strings.Contains(d, "deleted_at is null")
}

func (sqliteDialect) OpsTableDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS softdelete_operations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  stamp DATETIME,
  root_table TEXT NOT NULL DEFAULT '',
  root_key TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  rows_total INTEGER NOT NULL DEFAULT 0,
  counts TEXT NOT NULL DEFAULT '{}',
  outcome TEXT NOT NULL DEFAULT 'done',
  target_op INTEGER,
  undone_by INTEGER,
  rules TEXT
)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS softdelete_operations_stamp ON softdelete_operations (stamp)`,
		`CREATE INDEX IF NOT EXISTS softdelete_operations_created ON softdelete_operations (created_at)`,
		`CREATE TABLE IF NOT EXISTS softdelete_nulled (
  stamp DATETIME NOT NULL,
  child_table TEXT NOT NULL,
  fk_name TEXT NOT NULL,
  row_key TEXT NOT NULL,
  old_values TEXT NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS softdelete_nulled_op ON softdelete_nulled (stamp)`,
		nulledRowIndex,
		`CREATE TABLE IF NOT EXISTS softdelete_purge_lease (
  name TEXT PRIMARY KEY
)`,
	}
}

func (sqliteDialect) CastText(expr string) string      { return "CAST(" + expr + " AS TEXT)" }
func (sqliteDialect) KeyText(expr string) string       { return "CAST(" + expr + " AS TEXT)" }
func (sqliteDialect) CastWrap(string) (string, string) { return "", "" }

func (sqliteDialect) ProbeEach() string      { return "" }
func (sqliteDialect) WritableCTE() bool      { return false }
func (sqliteDialect) SessionVariables() bool { return false }

func (sqliteDialect) BinaryText(string) (string, bool) { return "", false }
func (sqliteDialect) TextBinary(expr string) string    { return "CAST(" + expr + " AS BLOB)" }

// TextKeyCast: INTEGER for a type of integer affinity (it names int);
// other text compares as it is.
func (sqliteDialect) TextKeyCast(typ string) string {
	if strings.Contains(strings.ToLower(typ), "int") {
		return "INTEGER"
	}
	return ""
}

func (sqliteDialect) PipesConcat() bool        { return true }
func (sqliteDialect) DistinctFrom() bool       { return true }
func (sqliteDialect) ILike() (string, bool)    { return "LIKE", false } // LIKE ignores ASCII case already
func (sqliteDialect) BigIn() bigInForm         { return bigInJSON }
func (sqliteDialect) ReturningByVersion() bool { return false }

func (sqliteDialect) Facts() dialectFacts {
	return dialectFacts{ConvertTimeArgs: true, Affinity: true, IntBools: true, RowidType: "integer", ExprFuncs: onSQLite}
}

// CacheStatements: modernc.org/sqlite compiles a statement given as text
// anew each time; a *sql.Stmt keeps it compiled (stmtcache.go).
func (sqliteDialect) CacheStatements() bool { return true }

func (sqliteDialect) OwnColumnsSQL() string {
	return `SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name LIKE 'softdelete%'`
}

func (sqliteDialect) OwnIndexesSQL() string {
	return `SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'softdelete%'`
}

// OpsUpgrades: the relation rules a delete followed, the SET NULL
// bookkeeping found by row (added later).
func (sqliteDialect) OpsUpgrades() []opsUpgrade {
	return []opsUpgrade{
		{Table: "softdelete_operations", Column: "rules", DDL: "ALTER TABLE softdelete_operations ADD COLUMN rules TEXT"},
		{Table: "softdelete_nulled", Index: "softdelete_nulled_row", DDL: nulledRowIndex},
	}
}

// Stamps on SQLite. A column holds whatever a writer stored: our text
// with six fractional digits, datetime('now') and CURRENT_TIMESTAMP text,
// RFC 3339, Go's time.Time text (modernc writes t.String() unless
// _time_format is set), integer unixepoch(), real julianday(). A stamp is
// read as the stored value (text through a BLOB cast, so no driver parses
// it) and bound back unchanged; cut-offs compare unixepoch(...,'subsec'),
// which reads every one of those forms (Go's "+0000 UTC" suffix is first
// rewritten to "+00:00").
func (sqliteDialect) StampColumn(string) (int, bool) { return 6, false }

func (sqliteDialect) SoftColumnType(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	return strings.Contains(t, "date") || strings.Contains(t, "time")
}

func (sqliteDialect) StampWiden(t string) string { return t }
func (sqliteDialect) StampValue(b *sqlBuilder, t time.Time, _ bool) {
	b.arg(t.UTC().Format(sqliteTimeLayout))
}

// A BLOB (a writer that bound bytes) comes back as text naming it, so that
// it is bound back as a BLOB: bound as text it would match no row.
func (sqliteDialect) StampRead(expr string, _ bool) string {
	return "CASE typeof(" + expr + ") WHEN 'text' THEN CAST(" + expr + " AS BLOB) WHEN 'blob' THEN '" + sqliteBlobStamp + "' || hex(" + expr + ") ELSE " + expr + " END"
}

const sqliteBlobStamp = "blob:"

func (sqliteDialect) ScanStamp(v any) (stamp, error) {
	switch x := v.(type) {
	case []byte:
		s := string(x)
		return stamp{at: foreignTime(s), raw: s}, nil
	case string:
		if h, ok := strings.CutPrefix(x, sqliteBlobStamp); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				return stamp{}, fmt.Errorf("softdelete: cannot read stamp %q: %w", x, err)
			}
			return stamp{at: foreignTime(string(b)), raw: b}, nil
		}
		return stamp{at: foreignTime(x), raw: x}, nil
	case int64, float64:
		return stamp{at: foreignTime(x), raw: x}, nil
	case time.Time:
		return stamp{at: x.UTC()}, nil
	}
	return stamp{}, fmt.Errorf("softdelete: cannot read a stamp of type %T", v)
}

// sqliteInstant is expr as seconds since the epoch (millisecond
// resolution), or NULL for text no date function reads.
func sqliteInstant(expr string) string {
	goText := expr + " GLOB '* [+-][0-9][0-9][0-9][0-9] *'"
	sp := "instr(substr(" + expr + ", 12), ' ')"
	rewritten := "substr(" + expr + ", 1, 10 + " + sp + ") || substr(" + expr + ", 12 + " + sp + ", 3) || ':' || substr(" + expr + ", 15 + " + sp + ", 2)"
	return "unixepoch(CASE WHEN " + goText + " THEN " + rewritten + " ELSE " + expr + " END, 'auto', 'subsec')"
}

// StampBefore: the instant, rounded down to the millisecond like the
// cut-off (a row is never taken before its time, at most a millisecond
// later), between the first due instant and the last millisecond before
// the cut-off. Values that denote no deletion time are never due (see
// firstDue): before 0001-01-02 are Go's zero time in any text form, and
// integer 0 and the small numbers unixepoch 'auto' reads as julian days
// before year 1. BETWEEN evaluates the instant once: the lower bound costs
// 7.5 % on this expression (300,000 rows, 25 alternating rounds; leaving
// out the epoch as well, NULLIF(x, 0), cost 17 %, so the epoch stays due),
// and 1-3 % of a purge of 20,000 orders and their 20,000 items (process
// CPU time, 41, 41 and 81 alternating pairs: median per-pair ratio 1.010,
// 1.030, 1.014; the wall clock of scripts/bench.sh on the shared machine
// was too noisy to resolve it).
func (sqliteDialect) StampBefore(b *sqlBuilder, expr string, _ bool, cut time.Time) {
	b.WriteString("IFNULL(" + sqliteInstant(expr) + " BETWEEN " + strconv.FormatInt(firstDue.Unix(), 10) + " AND ")
	b.arg(lastMilliBefore(cut))
	b.WriteString(", 0)")
}

func (sqliteDialect) StampCopy(expr string, _, _ bool) string { return expr }
