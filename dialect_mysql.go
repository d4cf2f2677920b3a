package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// mysqlDialect targets MariaDB and MySQL through go-sql-driver/mysql
// ("mysql"), opened with parseTime, UTC and clientFoundRows.
type mysqlDialect struct{}

func (mysqlDialect) Name() string                          { return "mysql" }
func (mysqlDialect) Quote(s string) string                 { return quoteWith('`', s) }
func (mysqlDialect) Placeholder(b *strings.Builder, _ int) { b.WriteByte('?') }
func (mysqlDialect) InsertReturning() bool                 { return false }
func (mysqlDialect) PartialIndexes() bool                  { return false }
func (mysqlDialect) UpdateJoin() bool                      { return true }

// ShareLock is empty: InnoDB already share-locks the rows that the
// subqueries of an INSERT ... SELECT or UPDATE read.
func (mysqlDialect) ShareLock() string  { return "" }
func (mysqlDialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// RestoreIsolation: READ COMMITTED. Under InnoDB's default REPEATABLE
// READ a transaction's plain reads, and the subqueries and derived tables
// of its locking reads, all read the snapshot taken by its first read: a
// restore that waited for a parent's delete to commit would then look for
// the rows that delete hid in a snapshot taken before it, find none, and
// leave them hidden under a restored parent (no undo could bring them back
// any more). Under READ COMMITTED each statement reads what was committed
// before it started, as on PostgreSQL; every row a restore decides on is
// locked by an explicit locking read first.
func (mysqlDialect) RestoreIsolation() sql.IsolationLevel { return sql.LevelReadCommitted }
func (mysqlDialect) FromDual() string                     { return " FROM DUAL" }
func (mysqlDialect) TimestampType() string                { return "DATETIME(6)" }
func (mysqlDialect) TimeArg(t time.Time) any              { return t.UTC() }
func (mysqlDialect) InsertIgnore() (string, string)       { return "INSERT IGNORE INTO", "" }

// Classify reads the server error number from the driver's message
// ("Error 1062 (23000): Duplicate entry ..."), so the root package needs no
// import of the driver.
func (mysqlDialect) Classify(err error) errKind {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "Error 1062"), strings.HasPrefix(msg, "Error 1586"):
		return errUnique
	case strings.HasPrefix(msg, "Error 1451"), strings.HasPrefix(msg, "Error 1452"),
		strings.HasPrefix(msg, "Error 1216"), strings.HasPrefix(msg, "Error 1217"):
		return errForeignKey
	// 1213 deadlock (also Galera's certification failure), 1205 lock wait
	// timeout, 1020 record changed since last read (snapshot isolation),
	// 1467 auto-increment value could not be read (seen under contention).
	case strings.HasPrefix(msg, "Error 1213"), strings.HasPrefix(msg, "Error 1205"),
		strings.HasPrefix(msg, "Error 1020"), strings.HasPrefix(msg, "Error 1467"):
		return errBusy
	// 1927 connection killed, 1053 server shutdown, 2006 server gone away,
	// 2013 lost connection; the driver's own "invalid connection".
	case strings.HasPrefix(msg, "Error 1927"), strings.HasPrefix(msg, "Error 1053"),
		strings.HasPrefix(msg, "Error 2006"), strings.HasPrefix(msg, "Error 2013"),
		msg == "invalid connection", strings.Contains(msg, "bad connection"):
		return errConnLost
	// 1142 table, 1143 column, 1044 database access denied; 1227 a global
	// privilege needed.
	case strings.HasPrefix(msg, "Error 1142"), strings.HasPrefix(msg, "Error 1143"),
		strings.HasPrefix(msg, "Error 1044"), strings.HasPrefix(msg, "Error 1227"):
		return errPrivilege
	}
	return errOther
}

