package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DB is a database handle with soft-delete semantics. It wraps a *sql.DB,
// caches the schema (tables, keys, foreign keys) and is safe for
// concurrent use.
type DB struct {
	sql          *sql.DB
	dialect      dialect
	owned        bool // Close closes sql
	closed       atomic.Bool
	hook         StatementHook
	convertTimes bool
	softCol      string
	softCols     map[string]string // per-table soft-delete column overrides
	now          func() time.Time
	overrides    map[relKey]Rule
	declared     map[string][][]string // unique keys declared in code, per table

	schemaMu sync.Mutex
	schema   *schema
	// probeMu serializes the catalog looks of names the cache does not
	// know (tableFor); noReload holds names a reload did not find.
	probeMu  sync.Mutex
	noReload map[string]bool

	opsOnce sync.Mutex  // serializes Migrate
	opsOK   atomic.Bool // softdelete's own tables are known to be there and current

	hooksMu sync.RWMutex
	hooks   []*Hooks

	retries    int          // attempts of a transaction refused with ErrBusy (0: default)
	lastStamp  atomic.Int64 // last operation stamp handed out, µs since epoch
	savepoints atomic.Int64 // names savepoints in callers' transactions
	cluster    atomic.Int32 // cluster mode (cluster.go): clusterUnknown, clusterNo, clusterYes
	fast       sync.Map     // *table -> *fastTable (fastpath.go)
	maria      atomic.Int32 // MariaDB 10.5+ taking compound statements: 0 unknown, 1 yes, 2 no (fastpath.go mariaDB)
	fastOps    atomic.Int64 // operations done by the fast path (tests)

	cacheStmts bool      // the dialect gains from prepared statements (stmtcache.go)
	stmts      stmtCache // prepared statements by SQL text (stmtcache.go)
}

// Option configures a DB.
type Option func(*DB) error

// WithStatementHook installs a hook that sees every statement (see
// StatementHook).
func WithStatementHook(h StatementHook) Option {
	return func(db *DB) error { db.hook = h; return nil }
}

// WithRetry sets how many times an operation that softdelete runs in its
// own transaction is attempted when the database refuses it for a reason
// that passes (ErrBusy: deadlock, serialization failure, lock wait
// timeout, SQLITE_BUSY): each attempt is a fresh transaction, after a
// jittered, growing pause. The default is 5; 1 turns retries off.
// Operations inside the caller's transaction are never retried.
func WithRetry(attempts int) Option {
	return func(db *DB) error {
		if attempts < 1 {
			return invalidf("WithRetry needs at least 1 attempt, got %d", attempts)
		}
		db.retries = attempts
		return nil
	}
}

// defaultAttempts is WithRetry's default.
const defaultAttempts = 5

func (db *DB) attempts() int {
	if db.retries > 0 {
		return db.retries
	}
	return defaultAttempts
}

// WithDeletedColumn sets the soft-delete column name used for tables
// (default "deleted_at").
func WithDeletedColumn(col string) Option {
	return func(db *DB) error {
		if col == "" {
			return invalidf("empty deleted column name")
		}
		db.softCol = col
		return nil
	}
}

// WithTableDeletedColumn sets the soft-delete column of one table when it
// differs from the DB-wide name (WithDeletedColumn). A Manager whose
// struct tags a field `db:"col,deleted"` sets it for its table too.
func WithTableDeletedColumn(table, col string) Option {
	return func(db *DB) error {
		if table == "" || col == "" {
			return invalidf("empty table or column name")
		}
		if db.softCols == nil {
			db.softCols = map[string]string{}
		}
		db.softCols[table] = col
		return nil
	}
}

// WithClock replaces time.Now (tests, deterministic examples). Times are
// truncated to microseconds and converted to UTC. A nil clock is ErrInvalid.
func WithClock(now func() time.Time) Option {
	return func(db *DB) error {
		if now == nil {
			return invalidf("nil clock (WithClock)")
		}
		db.now = now
		return nil
	}
}

