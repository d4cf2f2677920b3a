package softdelete

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OpFilter selects operations from the log. Zero fields match everything.
type OpFilter struct {
	Table string    // root table
	Actor string    // who
	Kind  string    // OpDelete, OpRestore, OpHardDelete, OpPurge, OpUndo
	Since time.Time // at or after
	Until time.Time // before
	// Trash keeps only delete operations that were not undone and still
	// hide rows (not restored, not purged).
	Trash bool
	// Limit caps the result (default 100); BeforeID pages backwards.
	Limit    int
	BeforeID int64
}

const opColumns = "id, kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome, target_op, undone_by, rules"

// Operations lists logged operations, newest first. With Trash, only the
// deletes that were not undone and still hide rows (their root table still
// has rows with their stamp: not restored, not purged) are listed, up to
// Limit of them.
func (db *DB) Operations(ctx context.Context, f OpFilter) ([]Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	for _, v := range []string{f.Table, f.Actor, f.Kind} {
		if err := checkTextArg(v, db.dialect); err != nil {
			return nil, invalidf("operations filter %s: %v", shortQuote(v), err)
		}
	}
	// Listing only reads: softdelete's tables are never created here (a
	// database never written to has an empty log; a SELECT-only user can
	// list).
	if ok, err := db.opsReadable(ctx, db.exec()); err != nil || !ok {
		return nil, err
	}
	if f.Table != "" {
		// The root table as the log names it, by the database's case
		// rules; a table dropped since is looked for as given.
		s, err := db.loadSchema(ctx)
		if err != nil {
			return nil, err
		}
		t, err := s.lookup(f.Table)
		if err != nil && !errors.Is(err, ErrSchema) {
			return nil, err
		}
		if t != nil {
			f.Table = t.Name
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Operation
	before := f.BeforeID
	for {
		page, err := db.opsPage(ctx, f, before, limit)
		if err != nil {
			return nil, err
		}
		kept := page
		if f.Trash {
			if kept, err = db.stillHiding(ctx, page); err != nil {
				return nil, err
			}
		}
		out = append(out, kept...)
		if !f.Trash || len(page) < limit || len(out) >= limit {
			break
		}
		before = page[len(page)-1].ID // the rest of the page no longer hides rows: read on
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// opsPage reads up to limit operations of f with ids below before (0: any).
func (db *DB) opsPage(ctx context.Context, f OpFilter, before int64, limit int) ([]Operation, error) {
	b := newBuilder(db.dialect, 256)
	b.WriteString("SELECT " + opColumns + " FROM softdelete_operations WHERE 1=1")
	eq := func(col string, v any) {
		b.WriteString(" AND " + col + " = ")
		b.arg(v)
	}
	if f.Table != "" {
		eq("root_table", f.Table)
	}
	if f.Actor != "" {
		eq("actor", f.Actor)
	}
	if f.Trash {
		eq("kind", OpDelete)
		b.WriteString(" AND undone_by IS NULL")
	} else if f.Kind != "" {
		eq("kind", f.Kind)
	}
	if !f.Since.IsZero() {
		b.WriteString(" AND created_at >= ")
		b.arg(f.Since.UTC())
	}
	if !f.Until.IsZero() {
		b.WriteString(" AND created_at < ")
		b.arg(f.Until.UTC())
	}
	if before > 0 {
		b.WriteString(" AND id < ")
		b.arg(before)
	}
	b.WriteString(" ORDER BY id DESC LIMIT ")
	b.arg(int64(limit))
	rows, err := db.exec().query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Operation
	for rows.Next() {
		op, err := scanOp(rows)
		if err != nil {
			return nil, db.translate(err)
		}
		out = append(out, *op)
	}
	return out, db.translate(rows.Err())
}

// stillHiding keeps the delete operations of ops whose root table still
// has rows carrying their stamp: one statement per 100 operations, each
// operation an EXISTS on its root table by stamp.
func (db *DB) stillHiding(ctx context.Context, ops []Operation) ([]Operation, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	hiding := map[int64]bool{}
	for start := 0; start < len(ops); start += 100 {
		b := newBuilder(db.dialect, 1024)
		n := 0
		for _, op := range ops[start:min(start+100, len(ops))] {
			t := s.tables[op.Table]
			if op.Stamp == nil || t == nil || !t.soft() {
				continue
			}
			if n > 0 {
				b.WriteString(" UNION ALL ")
			}
			n++
			fmt.Fprintf(b, "SELECT %d AS id FROM (SELECT 1 AS one) d WHERE EXISTS (SELECT 1 FROM ", op.ID)
			b.ident(t.Name)
			b.WriteString(" r WHERE ")
			db.stampEq(b, "r", t, ourStamp(*op.Stamp))
			b.WriteString(")")
		}
		if n == 0 {
			continue
		}
		rows, err := db.exec().query(ctx, b.String(), b.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, db.translate(err)
			}
			hiding[id] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, db.translate(err)
		}
	}
	var out []Operation
	for _, op := range ops {
		if hiding[op.ID] {
			out = append(out, op)
		}
	}
	return out, nil
}

func scanOp(rows *sql.Rows) (*Operation, error) {
	var op Operation
	var counts string
	var target, undone sql.NullInt64
	var rules sql.NullString
	if err := rows.Scan(&op.ID, &op.Kind, timePtrScanner{&op.Stamp}, &op.Table, &op.Key, &op.Actor, &op.Reason,
		timeScanner{&op.At}, &op.Rows, &counts, &op.Outcome, &target, &undone, &rules); err != nil {
		return nil, err
	}
	op.TargetOp, op.UndoneBy, op.rules = target.Int64, undone.Int64, rules.String
	if err := json.Unmarshal([]byte(counts), &op.Counts); err != nil {
		return nil, fmt.Errorf("softdelete: operation %d has unreadable counts: %w", op.ID, err)
	}
	return &op, nil
}

// Operation returns one logged operation; an *OperationNotFoundError
// (ErrNotFound) if there is none.
func (db *DB) Operation(ctx context.Context, id int64) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	// Only reads: an absent log is not created.
	if ok, err := db.opsReadable(ctx, db.exec()); err != nil || !ok {
		if err == nil {
			err = &OperationNotFoundError{ID: id}
		}
		return nil, err
	}
	return db.operation(ctx, db.exec(), id)
}

func (db *DB) operation(ctx context.Context, ex *executor, id int64) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	rows, err := ex.query(ctx, "SELECT "+opColumns+" FROM softdelete_operations WHERE id = "+db.ph(1), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, db.translate(err)
		}
		return nil, &OperationNotFoundError{ID: id}
	}
	op, err := scanOp(rows)
	if err != nil {
		return nil, db.translate(err)
	}
	return op, nil
}