func (mysqlDialect) LoadSchema(ctx context.Context, ex *executor) (*schema, error) {
	s := &schema{tables: map[string]*table{}}
	// information_schema compares names ignoring case: its joins compare
	// table names BINARY, so that Album and album (two tables where names
	// are case-sensitive) are not mixed.
	//
	// Table names are case-sensitive unless lower_case_table_names is 1
	// (stored and compared in lower case) or 2 (compared in lower case).
	lctn, err := ex.queryInt64(ctx, "SELECT @@lower_case_table_names")
	if err != nil {
		return nil, err
	}
	if lctn != 0 {
		s.names = namesFold
	}
	rows, err := ex.query(ctx, `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'NO',
  c.COLUMN_DEFAULT IS NOT NULL OR c.EXTRA LIKE '%auto_increment%', COALESCE(k.ORDINAL_POSITION, 0),
  c.EXTRA LIKE '%GENERATED%' OR c.EXTRA LIKE '%VIRTUAL%' OR c.EXTRA LIKE '%STORED%', c.EXTRA LIKE '%VIRTUAL%'
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND BINARY t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND BINARY k.TABLE_NAME = c.TABLE_NAME
  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = DATABASE()
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl string
		var c column
		if err := rows.Scan(&tbl, &c.Name, &c.Type, &c.NotNull, &c.Default, &c.pkPos, &c.Generated, &c.Virtual); err != nil {
			rows.Close()
			return nil, err
		}
		s.addColumn(tbl, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	rows, err = ex.query(ctx, `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
  AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND BINARY r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, name, parent, from, to, rule string
		if err := rows.Scan(&child, &name, &parent, &from, &to, &rule); err != nil {
			rows.Close()
			return nil, err
		}
		s.addFKColumn(child, name, parent, from, to, rule)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	// A unique key that includes a generated column computed from
	// deleted_at (IF(deleted_at IS NULL, 1, NULL)) is alive-only: deleted
	// rows carry NULL there and NULLs never collide.
	// A key part without a column (COLUMN_NAME NULL) is one of MySQL 8's
	// functional key parts; MariaDB has none (an expression is indexed
	// through a generated column, an ordinary key part here).
	rows, err = ex.query(ctx, `SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE = 0, COALESCE(s.COLUMN_NAME, ''), COALESCE(c.GENERATION_EXPRESSION, ''),
  COALESCE(s.SUB_PART, 0), s.INDEX_TYPE
FROM information_schema.STATISTICS s
LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND BINARY c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
WHERE s.TABLE_SCHEMA = DATABASE()
ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX`)
	if err != nil {
		return nil, err
	}
	type key struct{ tbl, name string }
	alive := map[key]bool{}
	for rows.Next() {
		var tbl, col, gen, kind string
		var sub int
		var ix index
		if err := rows.Scan(&tbl, &ix.Name, &ix.Unique, &col, &gen, &sub, &kind); err != nil {
			rows.Close()
			return nil, err
		}
		expr := col == ""
		ix.Primary = ix.Name == "PRIMARY"
		ix.Constraint = ix.Primary
		if gen != "" && strings.Contains(strings.ToLower(strings.ReplaceAll(gen, "`", "")), "deleted_at") {
			alive[key{tbl, ix.Name}] = true
			col = "" // the helper column is not part of the user's key
		}
		if kind != "BTREE" {
			ix.Kind = kind
		} else {
			ix.prefix = prefixLike // a range in the column's collation
		}
		if expr {
			s.addIndexExpr(tbl, ix)
			continue
		}
		s.addIndexColumn(tbl, ix, col)
		if col != "" {
			part := mysqlDialect{}.Quote(col)
			if sub > 0 {
				part += "(" + strconv.Itoa(sub) + ")"
			}
			s.addIndexPart(tbl, ix.Name, part)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	for k := range alive {
		for _, ix := range s.tables[k.tbl].Indexes {
			if ix.Name == k.name {
				ix.AliveOnly = true
			}
		}
	}
	return s, nil
}

func (mysqlDialect) TableProbe(b *sqlBuilder, name string, r nameCase) {
	b.WriteString("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND ")
	if r == namesExact {
		// Equality on the name lets the server open just that table.
		b.WriteString("TABLE_NAME = ")
		b.arg(name)
		return
	}
	b.WriteString("LOWER(TABLE_NAME) = LOWER(")
	b.arg(name)
	b.WriteString(")")
}

func (mysqlDialect) OpsTableDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS softdelete_operations (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(32) NOT NULL,
  stamp DATETIME(6) NULL,
  root_table VARCHAR(255) NOT NULL DEFAULT '',
  root_key TEXT NOT NULL,
  actor VARCHAR(255) NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  rows_total BIGINT NOT NULL DEFAULT 0,
  counts TEXT NOT NULL,
  outcome VARCHAR(32) NOT NULL DEFAULT 'done',
  target_op BIGINT NULL,
  undone_by BIGINT NULL,
  rules TEXT NULL,
  UNIQUE KEY softdelete_operations_stamp (stamp),
  KEY softdelete_operations_created (created_at)
) DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS softdelete_nulled (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stamp DATETIME(6) NOT NULL,
  child_table VARCHAR(255) NOT NULL,
  fk_name VARCHAR(255) NOT NULL,
  row_key TEXT NOT NULL,
  old_values TEXT NOT NULL,
  KEY softdelete_nulled_op (stamp),
  KEY softdelete_nulled_row (child_table(191), row_key(191))
) DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS softdelete_purge_lease (
  name VARCHAR(255) NOT NULL PRIMARY KEY
) DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS softdelete_locks (
  name VARCHAR(255) NOT NULL,
  bucket INT NOT NULL,
  n BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (name, bucket)
) DEFAULT CHARSET=utf8mb4`,
	}
}

func (mysqlDialect) CastText(expr string) string      { return "CAST(" + expr + " AS CHAR)" }
func (mysqlDialect) KeyText(expr string) string       { return "CONCAT(" + expr + ")" }
func (mysqlDialect) CastWrap(string) (string, string) { return "", "" }

func (mysqlDialect) ProbeEach() string      { return "" }
func (mysqlDialect) WritableCTE() bool      { return false }
func (mysqlDialect) SessionVariables() bool { return true }

func (mysqlDialect) BinaryText(expr string) (string, bool) { return "HEX(" + expr + ")", true }
func (mysqlDialect) TextBinary(expr string) string         { return "UNHEX(" + expr + ")" }

// TextKeyCast: SIGNED or UNSIGNED for an integer type; other text compares
// as it is (the server converts).
func (mysqlDialect) TextKeyCast(typ string) string {
	lt := strings.ToLower(typ)
	switch {
	case !intTypeRE.MatchString(lt):
		return ""
	case strings.Contains(lt, "unsigned"):
		return "UNSIGNED"
	}
	return "SIGNED"
}

func (mysqlDialect) PipesConcat() bool        { return false }
func (mysqlDialect) DistinctFrom() bool       { return false }
func (mysqlDialect) ILike() (string, bool)    { return "LIKE", true }
func (mysqlDialect) BigIn() bigInForm         { return bigInLiterals }
func (mysqlDialect) ReturningByVersion() bool { return true }

func (mysqlDialect) Facts() dialectFacts {
	return dialectFacts{IntBools: true, Int64Cast: "SIGNED", ExprFuncs: onMySQL}
}

func (mysqlDialect) OwnColumnsSQL() string {
	return `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'softdelete%'`
}

func (mysqlDialect) OwnIndexesSQL() string {
	return `SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'softdelete%'`
}

// OpsUpgrades: keys of any length (VARCHAR(1024) before); a primary key on
// softdelete_nulled (Galera replicates and certifies rows by primary key);
// the SET NULL bookkeeping found by row (added later).
func (mysqlDialect) OpsUpgrades() []opsUpgrade {
	return []opsUpgrade{
		{Table: "softdelete_operations", Column: "rules", DDL: "ALTER TABLE softdelete_operations ADD COLUMN rules TEXT NULL"},
		{Table: "softdelete_operations", Column: "root_key", Type: "text", DDL: "ALTER TABLE softdelete_operations MODIFY root_key TEXT NOT NULL"},
		{Table: "softdelete_nulled", Column: "row_key", Type: "text", DDL: "ALTER TABLE softdelete_nulled MODIFY row_key TEXT NOT NULL"},
		{Table: "softdelete_nulled", Column: "id", DDL: "ALTER TABLE softdelete_nulled ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST"},
		{Table: "softdelete_nulled", Index: "softdelete_nulled_row", DDL: "ALTER TABLE softdelete_nulled ADD KEY softdelete_nulled_row (child_table(191), row_key(191))"},
	}
}

func (mysqlDialect) SoftColumnType(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	return strings.HasPrefix(t, "datetime") || strings.HasPrefix(t, "timestamp")
}

// Stamps on MariaDB/MySQL. DATETIME(6) holds the UTC wall clock, bound and
// read as text (whatever the driver's loc). TIMESTAMP(6) is converted
// through the session time zone, which differs between handles (an app
// pool at +05:00, the CLI at UTC): it is written and compared through
// FROM_UNIXTIME and read through UNIX_TIMESTAMP, which carry the instant in
// any zone. DATETIME, TIMESTAMP and DATETIME(3) keep less than
// microseconds.
func (mysqlDialect) StampColumn(typ string) (int, bool) {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case strings.HasPrefix(t, "datetime"):
		return typePrecision(t, 0), false
	case strings.HasPrefix(t, "timestamp"):
		return typePrecision(t, 0), true
	case t == "date":
		return 0, false
	}
	return -1, false
}

func (mysqlDialect) StampWiden(typ string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(typ)), "timestamp") {
		return "TIMESTAMP(6)"
	}
	return "DATETIME(6)"
}

const mysqlStampLayout = "2006-01-02 15:04:05.000000"

func (mysqlDialect) StampValue(b *sqlBuilder, t time.Time, zoned bool) {
	if zoned {
		b.WriteString("FROM_UNIXTIME(CAST(")
		b.arg(epochMicros(t))
		b.WriteString(" AS DECIMAL(20,6)))")
		return
	}
	b.arg(t.UTC().Format(mysqlStampLayout))
}

func (mysqlDialect) StampRead(expr string, zoned bool) string {
	if zoned {
		return "UNIX_TIMESTAMP(" + expr + ")"
	}
	return "DATE_FORMAT(" + expr + ", '%Y-%m-%d %H:%i:%s.%f')"
}

func (mysqlDialect) ScanStamp(v any) (stamp, error) {
	var s string
	switch x := v.(type) {
	case []byte:
		s = string(x)
	case string:
		s = x
	case time.Time:
		return stamp{at: x.UTC()}, nil
	case int64:
		if x == 0 {
			return stamp{raw: int64(0)}, nil // the zero date (below)
		}
		return stamp{at: time.Unix(x, 0).UTC()}, nil
	default:
		return stamp{}, fmt.Errorf("softdelete: cannot read a stamp of type %T", v)
	}
	if len(s) > 4 && s[4] == '-' {
		t, err := time.Parse(mysqlStampLayout, s)
		if err != nil {
			// A zero or partly zero date another tool wrote ('0000-00-00
			// 00:00:00', '2024-01-00'): no instant, but the value itself
			// identifies the rows, bound back as it was read.
			return stamp{raw: s}, nil
		}
		return stamp{at: t}, nil
	}
	t, err := parseEpoch(s)
	if err == nil && t.Unix() == 0 && t.Nanosecond() == 0 {
		// UNIX_TIMESTAMP of a TIMESTAMP column is 0 only for the zero
		// date (its first valid value is 1970-01-01 00:00:01 UTC), which
		// FROM_UNIXTIME(0) would not match. Bound as the number 0: a
		// strict sql_mode (NO_ZERO_DATE) refuses the text
		// '0000-00-00 00:00:00' compared with a TIMESTAMP in INSERT ...
		// SELECT, not the number.
		return stamp{raw: int64(0)}, nil
	}
	return stamp{at: t}, err
}

// StampBefore leaves out the zero date ('0000-00-00 00:00:00', or any
// date of year 0), which a permissive sql_mode lets another tool write,
// and stores for an invalid value: it denotes no instant, so it is never
// due, as SQLite text no date function reads (it sorts before every cut-off
// and was purged at once). A DATETIME or DATE column also leaves out the
// other values that denote no deletion time (see firstDue): Go's zero time
// and anything before 0001-01-02 (the zero date included: it compares
// before every date). A TIMESTAMP cannot hold year 1 (its range starts at
// 1970-01-01 00:00:01 UTC); its zero date is year 0.
func (d mysqlDialect) StampBefore(b *sqlBuilder, expr string, zoned bool, cut time.Time) {
	b.WriteString(expr + " < ")
	d.StampValue(b, cut, zoned)
	if zoned {
		b.WriteString(" AND YEAR(" + expr + ") > 0")
		return
	}
	b.WriteString(" AND " + expr + " >= '" + firstDue.Format(time.DateTime) + "'")
}

func (mysqlDialect) StampCopy(expr string, fromZoned, toZoned bool) string {
	switch {
	case fromZoned && !toZoned:
		return "TIMESTAMPADD(MICROSECOND, CAST(UNIX_TIMESTAMP(" + expr + ") * 1000000 AS SIGNED), '1970-01-01 00:00:00')"
	case !fromZoned && toZoned:
		return "FROM_UNIXTIME(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', " + expr + ") * 0.000001)"
	}
	return expr
}

// RowLock locks the rows a SELECT reads (from every table of its FROM,
// not from materialized derived tables); a locking read also reads their
// latest committed versions, not the transaction's snapshot.
func (mysqlDialect) RowLock(exclusive bool, _ string) string {
	if exclusive {
		return " FOR UPDATE"
	}
	return " LOCK IN SHARE MODE"
}

// Cluster mode (cluster.go): a Galera node says wsrep_on; lock rows are
// bucketed by the CRC32 of the key's text.
// ClusterOnSQL: SHOW VARIABLES has no row for a variable the server lacks
// (MySQL), where SELECT @@wsrep_on would fail.
func (mysqlDialect) ClusterOnSQL() string { return "SHOW VARIABLES LIKE 'wsrep_on'" }

func (mysqlDialect) LockBucket(b *sqlBuilder, alias string, cols []string) {
	b.WriteString("MOD(CRC32(CONCAT_WS(','")
	for _, c := range cols {
		b.WriteString(", ")
		b.qualified(alias, c)
	}
	b.WriteString(")), ")
	b.WriteString(strconv.Itoa(clusterBuckets))
	b.WriteString(")")
}

// LockUpsert names the lock table's column: in INSERT ... SELECT ... ON
// DUPLICATE KEY UPDATE a bare n is ambiguous when a table the SELECT reads
// has a column n too (error 1052).
func (mysqlDialect) LockUpsert() string {
	return " ON DUPLICATE KEY UPDATE softdelete_locks.n = softdelete_locks.n + 1"
}
func (mysqlDialect) LatestRead() string { return " LOCK IN SHARE MODE" }