// WithDialect forces the dialect ("sqlite", "postgres" or "mysql") for New
// when it cannot be told from the driver.
func WithDialect(name string) Option {
	return func(db *DB) error {
		d, err := dialectByName(name)
		if err != nil {
			return err
		}
		db.dialect = d
		return nil
	}
}

func dialectByName(name string) (dialect, error) {
	switch strings.ToLower(name) {
	case "sqlite", "sqlite3":
		return sqliteDialect{}, nil
	case "postgres", "postgresql", "pgx":
		return postgresDialect{}, nil
	case "mysql", "mariadb":
		return mysqlDialect{}, nil
	}
	return nil, invalidf("unknown dialect %q (want sqlite, postgres or mysql)", name)
}

// driverImports tells users which import registers each driver name.
var driverImports = map[string]string{
	"sqlite": `_ "modernc.org/sqlite"`,
	"pgx":    `_ "github.com/jackc/pgx/v5/stdlib"`,
	"mysql":  `_ "github.com/go-sql-driver/mysql"`,
}

// Open opens a database by URL:
//
//	sqlite:PATH, sqlite::memory:                 (driver "sqlite", modernc.org/sqlite)
//	postgres://user@host:5432/db?sslmode=disable (driver "pgx", pgx/v5/stdlib)
//	mysql://user:pass@host:3306/db               (driver "mysql", go-sql-driver/mysql)
//
// The root package imports no driver; import the one you use for its side
// effect. Open sets what each dialect needs: SQLite gets foreign keys on,
// WAL and a busy timeout; MySQL gets parseTime, UTC and found-rows counts;
// PostgreSQL sessions run in UTC.
func Open(rawURL string, opts ...Option) (*DB, error) {
	driver, dsn, d, maxConns, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(sql.Drivers(), driver) {
		return nil, fmt.Errorf("softdelete: no database/sql driver %q is registered; add the import %s to your main package", driver, driverImports[driver])
	}
	sqlDB, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("softdelete: open %s: %w", d.Name(), err)
	}
	if maxConns > 0 {
		sqlDB.SetMaxOpenConns(maxConns)
	}
	db, err := newDB(sqlDB, d, opts)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	db.owned = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("softdelete: cannot reach %s database: %w (is the server running and the URL right?)", d.Name(), err)
	}
	return db, nil
}

func parseURL(raw string) (driver, dsn string, d dialect, maxConns int, err error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		params := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate&_time_format=sqlite"
		if path == "" {
			return "", "", nil, 0, invalidf("sqlite URL needs a path: sqlite:app.db or sqlite::memory:")
		}
		if path == ":memory:" {
			// One connection: every connection to :memory: is a new database.
			return "sqlite", "file::memory:?" + params, sqliteDialect{}, 1, nil
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		if strings.Contains(path, "mode=ro") {
			// Read-only: the journal mode is the file's business.
			return "sqlite", "file:" + path + sep + params, sqliteDialect{}, 0, nil
		}
		return "sqlite", "file:" + path + sep + params + "&_pragma=journal_mode(WAL)", sqliteDialect{}, 0, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, perr := url.Parse(raw)
		if perr != nil {
			return "", "", nil, 0, invalidf("bad postgres URL %s: %v", RedactURL(raw), urlErr(perr))
		}
		q := u.Query()
		if q.Get("timezone") == "" {
			q.Set("timezone", "UTC")
		}
		u.RawQuery = q.Encode()
		return "pgx", u.String(), postgresDialect{}, 0, nil
	case strings.HasPrefix(raw, "mysql://"), strings.HasPrefix(raw, "mariadb://"):
		u, perr := url.Parse(raw)
		if perr != nil {
			return "", "", nil, 0, invalidf("bad mysql URL %s: %v", RedactURL(raw), urlErr(perr))
		}
		if strings.Trim(u.Path, "/") == "" {
			return "", "", nil, 0, invalidf("mysql URL %s names no database: mysql://user@host:3306/DBNAME", RedactURL(raw))
		}
		host := u.Host
		if host == "" {
			host = "127.0.0.1:3306"
		} else if u.Port() == "" {
			host += ":3306"
		}
		var b strings.Builder
		if u.User != nil {
			b.WriteString(u.User.Username())
			if p, ok := u.User.Password(); ok {
				b.WriteString(":")
				b.WriteString(p)
			}
			b.WriteString("@")
		}
		b.WriteString("tcp(" + host + ")")
		b.WriteString("/" + strings.TrimPrefix(u.Path, "/"))
		q := u.Query()
		for k, v := range map[string]string{
			"parseTime": "true", "loc": "UTC", "clientFoundRows": "true",
			"interpolateParams": "true", "time_zone": "'+00:00'",
		} {
			if q.Get(k) == "" {
				q.Set(k, v)
			}
		}
		b.WriteString("?" + q.Encode())
		return "mysql", b.String(), mysqlDialect{}, 0, nil
	}
	return "", "", nil, 0, invalidf("unsupported database URL %q: use sqlite:PATH, postgres://... or mysql://...", redact(raw))
}

