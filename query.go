package softdelete

import (
	"context"
	"strconv"
	"strings"
	"unsafe"
)

type scope uint8

const (
	scopeAlive scope = iota
	scopeAll
	scopeDeleted
)

// Query is a composable, immutable query over a Manager's table: every
// method returns a new Query, so a Query can be shared and reused.
type Query[T any] struct {
	m      *Manager[T]
	scope  scope
	conds  []cond
	order  []orderCol
	limit  int
	offset int
	err    error
}

type cond struct {
	e    *expr
	args []any
}

type orderCol struct {
	col  string // quoted
	desc bool
}

func (q *Query[T]) clone() *Query[T] {
	if q == nil {
		return &Query[T]{limit: -1, offset: -1, err: invalidf("nil *Query")}
	}
	c := *q
	c.conds = q.conds[:len(q.conds):len(q.conds)]
	c.order = q.order[:len(q.order):len(q.order)]
	return &c
}

// Where adds a condition. expr is SQL over the table's columns with ?
// placeholders for args; a slice argument expands for IN (?). Unknown
// columns, comments and ';' are refused with ErrInvalid when the query
// runs; values are always bound, never spliced into SQL.
func (q *Query[T]) Where(expr string, args ...any) *Query[T] {
	c := q.clone()
	c.addWhere(expr, args)
	return c
}

// addWhere adds a condition to q in place (q must not be shared yet).
func (q *Query[T]) addWhere(expr string, args []any) {
	if q.err != nil {
		return
	}
	e := q.m.exprs.get(expr)
	if e == nil {
		var err error
		e, err = parseExpr(expr, q.m.name, q.m.cols, q.m.db.dialect)
		if err != nil {
			q.err = err
			return
		}
		q.m.exprs.put(expr, e)
	}
	if err := e.checkArgs(expr, args, q.m.db.dialect); err != nil {
		q.err = err
		return
	}
	q.conds = append(q.conds, cond{e: e, args: args})
}

// In restricts the query to rows whose column col is one of keys (a
// slice): the way to load the children of a set of parents in one query.
// Deleted children stay hidden unless the query is AllWithDeleted.
func (q *Query[T]) In(col string, keys any) *Query[T] {
	c := q.clone()
	if c.err != nil {
		return c
	}
	quoted, ok := q.m.cols[col]
	if !ok {
		if c.err == nil {
			c.err = unknownColumn(col, q.m.name, q.m.cols, "In")
		}
		return c
	}
	if _, isSlice := sliceLen(keys); !isSlice {
		if c.err == nil {
			c.err = invalidf("In(%q) wants a slice of keys, got %T", col, keys)
		}
		return c
	}
	if err := checkTextArg(keys, q.m.db.dialect); err != nil {
		if c.err == nil {
			c.err = invalidf("In(%q): %v", col, err)
		}
		return c
	}
	e := inExpr(quoted, col)
	c.conds = append(c.conds, cond{e: e, args: []any{keys}})
	return c
}

// OrderBy orders by known columns; "-col" sorts descending. Anything that
// is not a column of the table is refused with ErrInvalid.
func (q *Query[T]) OrderBy(cols ...string) *Query[T] {
	c := q.clone()
	if c.err != nil {
		return c
	}
	for _, col := range cols {
		desc := strings.HasPrefix(col, "-")
		name := strings.TrimPrefix(col, "-")
		quoted, ok := q.m.cols[name]
		if !ok {
			if c.err == nil {
				c.err = unknownColumn(name, q.m.name, q.m.cols, "OrderBy")
			}
			continue
		}
		c.order = append(c.order, orderCol{col: quoted, desc: desc})
	}
	return c
}

// Limit caps the number of rows; a negative n removes the cap.
func (q *Query[T]) Limit(n int) *Query[T] { c := q.clone(); c.limit = n; return c }

// Offset skips n rows.
func (q *Query[T]) Offset(n int) *Query[T] {
	c := q.clone()
	if n < 0 && c.err == nil {
		c.err = invalidf("negative offset %d", n)
	}
	c.offset = n
	return c
}

