package softdelete

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Operation kinds recorded in the operations log.
const (
	OpDelete     = "delete"
	OpRestore    = "restore"
	OpHardDelete = "hard_delete"
	OpPurge      = "purge"
	OpUndo       = "undo"
)

// Operation is one recorded change: a delete with everything it cascaded
// to, a restore, a hard delete or a purge batch. It never holds row
// contents, only tables, keys of the root row and counts.
type Operation struct {
	ID       int64
	Kind     string
	Stamp    *time.Time // the soft-delete stamp a delete gave its rows
	Table    string     // root table
	Key      string     // root row's key, for single-row operations
	Actor    string
	Reason   string
	At       time.Time
	Rows     int64            // rows changed in all tables
	Counts   map[string]int64 // rows changed per table
	Nulled   map[string]int64 `json:",omitempty"` // references cleared by SET NULL, per table.column
	Outcome  string
	TargetOp int64 // restore/undo: the operation it reversed
	UndoneBy int64 // delete: the undo that reversed it

	target time.Time // restore: the stamp it reversed
}

type ctxKey int

const (
	actorKey ctxKey = iota
	reasonKey
)

// WithActor records who acts in every operation run with the context.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// WithReason records why, in every operation run with the context.
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey, reason)
}

func ctxString(ctx context.Context, k ctxKey) string {
	s, _ := ctx.Value(k).(string)
	return s
}

// Hooks are Go callbacks run inside an operation's transaction.
type Hooks struct {
	// Before runs after the operation's rows were changed and before it
	// commits; an error vetoes the whole operation (ErrVetoed wraps it).
	Before func(ctx context.Context, op *Operation) error
	// After runs just before commit; an error also rolls back.
	After func(ctx context.Context, op *Operation) error
}

// Migrate creates softdelete's own tables (the operations log and the
// bookkeeping of SET NULL references and purge leases) if they are
// missing. It runs on first use anyway; call it from your migrations to
// control when DDL happens.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	db.opsOnce.Lock()
	defer db.opsOnce.Unlock()
	if db.opsOK {
		return nil
	}
	ex := db.exec()
	for _, stmt := range db.dialect.OpsTableDDL() {
		if _, err := ex.exec(ctx, stmt); err != nil {
			// Two processes racing to create the same table: try once more.
			if _, err2 := ex.exec(ctx, stmt); err2 != nil {
				return fmt.Errorf("softdelete: creating the operations log: %w", err)
			}
		}
	}
	db.opsOK = true
	return nil
}

// ensureOps creates the operations log on first use, outside any caller
// transaction (MySQL commits a transaction on DDL).
func (db *DB) ensureOps(ctx context.Context) error {
	db.opsOnce.Lock()
	ok := db.opsOK
	db.opsOnce.Unlock()
	if ok {
		return nil
	}
	return db.Migrate(ctx)
}

// recordOp writes op to the log inside the operation's transaction and
// runs the hooks.
func (db *DB) recordOp(ctx context.Context, ex *executor, op *Operation) error {
	op.Actor = ctxString(ctx, actorKey)
	op.Reason = ctxString(ctx, reasonKey)
	op.At = db.timestamp()
	op.Outcome = "done"
	op.Rows = 0
	for _, n := range op.Counts {
		op.Rows += n
	}
	if !op.target.IsZero() {
		var id int64
		err := ex.queryRow(ctx, "SELECT id FROM softdelete_operations WHERE stamp = "+db.ph(1), []any{op.target}, &id)
		if err != nil && err != ErrNotFound {
			return err
		}
		op.TargetOp = id
	}
	db.hooksMu.RLock()
	hooks := db.hooks
	db.hooksMu.RUnlock()
	for _, h := range hooks {
		if h.Before != nil {
			if err := h.Before(ctx, op); err != nil {
				return fmt.Errorf("%w: %w", ErrVetoed, err)
			}
		}
	}
	counts, _ := json.Marshal(op.Counts)
	b := newBuilder(db.dialect, 256)
	b.WriteString("INSERT INTO softdelete_operations (kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome, target_op) VALUES (")
	var stamp any
	if op.Stamp != nil {
		stamp = *op.Stamp
	}
	var target any
	if op.TargetOp != 0 {
		target = op.TargetOp
	}
	for i, v := range []any{op.Kind, stamp, op.Table, op.Key, op.Actor, op.Reason, op.At, op.Rows, string(counts), op.Outcome, target} {
		if i > 0 {
			b.WriteString(", ")
		}
		b.arg(v)
	}
	b.WriteString(")")
	if db.dialect.InsertReturning() {
		b.WriteString(" RETURNING id")
		if err := ex.queryRow(ctx, b.String(), b.args, &op.ID); err != nil {
			return err
		}
	} else {
		res, err := ex.exec(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if op.ID, err = res.LastInsertId(); err != nil {
			return db.translate(err)
		}
	}
	for _, h := range hooks {
		if h.After != nil {
			if err := h.After(ctx, op); err != nil {
				return err
			}
		}
	}
	return nil
}

// ph returns the n-th placeholder of the dialect.
func (db *DB) ph(n int) string {
	b := newBuilder(db.dialect, 4)
	db.dialect.Placeholder(&b.Builder, n)
	return b.String()
}

// AddHooks registers callbacks for every operation of this DB.
func (db *DB) AddHooks(h Hooks) {
	db.hooksMu.Lock()
	db.hooks = append(db.hooks, &h)
	db.hooksMu.Unlock()
}
