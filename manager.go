package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Manager gives typed access to one soft-deletable table. Its default scope
// hides soft-deleted rows; AllWithDeleted and OnlyDeleted widen or invert
// it. A Manager is safe for concurrent use; WithTx returns a copy bound to
// a transaction.
type Manager[T any] struct {
	*binding
	ex  *executor
	err error // WithTx(nil): every call fails with it
}

// binding is the per-(type, table) part of a Manager, computed once.
type binding struct {
	db    *DB
	meta  *meta
	tbl   *table
	name  string
	qname string // quoted table name
	cols  map[string]string
	pk    *field   // nil for tables with a composite key (typed access needs one column)
	del   *field   // nil if the struct has no field for the soft-delete column
	crt   *field   // created_at, if mapped
	upd   *field   // updated_at, if mapped
	soft  string   // quoted soft-delete column
	sel   string   // SELECT <cols> FROM <table>
	fs    []*field // mapped fields in select order
	pkGen keyGen   // how the database generates the key when Create gets a zero one
	exprs exprCache
	hint  atomic.Int32 // length of the last result, to size the next one
}

// ManagerOption configures NewManager.
type ManagerOption func(*managerConfig)

type managerConfig struct {
	pk string
}

// PrimaryKey names the primary key column when neither a `db:",pk"` tag nor
// the table's own primary key tells it.
func PrimaryKey(col string) ManagerOption { return func(c *managerConfig) { c.pk = col } }

