package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// Table-level API, for code that does not use Manager (sqlc, sqlx, plain
// database/sql): the same engine, addressed by table name and primary key.

// Delete soft-deletes the row of table with the given primary key (one
// value per key column) and everything its foreign keys cascade to, as one
// operation. ErrNotFound if no alive row has that key.
func (db *DB) Delete(ctx context.Context, table string, key ...any) (*Operation, error) {
	return db.delete(ctx, db.exec(), table, key, false)
}

// DeleteTx is Delete inside the caller's transaction.
//
// The caller's isolation level applies. The RESTRICT checks read the latest
// committed rows on MariaDB (a locking read, also under its default
// REPEATABLE READ) and on PostgreSQL under READ COMMITTED (the default)
// and SERIALIZABLE; under PostgreSQL's REPEATABLE READ they read the
// transaction's snapshot and miss a child restored after it was taken
// (the delete then leaves that child live under a hidden parent): use
// READ COMMITTED or SERIALIZABLE for transactions that delete. Restores
// and undos in the caller's transaction (Manager.WithTx, UndoTx) want READ
// COMMITTED on MariaDB too: under REPEATABLE READ a restore that waited for
// a concurrent delete can miss the rows that delete hid.
func (db *DB) DeleteTx(ctx context.Context, tx *sql.Tx, table string, key ...any) (*Operation, error) {
	if tx == nil {
		return nil, invalidf("nil *sql.Tx")
	}
	return db.delete(ctx, db.txExec(tx), table, key, false)
}

func (db *DB) delete(ctx context.Context, ex *executor, table string, key []any, dry bool) (*Operation, error) {
	t, err := db.keyedTable(ctx, ex, table, key)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		op, err := db.deleteRows(ctx, ex, t, tableKeyPred(t, key), opOptions{key: keyValue(key), keys: key, dryRun: dry})
		if err != nil {
			return nil, err
		}
		if op.Counts[t.Name] > 0 {
			return op, nil
		}
		st, err := db.rowState(ctx, ex, t, tableKeyPred(t, key))
		switch {
		case err != nil:
			return nil, err
		case st == rowDeleted:
			return nil, ErrDeleted
		case st == rowMissing:
			return nil, ErrNotFound
		}
		// Alive again: restored between the delete's statement and this
		// look. Delete it now.
		if attempt >= 3 {
			return nil, &BusyError{Attempts: attempt, Err: errors.New("softdelete: the row was restored while it was being deleted")}
		}
	}
}

// Restore restores the row of table with the given primary key and exactly
// the rows its delete hid.
func (db *DB) Restore(ctx context.Context, table string, key ...any) (*Operation, error) {
	t, err := db.keyedTable(ctx, db.exec(), table, key)
	if err != nil {
		return nil, err
	}
	return db.restoreKey(ctx, db.exec(), t, key, false)
}

// RestoreWithParents is Restore that first restores soft-deleted parents.
func (db *DB) RestoreWithParents(ctx context.Context, table string, key ...any) (*Operation, error) {
	t, err := db.keyedTable(ctx, db.exec(), table, key)
	if err != nil {
		return nil, err
	}
	return db.restoreKey(ctx, db.exec(), t, key, true)
}

// DeletePlan is what a delete would do: rows it would hide per table,
// references it would clear, and what would block it.
type DeletePlan struct {
	Table    string
	Counts   map[string]int64 // rows hidden per table (root included)
	Nulled   map[string]int64 // references cleared per table.column
	Blockers map[string]int64 // live referencing rows per table; non-empty means the delete would fail
}

// Allowed reports whether the delete would go through.
func (p *DeletePlan) Allowed() bool { return len(p.Blockers) == 0 }

// PlanDelete answers "what would deleting this row hide?" by running the
// real delete in a transaction and rolling it back: the counts and
// blockers come from the same code path as Delete. Hooks see a dry run
// (Event.DryRun): Before hooks run and may veto (the plan then fails with
// ErrVetoed), After hooks do not run and nothing is logged.
func (db *DB) PlanDelete(ctx context.Context, table string, key ...any) (*DeletePlan, error) {
	t, err := db.keyedTable(ctx, db.exec(), table, key)
	if err != nil {
		return nil, err
	}
	return db.plan(ctx, db.exec(), t, tableKeyPred(t, key), key)
}

