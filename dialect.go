package softdelete

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// errKind is a dialect's classification of a driver error.
type errKind int

const (
	errOther errKind = iota
	errUnique
	errForeignKey
	errBusy     // deadlock, serialization failure, lock timeout: retry the transaction
	errConnLost // the connection is gone
	// errPrivilege: the user lacks a privilege (or, SQLite, the file is
	// read-only).
	errPrivilege
	// errCollation: two text columns the statement compares (a foreign
	// key's, between parent and child) have collations the database
	// cannot choose between.
	errCollation
)

// dialect is the narrow interface behind which each database lives. Each
// implementation is one file (dialect_sqlite.go, dialect_postgres.go,
// dialect_mysql.go). Callers ask capabilities instead of switching on names.
type dialect interface {
	// Name is "sqlite", "postgres" or "mysql".
	Name() string
	// Quote quotes one identifier.
	Quote(ident string) string
	// Placeholder appends the n-th (1-based) bind placeholder.
	Placeholder(b *strings.Builder, n int)
	// TimeArg converts a time to the value bound for timestamp columns.
	TimeArg(t time.Time) any

	// InsertReturning: INSERT ... RETURNING <pk> is supported and preferred
	// over LastInsertId.
	InsertReturning() bool
	// ReturningByVersion: whether INSERT ... RETURNING is taken depends
	// on the server's version (MariaDB 10.5+, never MySQL), asked once
	// (DB.mariaDB: MariaDB 10.5+ also runs the fast path as one compound
	// statement); false where InsertReturning answers alone.
	ReturningByVersion() bool
	// PartialIndexes: CREATE INDEX ... WHERE is supported.
	PartialIndexes() bool
	// UpdateJoin: multi-table UPDATE a JOIN b ... is the way to update a
	// table from a subquery on the same table (MySQL error 1093).
	UpdateJoin() bool
	// ShareLock is the clause that share-locks rows read by a SELECT
	// ("" if the database serializes writers anyway).
	ShareLock() string
	// RowLock is the clause that locks the rows a SELECT reads from the
	// table aliased of, exclusively or shared, until the transaction ends
	// ("" if the database serializes writers anyway).
	RowLock(exclusive bool, of string) string
	// SkipLocked is the clause for FOR UPDATE SKIP LOCKED ("" if writers are
	// serialized anyway).
	SkipLocked() string
	// RestoreIsolation is the isolation level of the transactions in which
	// a restore or an undo decides what comes back: one where each
	// statement reads what was committed before it started, including
	// what the transactions it waited for committed (sql.LevelDefault where
	// that is the default).
	RestoreIsolation() sql.IsolationLevel
	// WritableCTE: WITH d AS (DELETE ... RETURNING ...) INSERT ... works,
	// so several changes can be one statement.
	WritableCTE() bool
	// ProbeEach is what ends an EXISTS subquery so that it runs as an index
	// probe per outer row rather than as a join the planner may hash over
	// the whole inner table (PostgreSQL: OFFSET 0, which keeps the subquery
	// from being flattened); "" where the subquery runs that way anyway.
	ProbeEach() string
	// SessionVariables: a statement can assign a session variable
	// (@name := ...) that the next statement on the connection reads
	// (MariaDB/MySQL); the fast restore hands the reversed operation over
	// that way.
	SessionVariables() bool
	// InsertIgnore returns the INSERT prefix and suffix that skip a row
	// whose unique key exists.
	InsertIgnore() (prefix, suffix string)
	// FromDual is what a constant SELECT needs to carry a WHERE clause.
	FromDual() string

	// LoadSchema reads tables, columns, primary keys, foreign keys and
	// unique keys of the current schema.
	LoadSchema(ctx context.Context, ex *executor) (*schema, error)
	// TableProbe writes a query listing the tables LoadSchema would read
	// whose name equals name ignoring case (exactly, under namesExact):
	// one cheap catalog look, so that a name the cache does not know
	// reloads the schema only when such a table exists.
	TableProbe(b *sqlBuilder, name string, r nameCase)

	// Classify recognises unique and foreign-key violations, transient
	// refusals (errBusy) and broken connections.
	Classify(err error) errKind

	// CastText renders expr converted to text.
	CastText(expr string) string
	// KeyText renders a key column converted to the text CastText gives,
	// for comparing with text stored in softdelete's own tables so that
	// their index on that text is used (MariaDB: a coercible string, so
	// the stored column's collation decides).
	KeyText(expr string) string
	// CastWrap returns what to write before and after an expression to
	// convert it to a column type where the database will not convert
	// implicitly (PostgreSQL); elsewhere nothing.
	CastWrap(colType string) (prefix, suffix string)
	// BinaryText renders the binary column expr as the text
	// softdelete_nulled keeps of it; ok false where CastText (KeyText for
	// a key) serves. MariaDB: HEX(expr), since the raw bytes are no valid
	// utf8mb4 text (error 1300).
	BinaryText(expr string) (text string, ok bool)
	// TextBinary renders text read back from softdelete_nulled as the
	// binary value it was kept from, where the database would not convert
	// it back itself (MariaDB UNHEX, SQLite CAST AS BLOB); elsewhere expr.
	TextBinary(expr string) string
	// TextKeyCast is the CAST target that converts text CastText gave of
	// a column of type typ back to the column's type, so that comparing
	// it with the column reads the column's index (engine.go fromText):
	// PostgreSQL the type itself, MariaDB SIGNED or UNSIGNED for an
	// integer, SQLite INTEGER for an integer affinity; "" where the text
	// is compared as it is.
	TextKeyCast(typ string) string

	// Where expressions (sqlexpr.go).
	// PipesConcat: a || b concatenates; false where || is OR (MySQL
	// without PIPES_AS_CONCAT) and CONCAT(a, b) is written instead.
	PipesConcat() bool
	// DistinctFrom: a IS [NOT] DISTINCT FROM b is understood; false where
	// the null-safe equality a <=> b (NOT (a <=> b)) is written instead
	// (MariaDB).
	DistinctFrom() bool
	// ILike is how ILIKE (a LIKE ignoring case) is written: the operator,
	// and whether both sides are wrapped in LOWER() (MariaDB, where a
	// _bin or binary collation would compare case-sensitively). SQLite's
	// LIKE ignores ASCII case already.
	ILike() (op string, lower bool)
	// BigIn is the form in which a large IN list is sent as one argument
	// (sqlexpr_bigin.go).
	BigIn() bigInForm

	// Operation stamps (stamps.go). SoftColumnType: a column of declared
	// type typ can hold them (a Manager's soft-delete column): a
	// timestamp (PostgreSQL timestamp/timestamptz, MariaDB DATETIME or
	// TIMESTAMP), on SQLite a type that names a date or a time (DATETIME,
	// TIMESTAMP, DATE); text and integer columns are refused. StampColumn: the fractional digits a
	// soft-delete column of this type keeps (-1 unknown) and whether the
	// session time zone converts it (MariaDB TIMESTAMP). StampWiden: the
	// type adopt changes a coarser column to.
	SoftColumnType(typ string) bool
	StampColumn(colType string) (prec int, zoned bool)
	StampWiden(colType string) string
	// StampValue writes the value of stamp t for a soft-delete column.
	StampValue(b *sqlBuilder, t time.Time, zoned bool)
	// StampRead is the expression that reads the stamp in expr exactly:
	// no driver time parsing, no session time zone. ScanStamp turns what
	// it read (never nil) into a stamp.
	StampRead(expr string, zoned bool) string
	ScanStamp(v any) (stamp, error)
	// StampBefore writes a condition true when the stamp in expr (not
	// NULL) is before cut, comparing instants whatever the stored format.
	StampBefore(b *sqlBuilder, expr string, zoned bool, cut time.Time)
	// StampCopy converts the stamp in expr between a zoned and an unzoned
	// column, keeping the instant.
	StampCopy(expr string, fromZoned, toZoned bool) string

	// DDL for softdelete's own tables.
	OpsTableDDL() []string
	// OwnColumnsSQL lists (table, column, type) of softdelete's own tables
	// in the current schema.
	OwnColumnsSQL() string
	// OwnIndexesSQL lists (table, index) of softdelete's own tables in the
	// current schema.
	OwnIndexesSQL() string
	// OpsUpgrades brings own tables made by older versions up to date.
	OpsUpgrades() []opsUpgrade
	// ColumnType of a timestamp column with microseconds.
	TimestampType() string

	// Facts are the dialect's fixed answers to small questions asked in
	// several places (see dialectFacts).
	Facts() dialectFacts
}