// NewManager validates T against table once and returns a Manager for it.
// Every field of T must map to a column of the table (by `db:"..."` tag,
// else the snake_case of the field name) whose type the field can hold;
// the key field must map to the table's primary key (or a single-column
// unique NOT NULL key); the table needs a nullable timestamp soft-delete
// column (deleted_at by default, or the column a `db:"col,deleted"` tag
// names). Everything is checked before anything shared is touched: a
// refused call leaves the DB (its per-table soft-delete columns, its
// schema, the database) exactly as it was.
func NewManager[T any](db *DB, table string, opts ...ManagerOption) (*Manager[T], error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	var cfg managerConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	typ := reflect.TypeFor[T]()
	m, err := metaFor(typ)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	t, err := db.tableInfo(ctx, table)
	if err != nil {
		if se, ok := err.(*SchemaError); ok {
			se.Type = typ.String()
		}
		return nil, err
	}
	table = t.Name // as the database names it (the name given may differ in case)
	b := &binding{db: db, meta: m, tbl: t, name: table, qname: db.dialect.Quote(table), cols: map[string]string{}}
	for _, c := range t.Columns {
		b.cols[c.Name] = db.dialect.Quote(c.Name)
	}
	for i := range m.fields {
		f := &m.fields[i]
		if _, ok := t.column(f.Column); !ok {
			return nil, &SchemaError{Type: typ.String(), Field: f.Name, Table: table, Column: f.Column,
				Msg: "no such column (tag the field `db:\"name\"` or `db:\"-\"` to skip it)"}
		}
		b.fs = append(b.fs, f)
	}
	// Primary key: tag, option, table, then "id".
	for _, f := range b.fs {
		if f.pkTag {
			b.pk = f
		}
	}
	if b.pk == nil {
		name := cfg.pk
		if name == "" && len(t.PK) == 1 {
			name = t.PK[0]
		}
		if name == "" {
			name = "id"
		}
		if i, ok := m.byCol[name]; ok {
			b.pk = &m.fields[i]
		}
	}
	if b.pk == nil {
		return nil, &SchemaError{Type: typ.String(), Table: table,
			Msg: "no primary key field: embed softdelete.Model, add an ID field, or tag one `db:\"col,pk\"`"}
	}
	if !t.singleKey(b.pk.Column) {
		msg := "is not the table's primary key nor a single-column unique NOT NULL key: a key must select one row (add a PRIMARY KEY)"
		if len(t.PK) == 0 {
			msg = "the table has no primary key; a key must select one row (add a PRIMARY KEY)"
		}
		return nil, &SchemaError{Type: typ.String(), Field: b.pk.Name, Table: table, Column: b.pk.Column, Msg: msg}
	}
	// Soft-delete column: tag, else the table's current one (set by
	// WithTableDeletedColumn or another Manager's tag), else the DB's name.
	softCol, tagged := db.softCol, false
	if t.SoftCol != "" {
		softCol = t.SoftCol
	}
	for _, f := range b.fs {
		if f.delTag {
			softCol, tagged = f.Column, true
		}
	}
	c, ok := t.column(softCol)
	if !ok || c.NotNull {
		return nil, &SchemaError{Type: typ.String(), Table: table, Column: softCol,
			Msg: "table has no nullable soft-delete column; add it (softdelete adopt prints the DDL)"}
	}
	if !db.dialect.SoftColumnType(c.Type) {
		return nil, &SchemaError{Type: typ.String(), Table: table, Column: softCol,
			Msg: fmt.Sprintf("soft-delete column has type %s; it must be a nullable timestamp (%s)", c.Type, db.dialect.TimestampType())}
	}
	if tagged && t.SoftCol != softCol {
		if prev, ok := db.softColumns()[table]; ok && prev != softCol {
			return nil, &SchemaError{Type: typ.String(), Table: table, Column: softCol,
				Msg: fmt.Sprintf("the table's soft-delete column is already %s (WithTableDeletedColumn or another Manager's tag); one table has one", prev)}
		}
	}
	if i, ok := m.byCol[softCol]; ok {
		b.del = &m.fields[i]
		if b.del.kind != kTimePtr {
			return nil, &SchemaError{Type: typ.String(), Field: b.del.Name, Table: table, Column: softCol, Msg: "soft-delete field must be *time.Time"}
		}
	}
	for _, f := range b.fs {
		c, _ := t.column(f.Column)
		if err := f.fits(db.dialect, c.Type); err != nil {
			return nil, &SchemaError{Type: typ.String(), Field: f.Name, Table: table, Column: f.Column, Msg: err.Error()}
		}
	}
	b.pkGen = keyGeneration(db.dialect, t, b.pk.Column)
	// Everything is valid: only now touch what is shared. Create the
	// operations log outside any transaction of the caller's (SQLite would
	// wait on the caller's write lock, MySQL would commit the caller's
	// transaction); a failure is reported again by the first operation
	// that needs the log.
	_ = db.ensureOps(ctx)
	if t.SoftCol != softCol {
		if err := db.setSoftColumn(ctx, table, softCol); err != nil {
			return nil, err
		}
		if t, err = db.tableInfo(ctx, table); err != nil {
			return nil, err
		}
		b.tbl = t
	}
	b.soft = db.dialect.Quote(softCol)
	if i, ok := m.byCol["created_at"]; ok && (m.fields[i].kind == kTime || m.fields[i].kind == kTimePtr) {
		b.crt = &m.fields[i]
	}
	if i, ok := m.byCol["updated_at"]; ok && (m.fields[i].kind == kTime || m.fields[i].kind == kTimePtr) {
		b.upd = &m.fields[i]
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, f := range b.fs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(b.cols[f.Column])
	}
	sb.WriteString(" FROM ")
	sb.WriteString(b.qname)
	b.sel = sb.String()
	return &Manager[T]{binding: b, ex: db.exec()}, nil
}

// WithTx returns a Manager that runs every call inside tx. Operations that
// need several statements (cascades) then run in the caller's transaction
// and commit or roll back with it.
// A nil tx gives a Manager whose every call fails with ErrInvalid.
func (m *Manager[T]) WithTx(tx *sql.Tx) *Manager[T] {
	if m == nil || m.binding == nil {
		return m
	}
	if tx == nil {
		return &Manager[T]{binding: m.binding, ex: m.ex, err: invalidf("nil *sql.Tx (WithTx)")}
	}
	return &Manager[T]{binding: m.binding, ex: m.db.txExec(tx)}
}

// Table returns the table name ("" for a nil Manager).
func (m *Manager[T]) Table() string {
	if m == nil || m.binding == nil {
		return ""
	}
	return m.name
}

// DB returns the DB the manager belongs to (nil for a nil Manager).
func (m *Manager[T]) DB() *DB {
	if m == nil || m.binding == nil {
		return nil
	}
	return m.db
}

func (m *Manager[T]) query() *Query[T] {
	q := &Query[T]{m: m, limit: -1, offset: -1}
	if err := m.check(); err != nil {
		q.err = err
	}
	return q
}

