package softdelete

import (
	"container/list"
	"context"
	"database/sql"
	"strings"
	"sync"
)

// Prepared statements kept per DB (issue 11).
//
// database/sql runs a statement given as text by preparing it, running it
// and closing it. Where preparing is the expensive part and the driver
// keeps what a *sql.Stmt prepared (modernc.org/sqlite: the compiled
// statement, ~20-50 µs of CPU saved per statement of the single-row paths),
// the executor keeps a bounded set of *sql.Stmt, keyed by the SQL text, and
// runs the statements it sends through them: on the pool directly, inside a
// transaction through tx.StmtContext (database/sql then reuses what the
// transaction's connection prepared before). Dialects opt in
// (stmtCacheDialect): PostgreSQL's pgx caches prepared statements per
// connection itself, and on MariaDB the driver interpolates arguments
// client-side (interpolateParams), where a server-side prepared statement
// saves only the parse and counts against the server's global
// max_prepared_stmt_count.
//
// Everything else the executor does is unchanged: the statement hook sees
// each statement (fault injection, tracing, counting), arguments are
// converted as before, errors are translated as before. A schema read
// again (DDL: Refresh, a table the cache did not know) empties the cache;
// DB.Close closes every statement in it.

// stmtCacheDialect is implemented by dialects whose driver gains from
// prepared statements reused by text.
type stmtCacheDialect interface {
	CacheStatements() bool
}

// stmtCacheSize bounds the statements kept per DB; the least recently
// used one is closed when a new one comes in.
const stmtCacheSize = 256

// stmtCacheMaxLen: longer statements (bulk statements with many values,
// generated IN lists) are not kept.
const stmtCacheMaxLen = 4096

type stmtCache struct {
	mu      sync.Mutex
	m       map[string]*cachedStmt
	lru     list.List // of *cachedStmt, most recently used first
	closed  bool      // DB.Close: nothing is kept any more
	gen     uint64    // bumped by flush: a statement prepared before is not kept
	pending []string  // missed inside a transaction: prepared before the next one begins
}

// stmtPendingMax bounds the statements waiting to be prepared.
const stmtPendingMax = 64

type cachedStmt struct {
	st    *sql.Stmt
	query string
	refs  int  // executor calls between get and release
	dead  bool // evicted or flushed: closed when refs drops to 0
	elem  *list.Element
}

// cacheable reports whether a statement is kept: a data statement of
// reasonable length (not DDL, not SAVEPOINT/RELEASE with their generated
// names, not PRAGMA).
func cacheable(query string) bool {
	if len(query) > stmtCacheMaxLen || len(query) < 6 {
		return false
	}
	switch strings.ToUpper(query[:6]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return true
	}
	return strings.HasPrefix(query, "WITH ")
}

// get returns the cached statement for query, marked in use (nil if
// none).
func (c *stmtCache) get(query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.m[query]
	if cs == nil {
		return nil
	}
	cs.refs++
	c.lru.MoveToFront(cs.elem)
	return cs
}

// put keeps st for query (prepared while the cache was at generation gen)
// and returns it marked in use. A statement prepared meanwhile by another
// goroutine wins; st is then used once and closed on release.
func (c *stmtCache) put(query string, st *sql.Stmt, gen uint64) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := &cachedStmt{st: st, query: query, refs: 1}
	if c.closed || gen != c.gen || c.m[query] != nil {
		cs.dead = true
		return cs
	}
	if c.m == nil {
		c.m = map[string]*cachedStmt{}
	}
	c.m[query] = cs
	cs.elem = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		old := c.lru.Back().Value.(*cachedStmt)
		c.dropLocked(old)
	}
	return cs
}

// dropLocked takes cs out of the cache and closes it unless in use.
func (c *stmtCache) dropLocked(cs *cachedStmt) {
	c.lru.Remove(cs.elem)
	delete(c.m, cs.query)
	cs.dead = true
	if cs.refs == 0 {
		_ = cs.st.Close()
	}
}

// release ends a use of cs.
func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.refs--
	if cs.dead && cs.refs == 0 {
		_ = cs.st.Close()
	}
}

// want notes a statement missed inside a transaction.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.pending) >= stmtPendingMax || c.m[query] != nil {
		return
	}
	for _, q := range c.pending {
		if q == query {
			return
		}
	}
	c.pending = append(c.pending, query)
}

// takePending returns the statements waiting to be prepared (nil if none)
// and the generation they are prepared at.
func (c *stmtCache) takePending() ([]string, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending
	c.pending = nil
	return p, c.gen
}

// generation returns the current generation (see put).
func (c *stmtCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// flush closes every statement kept (those in use when their use ends);
// with closing, nothing is kept afterwards either.
func (c *stmtCache) flush(closing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.pending = nil
	if closing {
		c.closed = true
	}
	for c.lru.Len() > 0 {
		c.dropLocked(c.lru.Front().Value.(*cachedStmt))
	}
}

// len returns how many statements are kept (tests).
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cachedStmtFor returns the prepared statement to run query with, in use
// until release (nil: run the text as it is). Outside a transaction a
// statement not kept yet is prepared on the pool, as database/sql would
// prepare the text. Inside one it is not: preparing on the pool could
// open another connection while the transaction holds one (a pool of one,
// sqlite::memory:, would wait for itself; a second connection keeps SQLite
// from leaving WAL mode, PRAGMA journal_mode = DELETE). The text then runs
// as it is, and the statement is prepared before the next transaction of
// ours begins (preparePending), on the connection that transaction will
// take.
func (ex *executor) cachedStmtFor(ctx context.Context, query string) *cachedStmt {
	db := ex.db
	if !db.cacheStmts || !cacheable(query) {
		return nil
	}
	pool, ok := ex.q.(*sql.DB)
	if !ok && ex.tx == nil {
		return nil // a *sql.Conn: its statements must run on it
	}
	if cs := db.stmts.get(query); cs != nil {
		return cs
	}
	if ex.tx != nil {
		db.stmts.want(query)
		return nil
	}
	gen := db.stmts.generation()
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil // run as text: the error, if it is one, comes from there
	}
	return db.stmts.put(query, st, gen)
}

// preparePending prepares the statements missed inside transactions, on
// an idle connection of the pool (the one BEGIN takes next); with none
// idle they wait (no connection is opened for them).
func (db *DB) preparePending(ctx context.Context) {
	if !db.cacheStmts {
		return
	}
	qs, gen := db.stmts.takePending()
	if len(qs) == 0 {
		return
	}
	if db.sql.Stats().Idle == 0 {
		for _, q := range qs {
			db.stmts.want(q)
		}
		return
	}
	for _, q := range qs {
		st, err := db.sql.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		db.stmts.release(db.stmts.put(q, st, gen))
	}
}

// stmtIn returns cs's statement for use through ex (inside a transaction:
// the transaction's own, closed with it).
func (ex *executor) stmtIn(ctx context.Context, cs *cachedStmt) *sql.Stmt {
	if ex.tx != nil {
		return ex.tx.StmtContext(ctx, cs.st)
	}
	return cs.st
}