// urlErr drops the URL (which may hold a password) from a url.Parse error.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func redact(raw string) string { return RedactURL(raw) }

// RedactURL returns a database URL fit to print: the password, if any, is
// replaced by "xxxxx" (also in URLs that do not parse, and in a
// password=... query parameter).
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	// Unparseable: cut the userinfo's password by hand.
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := len(rest)
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			end = j
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				s = s[:i+3] + rest[:c] + ":xxxxx" + rest[at:]
			}
		}
	}
	if i := strings.Index(strings.ToLower(s), "password="); i >= 0 {
		j := strings.IndexAny(s[i:], "& ")
		if j < 0 {
			j = len(s) - i
		}
		s = s[:i] + "password=xxxxx" + s[i+j:]
	}
	return s
}

// New wraps a pool the caller already has. The dialect is detected from the
// driver; pass WithDialect if detection fails. The caller keeps ownership:
// Close does not close the pool. For SQLite the caller should enable
// foreign keys (PRAGMA foreign_keys=ON) for cascades to be enforced by the
// database too.
func New(sqlDB *sql.DB, opts ...Option) (*DB, error) {
	if sqlDB == nil {
		return nil, invalidf("nil *sql.DB")
	}
	d := detectDialect(sqlDB)
	db, err := newDB(sqlDB, d, opts)
	if err != nil {
		return nil, err
	}
	if db.dialect == nil {
		return nil, invalidf("cannot tell the dialect of driver %T; pass softdelete.WithDialect", sqlDB.Driver())
	}
	return db, nil
}

func detectDialect(sqlDB *sql.DB) dialect {
	t := reflect.TypeOf(sqlDB.Driver()).String()
	switch {
	case strings.Contains(t, "sqlite"):
		return sqliteDialect{}
	case strings.Contains(t, "stdlib"), strings.Contains(t, "pq."), strings.Contains(t, "pgx"):
		return postgresDialect{}
	case strings.Contains(t, "mysql"):
		return mysqlDialect{}
	}
	return nil
}

func newDB(sqlDB *sql.DB, d dialect, opts []Option) (*DB, error) {
	db := &DB{sql: sqlDB, dialect: d, softCol: "deleted_at", now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, invalidf("nil Option")
		}
		if err := o(db); err != nil {
			return nil, err
		}
	}
	if db.dialect != nil {
		db.convertTimes = db.dialect.Facts().ConvertTimeArgs
		if sc, ok := db.dialect.(stmtCacheDialect); ok {
			db.cacheStmts = sc.CacheStatements()
		}
	}
	return db, nil
}