var errNilManager = invalidf("nil *Manager (use NewManager)")

// check refuses a nil or zero Manager and a closed DB.
func (m *Manager[T]) check() error {
	if m == nil || m.binding == nil {
		return errNilManager
	}
	if m.err != nil {
		return m.err
	}
	return m.db.checkOpen()
}

// AllWithDeleted returns a query over every row, deleted or not.
func (m *Manager[T]) AllWithDeleted() *Query[T] { q := m.query(); q.scope = scopeAll; return q }

// OnlyDeleted returns a query over soft-deleted rows only.
func (m *Manager[T]) OnlyDeleted() *Query[T] { q := m.query(); q.scope = scopeDeleted; return q }

// Where returns a query over alive rows matching expr (see Query.Where).
func (m *Manager[T]) Where(expr string, args ...any) *Query[T] {
	q := m.query()
	q.addWhere(expr, args)
	return q
}

// OrderBy returns a query over alive rows ordered by cols.
func (m *Manager[T]) OrderBy(cols ...string) *Query[T] { return m.query().OrderBy(cols...) }

// In returns a query over alive rows whose column col is one of keys.
func (m *Manager[T]) In(col string, keys any) *Query[T] { return m.query().In(col, keys) }

// PlanDelete reports what Delete(v) would hide and what would block it,
// by running the same delete in a transaction that is rolled back. Hooks
// see it as a dry run (Event.DryRun): Before hooks run and may veto (the
// plan then fails with ErrVetoed), After hooks do not run, nothing is
// logged.
func (m *Manager[T]) PlanDelete(ctx context.Context, v *T) (*DeletePlan, error) {
	_, id, err := m.keyOf(v)
	if err != nil {
		return nil, err
	}
	return m.db.plan(ctx, m.ex, m.tbl, keyPred(m.binding, id), []any{id})
}

// Alive returns the alive condition for this table under alias (see
// DB.Alive), for hand-written joins.
func (m *Manager[T]) Alive(alias string) string {
	if m == nil || m.binding == nil {
		return ""
	}
	return m.db.Alive(alias)
}

// Count counts alive rows.
func (m *Manager[T]) Count(ctx context.Context) (int64, error) { return m.query().Count(ctx) }

// First returns the alive row with the lowest primary key.
func (m *Manager[T]) First(ctx context.Context) (*T, error) { return m.query().First(ctx) }

// All returns every alive row.
func (m *Manager[T]) All(ctx context.Context) ([]T, error) { return m.query().All(ctx) }

// Get returns the alive row with primary key id. A soft-deleted or missing
// row is ErrNotFound.
func (m *Manager[T]) Get(ctx context.Context, id any) (*T, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if err := m.checkKey(id); err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.Grow(len(m.sel) + 64)
	sb.WriteString(m.sel)
	sb.WriteString(" WHERE ")
	sb.WriteString(m.cols[m.pk.Column])
	sb.WriteString(" = ")
	m.db.dialect.Placeholder(&sb, 1)
	sb.WriteString(" AND ")
	sb.WriteString(m.soft)
	sb.WriteString(" IS NULL")
	var out T
	rows, err := m.ex.query(ctx, sb.String(), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, m.db.translate(err)
		}
		return nil, ErrNotFound
	}
	if err := m.scan(rows, unsafe.Pointer(&out)); err != nil {
		return nil, err
	}
	return &out, m.db.translate(rows.Close())
}

func (m *binding) checkKey(id any) error {
	if err := m.db.checkOpen(); err != nil {
		return err
	}
	switch v := id.(type) {
	case nil:
		return invalidf("nil primary key")
	case int64:
		if v == 0 {
			return invalidf("zero primary key")
		}
	case int:
		if v == 0 {
			return invalidf("zero primary key")
		}
	case string:
		if v == "" {
			return invalidf("empty primary key")
		}
	}
	return nil
}

// scan reads one row into the struct at base, reusing a destination slice.
func (m *binding) scan(rows *sql.Rows, base unsafe.Pointer) error {
	var buf [16]any
	dest := buf[:0]
	for _, f := range m.fs {
		dest = append(dest, f.scanDest(base))
	}
	if err := rows.Scan(dest...); err != nil {
		return m.db.translate(err)
	}
	return nil
}

