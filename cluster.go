package softdelete

import (
	"context"
	"sort"
	"strings"
	"unsafe"
)

// Certification keys for multi-primary clusters.
//
// On one server, the locks softdelete takes keep its invariants: a restore
// or a Create share-locks the parent it checks, and a delete of that parent
// waits (or goes first and is seen). On a MariaDB Galera cluster those
// locks are node-local, and certification only refuses two transactions
// that WROTE the same row: a restore of a child on node 1 and a delete of
// its parent on node 2 write different rows, both commit, and a live row
// points at a hidden parent (measured: 2 runs in 3 of the stress workload at
// 24 goroutines x 100 operations). So in cluster mode both sides also write
// a lock row that names the parent: the side that hides rows writes one per
// hidden row that other rows may reference, the side that needs a parent
// alive (restore, undo, Create, Save) one per parent it checks. Two such
// operations on different nodes then write the same row, certification
// refuses one (error 1213, ErrBusy) and the library retries it on fresh
// data. The rule: an operation writes the lock row of every referenced row
// whose state (alive or hidden) it changes (a delete for the rows it hides,
// a restore or undo for the rows it brings back) or decides on (a parent
// it needs alive, a parent whose operation it hands a row over to). Lock rows are buckets (CRC32 of the key, 4096 per referenced key),
// so a cascade of any size writes at most 4096 per table; two unrelated
// keys in one bucket cost a retry, never a wrong answer.
//
// Cluster mode is on when the server's wsrep_on is ON (Galera), or as
// WithClusterLocks sets it.

const clusterBuckets = 4096

// clusterDialect is implemented by dialects that can run on a multi-primary
// cluster whose locks are node-local.
type clusterDialect interface {
	// ClusterOnSQL returns no row when the server has no such setting
	// (MySQL), else one row of two columns, the setting's name and value:
	// ON (or 1) when the server is a node of such a cluster.
	ClusterOnSQL() string
	// LockBucket writes the bucket expression of the key cols of alias.
	LockBucket(b *sqlBuilder, alias string, cols []string)
	// LockUpsert is the clause that turns a duplicate lock row into an
	// update of it (a write certification sees).
	LockUpsert() string
}

// WithClusterLocks turns cluster mode on or off instead of asking the
// server (see cluster.go): on for a multi-primary cluster whose row locks
// are node-local; off saves the lock rows' writes on a single server.
func WithClusterLocks(on bool) Option {
	return func(db *DB) error {
		if on {
			db.cluster.Store(clusterYes)
		} else {
			db.cluster.Store(clusterNo)
		}
		return nil
	}
}

const (
	clusterUnknown int32 = iota
	clusterNo
	clusterYes
)

// clusterOn reports whether operations write lock rows. The server is
// asked once, with the first schema read (detectCluster).
func (db *DB) clusterOn() bool {
	return db.cluster.Load() == clusterYes
}

// detectCluster asks the server whether it is a node of a cluster whose
// locks are node-local, unless WithClusterLocks or an earlier read said.
func (db *DB) detectCluster(ctx context.Context, ex *executor) {
	if db.cluster.Load() != clusterUnknown {
		return
	}
	cd, ok := db.dialect.(clusterDialect)
	if !ok {
		db.cluster.Store(clusterNo)
		return
	}
	on, err := db.clusterSetting(ctx, ex, cd.ClusterOnSQL())
	if err != nil {
		return // asked again with the next schema read
	}
	if on {
		db.cluster.CompareAndSwap(clusterUnknown, clusterYes)
	} else {
		db.cluster.CompareAndSwap(clusterUnknown, clusterNo)
	}
}

// clusterSetting runs q (see ClusterOnSQL): no row (MySQL has no
// wsrep_on) is false.
func (db *DB) clusterSetting(ctx context.Context, ex *executor, q string) (bool, error) {
	rows, err := ex.query(ctx, q)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	on := false
	if rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return false, db.translate(err)
		}
		on = strings.EqualFold(value, "ON") || value == "1"
	}
	if err := rows.Err(); err != nil {
		return false, db.translate(err)
	}
	return on, db.translate(rows.Close())
}

// lockName names the lock rows of the key cols of table t.
func lockName(t string, cols []string) string {
	return t + "(" + strings.Join(cols, ",") + ")"
}

// writeLocks writes "INSERT INTO softdelete_locks ... SELECT DISTINCT name,
// bucket, 1 FROM <from> <upsert>", where from writes the FROM clause and
// alias names the table whose key cols are bucketed.
func (db *DB) writeLocks(ctx context.Context, ex *executor, name, alias string, cols []string, from func(b *sqlBuilder)) error {
	cd := db.dialect.(clusterDialect)
	b := newBuilder(db.dialect, 256)
	b.WriteString("INSERT INTO softdelete_locks (name, bucket, n) SELECT DISTINCT ")
	b.arg(name)
	b.WriteString(", ")
	cd.LockBucket(b, alias, cols)
	b.WriteString(", 1 FROM ")
	from(b)
	b.WriteString(cd.LockUpsert())
	_, err := ex.exec(ctx, b.String(), b.args...)
	return err
}

