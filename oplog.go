package softdelete

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

	target      time.Time // restore: the stamp it reversed
	targetKnown bool      // TargetOp was already looked up
	// rules (delete): the foreign keys whose rule was not the schema's
	// when it ran (WithRelationRule), as recorded in the log; empty in
	// log rows written before rules were recorded.
	rules string
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

// Limits of the actor and reason recorded with each operation, in
// characters (what every supported database stores whole).
const (
	MaxActorLen  = 255
	MaxReasonLen = 4096
)

// checkLogText refuses, before any transaction starts, an actor or reason
// that the log could not store as given: not UTF-8, holding NUL (which
// PostgreSQL text refuses), or longer than MaxActorLen / MaxReasonLen.
func (db *DB) checkLogText(ctx context.Context) error {
	for _, f := range []struct {
		name string
		key  ctxKey
		max  int
	}{{"actor", actorKey, MaxActorLen}, {"reason", reasonKey, MaxReasonLen}} {
		v := ctxString(ctx, f.key)
		switch {
		case v == "":
		case !utf8.ValidString(v):
			return invalidf("the %s is not valid UTF-8", f.name)
		case strings.IndexByte(v, 0) >= 0:
			return invalidf("the %s holds a NUL character", f.name)
		case utf8.RuneCountInString(v) > f.max:
			return invalidf("the %s is %d characters long; at most %d are recorded", f.name, utf8.RuneCountInString(v), f.max)
		}
	}
	return nil
}

// logKey is the text recorded for a root key: as is when the log can hold
// it, else Go-quoted (invalid UTF-8 or NUL, from binary keys).
func logKey(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strconv.Quote(s)
}

// Hooks are Go callbacks run inside an operation's transaction. They see
// the operation and can read its affected keys in batches (never one call
// per row). When an operation in its own transaction is refused with
// ErrBusy and retried (WithRetry), the hooks run again in the new attempt's
// transaction; what they wrote in the failed attempt was rolled back.
type Hooks struct {
	// Before can veto: an error rolls the whole operation back and comes
	// back wrapped in ErrVetoed. For a delete it runs after the rows were
	// stamped (Keys lists exactly the rows hidden); for a restore once the
	// rows coming back are chosen and locked, before they come back (Keys
	// lists exactly them, for After too); for a hard delete or purge batch
	// before any row changes (Keys lists the rows about to go).
	Before func(ctx context.Context, ev *Event) error
	// After runs after the change and its log row, just before commit; an
	// error also rolls back.
	After func(ctx context.Context, ev *Event) error
}

// Event is what a hook receives.
type Event struct {
	Op *Operation
	// Tx is the operation's transaction, for hooks that write in it.
	Tx *sql.Tx
	// DryRun is set when the operation is a plan (PlanDelete, PlanRestore) that will be
	// rolled back: only Before hooks run, Op.ID is 0 (nothing is logged),
	// and a veto makes the plan fail with ErrVetoed. After hooks never
	// see a dry run.
	DryRun bool
	keys   func(ctx context.Context, table string, batch int, fn func(keys [][]any) error) error
	done   bool // Before already ran
}

// Keys calls fn with the primary keys of the operation's rows in table,
// batch keys at a time, in key order, read inside the transaction.
func (ev *Event) Keys(ctx context.Context, table string, batch int, fn func(keys [][]any) error) error {
	if ev.keys == nil {
		return invalidf("no keys for a %s operation", ev.Op.Kind)
	}
	if batch <= 0 {
		batch = 1000
	}
	return ev.keys(ctx, table, batch, fn)
}