// where writes the scope and conditions (without the WHERE keyword);
// alias qualifies columns.
func (q *Query[T]) where(b *sqlBuilder, alias string) {
	switch q.scope {
	case scopeAlive:
		b.qualified(alias, q.m.tbl.SoftCol)
		b.WriteString(" IS NULL")
	case scopeDeleted:
		b.qualified(alias, q.m.tbl.SoftCol)
		b.WriteString(" IS NOT NULL")
	default:
		b.WriteString("1=1")
	}
	for _, c := range q.conds {
		b.WriteString(" AND (")
		c.e.render(b, alias, c.args)
		b.WriteByte(')')
	}
}

// condsOnly writes just the user's conditions (no scope).
func (q *Query[T]) condsOnly(b *sqlBuilder, alias string) {
	b.WriteString("1=1")
	for _, c := range q.conds {
		b.WriteString(" AND (")
		c.e.render(b, alias, c.args)
		b.WriteByte(')')
	}
}

func (q *Query[T]) tail(b *sqlBuilder, defaultOrder bool) {
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range q.order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o.col)
			if o.desc {
				b.WriteString(" DESC")
			}
		}
	} else if defaultOrder {
		b.WriteString(" ORDER BY ")
		b.WriteString(q.m.cols[q.m.pk.Column])
	}
	q.limitOffset(b)
}

// limitOffset writes LIMIT and OFFSET as integer literals, not bind
// parameters: they are ints checked in Go, and a literal lets the planner
// see them. PostgreSQL (pgx caches prepared statements) switches to a
// generic plan after five executions, and a generic plan with LIMIT $n does
// not know the limit: it estimated 20 rows and walked the primary key with a
// filter, 3x slower than the custom plan (issue 11).
func (q *Query[T]) limitOffset(b *sqlBuilder) {
	if q.limit >= 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.FormatInt(int64(q.limit), 10))
	}
	if q.offset > 0 {
		if q.limit < 0 {
			// MySQL and SQLite need a LIMIT before OFFSET.
			b.WriteString(" LIMIT ")
			b.WriteString(strconv.FormatInt(int64(1<<62-1), 10))
		}
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.FormatInt(int64(q.offset), 10))
	}
}

func (q *Query[T]) check() error {
	if q == nil {
		return invalidf("nil *Query")
	}
	if q.err != nil {
		return q.err
	}
	return q.m.check()
}

// All returns the matching rows (in OrderBy order, else unspecified).
func (q *Query[T]) All(ctx context.Context) ([]T, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	b := newBuilder(q.m.db.dialect, len(q.m.sel)+128)
	b.WriteString(q.m.sel)
	b.WriteString(" WHERE ")
	q.where(b, "")
	q.tail(b, false)
	return q.fetch(ctx, b)
}

func (q *Query[T]) fetch(ctx context.Context, b *sqlBuilder) ([]T, error) {
	rows, err := q.m.ex.query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	if q.limit > 0 && q.limit <= 1024 {
		out = make([]T, 0, q.limit)
	} else if h := q.m.hint.Load(); h > 0 {
		out = make([]T, 0, h)
	}
	var zero T
	for rows.Next() {
		out = append(out, zero)
		if err := q.m.scan(rows, unsafe.Pointer(&out[len(out)-1])); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, q.m.db.translate(err)
	}
	if n := len(out); n > 0 && n <= 4096 {
		q.m.hint.Store(int32(n))
	}
	return out, nil
}