// OperationKeys calls fn, in batches, with the primary keys of the rows of
// table that delete operation id hid and that are still hidden by it. It
// reads them all; to show them a page at a time, by key from a cursor (the
// trash of a large delete), use Rows with RowsQuery.Operation and After.
func (db *DB) OperationKeys(ctx context.Context, id int64, table string, batch int, fn func(keys [][]any) error) error {
	op, err := db.Operation(ctx, id)
	if err != nil {
		return err
	}
	if op.Stamp == nil {
		return invalidf("operation %d is a %s: only deletes hide rows", id, op.Kind)
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return err
	}
	if batch <= 0 {
		batch = 1000
	}
	return db.stampKeys(db.exec(), s, ourStamp(*op.Stamp))(ctx, table, batch, fn)
}

// Undo restores exactly the rows that delete operation id hid and that are
// still hidden by it, all or nothing, with the parent and conflict checks
// of Restore, and marks the operation undone.
func (db *DB) Undo(ctx context.Context, id int64) (*Operation, error) {
	return db.undo(ctx, db.exec(), id)
}

// UndoTx is Undo inside the caller's transaction.
func (db *DB) UndoTx(ctx context.Context, tx *sql.Tx, id int64) (*Operation, error) {
	if tx == nil {
		return nil, invalidf("nil *sql.Tx")
	}
	return db.undo(ctx, db.txExec(tx), id)
}

func (db *DB) undo(ctx context.Context, ex *executor, id int64) (*Operation, error) {
	target, err := db.operation(ctx, ex, id)
	if err != nil {
		return nil, err
	}
	if target.Kind != OpDelete || target.Stamp == nil {
		return nil, invalidf("operation %d is a %s; only deletes can be undone", id, target.Kind)
	}
	t, err := db.tableFor(ctx, ex, target.Table)
	if err != nil {
		return nil, err
	}
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	// Follow the rules the delete followed, not this DB's options.
	if s, t, err = replayFor(s, t, target.rules); err != nil {
		return nil, err
	}
	if err := db.stampCheck(s, t, OpUndo); err != nil {
		return nil, err
	}
	var op *Operation
	err = ex.inRestoreTx(ctx, func(ex *executor) error {
		var err error
		op, err = db.restoreStamp(ctx, ex, s, t, *target.Stamp, nil, OpUndo)
		if err != nil {
			return err
		}
		if op.Rows == 0 {
			return fmt.Errorf("%w: operation %d has nothing left to undo", ErrNotDeleted, id)
		}
		b := newBuilder(db.dialect, 128)
		b.WriteString("UPDATE softdelete_operations SET undone_by = ")
		b.arg(op.ID)
		b.WriteString(" WHERE id = ")
		b.arg(id)
		_, err = ex.exec(ctx, b.String(), b.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// OperationNotFoundError: no operation with this id is in the log. It
// matches ErrNotFound.
type OperationNotFoundError struct{ ID int64 }

func (e *OperationNotFoundError) Error() string {
	return fmt.Sprintf("softdelete: no operation %d in the log", e.ID)
}

func (e *OperationNotFoundError) Unwrap() error { return ErrNotFound }

// opsReadable reports whether the operations log exists and is current,
// for calls that only read it: they never create or upgrade softdelete's
// tables.
func (db *DB) opsReadable(ctx context.Context, ex *executor) (bool, error) {
	if db.opsOK.Load() {
		return true, nil
	}
	rows, err := ex.query(ctx, db.dialect.OwnColumnsSQL())
	if err != nil {
		return false, db.translate(err)
	}
	found := false
	for rows.Next() {
		var tbl, col, typ string
		if err := rows.Scan(&tbl, &col, &typ); err != nil {
			rows.Close()
			return false, db.translate(err)
		}
		found = found || tbl == "softdelete_operations"
	}
	if err := closeRows(rows); err != nil || !found {
		return false, db.translate(err)
	}
	pending, err := db.opsPendingFor(ctx, ex, false)
	if err != nil {
		return false, err
	}
	if len(pending) > 0 {
		return false, &SchemaError{Table: "softdelete_operations", Msg: "softdelete's own tables are out of date: run softdelete migrate (db.Migrate) first"}
	}
	// Readers do without an index that writers need: the tables count as
	// current for writers (Migrate is skipped) only once it is there too.
	if all, err := db.opsPendingFor(ctx, ex, true); err == nil && len(all) == 0 {
		db.opsOK.Store(true)
	}
	return true, nil
}
