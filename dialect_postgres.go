package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// postgresDialect targets PostgreSQL (and compatible databases) through
// pgx/v5's database/sql driver ("pgx"). It uses no advisory locks, so
// CockroachDB and YugabyteDB work too.
type postgresDialect struct{}

func (postgresDialect) Name() string                          { return "postgres" }
func (postgresDialect) Quote(s string) string                 { return quoteWith('"', s) }
func (postgresDialect) Placeholder(b *strings.Builder, n int) { dollarPlaceholder(b, n) }
func (postgresDialect) InsertReturning() bool                 { return true }
func (postgresDialect) PartialIndexes() bool                  { return true }
func (postgresDialect) UpdateJoin() bool                      { return false }
func (postgresDialect) ShareLock() string                     { return " FOR SHARE" }
func (postgresDialect) SkipLocked() string                    { return " FOR UPDATE SKIP LOCKED" }

// RestoreIsolation: READ COMMITTED, the default.
func (postgresDialect) RestoreIsolation() sql.IsolationLevel { return sql.LevelDefault }
func (postgresDialect) FromDual() string                     { return "" }
func (postgresDialect) TimestampType() string                { return "TIMESTAMPTZ" }
func (postgresDialect) TimeArg(t time.Time) any              { return t.UTC() }
func (postgresDialect) InsertIgnore() (string, string) {
	return "INSERT INTO", " ON CONFLICT DO NOTHING"
}

func (postgresDialect) Classify(err error) errKind {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "23505":
			return errUnique
		case "23503":
			return errForeignKey
		case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
			return errBusy
		case "57P01", "57P02", "57P03": // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now
			return errConnLost
		case "42501": // insufficient_privilege (also "must be owner of table")
			return errPrivilege
		case "42P22": // indeterminate_collation
			return errCollation
		}
		if strings.HasPrefix(st.SQLState(), "08") { // connection exception
			return errConnLost
		}
	}
	if strings.Contains(err.Error(), "conn closed") {
		return errConnLost // pgconn: the connection was closed under the transaction
	}
	return errOther
}