// SQL returns the underlying pool (nil for a nil DB).
func (db *DB) SQL() *sql.DB {
	if db == nil {
		return nil
	}
	return db.sql
}

// Dialect returns "sqlite", "postgres" or "mysql" ("" for a nil DB).
func (db *DB) Dialect() string {
	if db == nil || db.dialect == nil {
		return ""
	}
	return db.dialect.Name()
}

// Close closes the pool if Open created it. Later calls fail with ErrClosed.
func (db *DB) Close() error {
	if db == nil {
		return invalidf("nil *DB")
	}
	if db.closed.Swap(true) {
		return nil
	}
	db.stmts.flush(true)
	if db.owned {
		return db.sql.Close()
	}
	return nil
}

func (db *DB) checkOpen() error {
	if db == nil {
		return invalidf("nil *DB")
	}
	if db.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (db *DB) exec() *executor {
	if db == nil { // every operation then fails its checkOpen
		return &executor{}
	}
	return &executor{db: db, q: db.sql}
}

func (db *DB) txExec(tx *sql.Tx) *executor { return &executor{db: db, q: tx, tx: tx} }

// timestamp returns now, UTC, truncated to microseconds (what all three
// databases store exactly).
func (db *DB) timestamp() time.Time {
	return db.now().UTC().Truncate(time.Microsecond)
}

// opStamp returns a timestamp that is strictly increasing within this
// process, so two operations started in the same microsecond never share a
// stamp. Across processes uniqueness is enforced by the operations table.
func (db *DB) opStamp() time.Time {
	for {
		t := db.timestamp().UnixMicro()
		last := db.lastStamp.Load()
		if t <= last {
			t = last + 1
		}
		if db.lastStamp.CompareAndSwap(last, t) {
			return time.UnixMicro(t).UTC()
		}
	}
}

// Refresh reloads the cached schema (tables, keys, foreign keys). Call it
// after DDL changes made behind softdelete's back.
func (db *DB) Refresh(ctx context.Context) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	db.schemaMu.Lock()
	db.noReload = nil
	db.schemaMu.Unlock()
	return db.refresh(ctx, db.exec())
}

// refresh reads the schema through ex: inside a caller's transaction,
// through that transaction, never the pool (which the caller's
// transactions may hold every connection of: sqlite::memory: has one).
func (db *DB) refresh(ctx context.Context, ex *executor) error {
	_, err := db.reread(ctx, ex)
	return err
}

// reread is refresh, returning the schema it read (the cache may be
// dropped again meanwhile: dropSchema).
func (db *DB) reread(ctx context.Context, ex *executor) (*schema, error) {
	var s *schema
	load := func() error {
		var err error
		s, err = db.dialect.LoadSchema(ctx, ex)
		return db.translate(err)
	}
	var err error
	if ex.tx == nil {
		// On Galera a read of the catalog can be aborted by another
		// session's DDL (replicated in total order): error 1213, ErrBusy;
		// read again. (In the caller's transaction the abort ended it.)
		err = ex.retrying(ctx, load)
	} else {
		err = load()
	}
	if err != nil {
		return nil, fmt.Errorf("softdelete: reading schema: %w", err)
	}
	s.finish(db)
	db.detectCluster(ctx, ex)
	db.schemaMu.Lock()
	db.schema = s
	db.schemaMu.Unlock()
	db.stmts.flush(false) // statements prepared against the old schema
	db.fast.Clear()       // fast-path facts of the old schema's tables
	return s, nil
}

// dropSchema forgets the cached schema (and what was prepared or learnt
// against it): the next use reads it again.
func (db *DB) dropSchema() {
	db.schemaMu.Lock()
	db.schema = nil
	db.noReload = nil
	db.schemaMu.Unlock()
	db.stmts.flush(false)
	db.fast.Clear()
}

// loadSchema returns the cached schema, reading it through the pool on
// first use. Operations that may run in a caller's transaction use
// schemaFor.
func (db *DB) loadSchema(ctx context.Context) (*schema, error) {
	return db.schemaFor(ctx, db.exec())
}