// First returns the first matching row, ordered by primary key unless the
// query is ordered. No row is ErrNotFound.
func (q *Query[T]) First(ctx context.Context) (*T, error) {
	c := q.Limit(1)
	if err := c.check(); err != nil {
		return nil, err
	}
	b := newBuilder(q.m.db.dialect, len(q.m.sel)+128)
	b.WriteString(q.m.sel)
	b.WriteString(" WHERE ")
	c.where(b, "")
	c.tail(b, true)
	rows, err := c.fetch(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// Count counts the matching rows (within Limit/Offset, if set).
func (q *Query[T]) Count(ctx context.Context) (int64, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	b := newBuilder(q.m.db.dialect, 128)
	if q.limit < 0 && q.offset <= 0 {
		b.WriteString("SELECT COUNT(*) FROM ")
		b.WriteString(q.m.qname)
		b.WriteString(" WHERE ")
		q.where(b, "")
	} else {
		b.WriteString("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ")
		b.WriteString(q.m.qname)
		b.WriteString(" WHERE ")
		q.where(b, "")
		q.tail(b, false)
		b.WriteString(") sub")
	}
	return q.m.ex.queryInt64(ctx, b.String(), b.args...)
}

// Exists reports whether any row matches.
func (q *Query[T]) Exists(ctx context.Context) (bool, error) {
	if err := q.check(); err != nil {
		return false, err
	}
	b := newBuilder(q.m.db.dialect, 128)
	b.WriteString("SELECT 1 FROM ")
	b.WriteString(q.m.qname)
	b.WriteString(" WHERE ")
	q.where(b, "")
	b.WriteString(" LIMIT 1")
	var one int
	err := q.m.ex.queryRow(ctx, b.String(), b.args, &one)
	if err == ErrNotFound {
		return false, nil
	}
	return err == nil, err
}

// bulkPred is the root predicate of a bulk operation: the user's
// conditions only (the engine adds the soft-delete condition itself).
func (q *Query[T]) bulkPred() (pred, error) {
	if q.limit >= 0 || q.offset > 0 || len(q.order) > 0 {
		return nil, invalidf("bulk Delete/Restore take no Limit, Offset or OrderBy; narrow the query with Where")
	}
	return func(b *sqlBuilder, alias string) { q.condsOnly(b, alias) }, nil
}

// Delete soft-deletes the matching alive rows, with their CASCADE
// dependants, as one operation of set-based statements, and returns how
// many rows of this table it hid. On an OnlyDeleted query it removes the
// matching deleted rows for good instead (emptying the trash). On an
// AllWithDeleted query it soft-deletes the matching alive rows and leaves
// the matching deleted ones as they are: only OnlyDeleted().Delete and
// HardDelete remove rows for good.
func (q *Query[T]) Delete(ctx context.Context) (int64, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	p, err := q.bulkPred()
	if err != nil {
		return 0, err
	}
	if q.scope == scopeDeleted {
		return q.m.db.hardDeleteRows(ctx, q.m.ex, q.m.tbl, p, opOptions{onlyDeleted: true})
	}
	op, err := q.m.db.deleteRows(ctx, q.m.ex, q.m.tbl, p, opOptions{})
	if err != nil {
		return 0, err
	}
	return op.Counts[q.m.name], nil
}

// HardDelete removes the matching rows for good (alive ones too, unless
// the query is scoped). The database's foreign keys apply.
func (q *Query[T]) HardDelete(ctx context.Context) (int64, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	p, err := q.bulkPred()
	if err != nil {
		return 0, err
	}
	return q.m.db.hardDeleteRows(ctx, q.m.ex, q.m.tbl, p, opOptions{onlyDeleted: q.scope == scopeDeleted, onlyAlive: q.scope == scopeAlive})
}

// Restore restores the matching soft-deleted rows, each with exactly the
// rows its delete hid, and returns how many rows of this table came back.
// It is all-or-nothing. Like every verb it acts on the query's scope only:
// the default (alive) scope holds no deleted rows, so there Restore
// restores nothing and returns (0, nil) without touching the database;
// reach hidden rows with OnlyDeleted() or AllWithDeleted().
func (q *Query[T]) Restore(ctx context.Context) (int64, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	p, err := q.bulkPred()
	if err != nil {
		return 0, err
	}
	if q.scope == scopeAlive {
		return 0, nil
	}
	op, err := q.m.db.restoreRows(ctx, q.m.ex, q.m.tbl, p, opOptions{})
	if err != nil {
		return 0, err
	}
	return op.Counts[q.m.name], nil
}