// keyOf checks v and returns its address and primary key value.
func (m *Manager[T]) keyOf(v *T) (unsafe.Pointer, any, error) {
	if err := m.check(); err != nil {
		return nil, nil, err
	}
	base, err := ptrOf(v)
	if err != nil {
		return nil, nil, err
	}
	id := m.pk.value(base)
	return base, id, m.checkKey(id)
}

// ptrOf checks v and returns its address; nil pointers are ErrInvalid.
func ptrOf[T any](v *T) (unsafe.Pointer, error) {
	if v == nil {
		return nil, invalidf("nil %T", v)
	}
	return unsafe.Pointer(v), nil
}

// IsDeleted reports whether v was soft-deleted when loaded (or since, by
// this process). It needs the soft-delete column mapped in T.
func (m *Manager[T]) IsDeleted(v *T) bool {
	if v == nil || m == nil || m.binding == nil || m.del == nil {
		return false
	}
	_, ok := m.del.timeValue(unsafe.Pointer(v))
	return ok
}

// Create inserts v, sets its primary key (when generated) and its
// created/updated timestamps. A row whose foreign key points at a
// soft-deleted parent is refused with ErrParentDeleted.
func (m *Manager[T]) Create(ctx context.Context, v *T) error {
	if err := m.check(); err != nil {
		return err
	}
	base, err := ptrOf(v)
	if err != nil {
		return err
	}
	now := m.db.timestamp()
	b := newBuilder(m.db.dialect, 256)
	b.WriteString("INSERT INTO ")
	b.WriteString(m.qname)
	b.WriteString(" (")
	autoPK := m.pk.isZero(base)
	if autoPK {
		c, _ := m.tbl.column(m.pk.Column)
		switch {
		case m.pkGen == keyGenNone:
			return invalidf("%s.%s is zero and the table does not generate keys (no default): set %s before Create", m.name, m.pk.Column, m.pk.Name)
		case m.pkGen == keyGenOther && !m.db.dialect.InsertReturning():
			return invalidf("%s.%s is generated by the database as %s, which %s cannot return after an INSERT: set %s (a UUID, say) before Create",
				m.name, m.pk.Column, c.Type, m.db.dialect.Name(), m.pk.Name)
		}
	}
	n := 0
	for _, f := range m.fs {
		if (f == m.pk && autoPK) || m.generated(f) {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.cols[f.Column])
		n++
	}
	b.WriteString(") SELECT ")
	n = 0
	for _, f := range m.fs {
		if (f == m.pk && autoPK) || m.generated(f) {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		c, _ := m.tbl.column(f.Column)
		pre, suf := m.db.dialect.CastWrap(c.Type)
		b.WriteString(pre)
		switch {
		case f == m.crt && f.isZero(base), f == m.upd:
			b.arg(m.db.dialect.TimeArg(now))
		default:
			b.arg(f.value(base))
		}
		b.WriteString(suf)
		n++
	}
	b.WriteString(m.db.dialect.FromDual())
	guard := m.parentGuard(b, base, " WHERE ")
	returning := autoPK && m.db.dialect.InsertReturning()
	if returning {
		b.WriteString(" RETURNING ")
		b.WriteString(m.cols[m.pk.Column])
	}
	var res sql.Result
	inserted := true
	for attempt := 1; ; attempt++ {
		inserted = true
		err = m.guardedStmt(ctx, m.ex, base, guard, func(ex *executor) error {
			if returning {
				// The key is scanned straight into the field, whatever its
				// type (integer, uuid, text default).
				err := ex.queryRow(ctx, b.String(), b.args, m.pk.scanDest(base))
				if err == ErrNotFound {
					inserted = false
					return nil
				}
				return err
			}
			var err error
			res, err = ex.exec(ctx, b.String(), b.args...)
			if err == nil {
				var n int64
				if n, err = res.RowsAffected(); err != nil {
					return m.db.translate(err)
				}
				inserted = n > 0
			}
			return err
		})
		if err != nil {
			return m.conflict(ctx, m.ex, err, base)
		}
		if !inserted {
			if !guard {
				return ErrNotFound
			}
			if retry, err := m.guardFailed(ctx, m.ex, base, attempt); !retry {
				return err
			}
			continue
		}
		break
	}
	if autoPK && !returning {
		id, err := res.LastInsertId()
		if err != nil {
			return m.db.translate(err)
		}
		if err := m.pk.setInt(base, id); err != nil {
			return err
		}
	}
	if m.crt != nil && m.crt.isZero(base) {
		m.crt.setTime(base, now)
	}
	if m.upd != nil {
		m.upd.setTime(base, now)
	}
	return nil
}

// stmt runs fn, which sends one statement, so that its failure leaves the
// caller's transaction usable: PostgreSQL aborts a whole transaction on a
// failed statement, so inside a caller's transaction there fn runs under a
// savepoint (SQLite and MySQL undo only the failed statement). The
// diagnostics that follow a failure (conflict, parentError) then read
// through the same, still usable, transaction.
func (m *binding) stmt(ctx context.Context, ex *executor, fn func() error) error {
	if ex.tx == nil || !m.db.dialect.Facts().FailAbortsTx {
		return fn()
	}
	return ex.savepoint(ctx, fn)
}

func (m *binding) generated(f *field) bool {
	c, _ := m.tbl.column(f.Column)
	return c.Generated
}

// Save updates every mapped column of the alive row v and bumps UpdatedAt.
// A soft-deleted row is refused with ErrDeleted and left unchanged; a
// missing one is ErrNotFound.
func (m *Manager[T]) Save(ctx context.Context, v *T) error {
	if err := m.check(); err != nil {
		return err
	}
	base, err := ptrOf(v)
	if err != nil {
		return err
	}
	if err := m.checkKey(m.pk.value(base)); err != nil {
		return err
	}
	now := m.db.timestamp()
	b := newBuilder(m.db.dialect, 256)
	b.WriteString("UPDATE ")
	b.WriteString(m.qname)
	b.WriteString(" SET ")
	n := 0
	for _, f := range m.fs {
		if f == m.pk || f == m.del || f == m.crt || m.generated(f) {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.cols[f.Column])
		b.WriteString(" = ")
		if f == m.upd {
			b.arg(m.db.dialect.TimeArg(now))
		} else {
			b.arg(f.value(base))
		}
		n++
	}
	if n == 0 {
		return nil
	}
	b.WriteString(" WHERE ")
	b.WriteString(m.cols[m.pk.Column])
	b.WriteString(" = ")
	b.arg(m.pk.value(base))
	b.WriteString(" AND ")
	b.WriteString(m.soft)
	b.WriteString(" IS NULL")
	guard := m.parentGuard(b, base, " AND ")
	var affected int64
	for attempt := 1; ; attempt++ {
		err = m.guardedStmt(ctx, m.ex, base, guard, func(ex *executor) error {
			var err error
			affected, err = ex.execN(ctx, b.String(), b.args...)
			return err
		})
		if err != nil {
			return m.conflict(ctx, m.ex, err, base)
		}
		if affected == 0 {
			state, err := m.rowState(ctx, m.ex, m.pk.value(base))
			if err != nil {
				return err
			}
			switch {
			case state == rowMissing:
				return ErrNotFound
			case state == rowDeleted:
				return ErrDeleted
			case guard:
				if retry, err := m.guardFailed(ctx, m.ex, base, attempt); !retry {
					return err
				}
				continue
			}
			return ErrNotFound
		}
		break
	}
	if m.upd != nil {
		m.upd.setTime(base, now)
	}
	return nil
}

type rowStateKind int

const (
	rowMissing rowStateKind = iota
	rowAlive
	rowDeleted
)

// rowState reads whether the row with key id is alive, deleted or missing
// (used on failure paths only).
func (m *binding) rowState(ctx context.Context, ex *executor, id any) (rowStateKind, error) {
	return m.db.rowState(ctx, ex, m.tbl, keyPred(m, id))
}

// Delete soft-deletes v, and every row that references it under ON DELETE
// CASCADE (to any depth) as one operation.
//
// Whether a delete is soft or hard is decided by the row's state in the
// database, in the statement that acts on it, never by v alone:
//   - the row is alive: it is soft-deleted (whatever v's soft-delete field
//     says: a copy that is stale because someone restored the row meanwhile
//     hides the row again, it never removes it);
//   - the row is soft-deleted and v was read deleted too (its soft-delete
//     field is set): Delete removes it for good, as the seed model does,
//     with a DELETE that only matches a row that is still soft-deleted;
//   - the row is soft-deleted but v believed it alive (a racing or earlier
//     delete by someone else): ErrDeleted, nothing changes;
//   - no such row: ErrNotFound.
//
// Use HardDelete to remove a row for good explicitly.
func (m *Manager[T]) Delete(ctx context.Context, v *T) error {
	if err := m.check(); err != nil {
		return err
	}
	base, id, err := m.keyOf(v)
	if err != nil {
		return err
	}
	wantHard := false
	if m.del != nil {
		_, wantHard = m.del.timeValue(base)
	}
	// A row restored and deleted again by others between the statements
	// below is retried a bounded number of times.
	o := opOptions{key: id}
	if len(m.tbl.PK) == 1 && m.tbl.PK[0] == m.pk.Column {
		o.keys = []any{id} // the fast path (fastpath.go) selects by primary key
	}
	for attempt := 0; attempt < 3; attempt++ {
		op, err := m.db.deleteRows(ctx, m.ex, m.tbl, keyPred(m.binding, id), o)
		if err != nil {
			return err
		}
		if op.Counts[m.name] > 0 {
			if m.del != nil {
				m.del.setTime(base, *op.Stamp)
			}
			return nil
		}
		if !wantHard {
			return m.missing(ctx, m.ex, id, ErrDeleted)
		}
		// The soft delete hid nothing: remove the row only if it is still
		// soft-deleted when the DELETE runs.
		n, err := m.db.hardDeleteRows(ctx, m.ex, m.tbl, keyPred(m.binding, id), opOptions{key: id, onlyDeleted: true})
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		st, err := m.rowState(ctx, m.ex, id)
		if err != nil {
			return err
		}
		if st == rowMissing {
			return ErrNotFound
		}
	}
	return m.missing(ctx, m.ex, id, ErrDeleted)
}

// missing explains why a statement keyed by id matched nothing.
func (m *binding) missing(ctx context.Context, ex *executor, id any, ifDeleted error) error {
	state, err := m.rowState(ctx, ex, id)
	if err != nil {
		return err
	}
	switch state {
	case rowDeleted:
		return ifDeleted
	case rowAlive:
		return ErrNotDeleted
	}
	return ErrNotFound
}

// HardDelete removes v for good, alive or not. The database's own foreign
// keys then apply (CASCADE removes children, RESTRICT refuses with
// ErrRestricted).
func (m *Manager[T]) HardDelete(ctx context.Context, v *T) error {
	base, id, err := m.keyOf(v)
	if err != nil {
		return err
	}
	return m.hardDelete(ctx, base, id)
}

func (m *Manager[T]) hardDelete(ctx context.Context, base unsafe.Pointer, id any) error {
	n, err := m.db.hardDeleteRows(ctx, m.ex, m.tbl, keyPred(m.binding, id), opOptions{key: id})
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Restore brings v back, with exactly the rows its delete hid (the rows
// below it that share its operation's stamp; rows deleted earlier or later
// on their own stay deleted). It fails with ErrParentDeleted if a parent is
// still deleted (see RestoreWithParents), ErrConflict if an alive-only
// unique value is now taken by a live row, and ErrNotDeleted if v is
// alive; on failure nothing changes.
func (m *Manager[T]) Restore(ctx context.Context, v *T) error {
	return m.restore(ctx, v, false)
}

// RestoreWithParents is Restore that first restores, recursively, the
// soft-deleted parents v points at (each with what its own delete hid).
func (m *Manager[T]) RestoreWithParents(ctx context.Context, v *T) error {
	return m.restore(ctx, v, true)
}

func (m *Manager[T]) restore(ctx context.Context, v *T, withParents bool) error {
	base, id, err := m.keyOf(v)
	if err != nil {
		return err
	}
	if _, err := m.db.restoreRow(ctx, m.ex, m.tbl, id, withParents); err != nil {
		return err
	}
	if m.del != nil {
		m.del.clearTime(base)
	}
	return nil
}