func (postgresDialect) LoadSchema(ctx context.Context, ex *executor) (*schema, error) {
	s := &schema{tables: map[string]*table{}, names: namesLower}
	rows, err := ex.query(ctx, `SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
  a.attnotnull, a.atthasdef OR a.attidentity <> '', COALESCE(array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1, 0),
  a.attgenerated <> ''
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl string
		var c column
		if err := rows.Scan(&tbl, &c.Name, &c.Type, &c.NotNull, &c.Default, &c.pkPos, &c.Generated); err != nil {
			rows.Close()
			return nil, err
		}
		s.addColumn(tbl, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT cl.relname::text, c.conname::text, pcl.relname::text, a.attname::text, pa.attname::text, c.confdeltype::text
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_class pcl ON pcl.oid = c.confrelid
CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(ck, pk, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.ck
JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.pk
WHERE c.contype = 'f' AND n.nspname = current_schema()
ORDER BY cl.relname, c.conname, k.ord`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, name, parent, from, to, rule string
		if err := rows.Scan(&child, &name, &parent, &from, &to, &rule); err != nil {
			rows.Close()
			return nil, err
		}
		switch rule {
		case "a":
			rule = "NO ACTION"
		case "r":
			rule = "RESTRICT"
		case "c":
			rule = "CASCADE"
		case "n":
			rule = "SET NULL"
		case "d":
			rule = "SET DEFAULT"
		}
		s.addFKColumn(child, name, parent, from, to, rule)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT t.relname::text, ic.relname::text, i.indisunique, i.indisprimary,
  i.indpred IS NOT NULL, COALESCE(pg_get_expr(i.indpred, i.indrelid), ''), pg_get_indexdef(i.indexrelid), a.attname::text,
  EXISTS (SELECT 1 FROM pg_constraint pc WHERE pc.conindid = i.indexrelid AND pc.conrelid = i.indrelid AND pc.contype IN ('p', 'u', 'x')),
  am.amname::text,
  COALESCE(opc.opcname::text LIKE '%\_pattern\_ops', false),
  COALESCE(quote_ident(cns.nspname::text) || '.' || quote_ident(co.collname::text), ''),
  COALESCE(co.collname::text IN ('C', 'POSIX', 'ucs_basic', 'pg_c_utf8')
    OR co.collprovider = 'c' AND co.collcollate::text IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
    OR co.oid = 100 AND db.prov = 'c' AND db.datcollate IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8'), false)
FROM pg_index i
JOIN pg_am am ON am.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum <> 0
LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[(k.ord - 1)::int]
LEFT JOIN pg_collation co ON co.oid = i.indcollation[(k.ord - 1)::int]
LEFT JOIN pg_namespace cns ON cns.oid = co.collnamespace
CROSS JOIN (SELECT d.datcollate::text AS datcollate, COALESCE(to_jsonb(d) ->> 'datlocprovider', 'c') AS prov
  FROM pg_database d WHERE d.datname = current_database()) db
WHERE n.nspname = current_schema() AND k.ord <= i.indnkeyatts
ORDER BY t.relname, ic.relname, k.ord`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl, pred string
		var col sql.NullString // NULL: an expression key part (indkey 0)
		var ix index
		var kind, coll string
		var pattern, codePoint bool
		if err := rows.Scan(&tbl, &ix.Name, &ix.Unique, &ix.Primary, &ix.Partial, &pred, &ix.Def, &col, &ix.Constraint, &kind,
			&pattern, &coll, &codePoint); err != nil {
			rows.Close()
			return nil, err
		}
		// A prefix search: the pattern operators on a *_pattern_ops key
		// (what LIKE 'p%' becomes, but LIKE needs the pattern when the
		// statement is planned); else a range, in a collation that orders
		// by code point (C, C.UTF-8...) only: a linguistic one does not
		// keep the strings that start with p together.
		switch {
		case pattern:
			ix.prefix = prefixPattern
		case codePoint:
			ix.prefix, ix.coll = prefixRange, coll
		}
		ix.AliveOnly = ix.Partial && aliveOnlyPredicate(" where "+pred)
		if kind != "btree" {
			ix.Kind = kind
		}
		if col.Valid {
			s.addIndexColumn(tbl, ix, col.String)
		} else {
			s.addIndexExpr(tbl, ix)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	// Inheritance children and partitions: reached through their parent.
	rows, err = ex.query(ctx, `SELECT c.relname::text, p.relname::text
FROM pg_inherits h
JOIN pg_class c ON c.oid = h.inhrelid
JOIN pg_class p ON p.oid = h.inhparent
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		if t := s.tables[child]; t != nil {
			t.parent = parent
		}
	}
	return s, closeRows(rows)
}

func (postgresDialect) TableProbe(b *sqlBuilder, name string, _ nameCase) {
	b.WriteString(`SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND lower(c.relname::text) = lower(`)
	b.arg(name)
	b.WriteString(")")
}

func (postgresDialect) OpsTableDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS softdelete_operations (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  stamp TIMESTAMPTZ,
  root_table TEXT NOT NULL DEFAULT '',
  root_key TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  rows_total BIGINT NOT NULL DEFAULT 0,
  counts TEXT NOT NULL DEFAULT '{}',
  outcome TEXT NOT NULL DEFAULT 'done',
  target_op BIGINT,
  undone_by BIGINT,
  rules TEXT
)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS softdelete_operations_stamp ON softdelete_operations (stamp)`,
		`CREATE INDEX IF NOT EXISTS softdelete_operations_created ON softdelete_operations (created_at)`,
		`CREATE TABLE IF NOT EXISTS softdelete_nulled (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  stamp TIMESTAMPTZ NOT NULL,
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

func (postgresDialect) CastText(expr string) string { return "CAST(" + expr + " AS TEXT)" }
func (postgresDialect) KeyText(expr string) string  { return "CAST(" + expr + " AS TEXT)" }
func (postgresDialect) CastWrap(colType string) (string, string) {
	if colType == "" {
		return "", ""
	}
	return "CAST(", " AS " + colType + ")"
}

func (postgresDialect) ProbeEach() string      { return " OFFSET 0" }
func (postgresDialect) WritableCTE() bool      { return true }
func (postgresDialect) SessionVariables() bool { return false }

func (postgresDialect) BinaryText(string) (string, bool) { return "", false }
func (postgresDialect) TextBinary(expr string) string    { return expr } // the callers cast it to the column's type
func (postgresDialect) TextKeyCast(typ string) string    { return typ }

func (postgresDialect) PipesConcat() bool        { return true }
func (postgresDialect) DistinctFrom() bool       { return true }
func (postgresDialect) ILike() (string, bool)    { return "ILIKE", false }
func (postgresDialect) BigIn() bigInForm         { return bigInArray }
func (postgresDialect) ReturningByVersion() bool { return false }

func (postgresDialect) Facts() dialectFacts {
	return dialectFacts{StrictText: true, FailAbortsTx: true, Int64Cast: "BIGINT", ExprFuncs: onPostgres}
}

func (postgresDialect) OwnColumnsSQL() string {
	return `SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name LIKE 'softdelete%'`
}

func (postgresDialect) OwnIndexesSQL() string {
	return `SELECT tablename::text, indexname::text FROM pg_indexes
WHERE schemaname = current_schema() AND tablename LIKE 'softdelete%'`
}

// OpsUpgrades: the relation rules a delete followed (added later); a
// primary key on softdelete_nulled (distributed SQL and logical
// replication want one on every table); the SET NULL bookkeeping found by
// row (added later).
func (postgresDialect) OpsUpgrades() []opsUpgrade {
	return []opsUpgrade{
		{Table: "softdelete_operations", Column: "rules", DDL: "ALTER TABLE softdelete_operations ADD COLUMN IF NOT EXISTS rules TEXT"},
		{Table: "softdelete_nulled", Column: "id", DDL: "ALTER TABLE softdelete_nulled ADD COLUMN IF NOT EXISTS id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
		{Table: "softdelete_nulled", Index: "softdelete_nulled_row", DDL: nulledRowIndex},
	}
}

func (postgresDialect) SoftColumnType(typ string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(typ)), "timestamp")
}

// Stamps on PostgreSQL: timestamp and timestamptz keep microseconds unless
// declared with a smaller precision; pgx binds and reads instants (and the
// wall clock of timestamp without time zone) exactly.
func (postgresDialect) StampColumn(typ string) (int, bool) {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case strings.HasPrefix(t, "timestamp"):
		// zoned marks timestamp without time zone: it holds the UTC wall
		// clock, and a copy to or from timestamptz (softdelete's own
		// tables) must not go through the session time zone.
		return typePrecision(t, 6), !strings.Contains(t, "with time zone")
	case t == "date":
		return 0, true
	}
	return -1, false
}

