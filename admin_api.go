package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// TableCounts is how many rows of a table are alive and soft-deleted.
// Estimated: the numbers come from the database's statistics, not from
// counting (see DB.TableCounts).
type TableCounts struct {
	Alive, Deleted int64
	Estimated      bool
}

// TableCounts counts the alive and soft-deleted rows of a table (every row
// of a table that is not soft-deletable is alive).
//
// The counts are exact when the estimate of the table's rows is at most
// exactUpTo (negative: estimate whenever possible). Larger tables are
// estimated, with Estimated set, from the catalog: on PostgreSQL
// pg_class.reltuples (scaled
// to the table's current size, as the planner does) and the null fraction
// of the soft-delete column in pg_stats; on MariaDB
// information_schema.TABLES.TABLE_ROWS, and for the deleted share the
// optimizer's estimate through an index that starts with the soft-delete
// column, else the column's engine-independent statistics
// (mysql.column_stats, filled by ANALYZE TABLE). Where the catalog has no
// estimate (SQLite, a PostgreSQL table never analyzed) or no share of
// deleted rows (MariaDB without such an index or statistics), a table
// whose primary key is one integer column is sampled: 1000 keys between
// its smallest and largest, in 200 runs of 5 consecutive keys spread over
// the range (one run at a random place in each 200th of it), are looked
// up, and the share found (and found deleted) scales to the key range.
// The deleted share is then within about three points 19 times out of 20
// when neighbouring rows are deleted independently, less precise when
// they are deleted together (the 200 runs are then what counts). Otherwise
// the rows are counted (with an index on the soft-delete column, or a
// partial index of alive rows, the database can count from the index).
//
// An unknown table is ErrInvalid (the cached schema is not read again).
func (db *DB) TableCounts(ctx context.Context, table string, exactUpTo int64) (TableCounts, error) {
	t, err := db.cachedTable(ctx, table)
	if err != nil {
		return TableCounts{}, err
	}
	ex := db.exec()
	rd := db.dialect.(rowsDialect)
	total, ok, err := rd.EstimateRows(ctx, ex, t)
	if err != nil {
		return TableCounts{}, err
	}
	if ok && total <= float64(exactUpTo) {
		return db.exactCounts(ctx, ex, t)
	}
	if ok {
		if !t.soft() {
			return TableCounts{Alive: int64(math.Round(total)), Estimated: true}, nil
		}
		aliveFrac, ok, err := rd.EstimateAliveShare(ctx, ex, t, total)
		if err != nil {
			return TableCounts{}, err
		}
		if ok {
			n := int64(math.Round(total))
			alive := min(max(int64(math.Round(total*aliveFrac)), 0), n)
			return TableCounts{Alive: alive, Deleted: n - alive, Estimated: true}, nil
		}
	}
	c, ok, err := db.sampleCounts(ctx, ex, t, exactUpTo)
	if err != nil {
		return TableCounts{}, err
	}
	if ok {
		return c, nil
	}
	return db.exactCounts(ctx, ex, t)
}