// streamKeys reads the primary keys of t's rows selected by sel and hands
// them to fn in batches.
func (db *DB) streamKeys(ctx context.Context, ex *executor, t *table, sel pred, batch int, fn func([][]any) error) error {
	if len(t.PK) == 0 {
		return invalidf("table %s has no primary key", t.Name)
	}
	b := newBuilder(db.dialect, 256)
	b.WriteString("SELECT ")
	b.identList("", t.PK)
	b.WriteString(" FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	sel(b, "")
	b.WriteString(" ORDER BY ")
	b.identList("", t.PK)
	rows, err := ex.query(ctx, b.String(), b.args...)
	if err != nil {
		return err
	}
	// Read the whole result before calling fn: a hook may run statements
	// in the same transaction, which a connection cannot do mid-result.
	var all [][]any
	for rows.Next() {
		key, err := scanKey(rows, len(t.PK))
		if err != nil {
			rows.Close()
			return db.translate(err)
		}
		all = append(all, key)
	}
	if err := closeRows(rows); err != nil {
		return db.translate(err)
	}
	for len(all) > 0 {
		n := min(batch, len(all))
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// stampKeys lists, per table, the rows carrying stamp.
func (db *DB) stampKeys(ex *executor, s *schema, st stamp) func(context.Context, string, int, func([][]any) error) error {
	return func(ctx context.Context, table string, batch int, fn func([][]any) error) error {
		t, err := s.lookup(table)
		if err != nil {
			return err
		}
		if !t.soft() {
			return &SchemaError{Table: table, Msg: "not a soft-deletable table"}
		}
		return db.streamKeys(ctx, ex, t, func(b *sqlBuilder, alias string) {
			db.stampEq(b, alias, t, st)
		}, batch, fn)
	}
}

func (db *DB) hookList() []*Hooks {
	db.hooksMu.RLock()
	defer db.hooksMu.RUnlock()
	return db.hooks
}

// runBefore runs the Before hooks once.
func (db *DB) runBefore(ctx context.Context, ev *Event) error {
	if ev.done {
		return nil
	}
	ev.done = true
	for _, h := range db.hookList() {
		if h.Before != nil {
			if err := h.Before(ctx, ev); err != nil {
				return fmt.Errorf("%w: %w", ErrVetoed, err)
			}
		}
	}
	return nil
}

// Migrate creates softdelete's own tables (the operations log and the
// bookkeeping of SET NULL references and purge leases) if they are
// missing, and brings tables made by an older version up to date. It runs
// on first use anyway; call it from your migrations to control when DDL
// happens. On MySQL/MariaDB, where DDL commits the open transaction, call
// it before using softdelete inside your own transactions.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	db.opsOnce.Lock()
	defer db.opsOnce.Unlock()
	if db.opsOK.Load() {
		return nil
	}
	ex := db.exec()
	stmts, err := db.opsPending(ctx, ex)
	if err != nil {
		return fmt.Errorf("softdelete: reading the operations log's tables: %w", err)
	}
	for _, stmt := range stmts {
		if _, err := ex.exec(ctx, stmt); err != nil {
			// Two processes racing to create the same table: try once more.
			if _, err2 := ex.exec(ctx, stmt); err2 != nil {
				if again, cerr := db.opsPending(ctx, ex); cerr == nil && len(again) == 0 {
					break // the other process finished the job
				}
				return fmt.Errorf("softdelete: creating the operations log: %w", err)
			}
		}
	}
	db.opsOK.Store(true)
	return nil
}

// ensureOps is opsFor through the pool.
func (db *DB) ensureOps(ctx context.Context) error {
	return db.opsFor(ctx, db.exec())
}

// opsFor makes sure softdelete's own tables exist and are current before
// an operation runs on ex. Through the pool it is Migrate. Inside a
// caller's transaction nothing reaches for the pool: the tables are checked
// through the transaction and, where DDL is transactional (PostgreSQL,
// SQLite), created or upgraded in it (under a savepoint); MySQL would
// commit the caller's transaction, so there a missing table is an error
// that says to call Migrate first.
func (db *DB) opsFor(ctx context.Context, ex *executor) error {
	if db.opsOK.Load() {
		return nil
	}
	if ex.tx == nil {
		return db.Migrate(ctx)
	}
	stmts, err := db.opsPending(ctx, ex)
	if err != nil {
		return fmt.Errorf("softdelete: reading the operations log's tables: %w", err)
	}
	if len(stmts) == 0 {
		db.opsOK.Store(true)
		return nil
	}
	if dd, ok := db.dialect.(ddlDialect); !ok || !dd.TransactionalDDL() {
		return &SchemaError{Table: "softdelete_operations", Msg: "softdelete's own tables are missing or out of date, and creating them would commit " +
			"your transaction on " + db.dialect.Name() + ": call db.Migrate(ctx) (or run softdelete migrate) before using softdelete inside your own transactions"}
	}
	err = ex.inTx(ctx, func(ex *executor) error {
		for _, stmt := range stmts {
			if _, err := ex.exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Another transaction may have created them meanwhile (PostgreSQL
		// then refuses the second CREATE once the first commits).
		if again, cerr := db.opsPending(ctx, ex); cerr == nil && len(again) == 0 {
			return nil
		}
		return fmt.Errorf("softdelete: creating the operations log in the caller's transaction: %w", err)
	}
	// Created in a transaction that may still roll back: opsOK stays unset
	// and the next operation checks again.
	return nil
}

// opsUpgrade is a column (or an index) that softdelete's tables gained
// (or changed) after their first release, with the DDL that brings an
// older table up to date.
type opsUpgrade struct {
	Table, Column string
	Type          string // the column's type must contain this (lower case); "" if any type will do
	Index         string // an index the table must have (Column unused)
	DDL           string
}

// nulledRowIndex finds the SET NULL bookkeeping of a row (PostgreSQL,
// SQLite), so that removing rows for good clears theirs by key.
const nulledRowIndex = `CREATE INDEX IF NOT EXISTS softdelete_nulled_row ON softdelete_nulled (child_table, row_key)`

// opsPending returns the DDL that would bring softdelete's own tables up
// to date (none: nothing to do), reading the catalog through ex. Missing
// indexes count only for writers (readers do not need them).
func (db *DB) opsPending(ctx context.Context, ex *executor) ([]string, error) {
	return db.opsPendingFor(ctx, ex, true)
}

func (db *DB) opsPendingFor(ctx context.Context, ex *executor, indexes bool) ([]string, error) {
	rows, err := ex.query(ctx, db.dialect.OwnColumnsSQL())
	if err != nil {
		return nil, err
	}
	cols := map[string]map[string]string{} // table -> column -> type
	for rows.Next() {
		var tbl, col, typ string
		if err := rows.Scan(&tbl, &col, &typ); err != nil {
			rows.Close()
			return nil, db.translate(err)
		}
		if cols[tbl] == nil {
			cols[tbl] = map[string]string{}
		}
		cols[tbl][col] = strings.ToLower(typ)
	}
	if err := closeRows(rows); err != nil {
		return nil, db.translate(err)
	}
	var out []string
	own := []string{"softdelete_operations", "softdelete_nulled", "softdelete_purge_lease"}
	if _, ok := db.dialect.(clusterDialect); ok {
		own = append(own, "softdelete_locks")
	}
	for _, t := range own {
		if cols[t] == nil {
			out = append(out, db.dialect.OpsTableDDL()...) // all IF NOT EXISTS
			break
		}
	}
	var idx map[string]bool // table + "." + index
	for _, u := range db.dialect.OpsUpgrades() {
		if cols[u.Table] == nil {
			continue // created current
		}
		if u.Index != "" {
			if !indexes {
				continue
			}
			if idx == nil {
				if idx, err = db.ownIndexes(ctx, ex); err != nil {
					return nil, err
				}
			}
			if !idx[u.Table+"."+u.Index] {
				out = append(out, u.DDL)
			}
			continue
		}
		typ, ok := cols[u.Table][u.Column]
		if !ok || (u.Type != "" && !strings.Contains(typ, u.Type)) {
			out = append(out, u.DDL)
		}
	}
	return out, nil
}

// ownIndexes lists the indexes of softdelete's own tables as
// "table.index".
func (db *DB) ownIndexes(ctx context.Context, ex *executor) (map[string]bool, error) {
	rows, err := ex.query(ctx, db.dialect.OwnIndexesSQL())
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for rows.Next() {
		var tbl, name string
		if err := rows.Scan(&tbl, &name); err != nil {
			rows.Close()
			return nil, db.translate(err)
		}
		out[tbl+"."+name] = true
	}
	return out, db.translate(closeRows(rows))
}

// recordOp writes op to the log inside the operation's transaction and
// runs the hooks.
func (db *DB) recordOp(ctx context.Context, ex *executor, op *Operation, ev *Event) error {
	op.Actor = ctxString(ctx, actorKey)
	op.Reason = ctxString(ctx, reasonKey)
	op.At = db.timestamp()
	op.Outcome = "done"
	op.Rows = 0
	for _, n := range op.Counts {
		op.Rows += n
	}
	if !op.target.IsZero() && !op.targetKnown {
		var id int64
		err := ex.queryRow(ctx, "SELECT id FROM softdelete_operations WHERE stamp = "+db.ph(1), []any{op.target}, &id)
		if err != nil && err != ErrNotFound {
			return err
		}
		op.TargetOp = id
	}
	if ev == nil {
		ev = &Event{}
	}
	ev.Op, ev.Tx = op, ex.tx
	if err := db.runBefore(ctx, ev); err != nil {
		return err
	}
	counts, _ := json.Marshal(op.Counts)
	b := newBuilder(db.dialect, 256)
	b.WriteString("INSERT INTO softdelete_operations (kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome, target_op, rules) VALUES (")
	var stamp any
	if op.Stamp != nil {
		stamp = *op.Stamp
	}
	var target any
	if op.TargetOp != 0 {
		target = op.TargetOp
	}
	var rules any
	if op.rules != "" {
		rules = op.rules
	}
	for i, v := range []any{op.Kind, stamp, op.Table, logKey(op.Key), op.Actor, op.Reason, op.At, op.Rows, string(counts), op.Outcome, target, rules} {
		if i > 0 {
			b.WriteString(", ")
		}
		b.arg(v)
	}
	b.WriteString(")")
	if db.dialect.InsertReturning() {
		b.WriteString(" RETURNING id")
		if err := ex.queryRow(ctx, b.String(), b.args, &op.ID); err != nil {
			return db.stampTaken(op, err)
		}
	} else {
		res, err := ex.exec(ctx, b.String(), b.args...)
		if err != nil {
			return db.stampTaken(op, err)
		}
		if op.ID, err = res.LastInsertId(); err != nil {
			return db.translate(err)
		}
	}
	for _, h := range db.hookList() {
		if h.After != nil {
			if err := h.After(ctx, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// ruleRec is one foreign key whose soft-delete rule was not the schema's
// when a delete ran (WithRelationRule). A delete records them in its log
// row, so that whoever restores or undoes it, from any process and with
// any options, follows the rules the delete followed.
type ruleRec struct {
	Child  string `json:"child"`
	FK     string `json:"fk"`
	Parent string `json:"parent"`
	Rule   string `json:"rule"`
}

// ruleRecord is what a delete walking s records of its rules ("[]" when
// every foreign key followed the schema's own rule).
func ruleRecord(s *schema) string {
	recs := []ruleRec{}
	for _, fk := range s.fks {
		if fk.Rule != fk.Schema {
			recs = append(recs, ruleRec{Child: fk.Child, FK: fk.Name, Parent: fk.Parent, Rule: fk.Rule.String()})
		}
	}
	b, _ := json.Marshal(recs)
	return string(b)
}

func ruleByName(name string) (Rule, bool) {
	for r := RuleFromSchema; r <= Ignore; r++ {
		if r.String() == name {
			return r, true
		}
	}
	return 0, false
}

// replaySchema returns s with the rules a delete recorded: a recorded
// foreign key takes the recorded rule, every other one the schema's own
// (whatever this DB's WithRelationRule says). An empty record (log rows
// from before rules were recorded) leaves s as it is. s itself is never
// changed; a copy is made only when some rule differs.
func replaySchema(s *schema, recorded string) (*schema, error) {
	if recorded == "" {
		return s, nil
	}
	var recs []ruleRec
	if err := json.Unmarshal([]byte(recorded), &recs); err != nil {
		return nil, fmt.Errorf("softdelete: the operation's recorded relation rules are unreadable: %w", err)
	}
	type edge struct{ child, fk, parent string }
	want := map[edge]Rule{}
	for _, r := range recs {
		rule, ok := ruleByName(r.Rule)
		if !ok {
			return nil, fmt.Errorf("softdelete: the operation recorded an unknown relation rule %q", r.Rule)
		}
		want[edge{r.Child, r.FK, r.Parent}] = rule
	}
	ruleOf := func(fk *foreignKey) Rule {
		if r, ok := want[edge{fk.Child, fk.Name, fk.Parent}]; ok {
			return r
		}
		return fk.Schema
	}
	same := true
	for _, fk := range s.fks {
		if ruleOf(fk) != fk.Rule {
			same = false
			break
		}
	}
	if same {
		return s, nil
	}
	ns := *s
	ns.fks = make([]*foreignKey, len(s.fks))
	moved := make(map[*foreignKey]*foreignKey, len(s.fks))
	for i, fk := range s.fks {
		c := *fk
		c.Rule = ruleOf(fk)
		ns.fks[i], moved[fk] = &c, &c
	}
	remap := func(in []*foreignKey) []*foreignKey {
		out := make([]*foreignKey, len(in))
		for i, fk := range in {
			if c, ok := moved[fk]; ok {
				out[i] = c
			} else {
				out[i] = fk
			}
		}
		return out
	}
	ns.tables = make(map[string]*table, len(s.tables))
	for name, t := range s.tables {
		c := *t
		c.In, c.Out = remap(t.In), remap(t.Out)
		ns.tables[name] = &c
	}
	return &ns, nil
}

// opSchema returns the schema (and t in it) that restoring the rows of
// the delete with the given stamp walks: the rules that delete recorded.
func (db *DB) opSchema(ctx context.Context, ex *executor, s *schema, t *table, stamp time.Time) (*schema, *table, error) {
	var rules sql.NullString
	err := ex.queryRow(ctx, "SELECT rules FROM softdelete_operations WHERE stamp = "+db.ph(1), []any{stamp}, &rules)
	if err != nil && err != ErrNotFound {
		return nil, nil, err
	}
	return replayFor(s, t, rules.String)
}

// replayFor is replaySchema that also returns t's counterpart.
func replayFor(s *schema, t *table, recorded string) (*schema, *table, error) {
	ns, err := replaySchema(s, recorded)
	if err != nil {
		return nil, nil, err
	}
	if ns != s {
		t = ns.tables[t.Name]
	}
	return ns, t, nil
}

// ph returns the n-th placeholder of the dialect.
func (db *DB) ph(n int) string {
	b := newBuilder(db.dialect, 4)
	db.dialect.Placeholder(&b.Builder, n)
	return b.String()
}

// AddHooks registers callbacks for every operation of this DB.
func (db *DB) AddHooks(h Hooks) {
	if db == nil {
		return
	}
	db.hooksMu.Lock()
	db.hooks = append(db.hooks, &h)
	db.hooksMu.Unlock()
}

// stampTaken turns a unique violation of the log's stamp index into
// ErrBusy: another instance (its own DB handle, its own clock) gave an
// operation the same stamp first. The operation is retried with a new stamp
// (inTx; inside the caller's transaction the caller retries), and this
// handle's stamp clock jumps past the taken one by a random step so that
// instances whose clocks agree stop picking the same values.
func (db *DB) stampTaken(op *Operation, err error) error {
	if op.Stamp == nil || !errors.Is(err, ErrConflict) {
		return err
	}
	taken := op.Stamp.UnixMicro()
	for {
		last := db.lastStamp.Load()
		next := max(last, taken) + 1 + rand.Int64N(64)
		if db.lastStamp.CompareAndSwap(last, next) {
			break
		}
	}
	return &BusyError{Attempts: 1, Err: fmt.Errorf("softdelete: operation stamp %s was taken by another instance: %w", op.Stamp.Format(time.RFC3339Nano), err)}
}
