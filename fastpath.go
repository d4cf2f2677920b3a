package softdelete

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Fast path for the everyday single-row operations (issue 11).
//
// A soft delete or a restore of one row that nothing references needs none
// of the walk's machinery: no cascade, no SET NULL bookkeeping, no RESTRICT
// check, no parent to lock (restore: the table has no soft-deletable
// parent), no alive-only unique key to check (restore) and no hook to run
// in between. What is left is the row's UPDATE and the log row, and that is
// all the fast path sends:
//
//   - PostgreSQL: one statement, a writable CTE that updates the row, writes
//     the log row from what the UPDATE returned and returns the log row's
//     id. When the context can never end (ctx.Done() == nil) it runs on its
//     own, as its own transaction: one round trip. A context that can end
//     could cut the statement after the server committed it, an error for a
//     change that happened; so with such a context the same statement runs
//     inside BEGIN/COMMIT, where the deadline never cuts COMMIT (inTx).
//   - MariaDB (10.5+): one statement too, a compound statement (BEGIN NOT
//     ATOMIC ... END) holding the row's UPDATE and the log INSERT; with a
//     context that can never end it is its own transaction (START
//     TRANSACTION ... COMMIT inside, an exit handler rolling back and
//     re-raising the error): one round trip against GORM's three (BEGIN,
//     UPDATE, COMMIT). With a context that can end it runs between BEGIN
//     and COMMIT, as PostgreSQL's does. The restore's UPDATE looks up the
//     operation by the stamp it replaces and keeps its id in a session
//     variable for the log INSERT. Session variables (@softdelete_*), not
//     local ones: a declared variable would shadow a table's column of the
//     same name.
//   - SQLite, MySQL: the two statements hand-written code sends, in one
//     transaction, with no separate SELECT for the stamp a restore reverses:
//     on SQLite the restore writes the log row from the row (INSERT ...
//     SELECT, reading the stamp and its operation), then updates the row.
//     MySQL deletes send the UPDATE and the INSERT; MySQL restores take the
//     full path (no INSERT ... RETURNING, no compound statements).
//
// The path is chosen from the schema (fastDeleteOK, fastRestoreOK) and from
// the call: not inside the caller's transaction, not a plan, no hooks
// registered, and never in cluster mode (cluster.go: on Galera both sides
// of a parent/child race write lock rows, which only the full path does).
// A row the fast path does not find (missing, already deleted, restored
// meanwhile) goes to the full path, which tells why.
//
// All statements go through the executor: statement hooks, counting and
// fault injection see them as they see the full path's.

// fastTable is what the fast path keeps per table of one schema.
type fastTable struct {
	deleteOK, restoreOK bool
	counts              string // the log's counts: {"<table>":1}
	rules               string // the log's rules of a delete (ruleRecord)
}

// fastInfo returns (and caches) the fast-path facts of t in s. The cache
// is keyed by the table's pointer: a schema read again has new tables.
func (db *DB) fastInfo(s *schema, t *table) *fastTable {
	if v, ok := db.fast.Load(t); ok {
		return v.(*fastTable)
	}
	ft := &fastTable{}
	counts, _ := json.Marshal(map[string]int64{t.Name: 1})
	ft.counts = string(counts)
	ft.rules = ruleRecord(s)
	ft.deleteOK = t.soft() && len(t.PK) > 0 && t.parent == "" && len(t.In) == 0 && db.stampCheck(s, t, OpDelete) == nil
	ft.restoreOK = ft.deleteOK && db.stampCheck(s, t, OpRestore) == nil
	for _, fk := range t.Out {
		if p := s.tables[fk.Parent]; p == nil || p.soft() {
			ft.restoreOK = false // a parent that may be hidden: the full path locks and checks it
		}
	}
	for _, u := range t.uniques() {
		if u.AliveOnly {
			ft.restoreOK = false // a key a restore may collide on: the full path checks it
		}
	}
	db.fast.Store(t, ft)
	return ft
}