// lockHidden writes the lock rows of the rows a delete just hid (those
// with the walk's stamp) in every table other rows reference.
func (w *walk) lockHidden(ctx context.Context) error {
	// Tables in name order: with WithClusterLocks on a single server, two
	// deletes then take their lock rows in the same order.
	tables := make([]string, 0, len(w.counts))
	for tbl, n := range w.counts {
		if n > 0 {
			tables = append(tables, tbl)
		}
	}
	sort.Strings(tables)
	for _, tbl := range tables {
		t := w.s.tables[tbl]
		if t == nil {
			continue
		}
		err := w.db.lockOwnRows(ctx, w.ex, t, func(b *sqlBuilder, alias string) {
			b.qualified(alias, t.SoftCol)
			b.WriteString(" = ")
			w.stampArg(b, t)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// lockOwnRows writes the lock rows of the rows of t selected by sel, under
// every key of t that other rows reference: rows whose state (alive or
// hidden) the operation changes. A delete writes them for the rows it
// hides (lockHidden), a restore for the rows it brings back (lockRestored):
// an operation on another node that decided on their state (a Create or
// restore that needs such a row alive, a restore that hands a row over to
// the operation hiding it) writes the same lock rows (lockReferenced,
// guardedStmt), so certification lets only one of the two commit.
func (db *DB) lockOwnRows(ctx context.Context, ex *executor, t *table, sel pred) error {
	seen := map[string]bool{}
	for _, fk := range t.In {
		name := lockName(t.Name, fk.ParentCols)
		if seen[name] {
			continue
		}
		seen[name] = true
		err := db.writeLocks(ctx, ex, name, "hk", fk.ParentCols, func(b *sqlBuilder) {
			b.ident(t.Name)
			b.WriteString(" hk WHERE ")
			sel(b, "hk")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// lockRestored writes, in cluster mode, the lock rows of the rows of t
// selected by sel, which a restore or undo is about to bring back (they
// still carry the stamp). Without them, a restore on another node that
// read such a row as hidden by this operation (and handed a row over to
// it) committed beside the undo that brought the row back, and the row
// handed over stayed hidden under a live parent, out of the undo's reach
// (undone-op-still-hides, undo-misses-rows; TestGaleraUndoRacesHandOver).
func (w *walk) lockRestored(ctx context.Context, t *table, sel pred) error {
	if !w.db.clusterOn() || len(t.In) == 0 {
		return nil
	}
	return w.db.lockOwnRows(ctx, w.ex, t, sel)
}

// lockReferenced writes the lock rows of the parents in p that the rows of
// c selected by sel reference through fk (a restore about to bring them
// back).
func (w *walk) lockReferenced(ctx context.Context, c *table, fk *foreignKey, p *table, sel pred) error {
	return w.db.lockReferenced(ctx, w.ex, c, fk, p, sel)
}

func (db *DB) lockReferenced(ctx context.Context, ex *executor, c *table, fk *foreignKey, p *table, sel pred) error {
	return db.writeLocks(ctx, ex, lockName(p.Name, fk.ParentCols), "lk", fk.ParentCols, func(b *sqlBuilder) {
		referencedRows(b, "lk", fk, c.Name, p, sel)
	})
}

// guardedStmt runs a Create or Save statement guarded by its parents
// (parentGuard). In cluster mode it runs in a transaction that also writes
// the lock rows of those parents.
func (m *binding) guardedStmt(ctx context.Context, mex *executor, base unsafe.Pointer, guard bool, fn func(ex *executor) error) error {
	if !guard || !m.db.clusterOn() {
		return m.stmt(ctx, mex, func() error { return fn(mex) })
	}
	return mex.inTx(ctx, func(ex *executor) error {
		s, err := m.db.schemaFor(ctx, ex)
		if err != nil {
			return err
		}
		fks, vals := m.guardFKs(base)
		for i, fk := range fks {
			p := s.tables[fk.Parent]
			if p == nil {
				continue
			}
			err := m.db.writeLocks(ctx, ex, lockName(p.Name, fk.ParentCols), "gk", fk.ParentCols, func(b *sqlBuilder) {
				b.ident(p.Name)
				b.WriteString(" gk WHERE ")
				for j, c := range fk.ParentCols {
					if j > 0 {
						b.WriteString(" AND ")
					}
					b.qualified("gk", c)
					b.WriteString(" = ")
					b.arg(vals[i][j])
				}
			})
			if err != nil {
				return err
			}
		}
		return fn(ex)
	})
}