// schemaFor returns the cached schema, reading it through ex on first use.
func (db *DB) schemaFor(ctx context.Context, ex *executor) (*schema, error) {
	db.schemaMu.Lock()
	s := db.schema
	db.schemaMu.Unlock()
	if s != nil {
		return s, nil
	}
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	return db.reread(ctx, ex)
}

// tableInfo is tableFor through the pool.
func (db *DB) tableInfo(ctx context.Context, name string) (*table, error) {
	return db.tableFor(ctx, db.exec(), name)
}

// tableFor returns the table a name given by a user means (schema.lookup:
// the database's own case rules). A name the cache does not know costs one
// catalog look (TableProbe), and the schema is read again only if that
// finds a table the cache lacks (created since the last read): a stream of
// unknown names never reloads the schema.
func (db *DB) tableFor(ctx context.Context, ex *executor, name string) (*table, error) {
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	t, err := s.lookup(name)
	if t != nil || !errors.Is(err, ErrSchema) {
		return t, err // found, or ambiguous
	}
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	reloaded, perr := db.reloadFor(ctx, ex, s, name)
	if perr != nil {
		return nil, perr
	}
	if !reloaded {
		return nil, err
	}
	if s, err = db.schemaFor(ctx, ex); err != nil {
		return nil, err
	}
	return s.lookup(name)
}

// reloadFor reads the schema again if a table that name means exists in
// the database but not in s; it reports whether the cache changed. A name
// for which a reload did not help (the probe and the schema read disagree)
// never reloads again until Refresh.
func (db *DB) reloadFor(ctx context.Context, ex *executor, s *schema, name string) (bool, error) {
	db.probeMu.Lock()
	defer db.probeMu.Unlock()
	db.schemaMu.Lock()
	cur, stale := db.schema, db.noReload[name]
	db.schemaMu.Unlock()
	if cur != s {
		return true, nil // read again meanwhile
	}
	if stale || strings.IndexByte(name, 0) >= 0 || !utf8.ValidString(name) {
		return false, nil // no table has such a name (PostgreSQL would not even take it as text)
	}
	b := newBuilder(db.dialect, 192)
	db.dialect.TableProbe(b, name, s.names)
	rows, err := ex.query(ctx, b.String(), b.args...)
	if err != nil {
		return false, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return false, db.translate(err)
		}
		if !strings.HasPrefix(n, "softdelete_") && !strings.HasPrefix(n, rehearsalPrefix) {
			names = append(names, n)
		}
	}
	if err := closeRows(rows); err != nil {
		return false, err
	}
	n, err := s.names.resolve(name, names)
	if err != nil || s.tables[n] != nil {
		return false, nil // the cache's answer stands
	}
	fresh, err := db.reread(ctx, ex)
	if err != nil {
		return false, err
	}
	db.schemaMu.Lock()
	if _, err := fresh.lookup(name); err != nil && len(db.noReload) < 1024 {
		if db.noReload == nil {
			db.noReload = map[string]bool{}
		}
		db.noReload[name] = true
	}
	db.schemaMu.Unlock()
	return true, nil
}

// softColumns returns a copy of the per-table soft-delete column overrides.
func (db *DB) softColumns() map[string]string {
	db.schemaMu.Lock()
	defer db.schemaMu.Unlock()
	m := make(map[string]string, len(db.softCols))
	for k, v := range db.softCols {
		m[k] = v
	}
	return m
}

// setSoftColumn records a table's soft-delete column and reloads the schema.
func (db *DB) setSoftColumn(ctx context.Context, table, col string) error {
	db.schemaMu.Lock()
	if db.softCols == nil {
		db.softCols = map[string]string{}
	}
	db.softCols[table] = col
	db.schemaMu.Unlock()
	return db.Refresh(ctx)
}