// fastCall reports whether the call itself allows the fast path: our own
// transaction, no hooks, cluster mode known to be off.
func (db *DB) fastCall(ex *executor) bool {
	if ex.tx != nil || len(db.hookList()) > 0 {
		return false
	}
	if c := db.cluster.Load(); c == clusterYes {
		return false // cluster mode: the full path writes the lock rows
	} else if _, ok := db.dialect.(clusterDialect); ok && c != clusterNo {
		return false // not known yet
	}
	return true
}

// fastKeys returns the key values of a single-row operation (nil when the
// operation is not one).
func fastKeys(t *table, o opOptions) []any {
	if o.keys != nil && len(o.keys) == len(t.PK) {
		return o.keys
	}
	return nil
}

// logInsert writes "INSERT INTO softdelete_operations (...) SELECT <op's
// values>, <target>, <rules>" for op (VALUES (...) with values); target
// writes the target_op expression (nil: NULL).
func (db *DB) logInsert(b *sqlBuilder, op *Operation, counts string, values bool, target func(b *sqlBuilder)) {
	b.WriteString("INSERT INTO softdelete_operations (kind, stamp, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome, target_op, rules) ")
	if values {
		b.WriteString("VALUES (")
	} else {
		b.WriteString("SELECT ")
	}
	var stamp any
	if op.Stamp != nil {
		stamp = *op.Stamp
	}
	for _, v := range []any{op.Kind, stamp, op.Table, logKey(op.Key), op.Actor, op.Reason, op.At, op.Rows, counts, op.Outcome} {
		if v == nil {
			b.WriteString("NULL, ")
			continue
		}
		b.arg(v)
		b.WriteString(", ")
	}
	if target != nil {
		target(b)
	} else {
		b.WriteString("NULL")
	}
	b.WriteString(", ")
	if op.rules != "" {
		b.arg(op.rules)
	} else {
		b.WriteString("NULL")
	}
	if values {
		b.WriteString(")")
	}
}

// newFastOp fills what recordOp fills before it writes a log row.
func (db *DB) newFastOp(ctx context.Context, kind string, t *table, key []any) *Operation {
	return &Operation{Kind: kind, Table: t.Name, Key: keyText(keyValue(key)), Counts: map[string]int64{t.Name: 1},
		Actor: ctxString(ctx, actorKey), Reason: ctxString(ctx, reasonKey), At: db.timestamp(), Rows: 1, Outcome: "done"}
}