func (postgresDialect) StampWiden(typ string) string {
	t := strings.ToLower(strings.TrimSpace(typ))
	if t == "date" {
		return "timestamp(6) without time zone"
	}
	if i := strings.IndexByte(t, '('); i >= 0 {
		if j := strings.IndexByte(t, ')'); j > i {
			return t[:i] + "(6)" + t[j+1:]
		}
	}
	return t
}

func (postgresDialect) StampValue(b *sqlBuilder, t time.Time, _ bool) { b.arg(t.UTC()) }
func (postgresDialect) StampRead(expr string, _ bool) string          { return expr }

func (postgresDialect) ScanStamp(v any) (stamp, error) {
	if t, ok := v.(time.Time); ok {
		return stamp{at: t.UTC()}, nil
	}
	if s, ok := v.(string); ok && (s == "infinity" || s == "-infinity") {
		// Another tool's 'infinity' or '-infinity' (pgx gives them as
		// text): no instant, but the value identifies the rows, bound back
		// as it was read.
		return stamp{raw: s}, nil
	}
	t, ok, err := toTime(v)
	if err != nil || !ok {
		return stamp{}, fmt.Errorf("softdelete: cannot read a stamp of type %T", v)
	}
	return stamp{at: t}, nil
}

// StampBefore leaves out the values that denote no deletion time (see
// firstDue): -infinity, Go's zero time, anything before 0001-01-02;
// infinity is after every cut-off.
func (d postgresDialect) StampBefore(b *sqlBuilder, expr string, zoned bool, cut time.Time) {
	b.WriteString(expr + " < ")
	d.StampValue(b, cut, zoned)
	// The bound is a literal of the library's own constant (PostgreSQL
	// reads it as the column's type: timestamptz, timestamp or date), and
	// IS TRUE keeps the planner from pairing it with the cut-off into a
	// range: with the cut-off a parameter, a cached generic plan estimated
	// such a range at 0.5 % of the rows, chose a nested-loop anti-join per
	// row instead of the merge over the batch's key range, and the purge
	// took 1.25-1.28x the hand-written loop against 1.11-1.16x without the
	// bound. (The row is not NULL here, so IS TRUE changes no answer.)
	b.WriteString(" AND (" + expr + " >= '" + firstDue.Format("2006-01-02 15:04:05") + "+00') IS TRUE")
}

// StampCopy converts between timestamp (UTC wall clock) and timestamptz:
// AT TIME ZONE 'UTC' goes either way without the session time zone.
func (postgresDialect) StampCopy(expr string, from, to bool) string {
	if from == to {
		return expr
	}
	return "(" + expr + " AT TIME ZONE 'UTC')"
}

// RowLock locks the rows a SELECT returns from the table aliased of; in
// READ COMMITTED a locked row that changed meanwhile is read in its new
// committed version.
func (postgresDialect) RowLock(exclusive bool, of string) string {
	if exclusive {
		return " FOR UPDATE OF " + of
	}
	return " FOR SHARE OF " + of
}