// dialectFacts are fixed properties of a dialect, each deciding a detail
// somewhere; one method returns them all rather than one method each.
type dialectFacts struct {
	// StrictText: the database refuses bound text that is not valid UTF-8
	// or holds NUL, with a raw encoding error (PostgreSQL), so such text
	// is refused before it is sent, with a clear one (checkTextArg).
	StrictText bool
	// FailAbortsTx: a failed statement aborts the whole transaction
	// (PostgreSQL; SQLite and MariaDB undo just the statement), so inside
	// a caller's transaction a statement that may fail runs under a
	// savepoint (binding.stmt).
	FailAbortsTx bool
	// ConvertTimeArgs: time.Time arguments are bound as TimeArg converts
	// them (SQLite, whose driver would write a text format of its own);
	// elsewhere the driver binds them (executor.prepareArgs).
	ConvertTimeArgs bool
	// Affinity: a declared column type is only an affinity (SQLite): it
	// is classified by the substrings SQLite's rules look for, a time
	// column may hold text or numbers, an integer one NUMERIC values
	// (columnClass, field.fits).
	Affinity bool
	// IntBools: booleans are small integers (MariaDB BOOL is TINYINT(1);
	// SQLite), so an integer field may read a boolean column.
	IntBools bool
	// RowidType: a single-column primary key declared with exactly this
	// type (ignoring case and blanks) is an alias of the rowid, which the
	// database fills when an INSERT omits it, default or not (SQLite
	// INTEGER, unless the table is WITHOUT ROWID: table.noRowid); "" where
	// there is no such type (keyGeneration).
	RowidType string
	// Int64Cast is the CAST target that reads an integer key as a 64-bit
	// signed integer (purge's walk in key ranges); "" where the key is
	// read as it is (SQLite).
	Int64Cast string
	// ExprFuncs is the bit of exprFunctions (sqlexpr_parse.go) that marks
	// what a Where expression may call on this database.
	ExprFuncs uint8
}

// dollarPlaceholder writes $n (PostgreSQL).
func dollarPlaceholder(b *strings.Builder, n int) {
	b.WriteByte('$')
	b.WriteString(strconv.Itoa(n))
}

// quoteWith doubles q inside ident and wraps it in q.
func quoteWith(q byte, ident string) string {
	var b strings.Builder
	b.Grow(len(ident) + 2)
	b.WriteByte(q)
	for i := 0; i < len(ident); i++ {
		if ident[i] == q {
			b.WriteByte(q)
		}
		b.WriteByte(ident[i])
	}
	b.WriteByte(q)
	return b.String()
}