// fastDelete soft-deletes the alive row of t with key and logs it. A row
// not alive comes back as an operation with no counts, as from deleteRows.
func (db *DB) fastDelete(ctx context.Context, ex *executor, s *schema, t *table, key []any) (*Operation, error) {
	if err := db.checkLogText(ctx); err != nil {
		return nil, err // refused before any statement (mariaDB may ask the server)
	}
	ft := db.fastInfo(s, t)
	block := db.dialect.SessionVariables() && db.mariaDB(ctx, ex)
	var done *Operation
	once := func(ex *executor) error {
		done = nil
		st := db.opStamp()
		op := db.newFastOp(ctx, OpDelete, t, key)
		op.Stamp = &st
		op.rules = ft.rules
		kp := tableKeyPred(t, key)
		b := newBuilder(db.dialect, 512)
		if db.dialect.WritableCTE() {
			b.WriteString("WITH u AS (UPDATE ")
		} else {
			b.WriteString("UPDATE ")
		}
		b.ident(t.Name)
		b.WriteString(" SET ")
		b.ident(t.SoftCol)
		b.WriteString(" = ")
		db.stampArg(b, t, ourStamp(st))
		b.WriteString(" WHERE ")
		b.ident(t.SoftCol)
		b.WriteString(" IS NULL AND ")
		kp(b, "")
		if db.dialect.WritableCTE() {
			b.WriteString(" RETURNING 1) ")
			db.logInsert(b, op, ft.counts, false, nil)
			b.WriteString(" FROM u RETURNING id")
			err := ex.queryRow(ctx, b.String(), b.args, &op.ID)
			if err == ErrNotFound {
				return nil // not alive
			}
			if err != nil {
				return db.stampTaken(op, err)
			}
			done = op
			return nil
		}
		if block {
			upd := b
			b = newBuilder(db.dialect, 768)
			b.args = upd.args
			found, err := db.mariaBlock(ctx, ex, b, upd.String(), func(b *sqlBuilder) {
				db.logInsert(b, op, ft.counts, true, nil)
			}, &op.ID)
			if err != nil || !found {
				return db.stampTaken(op, err)
			}
			done = op
			return nil
		}
		n, err := ex.execN(ctx, b.String(), b.args...)
		if err != nil || n == 0 {
			return err
		}
		b = newBuilder(db.dialect, 256)
		db.logInsert(b, op, ft.counts, true, nil)
		if err := db.fastLogRow(ctx, ex, b, op, nil); err != nil {
			return err
		}
		done = op
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := db.fastRun(ctx, ex, db.dialect.WritableCTE() || block, once)
		var ce *ConflictError
		if errors.As(err, &ce) && attempt < 3 {
			continue // another process used the same stamp: take a new one (as deleteRows)
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if done == nil {
		return &Operation{Kind: OpDelete, Table: t.Name, Key: keyText(keyValue(key)), Counts: map[string]int64{}}, nil
	}
	db.fastOps.Add(1)
	return done, nil
}

// fastLogRow runs the log INSERT b and reads the new row's id (and, with
// target non-nil, the target_op it recorded).
func (db *DB) fastLogRow(ctx context.Context, ex *executor, b *sqlBuilder, op *Operation, target *sql.NullInt64) error {
	if db.dialect.InsertReturning() || target != nil {
		dest := []any{&op.ID}
		b.WriteString(" RETURNING id")
		if target != nil {
			b.WriteString(", target_op")
			dest = append(dest, target)
		}
		return db.stampTaken(op, ex.queryRow(ctx, b.String(), b.args, dest...))
	}
	res, err := ex.exec(ctx, b.String(), b.args...)
	if err != nil {
		return db.stampTaken(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return db.translate(err)
	}
	if n == 0 {
		return ErrNotFound
	}
	if op.ID, err = res.LastInsertId(); err != nil {
		return db.translate(err)
	}
	return nil
}

// fastRestore restores the soft-deleted row of t with key and logs it.
// ok is false when the row was not found soft-deleted: the full path then
// runs (and says why).
func (db *DB) fastRestore(ctx context.Context, ex *executor, s *schema, t *table, key []any) (op *Operation, ok bool, err error) {
	if err := db.checkLogText(ctx); err != nil {
		return nil, false, err // refused before any statement (mariaDB may ask the server)
	}
	if db.dialect.SessionVariables() && !db.mariaDB(ctx, ex) {
		return nil, false, nil // MySQL: no compound statement; the full path
	}
	ft := db.fastInfo(s, t)
	once := func(ex *executor) error {
		op = db.newFastOp(ctx, OpRestore, t, key)
		kp := tableKeyPred(t, key)
		var target sql.NullInt64
		targetOf := func(alias string) func(b *sqlBuilder) {
			return func(b *sqlBuilder) { b.WriteString(db.hidingOp(alias, t, "id")) }
		}
		b := newBuilder(db.dialect, 640)
		if db.dialect.WritableCTE() {
			// The row's stamp as this statement's snapshot saw it; the
			// UPDATE takes the row only if its latest version still has
			// that stamp (PostgreSQL re-checks after waiting for a lock), so
			// the operation it reverses committed before the snapshot and
			// the subquery finds it. Anything else takes the full path.
			self := db.dialect.Quote(t.Name)
			b.WriteString("WITH u AS (UPDATE ")
			b.ident(t.Name)
			b.WriteString(" SET ")
			b.ident(t.SoftCol)
			b.WriteString(" = NULL FROM (SELECT ")
			b.ident(t.SoftCol)
			b.WriteString(" FROM ")
			b.ident(t.Name)
			b.WriteString(" WHERE ")
			kp(b, "")
			b.WriteString(") r0 WHERE ")
			kp(b, self)
			b.WriteString(" AND ")
			b.qualified(self, t.SoftCol)
			b.WriteString(" = ")
			b.qualified("r0", t.SoftCol)
			b.WriteString(" RETURNING r0.")
			b.ident(t.SoftCol)
			b.WriteString(") ")
			db.logInsert(b, op, ft.counts, false, targetOf("u"))
			b.WriteString(" FROM u RETURNING id, target_op")
			err := ex.queryRow(ctx, b.String(), b.args, &op.ID, &target)
			if err == ErrNotFound {
				op = nil
				return nil
			}
			if err != nil {
				return err
			}
			op.TargetOp = target.Int64
			return nil
		}
		if db.dialect.SessionVariables() {
			// MariaDB: the row's UPDATE, as its WHERE reads the locked row,
			// looks up the operation that hid it (by the stamp it replaces)
			// and keeps its id in a session variable; the log INSERT ...
			// VALUES takes it from there, in the same compound statement.
			// (The lookup inside the INSERT, a subquery on the table being
			// inserted into, measured 1.5x the hand-written pair, against
			// 1.16x without it.) A row not soft-deleted fails the WHERE
			// before the lookup: nothing changes, no log row is written.
			self := db.dialect.Quote(t.Name)
			b.WriteString("UPDATE ")
			b.ident(t.Name)
			b.WriteString(" SET ")
			b.ident(t.SoftCol)
			b.WriteString(" = NULL WHERE ")
			kp(b, "")
			b.WriteString(" AND ")
			b.ident(t.SoftCol)
			b.WriteString(" IS NOT NULL AND COALESCE(@softdelete_target := " + db.hidingOp(self, t, "id") + ", 0) >= 0")
			upd := b
			b = newBuilder(db.dialect, 1024)
			b.args = upd.args
			found, err := db.mariaBlock(ctx, ex, b, upd.String(), func(b *sqlBuilder) {
				db.logInsert(b, op, ft.counts, true, func(b *sqlBuilder) { b.WriteString("@softdelete_target") })
			}, &op.ID, &target)
			if err != nil {
				return err
			}
			if !found {
				op = nil // not soft-deleted (or missing): the full path says which
				return nil
			}
			op.TargetOp = target.Int64
			return nil
		}
		// SQLite: the log row first, from the row as it is now (its stamp
		// names the operation reversed), then the row.
		db.logInsert(b, op, ft.counts, false, targetOf("r0"))
		b.WriteString(" FROM ")
		b.ident(t.Name)
		b.WriteString(" r0 WHERE ")
		kp(b, "r0")
		b.WriteString(" AND ")
		b.qualified("r0", t.SoftCol)
		b.WriteString(" IS NOT NULL")
		b.WriteString(db.dialect.RowLock(true, "r0"))
		if err := db.fastLogRow(ctx, ex, b, op, &target); err != nil {
			if err == ErrNotFound {
				op = nil
				return nil
			}
			return err
		}
		op.TargetOp = target.Int64
		b = newBuilder(db.dialect, 128)
		b.WriteString("UPDATE ")
		b.ident(t.Name)
		b.WriteString(" SET ")
		b.ident(t.SoftCol)
		b.WriteString(" = NULL WHERE ")
		kp(b, "")
		b.WriteString(" AND ")
		b.ident(t.SoftCol)
		b.WriteString(" IS NOT NULL")
		n, err := ex.execN(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("softdelete: internal error: restoring %s %s changed %d rows after its log row was written", t.Name, op.Key, n)
		}
		return nil
	}
	if err := db.fastRun(ctx, ex, db.dialect.WritableCTE() || db.dialect.SessionVariables(), once); err != nil {
		return nil, false, err
	}
	if op != nil {
		db.fastOps.Add(1)
	}
	return op, op != nil, nil
}

// fastRun runs once. single says that once sends one statement (the
// writable CTE, MariaDB's compound statement): with a context that can
// never end it runs on its own, as its own transaction (retried like inTx
// on ErrBusy): one round trip. Otherwise, and with a context that can end
// (which could cut the statement after the server committed it: an error
// for a change that happened), once runs in a transaction, where the
// deadline never cuts COMMIT (inTx); restores at the default level (only
// the row's own locking statements read: no SET TRANSACTION round trip).
func (db *DB) fastRun(ctx context.Context, ex *executor, single bool, once func(ex *executor) error) error {
	if single && ctx.Done() == nil {
		if err := db.checkLogText(ctx); err != nil {
			return err
		}
		err := ex.retrying(ctx, func() error { return once(ex) })
		if errors.Is(err, ErrConnLost) {
			return fmt.Errorf("%w (the statement was its own transaction: whether the change was committed is unknown)", err)
		}
		return err
	}
	return ex.inTx(ctx, once)
}

// mariaBlock runs MariaDB's one-statement form of a fast operation: a
// compound statement that runs update (a single row's UPDATE, whose
// arguments b already holds) and, when it changed the row, the log INSERT
// that logRow writes, then returns the log row's id (and what the restore
// kept in @softdelete_target, if dest has a second place). Outside a
// transaction (ex.tx == nil) the statement is its own: START TRANSACTION
// ... COMMIT, and an exit handler that rolls back and re-raises the error
// (the driver sees the original error number). found is false when the
// UPDATE matched no row (nothing was written).
func (db *DB) mariaBlock(ctx context.Context, ex *executor, b *sqlBuilder, update string, logRow func(b *sqlBuilder), dest ...any) (found bool, err error) {
	own := ex.tx == nil
	b.WriteString("BEGIN NOT ATOMIC ")
	if own {
		b.WriteString("DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; ")
	}
	b.WriteString("SET @softdelete_n = 0, @softdelete_id = 0; ")
	if own {
		b.WriteString("START TRANSACTION; ")
	}
	b.WriteString(update)
	b.WriteString("; SET @softdelete_n = ROW_COUNT(); IF @softdelete_n = 1 THEN ")
	logRow(b)
	b.WriteString("; SET @softdelete_id = LAST_INSERT_ID(); END IF; ")
	if own {
		b.WriteString("COMMIT; ")
	}
	b.WriteString("SELECT @softdelete_n, @softdelete_id")
	if len(dest) > 1 {
		b.WriteString(", @softdelete_target")
	}
	b.WriteString("; END")
	var n int64
	if err := ex.queryRow(ctx, b.String(), b.args, append([]any{&n}, dest...)...); err != nil {
		return false, err
	}
	switch n {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("softdelete: internal error: a single-row %s changed %d rows", update[:6], n)
}

// mariaDB reports whether the server is a MariaDB of 10.5 or later (INSERT
// ... RETURNING, compound statements) that runs a compound statement on
// this pool (an sql_mode such as ORACLE changes their syntax), asked once.
// MySQL is not: no compound statement outside stored programs.
func (db *DB) mariaDB(ctx context.Context, ex *executor) bool {
	if !db.dialect.ReturningByVersion() {
		return false
	}
	switch db.maria.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	var v string
	if err := ex.queryRow(ctx, "SELECT VERSION()", nil, &v); err != nil {
		return false // asked again next time
	}
	ok := mariaDBVersion(v)
	if ok {
		var one int64
		if err := ex.queryRow(ctx, "BEGIN NOT ATOMIC SELECT 1; END", nil, &one); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrConnLost) || errors.Is(err, ErrBusy) || errors.Is(err, ErrClosed) {
				return false // not the server's answer: asked again next time
			}
			ok = false
		}
	}
	if ok {
		db.maria.Store(1)
	} else {
		db.maria.Store(2)
	}
	return ok
}

// mariaDBVersion reports whether VERSION() names a MariaDB of 10.5 or
// later.
func mariaDBVersion(v string) bool {
	if !strings.Contains(strings.ToLower(v), "mariadb") {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 10 || (major == 10 && minor >= 5)
}
