package softdelete

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// isNullValue reports whether a bind value is SQL NULL.
func isNullValue(v any) bool {
	if v == nil {
		return true
	}
	if dv, ok := v.(driver.Valuer); ok {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return true
		}
		x, err := dv.Value()
		return err == nil && x == nil
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// guardFKs returns the foreign keys of the binding's table whose parent is
// soft-deletable and whose columns are all mapped, with their values in v.
func (m *binding) guardFKs(base unsafe.Pointer) (fks []*foreignKey, vals [][]any) {
	s, _ := m.db.loadSchema(context.Background())
	for _, fk := range m.tbl.Out {
		p := s.tables[fk.Parent]
		if p == nil || !p.soft() {
			continue
		}
		var vs []any
		for _, c := range fk.ChildCols {
			i, ok := m.meta.byCol[c]
			if !ok {
				vs = nil
				break
			}
			v := m.meta.fields[i].value(base)
			if isNullValue(v) {
				vs = nil
				break
			}
			vs = append(vs, v)
		}
		if vs != nil {
			fks = append(fks, fk)
			vals = append(vals, vs)
		}
	}
	return fks, vals
}

// parentGuard appends, for each soft-deletable parent v references,
// "EXISTS (that parent, alive, share-locked)", so that an INSERT ... SELECT
// or an UPDATE writes nothing when a parent is soft-deleted or missing. The
// share lock makes a concurrent soft delete of the parent wait for this
// statement's transaction (its cascade then sees the new row), or makes
// this statement wait for the delete and then see the parent deleted. It
// reports whether it wrote a guard.
func (m *binding) parentGuard(b *sqlBuilder, base unsafe.Pointer, first string) bool {
	fks, vals := m.guardFKs(base)
	s, _ := m.db.loadSchema(context.Background())
	for i, fk := range fks {
		p := s.tables[fk.Parent]
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(" AND ")
		}
		// The derived table keeps MySQL from refusing a subquery on the
		// table being updated (self-references).
		b.WriteString("EXISTS (SELECT 1 FROM (SELECT 1 AS one FROM ")
		b.ident(p.Name)
		b.WriteString(" gp WHERE ")
		for j, c := range fk.ParentCols {
			b.qualified("gp", c)
			b.WriteString(" = ")
			b.arg(vals[i][j])
			b.WriteString(" AND ")
		}
		b.qualified("gp", p.SoftCol)
		b.WriteString(" IS NULL")
		b.WriteString(m.db.dialect.ShareLock())
		b.WriteString(") gd)")
	}
	return len(fks) > 0
}

// parentError explains a guarded write that wrote nothing: one look per
// parent (alive, deleted or missing). A deleted parent is
// ParentDeletedError, a missing one ErrNotFound; when every parent is alive
// again (restored since the write) it is errParentRaced.
func (m *binding) parentError(ctx context.Context, ex *executor, base unsafe.Pointer) error {
	fks, vals := m.guardFKs(base)
	s, _ := m.db.loadSchema(ctx)
	var missing *foreignKey
	for i, fk := range fks {
		p := s.tables[fk.Parent]
		st, err := m.db.rowState(ctx, ex, p, func(b *sqlBuilder, alias string) {
			for j, c := range fk.ParentCols {
				if j > 0 {
					b.WriteString(" AND ")
				}
				b.qualified(alias, c)
				b.WriteString(" = ")
				b.arg(vals[i][j])
			}
		})
		switch {
		case err != nil:
			return err
		case st == rowDeleted:
			return &ParentDeletedError{Table: m.name, Columns: fk.ChildCols, ParentTable: p.Name}
		case st == rowMissing && missing == nil:
			missing = fk
		}
	}
	if missing != nil {
		return fmt.Errorf("softdelete: %s.%s references a row of %s that does not exist: %w",
			m.name, strings.Join(missing.ChildCols, ","), missing.Parent, ErrNotFound)
	}
	if len(fks) > 0 {
		return errParentRaced
	}
	return ErrNotFound
}

// guardFailed explains a guarded write that wrote nothing; retry reports
// that a parent came back meanwhile and the write should run again.
func (m *binding) guardFailed(ctx context.Context, ex *executor, base unsafe.Pointer, attempt int) (retry bool, err error) {
	switch perr := m.parentError(ctx, ex, base); {
	case perr != errParentRaced:
		return false, perr
	case attempt >= parentRetries:
		return false, parentBusy(attempt)
	}
	return true, nil
}

// errParentRaced: a guarded write found a parent deleted, and by the time
// it looked the parent was alive again (restored concurrently). Create and
// Save run the statement again.
var errParentRaced = errors.New("softdelete: a parent row was restored while the row was written")

// parentRetries bounds how often Create/Save write again after a parent
// changed under them.
const parentRetries = 3

// parentBusy is the error once a parent kept changing.
func parentBusy(attempts int) error {
	return &BusyError{Attempts: attempts, Err: errParentRaced}
}

// conflict completes a unique-violation error with the key and the live
// row that holds the value.
func (m *binding) conflict(ctx context.Context, ex *executor, err error, base unsafe.Pointer) error {
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Table != "" {
		return err
	}
	ce.Table = m.name
	for _, u := range m.tbl.uniques() {
		if u.Primary || u.Expr {
			continue
		}
		b := newBuilder(m.db.dialect, 128)
		b.WriteString("SELECT ")
		b.ident(m.pk.Column)
		b.WriteString(" FROM ")
		b.WriteString(m.qname)
		b.WriteString(" WHERE ")
		ok := true
		for i, c := range u.Columns {
			fi, mapped := m.meta.byCol[c]
			if !mapped {
				ok = false
				break
			}
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.ident(c)
			b.WriteString(" = ")
			b.arg(m.meta.fields[fi].value(base))
		}
		if !ok || len(u.Columns) == 0 {
			continue
		}
		if u.AliveOnly {
			b.WriteString(" AND ")
			b.WriteString(m.soft)
			b.WriteString(" IS NULL")
		}
		b.WriteString(" AND ")
		b.ident(m.pk.Column)
		b.WriteString(" <> ")
		b.arg(m.pk.value(base))
		var live any
		if qerr := ex.queryRow(ctx, b.String(), b.args, &live); qerr == nil {
			if bs, isBytes := live.([]byte); isBytes {
				live = string(bs)
			}
			ce.Columns = u.Columns
			ce.LiveKey = []any{live}
			return ce
		}
	}
	if id := m.pk.value(base); !m.pk.isZero(base) {
		if st, err := m.rowState(ctx, ex, id); err == nil && st != rowMissing {
			ce.Columns = []string{m.pk.Column}
			ce.LiveKey = []any{id}
		}
	}
	return ce
}