// exactCounts counts with two COUNT(*) subqueries, so that an index on
// the soft-delete column (or a partial index on alive rows) can answer.
func (db *DB) exactCounts(ctx context.Context, ex *executor, t *table) (TableCounts, error) {
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT (SELECT COUNT(*) FROM ")
	b.ident(t.Name)
	b.WriteString("), ")
	if t.soft() {
		b.WriteString("(SELECT COUNT(*) FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		b.ident(t.SoftCol)
		b.WriteString(" IS NULL)")
	} else {
		b.WriteString("NULL")
	}
	b.WriteString(db.dialect.FromDual())
	var total int64
	var alive *int64
	if err := ex.queryRow(ctx, b.String(), b.args, &total, &alive); err != nil {
		return TableCounts{}, err
	}
	if alive == nil {
		return TableCounts{Alive: total}, nil
	}
	return TableCounts{Alive: *alive, Deleted: total - *alive}, nil
}

// DeletePermanently removes, for good, the soft-deleted row of table with
// the given primary key: what a second Manager.Delete of a row does. It is
// logged as an OpHardDelete operation. The database's foreign keys act as
// the database defines them (a CASCADE removes referencing rows too); a
// RESTRICT or NO ACTION key with referencing rows (alive or deleted)
// refuses it with a *RestrictedError listing them. ErrNotDeleted for an
// alive row, ErrNotFound when there is no such row.
func (db *DB) DeletePermanently(ctx context.Context, table string, key ...any) (*Operation, error) {
	ex := db.exec()
	t, err := db.keyedTable(ctx, ex, table, key)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		op, err := db.hardDelete(ctx, ex, t, tableKeyPred(t, key), opOptions{key: keyValue(key), onlyDeleted: true})
		if errors.Is(err, ErrRestricted) {
			return nil, db.hardBlockers(ctx, ex, t, key, err)
		}
		if err != nil {
			return nil, err
		}
		if op != nil {
			return op, nil
		}
		st, err := db.rowState(ctx, ex, t, tableKeyPred(t, key))
		switch {
		case err != nil:
			return nil, err
		case st == rowAlive:
			return nil, ErrNotDeleted
		case st == rowMissing:
			return nil, ErrNotFound
		}
		// Deleted again: restored and deleted between the statements.
		if attempt >= 3 {
			return nil, &BusyError{Attempts: attempt, Err: errors.New("softdelete: the row was restored while it was being deleted permanently")}
		}
	}
}

// hardBlockers turns the database's refusal of a hard delete into a
// *RestrictedError that names the referencing tables and counts their rows
// (alive or deleted) that point at the row through a RESTRICT or NO
// ACTION foreign key.
func (db *DB) hardBlockers(ctx context.Context, ex *executor, t *table, key []any, cause error) error {
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return err
	}
	re := &RestrictedError{Table: t.Name, Blockers: map[string]int64{}, hard: true}
	for _, fk := range t.In {
		if fk.Schema != Restrict && fk.Schema != NoAction {
			continue
		}
		c := s.tables[fk.Child]
		if c == nil {
			continue
		}
		b := newBuilder(db.dialect, 128)
		b.WriteString("SELECT COUNT(*) FROM ")
		b.ident(c.Name)
		b.WriteString(" c WHERE ")
		for i, col := range fk.ChildCols {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.qualified("c", col)
			b.WriteString(" = (SELECT ")
			b.qualified("p", fk.ParentCols[i])
			b.WriteString(" FROM ")
			b.ident(t.Name)
			b.WriteString(" p WHERE ")
			tableKeyPred(t, key)(b, "p")
			b.WriteString(")")
		}
		n, err := ex.queryInt64(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n > 0 {
			re.Blockers[c.Name] += n
		}
	}
	if len(re.Blockers) == 0 {
		return cause // refused by something the schema does not show (a trigger, a key in another schema)
	}
	return re
}

// RestorePlan is what a restore would do.
type RestorePlan struct {
	Table string
	// Counts: rows that would come back, per table (the row, the rows its
	// delete hid, and with parents everything their restores bring back).
	Counts map[string]int64
	// Parents: soft-deleted parent rows RestoreWithParents would restore
	// first, per table (empty for a plain restore).
	Parents map[string]int64
}

// PlanRestore answers "what would restoring this row bring back?" by
// running the restore (withParents: RestoreWithParents) in a transaction
// and rolling it back. It fails as the restore would, with the same typed
// errors: *ConflictError (an alive-only unique key taken), a
// *ParentDeletedError (a parent is deleted and withParents is false),
// ErrNotDeleted, ErrNotFound. Hooks see a dry run (Event.DryRun): Before
// hooks run and may veto (ErrVetoed); After hooks do not run and nothing
// is logged.
func (db *DB) PlanRestore(ctx context.Context, table string, withParents bool, key ...any) (*RestorePlan, error) {
	ex := db.exec()
	t, err := db.keyedTable(ctx, ex, table, key)
	if err != nil {
		return nil, err
	}
	// The log's tables first, outside the transaction (MariaDB commits
	// DDL implicitly).
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	var plan *RestorePlan
	// At the isolation level of a restore's own transaction.
	err = ex.inRestoreTx(ctx, func(ex *executor) error {
		plan = &RestorePlan{Table: t.Name, Counts: map[string]int64{}, Parents: map[string]int64{}}
		pc := &restorePlanner{plan: plan}
		if _, err := db.restoreKey(context.WithValue(ctx, restorePlanKey{}, pc), ex, t, key, withParents); err != nil {
			return err
		}
		return errDryRun
	})
	if err != errDryRun {
		if err == nil {
			err = errors.New("softdelete: restore plan was not rolled back")
		}
		return nil, err
	}
	return plan, nil
}

type restorePlanKey struct{}

// restorePlanner collects the operations of a planned restore.
type restorePlanner struct {
	plan *RestorePlan
}

// recordRestore ends one restore of a row (the row asked for, or a parent
// RestoreWithParents restores first): logged, or in a plan counted.
func (db *DB) recordRestore(ctx context.Context, ex *executor, op *Operation, ev *Event, parent bool) error {
	pc, _ := ctx.Value(restorePlanKey{}).(*restorePlanner)
	if pc == nil {
		return db.recordOp(ctx, ex, op, ev)
	}
	for tbl, n := range op.Counts {
		pc.plan.Counts[tbl] += n
	}
	if parent {
		pc.plan.Parents[op.Table]++
	}
	op.Actor = ctxString(ctx, actorKey)
	op.Reason = ctxString(ctx, reasonKey)
	op.At = db.timestamp()
	op.Outcome = "planned"
	op.Rows = 0
	for _, n := range op.Counts {
		op.Rows += n
	}
	if ev == nil {
		ev = &Event{}
	}
	ev.Op, ev.Tx, ev.DryRun = op, ex.tx, true
	return db.runBefore(ctx, ev)
}

// planningRestore reports whether ctx is that of a PlanRestore.
func planningRestore(ctx context.Context) bool {
	_, ok := ctx.Value(restorePlanKey{}).(*restorePlanner)
	return ok
}

// sampleCounts estimates the counts of a table whose primary key is one
// integer column from a sample of its key range: the range between the
// smallest and largest key is cut into sampleRuns strata, and in each a run
// of sampleRunLen consecutive keys at a random place (drawn from the
// table's name and key range) is read (range
// lookups through the key: a few hundred index pages, a few milliseconds
// however large the table, where as many random keys read as many pages
// as keys, 60-90 ms on a cold InnoDB buffer pool). The share of keys found
// estimates the number of rows, the share of them soft-deleted the number
// of deleted rows. ok is false when the table has no such key, when its
// keys are too sparse for the sample to find rows, or when the table is at
// most exactUpTo rows anyway.
func (db *DB) sampleCounts(ctx context.Context, ex *executor, t *table, exactUpTo int64) (TableCounts, bool, error) {
	if len(t.PK) != 1 {
		return TableCounts{}, false, nil
	}
	i, ok := t.columnIndex(t.PK[0])
	if !ok || columnKind(t.Columns[i].Type) != KindInteger {
		return TableCounts{}, false, nil
	}
	// Two subqueries: each is one step down the primary key (SQLite reads
	// the whole table for MIN and MAX in one SELECT).
	b := newBuilder(db.dialect, 64)
	b.WriteString("SELECT (SELECT MIN(")
	b.ident(t.PK[0])
	b.WriteString(") FROM ")
	b.ident(t.Name)
	b.WriteString("), (SELECT MAX(")
	b.ident(t.PK[0])
	b.WriteString(") FROM ")
	b.ident(t.Name)
	b.WriteString(")")
	b.WriteString(db.dialect.FromDual())
	var lo, hi sql.NullInt64
	if err := ex.queryRow(ctx, b.String(), b.args, &lo, &hi); err != nil {
		return TableCounts{}, false, err
	}
	if !lo.Valid || !hi.Valid {
		return TableCounts{}, false, nil // empty
	}
	const keys = sampleRuns * sampleRunLen
	span := uint64(hi.Int64 - lo.Int64) // wraps correctly for any int64 range
	if span < keys || (exactUpTo >= 0 && span < uint64(exactUpTo)) {
		return TableCounts{}, false, nil // small enough to count
	}
	// span+1 keys in sampleRuns strata of at least sampleRunLen keys
	// (span+1 overflows for the full int64 range only).
	stratum := span / sampleRuns
	if span < math.MaxUint64 {
		stratum = (span + 1) / sampleRuns
	}
	b = newBuilder(db.dialect, 64+sampleRuns*40)
	b.WriteString("SELECT COUNT(*), ")
	if t.soft() {
		b.WriteString("COUNT(")
		b.ident(t.SoftCol)
		b.WriteString(")")
	} else {
		b.WriteString("0")
	}
	b.WriteString(" FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	// The same table gets the same runs while its key range stays: the
	// figures do not jitter from one look to the next, and the pages read
	// stay in the database's cache for the next look (MariaDB: 20 tables of
	// 1M rows, about 3,400 pages read from disk on a cold buffer pool).
	h := fnv.New64a()
	h.Write([]byte(t.Name))
	rng := rand.New(rand.NewPCG(h.Sum64(), span))
	for r := range uint64(sampleRuns) {
		// A run inside stratum r: [first, first+sampleRunLen-1].
		off := r*stratum + rng.Uint64N(stratum-sampleRunLen+1)
		first := int64(uint64(lo.Int64) + off)
		if r > 0 {
			b.WriteString(" OR ")
		}
		b.ident(t.PK[0])
		b.WriteString(" BETWEEN ")
		b.arg(first)
		b.WriteString(" AND ")
		b.arg(first + sampleRunLen - 1)
	}
	var hits, deleted int64
	if err := ex.queryRow(ctx, b.String(), b.args, &hits, &deleted); err != nil {
		return TableCounts{}, false, err
	}
	if hits < keys/20 {
		return TableCounts{}, false, nil // keys too sparse for the sample
	}
	// The strata cover sampleRuns*stratum keys; the few past them (fewer
	// than sampleRuns) count as the sample says.
	total := int64(math.Round((float64(span) + 1) * float64(hits) / keys))
	if total <= exactUpTo {
		return TableCounts{}, false, nil
	}
	alive := int64(math.Round(float64(total) * float64(hits-deleted) / float64(hits)))
	return TableCounts{Alive: alive, Deleted: total - alive, Estimated: true}, true, nil
}

// sampleCounts reads sampleRuns runs of sampleRunLen consecutive keys.
// Runs of neighbours cost one index page each instead of one page per key;
// the price is precision when neighbouring rows are deleted together.
const (
	sampleRuns   = 200
	sampleRunLen = 5
)