func (db *DB) plan(ctx context.Context, ex *executor, t *table, root pred, key []any) (*DeletePlan, error) {
	if ex.tx != nil {
		return nil, invalidf("PlanDelete runs in its own transaction; call it outside WithTx")
	}
	op, err := db.deleteRows(ctx, ex, t, root, opOptions{key: keyValue(key), dryRun: true})
	var re *RestrictedError
	switch {
	case errors.As(err, &re):
		return &DeletePlan{Table: t.Name, Counts: re.counts, Blockers: re.Blockers}, nil
	case err != nil:
		return nil, err
	}
	if key != nil && op.Counts[t.Name] == 0 {
		return nil, db.keyMissing(ctx, ex, t, key)
	}
	return &DeletePlan{Table: t.Name, Counts: op.Counts, Nulled: op.Nulled}, nil
}

func (db *DB) keyedTable(ctx context.Context, ex *executor, table string, key []any) (*table, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	t, err := db.tableFor(ctx, ex, table)
	if err != nil {
		return nil, err
	}
	if !t.soft() {
		return nil, &SchemaError{Table: table, Column: db.softCol, Msg: "table has no nullable soft-delete column"}
	}
	if len(t.PK) == 0 {
		return nil, &SchemaError{Table: table, Msg: "table has no primary key"}
	}
	if len(key) != len(t.PK) {
		return nil, invalidf("table %s has primary key (%s): want %d values, got %d", table, strings.Join(t.PK, ", "), len(t.PK), len(key))
	}
	for _, k := range key {
		if isNullValue(k) {
			return nil, invalidf("nil primary key value for %s", table)
		}
	}
	return t, nil
}

// keyMissing explains why no alive row had the key.
func (db *DB) keyMissing(ctx context.Context, ex *executor, t *table, key []any) error {
	st, err := db.rowState(ctx, ex, t, tableKeyPred(t, key))
	switch {
	case err != nil:
		return err
	case st == rowDeleted:
		return ErrDeleted
	}
	return ErrNotFound
}

// rowState reads whether the row of t selected by sel is alive, deleted or
// missing (failure paths only).
func (db *DB) rowState(ctx context.Context, ex *executor, t *table, sel pred) (rowStateKind, error) {
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT CASE WHEN ")
	b.ident(t.SoftCol)
	b.WriteString(" IS NULL THEN 1 ELSE 2 END FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	sel(b, "")
	var st int
	err := ex.queryRow(ctx, b.String(), b.args, &st)
	if err == ErrNotFound {
		return rowMissing, nil
	}
	return rowStateKind(st), err
}

// Alive returns the SQL condition "alias.deleted_at IS NULL" (quoted for
// the dialect) for hand-written joins, so that a joined soft-deletable
// table hides its deleted rows too. The condition is a literal, so partial
// indexes on alive rows are used.
//
// For a nil DB it returns "".
func (db *DB) Alive(alias string) string {
	if db == nil || db.dialect == nil {
		return ""
	}
	var b strings.Builder
	if alias != "" {
		b.WriteString(db.dialect.Quote(alias))
		b.WriteByte('.')
	}
	b.WriteString(db.dialect.Quote(db.softCol))
	b.WriteString(" IS NULL")
	return b.String()
}

// planHooks ends a dry-run delete: the Before hooks see the operation
// with Event.DryRun set (and may veto, which fails the plan with
// ErrVetoed); nothing is logged and no After hook runs, since the
// transaction is rolled back.
func (db *DB) planHooks(ctx context.Context, ex *executor, op *Operation, ev *Event) error {
	op.Actor = ctxString(ctx, actorKey)
	op.Reason = ctxString(ctx, reasonKey)
	op.At = db.timestamp()
	op.Outcome = "planned"
	op.Rows = 0
	for _, n := range op.Counts {
		op.Rows += n
	}
	ev.Op, ev.Tx, ev.DryRun = op, ex.tx, true
	if err := db.runBefore(ctx, ev); err != nil {
		return err
	}
	return errDryRun
}
