package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// pred writes a condition over the rows of one table, its columns
// qualified by alias ("" for none).
type pred func(b *sqlBuilder, alias string)

// keyPred selects one row by its single-column primary key.
func keyPred(m *binding, id any) pred {
	col := m.pk.Column
	return func(b *sqlBuilder, alias string) {
		b.qualified(alias, col)
		b.WriteString(" = ")
		b.arg(id)
	}
}

// tableKeyPred selects rows of t by primary key values (composite keys
// take one value per column).
func tableKeyPred(t *table, key []any) pred {
	return func(b *sqlBuilder, alias string) {
		for i, c := range t.PK {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.qualified(alias, c)
			b.WriteString(" = ")
			b.arg(key[i])
		}
	}
}

type opOptions struct {
	key         any   // root key, for the log (single-row operations)
	keys        []any // root key values, one per primary key column (single-row operations: the fast path)
	onlyDeleted bool  // hard delete: only rows already soft-deleted
	onlyAlive   bool  // hard delete: only alive rows
	dryRun      bool
}

// maxSelDepth bounds how deep a cascade follows keys from the root with
// nested subqueries; deeper levels select by stamp alone.
const maxSelDepth = 6

// step is one set of rows changed by a walk: the rows of t selected by
// sel (nil: by the stamp condition alone), reached through tables.
type step struct {
	t      *table
	sel    pred
	via    *foreignKey // the edge that reached t (nil for the root)
	depth  int
	tables map[string]bool // tables read by sel (MySQL cannot read the UPDATE target in a subquery)
}

// walk propagates one delete (alive -> stamp) or one restore (stamp ->
// alive) along the foreign keys, with a constant number of set-based
// statements per edge and level; row keys never come into Go memory.
type walk struct {
	db      *DB
	ex      *executor
	s       *schema
	stamp   time.Time
	raw     any // SQLite: the stamp exactly as the rows store it (restore of rows another tool hid); nil: ours
	restore bool
	pending bool // restore: parents still carry the stamp (bottom-up phase)
	counts  map[string]int64
	nulled  map[string]int64
	checks  []restrictCheck
	same    map[*foreignKey]sameCheck // restore: references to parents this walk's stamp hides
	// restore, levels that continue top-down after the roots: the rows
	// come back as restoreMark first (marked lists their tables), so that
	// each level selects exactly the rows this walk restored as parents,
	// and become NULL at the end (clearMarks).
	marking bool
	marked  map[string]*table
	// restore with hooks: every restored row is marked, and before runs
	// once they all are, before they become NULL.
	markAll bool
	before  func(ctx context.Context) error
}

// restoreMark is the value a restore gives the rows it brings back while
// it walks top-down, before they become NULL in the same transaction; it
// is never committed. A time no delete writes (1970-01-01
// 00:00:01.000001 UTC), valid in every soft-delete column type that keeps
// microseconds, MariaDB TIMESTAMP included.
var restoreMark = time.Unix(1, 1000).UTC()

// sameCheck counts the live rows of c that reference, through fk, rows
// of p that carry the walk's stamp, before the rows come back.
type sameCheck struct {
	c, p   *table
	fk     *foreignKey
	before int64
}

type restrictCheck struct {
	fk     *foreignKey
	parent step
	// setNull: a SET NULL / SET DEFAULT reference the walk cannot follow
	// (see setNull), refused like RESTRICT when live rows hold it.
	setNull bool
}

// fromCond: rows this walk changes are in this state.
func (w *walk) fromCond(b *sqlBuilder, alias string, t *table) {
	b.qualified(alias, t.SoftCol)
	if w.restore {
		b.WriteString(" = ")
		w.stampArg(b, t)
	} else {
		b.WriteString(" IS NULL")
	}
}

// doneCond: rows this walk changed are in this state.
func (w *walk) doneCond(b *sqlBuilder, alias string, t *table) {
	b.qualified(alias, t.SoftCol)
	if w.restore && !w.pending && w.marking {
		b.WriteString(" = ")
		w.db.stampArg(b, t, stamp{at: restoreMark})
	} else if w.restore && !w.pending {
		b.WriteString(" IS NULL")
	} else {
		b.WriteString(" = ")
		w.stampArg(b, t)
	}
}

func (w *walk) setVal(b *sqlBuilder, t *table) {
	if w.restore && w.marking {
		w.marked[t.Name] = t
		w.db.stampArg(b, t, stamp{at: restoreMark})
	} else if w.restore {
		b.WriteString("NULL")
	} else {
		w.stampArg(b, t)
	}
}

// stampArg writes this walk's stamp as t's soft-delete column holds it.
func (w *walk) stampArg(b *sqlBuilder, t *table) {
	w.db.stampArg(b, t, stamp{at: w.stamp, raw: w.raw})
}

// opStampArg writes this walk's stamp as softdelete's own tables hold it.
func (w *walk) opStampArg(b *sqlBuilder) {
	if w.raw != nil {
		b.arg(w.raw)
		return
	}
	w.db.dialect.StampValue(b, w.stamp, false)
}

// parentRows writes "(alias.c1, ...) IN (SELECT p1, ... FROM P WHERE
// <done> AND <sel>)": the rows of fk.Child that reference rows the step s
// changed.
func (w *walk) parentRows(b *sqlBuilder, alias string, fk *foreignKey, s step) {
	refersTo(b, alias, fk, s.t.Name, func(b *sqlBuilder, inner string) {
		w.doneCond(b, inner, s.t)
		if s.sel != nil {
			b.WriteString(" AND ")
			s.sel(b, inner)
		}
	})
}

// refersTo writes "(alias.c1, ...) IN (SELECT p1, ... FROM parent WHERE
// cond)" for the foreign key fk.
func refersTo(b *sqlBuilder, alias string, fk *foreignKey, parent string, cond pred) {
	inSelect(b, alias, fk.ChildCols, fk.ParentCols, func(b *sqlBuilder, inner string) {
		b.ident(parent)
		b.WriteString(" " + inner)
	}, cond)
}

// inSelect writes "(alias.o1, ...) IN (SELECT x.i1, ... FROM <from x>
// WHERE <where x>)", x a new alias: the shape of every foreign-key
// membership test (outer the columns of one side, inner of the other).
func inSelect(b *sqlBuilder, alias string, outer, inner []string, from func(b *sqlBuilder, x string), where pred) {
	x := b.alias()
	if len(outer) == 1 {
		b.qualified(alias, outer[0])
	} else {
		b.WriteByte('(')
		b.identList(alias, outer)
		b.WriteByte(')')
	}
	b.WriteString(" IN (SELECT ")
	b.identList(x, inner)
	b.WriteString(" FROM ")
	from(b, x)
	b.WriteString(" WHERE ")
	where(b, x)
	b.WriteByte(')')
}

// childStep is the step for rows of c reached from s through fk.
func (w *walk) childStep(c *table, fk *foreignKey, s step) step {
	ns := step{t: c, via: fk, depth: s.depth + 1, tables: map[string]bool{s.t.Name: true}}
	for t := range s.tables {
		ns.tables[t] = true
	}
	if ns.depth > maxSelDepth {
		ns.tables = map[string]bool{}
		return ns
	}
	ns.sel = func(b *sqlBuilder, alias string) { w.parentRows(b, alias, fk, s) }
	return ns
}

// cascade changes the rows of c that reference rows changed by s.
func (w *walk) cascade(ctx context.Context, fk *foreignKey, c *table, s step) (int64, error) {
	b := newBuilder(w.db.dialect, 256)
	if w.db.dialect.UpdateJoin() {
		// UPDATE c c0 JOIN p p0 ON ... SET c0.sc = ? WHERE c0.sc <from> AND p0.sc <done> AND <sel p0>
		b.WriteString("UPDATE ")
		b.ident(c.Name)
		b.WriteString(" c0 JOIN ")
		b.ident(s.t.Name)
		b.WriteString(" p0 ON ")
		joinOn(b, "p0", fk.ParentCols, "c0", fk.ChildCols)
		b.WriteString(" SET ")
		b.qualified("c0", c.SoftCol)
		b.WriteString(" = ")
		w.setVal(b, c)
		b.WriteString(" WHERE ")
		w.fromCond(b, "c0", c)
		b.WriteString(" AND ")
		w.doneCond(b, "p0", s.t)
		if s.sel != nil && !s.tables[c.Name] && s.t.Name != c.Name {
			b.WriteString(" AND ")
			s.sel(b, "p0")
		}
	} else {
		b.WriteString("UPDATE ")
		b.ident(c.Name)
		b.WriteString(" SET ")
		b.ident(c.SoftCol)
		b.WriteString(" = ")
		w.setVal(b, c)
		b.WriteString(" WHERE ")
		w.fromCond(b, "", c)
		b.WriteString(" AND ")
		w.parentRows(b, w.db.dialect.Quote(c.Name), fk, s)
	}
	return w.ex.execN(ctx, b.String(), b.args...)
}

// transfer, before a restore step, hands the rows that another CASCADE
// parent still hides over to that parent's operation: had they been alive
// when that parent was deleted, its delete would have hidden them. They
// stay deleted and come back when that parent is restored.
//
// hidden counts, per key, the parents of the rows about to come back that
// another operation hides (lockOtherParents); keys without any are
// skipped.
func (w *walk) transfer(ctx context.Context, fk *foreignKey, c *table, s step, hidden map[*foreignKey]int64) error {
	if !w.restore {
		return nil
	}
	// MySQL cannot read the UPDATE target in a subquery: without the link
	// to the restored parents the condition is wider but still right (a row
	// with this stamp under a parent hidden by another operation is that
	// operation's).
	linked := !w.db.dialect.UpdateJoin() || !(s.tables[c.Name] || s.t.Name == c.Name)
	for _, f2 := range c.Out {
		p2 := w.s.tables[f2.Parent]
		if f2 == fk || f2.Rule != Cascade || p2 == nil || !p2.soft() || hidden[f2] == 0 {
			continue
		}
		var link pred
		if linked {
			link = func(b *sqlBuilder, alias string) { w.parentRows(b, alias, fk, s) }
		}
		n, err := w.inherit(ctx, c, f2, p2, link, func(b *sqlBuilder, alias string) { w.otherStamp(b, alias, p2) })
		if err != nil {
			return err
		}
		if n > 0 {
			tables := map[string]bool{s.t.Name: true}
			for t := range s.tables {
				tables[t] = true
			}
			moved := func(b *sqlBuilder, alias string) {
				w.otherStamp(b, alias, c)
				b.WriteString(" AND ")
				w.parentRows(b, alias, fk, s)
			}
			if err := w.follow(ctx, c, moved, tables, s.depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// inherit gives the rows of child that carry this walk's stamp (and match
// childCond, if any) the stamp of their parent through e, where that
// parent matches parentCond.
func (w *walk) inherit(ctx context.Context, child *table, e *foreignKey, parent *table, childCond, parentCond pred) (int64, error) {
	b := newBuilder(w.db.dialect, 512)
	if w.db.dialect.UpdateJoin() {
		b.WriteString("UPDATE ")
		b.ident(child.Name)
		b.WriteString(" c0 JOIN ")
		b.ident(parent.Name)
		b.WriteString(" y0 ON ")
		joinOn(b, "y0", e.ParentCols, "c0", e.ChildCols)
		b.WriteString(" SET ")
		b.qualified("c0", child.SoftCol)
		b.WriteString(" = ")
		b.WriteString(w.db.stampCopy("y0", parent, child))
		b.WriteString(" WHERE ")
		w.fromCond(b, "c0", child)
		if childCond != nil {
			b.WriteString(" AND ")
			childCond(b, "c0")
		}
		b.WriteString(" AND ")
		parentCond(b, "y0")
	} else {
		self := w.db.dialect.Quote(child.Name)
		b.WriteString("UPDATE ")
		b.ident(child.Name)
		b.WriteString(" SET ")
		b.ident(child.SoftCol)
		b.WriteString(" = (SELECT ")
		b.WriteString(w.db.stampCopy("y0", parent, child))
		b.WriteString(" FROM ")
		b.ident(parent.Name)
		b.WriteString(" y0 WHERE ")
		joinOn(b, "y0", e.ParentCols, self, e.ChildCols)
		b.WriteString(") WHERE ")
		w.fromCond(b, "", child)
		if childCond != nil {
			b.WriteString(" AND ")
			childCond(b, self)
		}
		b.WriteString(" AND EXISTS (SELECT 1 FROM ")
		b.ident(parent.Name)
		b.WriteString(" y1 WHERE ")
		joinOn(b, "y1", e.ParentCols, self, e.ChildCols)
		b.WriteString(" AND ")
		parentCond(b, "y1")
		b.WriteString(")")
	}
	return w.ex.execN(ctx, b.String(), b.args...)
}

// otherStamp writes "alias.col IS NOT NULL AND alias.col <> stamp".
func (w *walk) otherStamp(b *sqlBuilder, alias string, t *table) {
	b.qualified(alias, t.SoftCol)
	b.WriteString(" IS NOT NULL AND ")
	b.qualified(alias, t.SoftCol)
	b.WriteString(" <> ")
	w.stampArg(b, t)
	if w.marking {
		b.WriteString(" AND ")
		b.qualified(alias, t.SoftCol)
		b.WriteString(" <> ")
		w.db.stampArg(b, t, stamp{at: restoreMark})
	}
}

// follow hands the descendants that this walk's stamp hid below the rows
// of c selected by moved (rows transfer gave another stamp) over to their
// parent's stamp, level by level.
func (w *walk) follow(ctx context.Context, c *table, moved pred, tables map[string]bool, depth int) error {
	for _, e := range c.In {
		d := w.s.tables[e.Child]
		if e.Rule != Cascade || d == nil || !d.soft() {
			continue
		}
		cond := moved
		if depth > maxSelDepth || (w.db.dialect.UpdateJoin() && (tables[d.Name] || d.Name == c.Name)) {
			cond = func(b *sqlBuilder, alias string) { w.otherStamp(b, alias, c) }
		}
		n, err := w.inherit(ctx, d, e, c, nil, cond)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		next := map[string]bool{c.Name: true}
		for t := range tables {
			next[t] = true
		}
		nm := func(b *sqlBuilder, alias string) {
			w.otherStamp(b, alias, d)
			b.WriteString(" AND ")
			refersTo(b, alias, e, c.Name, moved)
		}
		if err := w.follow(ctx, d, nm, next, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// recordNulled writes "INSERT INTO softdelete_nulled (...) SELECT <stamp>,
// child, fk, key, old value FROM": the bookkeeping that lets a restore put
// a cleared reference back. alias names the child table in the FROM that
// the caller writes next.
func recordNulled(b *sqlBuilder, stamp func(), alias string, c *table, fk *foreignKey) {
	d := b.d
	b.WriteString("INSERT INTO softdelete_nulled (stamp, child_table, fk_name, row_key, old_values) SELECT ")
	stamp()
	b.WriteString(", ")
	b.arg(c.Name)
	b.WriteString(", ")
	b.arg(fk.Name)
	b.WriteString(", ")
	b.WriteString(nulledText(d, c, c.PK[0], alias, false))
	b.WriteString(", ")
	b.WriteString(nulledText(d, c, fk.ChildCols[0], alias, false))
	b.WriteString(" FROM ")
}

// nulledText renders column col of table t (under alias) as the text
// softdelete_nulled keeps (key: in the form that compares with that text
// through its index). Binary columns: on MariaDB their hex digits (the raw
// bytes are no valid utf8mb4 text: error 1300 refused every SET NULL
// delete of such a reference), elsewhere the cast as before (nulledValue
// reads them back).
func nulledText(d dialect, t *table, col, alias string, key bool) string {
	expr := alias + "." + d.Quote(col)
	if cc, ok := t.column(col); ok && columnKind(cc.Type) == KindBytes {
		if text, ok := d.BinaryText(expr); ok {
			return text
		}
	}
	if key {
		return d.KeyText(expr)
	}
	return d.CastText(expr)
}

// nulledValue renders the text expr, read from softdelete_nulled, as a
// value of a column of type typ, for the binary types where the database
// would not convert it back (SQLite kept the text: a restored reference
// was TEXT where the parent's key is a BLOB, and matched nothing); other
// types: expr.
func nulledValue(d dialect, typ, expr string) string {
	if columnKind(typ) != KindBytes {
		return expr
	}
	return d.TextBinary(expr)
}

// restoreRoots restores the rows of t selected by sel (the walk's roots):
// NULL, or restoreMark while the walk marks.
func (w *walk) restoreRoots(ctx context.Context, t *table, sel pred) (int64, error) {
	b := newBuilder(w.db.dialect, 128)
	b.WriteString("UPDATE ")
	b.ident(t.Name)
	b.WriteString(" SET ")
	b.ident(t.SoftCol)
	b.WriteString(" = ")
	w.setVal(b, t)
	b.WriteString(" WHERE ")
	sel(b, "")
	n, err := w.ex.execN(ctx, b.String(), b.args...)
	w.counts[t.Name] = n
	return n, err
}

// hookKeys prepares ev for the hooks of a restore: every row the walk
// brings back is marked, Before runs once they all are (before they
// become NULL), and Keys lists exactly them, read then (for Before and
// After alike).
func (w *walk) hookKeys(ev *Event) {
	if len(w.db.hookList()) == 0 {
		return
	}
	w.markAll = true
	keys := map[string][][]any{}
	ev.keys = func(ctx context.Context, table string, batch int, fn func([][]any) error) error {
		t := w.s.tables[table]
		if t == nil || !t.soft() {
			return &SchemaError{Table: table, Msg: "not a soft-deletable table"}
		}
		all := keys[table]
		for len(all) > 0 {
			n := min(batch, len(all))
			if err := fn(all[:n]); err != nil {
				return err
			}
			all = all[n:]
		}
		return nil
	}
	w.before = func(ctx context.Context) error {
		for name, t := range w.marked {
			err := w.db.streamKeys(ctx, w.ex, t, func(b *sqlBuilder, alias string) {
				b.qualified(alias, t.SoftCol)
				b.WriteString(" = ")
				w.db.stampArg(b, t, stamp{at: restoreMark})
			}, 1<<30, func(k [][]any) error {
				keys[name] = append(keys[name], k...)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return w.db.runBefore(ctx, ev)
	}
}

// clearMarks ends marking: the rows the walk restored as restoreMark
// become NULL (one statement per table).
func (w *walk) clearMarks(ctx context.Context) error {
	w.marking = false
	names := make([]string, 0, len(w.marked))
	for n := range w.marked {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := w.marked[n]
		b := newBuilder(w.db.dialect, 128)
		b.WriteString("UPDATE ")
		b.ident(t.Name)
		b.WriteString(" SET ")
		b.ident(t.SoftCol)
		b.WriteString(" = NULL WHERE ")
		b.ident(t.SoftCol)
		b.WriteString(" = ")
		w.db.stampArg(b, t, stamp{at: restoreMark})
		if _, err := w.ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	w.marked = nil
	return nil
}

// detachable reports whether fk is a SET NULL / SET DEFAULT reference that
// a restore clears (rather than refuses) when its parent is deleted. A NOT
// NULL column cannot be cleared (Pagila's payment.rental_id): its hidden
// parent refuses a restore like a RESTRICT one (the database's raw not-null
// violation escaped Undo before), and RestoreWithParents restores it.
func detachable(fk *foreignKey, c *table) bool {
	return (fk.Rule == SetNull || fk.Rule == SetDefault) && len(fk.ChildCols) == 1 && len(c.PK) == 1 && fk.Parent != c.Name &&
		notNullColumn(c, fk.ChildCols) == ""
}

// detach, before rows of c selected by sel come back, clears their SET
// NULL references to parents that another operation still hides, as that
// parent's delete would have done had they been alive. The old values are
// recorded under the parent's stamp, so restoring the parent puts them
// back.
//
// With hidden non-nil (see transfer), keys without such parents are
// skipped.
func (w *walk) detach(ctx context.Context, c *table, sel pred, busy map[string]bool, hidden map[*foreignKey]int64) error {
	d := w.db.dialect
	for _, fk := range c.Out {
		p := w.s.tables[fk.Parent]
		if p == nil || !p.soft() || !detachable(fk, c) || (d.UpdateJoin() && busy[c.Name]) || (hidden != nil && hidden[fk] == 0) {
			continue
		}
		col := fk.ChildCols[0]
		otherDeleted := func(b *sqlBuilder, q string) {
			w.otherStamp(b, q, p)
		}
		b := newBuilder(d, 512)
		recordNulled(b, func() { b.WriteString(w.db.stampCopy("q0", p, nil)) }, "c0", c, fk)
		b.ident(c.Name)
		b.WriteString(" c0 JOIN ")
		b.ident(p.Name)
		b.WriteString(" q0 ON ")
		joinOn(b, "q0", fk.ParentCols, "c0", fk.ChildCols)
		b.WriteString(" WHERE ")
		sel(b, "c0")
		b.WriteString(" AND ")
		otherDeleted(b, "q0")
		n, err := w.ex.execN(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		b = newBuilder(d, 512)
		if d.UpdateJoin() {
			b.WriteString("UPDATE ")
			b.ident(c.Name)
			b.WriteString(" c0 JOIN ")
			b.ident(p.Name)
			b.WriteString(" q0 ON ")
			joinOn(b, "q0", fk.ParentCols, "c0", fk.ChildCols)
			b.WriteString(" SET ")
			b.qualified("c0", col)
			b.WriteString(" = NULL WHERE ")
			sel(b, "c0")
			b.WriteString(" AND ")
			otherDeleted(b, "q0")
		} else {
			self := d.Quote(c.Name)
			b.WriteString("UPDATE ")
			b.ident(c.Name)
			b.WriteString(" SET ")
			b.ident(col)
			b.WriteString(" = NULL WHERE ")
			sel(b, self)
			b.WriteString(" AND EXISTS (SELECT 1 FROM ")
			b.ident(p.Name)
			b.WriteString(" q0 WHERE ")
			joinOn(b, "q0", fk.ParentCols, self, fk.ChildCols)
			b.WriteString(" AND ")
			otherDeleted(b, "q0")
			b.WriteString(")")
		}
		if _, err := w.ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	return nil
}

// joinOn writes a.p1 = b.c1 AND ... for paired column lists.
func joinOn(b *sqlBuilder, pa string, pcols []string, ca string, ccols []string) {
	for i := range pcols {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.qualified(pa, pcols[i])
		b.WriteString(" = ")
		b.qualified(ca, ccols[i])
	}
}

// run walks a delete from the root step until no edge changes a row, then
// (in cluster mode, cluster.go) writes the lock rows of the rows it hid,
// then checks the RESTRICT keys. In that order: a restore or Create of a
// child on another node writes the lock row of the parent it needs alive,
// so once ours is written, one committed later conflicts with it, and one
// committed earlier is seen by the check (which reads the latest committed
// rows there). Checked first, a child restored on another node and applied
// here between the check and the lock rows slipped through both.
func (w *walk) run(ctx context.Context, root step) error {
	if err := w.topDown(ctx, []step{root}); err != nil {
		return err
	}
	if w.db.clusterOn() {
		if err := w.lockHidden(ctx); err != nil {
			return err
		}
	}
	return w.restrictChecks(ctx, root.t)
}

// restoreJob is one deferred UPDATE of a bottom-up restore.
type restoreJob struct {
	fk *foreignKey
	c  *table
	s  step
}

// runRestore restores the rows of the root step (rootUpdate) and what
// their delete hid. It finds the rows top-down while every parent still
// carries the stamp, then updates bottom-up, children before parents, so
// each statement selects its parents by the stamp, the way the delete did
// (and the planner drives from the parents' keys). Levels deeper than
// maxSelDepth, and cycles, continue top-down afterwards.
func (w *walk) runRestore(ctx context.Context, root step, rootUpdate func() (int64, error)) (int64, error) {
	w.pending = true
	if w.markAll {
		w.marking, w.marked = true, map[string]*table{}
	}
	var jobs []restoreJob
	var frontier []step
	queue := []step{root}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, fk := range s.t.In {
			c := w.s.tables[fk.Child]
			if c == nil || !c.soft() {
				continue
			}
			switch fk.Rule {
			case Cascade:
				// Deep levels, self-references and cycles: a deeper UPDATE
				// could bring back a row a shallower one still selects by
				// its stamp, so they continue top-down after the root.
				if s.depth+1 > maxSelDepth || c.Name == s.t.Name || s.tables[c.Name] {
					if len(frontier) == 0 || frontier[len(frontier)-1].t != s.t || frontier[len(frontier)-1].depth != s.depth {
						frontier = append(frontier, s)
					}
					continue
				}
				if err := w.prepare(ctx, fk, c, s); err != nil {
					return 0, err
				}
				if hasDependants(w.s, c) {
					ok, err := w.exists(ctx, fk, c, s)
					if err != nil {
						return 0, err
					}
					if !ok {
						continue
					}
				}
				cs := w.childStep(c, fk, s)
				jobs = append(jobs, restoreJob{fk: fk, c: c, s: s})
				queue = append(queue, cs)
			case SetNull, SetDefault:
				if err := w.setNull(ctx, fk, c, s); err != nil {
					return 0, err
				}
			}
		}
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		n, err := w.cascade(ctx, j.fk, j.c, j.s)
		if err != nil {
			return 0, err
		}
		w.counts[j.c.Name] += n
	}
	if len(frontier) > 0 && !w.marking {
		// Rows with this stamp below an alive parent that this walk did not
		// restore (another root of the same delete, or a row its restore
		// left hidden) must stay hidden: the levels below select the rows
		// this walk restored, marked, as their parents.
		w.marking, w.marked = true, map[string]*table{}
	}
	n, err := rootUpdate()
	if err == nil && n > 0 {
		w.pending = false
		if len(frontier) > 0 {
			err = w.topDown(ctx, frontier)
		}
		if err == nil && w.before != nil {
			err = w.before(ctx)
		}
	}
	if err == nil && w.marking {
		err = w.clearMarks(ctx)
	}
	if err != nil || n == 0 {
		return n, err
	}
	return n, w.sameStampChecks(ctx)
}

// hasDependants reports whether rows of c can have rows that a restore of
// c brings back or re-links.
func hasDependants(s *schema, c *table) bool {
	for _, fk := range c.In {
		if d := s.tables[fk.Child]; d != nil && d.soft() && (fk.Rule == Cascade || fk.Rule == SetNull || fk.Rule == SetDefault) {
			return true
		}
	}
	return false
}

// exists reports whether the cascade from s through fk reaches any row,
// and locks the rows it reaches. The restore finds its rows top-down and
// locks each level before looking at the next: a concurrent restore that
// hands one of its rows over to this walk's stamp holds a share lock on
// the parent it looked at, so this walk waits for it (and then sees the
// row handed over), or takes the lock first (and the other restore then
// sees that parent alive and hands nothing over).
func (w *walk) exists(ctx context.Context, fk *foreignKey, c *table, s step) (bool, error) {
	n, err := w.db.lockRows(ctx, w.ex, c, func(b *sqlBuilder, alias string) {
		w.fromCond(b, alias, c)
		b.WriteString(" AND ")
		w.parentRows(b, alias, fk, s)
	})
	return n > 0, err
}

// lockRows locks the rows of t selected by sel for update and counts them
// (where the dialect has no row locks, it only tells whether there is one).
func (db *DB) lockRows(ctx context.Context, ex *executor, t *table, sel pred) (int64, error) {
	lock := db.dialect.RowLock(true, "x0")
	b := newBuilder(db.dialect, 256)
	if lock == "" {
		b.WriteString("SELECT 1 FROM ")
		b.ident(t.Name)
		b.WriteString(" x0 WHERE ")
		sel(b, "x0")
		b.WriteString(" LIMIT 1")
		var one int
		err := ex.queryRow(ctx, b.String(), b.args, &one)
		if err == ErrNotFound {
			return 0, nil
		}
		return 1, err
	}
	b.WriteString("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ")
	b.ident(t.Name)
	b.WriteString(" x0 WHERE ")
	sel(b, "x0")
	lockOrder(b, "x0", t)
	b.WriteString(lock)
	b.WriteString(") z")
	return ex.queryInt64(ctx, b.String(), b.args...)
}

// lockOrder writes " ORDER BY alias.pk1, ..." before the lock clause of a
// read that locks several rows of t: every multi-row lock takes its rows
// in primary-key order, so two operations that lock overlapping sets of
// rows (a handful of hot parents, a level of a tree) take them in the same
// order and wait for each other instead of deadlocking. (PostgreSQL locks
// the rows as the sorted result returns them; InnoDB as the scan reads
// them, which the order asks to be the primary key.)
func lockOrder(b *sqlBuilder, alias string, t *table) {
	if len(t.PK) == 0 || b.d.RowLock(true, alias) == "" {
		return
	}
	b.WriteString(" ORDER BY ")
	b.identList(alias, t.PK)
}

// referencedBy writes "(alias.p1, ...) IN (SELECT r.c1, ... FROM child r
// WHERE sel)": the parent rows that rows of child selected by sel
// reference through fk.
func referencedBy(b *sqlBuilder, alias string, fk *foreignKey, child string, sel pred) {
	inSelect(b, alias, fk.ParentCols, fk.ChildCols, func(b *sqlBuilder, inner string) {
		b.ident(child)
		b.WriteString(" " + inner)
	}, sel)
}

// referencedRows writes "(SELECT DISTINCT r.c1, ... FROM child r WHERE
// sel) rk JOIN parent alias ON alias.p1 = rk.c1 ...": the parent rows that
// rows of child selected by sel reference through fk, as a FROM clause for
// a locking read. The keys are found first, so that the read examines (and
// InnoDB locks) only the parent rows it returns, not every row a
// semi-join would scan.
func referencedRows(b *sqlBuilder, alias string, fk *foreignKey, child string, p *table, sel pred) {
	inner := b.alias()
	b.WriteString("(SELECT DISTINCT ")
	b.identList(inner, fk.ChildCols)
	b.WriteString(" FROM ")
	b.ident(child)
	b.WriteString(" ")
	b.WriteString(inner)
	b.WriteString(" WHERE ")
	sel(b, inner)
	b.WriteString(") rk JOIN ")
	b.ident(p.Name)
	b.WriteString(" ")
	b.WriteString(alias)
	b.WriteString(" ON ")
	joinOn(b, alias, fk.ParentCols, "rk", fk.ChildCols)
}

// lockParents share-locks the rows of p that the rows of c selected by
// sel (rows about to come back) reference through fk, and counts those
// another operation hides (other) and those this walk's stamp hides
// (same). The lock is what Create and Save take on the parent they check:
// a concurrent delete of such a parent waits for this restore and then
// hides the restored rows with its cascade, or goes first, and then this
// restore sees the parent deleted (a locking read sees the latest
// committed row).
func (w *walk) lockParents(ctx context.Context, c *table, fk *foreignKey, p *table, sel pred) (other, same int64, err error) {
	b := newBuilder(w.db.dialect, 512)
	b.WriteString("SELECT COUNT(CASE WHEN z.o = 1 THEN 1 END), COUNT(CASE WHEN z.s = 1 THEN 1 END) FROM (SELECT CASE WHEN ")
	w.otherStamp(b, "lp", p)
	b.WriteString(" THEN 1 ELSE 0 END AS o, CASE WHEN ")
	w.fromCond(b, "lp", p)
	b.WriteString(" THEN 1 ELSE 0 END AS s FROM ")
	referencedRows(b, "lp", fk, c.Name, p, sel)
	lockOrder(b, "lp", p)
	// A parent in the same table (a tree) is locked for update at once: it
	// is often a row this restore locks for update next (a level of the
	// subtree it brings back), and two restores that share a lock and then
	// both ask to upgrade it deadlock.
	b.WriteString(w.db.dialect.RowLock(p.Name == c.Name, "lp"))
	b.WriteString(") z")
	if err = w.ex.queryRow(ctx, b.String(), b.args, &other, &same); err != nil {
		return 0, 0, err
	}
	if w.db.clusterOn() {
		// The share lock above is node-local on a cluster (cluster.go).
		err = w.lockReferenced(ctx, c, fk, p, sel)
	}
	return other, same, err
}

// lockOtherParents runs lockParents for every soft-deletable parent of the
// rows of c selected by sel, except through via (the key that brings them
// back). It returns, per key, how many of those parents another operation
// hides, and remembers, for parents this walk's stamp hides, how many live
// rows referenced them before (sameStampChecks).
func (w *walk) lockOtherParents(ctx context.Context, c *table, via *foreignKey, sel pred) (map[*foreignKey]int64, error) {
	hidden := map[*foreignKey]int64{}
	for _, f2 := range c.Out {
		p := w.s.tables[f2.Parent]
		if p == nil || !p.soft() || f2 == via {
			continue
		}
		other, same, err := w.lockParents(ctx, c, f2, p, sel)
		if err != nil {
			return nil, err
		}
		hidden[f2] = other
		if same > 0 {
			if err := w.rememberSame(ctx, c, f2, p); err != nil {
				return nil, err
			}
		}
	}
	return hidden, nil
}

// rememberSame records, once per key, how many live rows of c reference
// through fk a row of p that this walk's stamp hides, for sameStampChecks.
func (w *walk) rememberSame(ctx context.Context, c *table, fk *foreignKey, p *table) error {
	if w.same[fk] != (sameCheck{}) {
		return nil
	}
	n, err := w.liveUnderStamp(ctx, c, fk, p)
	if err != nil {
		return err
	}
	if w.same == nil {
		w.same = map[*foreignKey]sameCheck{}
	}
	w.same[fk] = sameCheck{c: c, p: p, fk: fk, before: n}
	return nil
}

// sameStampParents returns the keys of the rows of p that rows of c
// selected by sel reference through fk and that this walk's stamp hides.
func (w *walk) sameStampParents(ctx context.Context, c *table, fk *foreignKey, p *table, sel pred) ([][]any, error) {
	b := newBuilder(w.db.dialect, 256)
	b.WriteString("SELECT ")
	b.identList("sp", p.PK)
	b.WriteString(" FROM ")
	referencedRows(b, "sp", fk, c.Name, p, sel)
	b.WriteString(" WHERE ")
	w.fromCond(b, "sp", p)
	rows, err := w.ex.query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		dest := make([]any, len(p.PK))
		ptrs := make([]any, len(dest))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, w.db.translate(err)
		}
		for i, k := range dest {
			if bs, ok := k.([]byte); ok {
				dest[i] = string(bs) // as deletedParents reads keys
			}
		}
		out = append(out, dest)
	}
	return out, w.db.translate(closeRows(rows))
}

// liveUnderStamp counts the live rows of c that reference, through fk, a
// row of p carrying the walk's stamp (read from the parents' side).
func (w *walk) liveUnderStamp(ctx context.Context, c *table, fk *foreignKey, p *table) (int64, error) {
	b := newBuilder(w.db.dialect, 256)
	b.WriteString("SELECT COUNT(*) FROM ")
	b.ident(p.Name)
	b.WriteString(" sp JOIN ")
	b.ident(c.Name)
	b.WriteString(" sc ON ")
	joinOn(b, "sp", fk.ParentCols, "sc", fk.ChildCols)
	b.WriteString(" WHERE ")
	w.fromCond(b, "sp", p)
	b.WriteString(" AND ")
	b.qualified("sc", c.SoftCol)
	b.WriteString(" IS NULL")
	return w.ex.queryInt64(ctx, b.String(), b.args...)
}

// sameStampChecks refuses a restore that brought back a row whose other
// parent this walk's stamp still hides (a row it did not restore).
func (w *walk) sameStampChecks(ctx context.Context) error {
	for _, sc := range w.same {
		n, err := w.liveUnderStamp(ctx, sc.c, sc.fk, sc.p)
		if err != nil {
			return err
		}
		if n > sc.before {
			return &ParentDeletedError{Table: sc.c.Name, Columns: sc.fk.ChildCols, ParentTable: sc.p.Name}
		}
	}
	return nil
}

// hiddenParentCheck refuses if a row of c selected by sel references,
// through fk, a parent that another operation hides.
func (w *walk) hiddenParentCheck(ctx context.Context, c *table, fk *foreignKey, sel pred) error {
	p := w.s.tables[fk.Parent]
	b := newBuilder(w.db.dialect, 256)
	b.WriteString("SELECT COUNT(*) FROM ")
	b.ident(p.Name)
	b.WriteString(" hp WHERE ")
	w.otherStamp(b, "hp", p)
	b.WriteString(" AND ")
	referencedBy(b, "hp", fk, c.Name, sel)
	n, err := w.ex.queryInt64(ctx, b.String(), b.args...)
	if err != nil {
		return err
	}
	if n > 0 {
		return &ParentDeletedError{Table: c.Name, Columns: fk.ChildCols, ParentTable: p.Name}
	}
	return nil
}

// prepare runs, before rows of c come back through fk, the conflict check,
// the hand-over of rows another parent still hides, and the clearing of
// references to deleted SET NULL parents.
//
// Only the rows about to come back are checked: their other parents are
// share-locked first (lockOtherParents), and a row that still references
// a parent another operation hides after the hand-over and the clearing
// of SET NULL references refuses the restore.
func (w *walk) prepare(ctx context.Context, fk *foreignKey, c *table, s step) error {
	sel := func(b *sqlBuilder, alias string) {
		w.fromCond(b, alias, c)
		b.WriteString(" AND ")
		w.parentRows(b, alias, fk, s)
	}
	hidden, err := w.lockOtherParents(ctx, c, fk, sel)
	if err != nil {
		return err
	}
	if err := w.lockRestored(ctx, c, sel); err != nil {
		return err
	}
	if err := w.conflictCheck(ctx, c, fk, s); err != nil {
		return err
	}
	if err := w.transfer(ctx, fk, c, s, hidden); err != nil {
		return err
	}
	if err := w.detach(ctx, c, sel, s.tables, hidden); err != nil {
		return err
	}
	for _, f2 := range c.Out {
		if hidden[f2] > 0 {
			if err := w.hiddenParentCheck(ctx, c, f2, sel); err != nil {
				return err
			}
		}
	}
	return nil
}

// topDown walks from the given steps, changing rows level by level, until
// no edge changes a row.
func (w *walk) topDown(ctx context.Context, queue []step) error {
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, fk := range s.t.In {
			c := w.s.tables[fk.Child]
			if c == nil {
				continue
			}
			switch fk.Rule {
			case Cascade:
				if !c.soft() {
					continue // the database cascades when the row is purged
				}
				if w.restore {
					if err := w.prepare(ctx, fk, c, s); err != nil {
						return err
					}
				}
				n, err := w.cascade(ctx, fk, c, s)
				if err != nil {
					return err
				}
				if n > 0 {
					w.counts[c.Name] += n
					queue = append(queue, w.childStep(c, fk, s))
				}
			case Restrict, NoAction:
				if !w.restore {
					w.checks = append(w.checks, restrictCheck{fk: fk, parent: s})
				}
			case SetNull, SetDefault:
				if !c.soft() {
					continue
				}
				if !w.restore && !setNullFollowed(fk, c) {
					// Clearing these references could not be undone exactly
					// (the bookkeeping names one column of a row with one key):
					// live rows holding one refuse the delete, rather than
					// keep pointing at a hidden parent.
					w.checks = append(w.checks, restrictCheck{fk: fk, parent: s, setNull: true})
					continue
				}
				if err := w.setNull(ctx, fk, c, s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// setNullFollowed reports whether the walk follows the SET NULL / SET
// DEFAULT reference fk of c: a single-column key in a table with a
// single-column primary key (what the bookkeeping can name).
func setNullFollowed(fk *foreignKey, c *table) bool {
	return len(fk.ChildCols) == 1 && len(c.PK) == 1
}

// restrictChecks refuses the delete if live rows still reference rows the
// walk hid through a RESTRICT / NO ACTION key.
func (w *walk) restrictChecks(ctx context.Context, root *table) error {
	var blockers map[string]int64
	var setNull []string
	for _, rc := range w.checks {
		c := w.s.tables[rc.fk.Child]
		b := newBuilder(w.db.dialect, 256)
		b.WriteString("SELECT COUNT(*) FROM ")
		b.ident(c.Name)
		b.WriteString(" r0 WHERE ")
		if c.soft() {
			b.qualified("r0", c.SoftCol)
			b.WriteString(" IS NULL AND ")
		}
		w.parentRows(b, "r0", rc.fk, rc.parent)
		if lr, ok := w.db.dialect.(latestReader); ok {
			b.WriteString(lr.LatestRead())
		}
		n, err := w.ex.queryInt64(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n > 0 {
			if blockers == nil {
				blockers = map[string]int64{}
			}
			blockers[c.Name] += n
			if rc.setNull {
				setNull = append(setNull, fmt.Sprintf("%s (%s)", c.Name, strings.Join(rc.fk.ChildCols, ", ")))
			}
		}
	}
	if blockers != nil {
		return &RestrictedError{Table: root.Name, Blockers: blockers, counts: w.counts, setNull: setNull}
	}
	return nil
}

// latestReader is implemented by dialects whose transactions read a
// snapshot taken at their first read (MariaDB's default REPEATABLE READ):
// LatestRead is the clause that makes a SELECT (an aggregate too) read the
// latest committed rows instead, and lock them. A delete's RESTRICT check
// uses it: read from a snapshot older than a child's restore (the caller's
// transaction in DeleteTx, or a Galera node that applied the restore after
// the snapshot), the check passed and the delete committed a live child
// under a hidden parent. PostgreSQL's READ COMMITTED reads the latest rows
// per statement; SQLite has one writer, whose stale snapshot fails.
type latestReader interface {
	LatestRead() string
}

// conflictCheck, before a restore step, refuses if a row about to come
// back would take an alive-only unique value a live row holds.
func (w *walk) conflictCheck(ctx context.Context, c *table, fk *foreignKey, s step) error {
	if !w.restore {
		return nil
	}
	return w.db.uniqueConflicts(ctx, w.ex, c, func(b *sqlBuilder, alias string) {
		w.fromCond(b, alias, c)
		b.WriteString(" AND ")
		w.parentRows(b, alias, fk, s)
	})
}

// uniqueConflicts checks, for each alive-only unique key of t, whether a
// row selected by sel (about to become alive) collides with a live row.
func (db *DB) uniqueConflicts(ctx context.Context, ex *executor, t *table, sel pred) error {
	for _, u := range t.uniques() {
		if !u.AliveOnly || u.Expr || len(u.Columns) == 0 || len(t.PK) == 0 {
			continue
		}
		b := newBuilder(db.dialect, 256)
		b.WriteString("SELECT ")
		b.identList("l0", t.PK)
		b.WriteString(" FROM ")
		b.ident(t.Name)
		b.WriteString(" l0 JOIN ")
		b.ident(t.Name)
		b.WriteString(" r0 ON ")
		for i, c := range u.Columns {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.qualified("l0", c)
			b.WriteString(" = ")
			b.qualified("r0", c)
		}
		b.WriteString(" WHERE ")
		b.qualified("l0", t.SoftCol)
		b.WriteString(" IS NULL AND ")
		sel(b, "r0")
		b.WriteString(" LIMIT 1")
		key := make([]any, len(t.PK))
		ptrs := make([]any, len(t.PK))
		for i := range key {
			ptrs[i] = &key[i]
		}
		err := ex.queryRow(ctx, b.String(), b.args, ptrs...)
		if err == ErrNotFound {
			continue
		}
		if err != nil {
			return err
		}
		for i, k := range key {
			if bs, ok := k.([]byte); ok {
				key[i] = string(bs)
			}
		}
		return &ConflictError{Table: t.Name, Columns: u.Columns, LiveKey: key}
	}
	return nil
}

// setNull, on delete, remembers and clears the references of alive rows
// of c to rows the step hid; on restore it puts them back where the
// reference is still NULL. Only single-column keys are supported; other
// references are left alone.
func (w *walk) setNull(ctx context.Context, fk *foreignKey, c *table, s step) error {
	if !setNullFollowed(fk, c) {
		return nil // a delete refuses when live rows hold such a reference (topDown)
	}
	d := w.db.dialect
	col := fk.ChildCols[0]
	if !w.restore && fk.Rule == SetNull && notNullColumn(c, fk.ChildCols) != "" {
		// The database would refuse the UPDATE with a raw not-null
		// violation: say which key, if a live row would be cleared.
		b := newBuilder(d, 256)
		b.WriteString("SELECT COUNT(*) FROM ")
		b.ident(c.Name)
		b.WriteString(" n0 WHERE ")
		b.qualified("n0", c.SoftCol)
		b.WriteString(" IS NULL AND ")
		w.parentRows(b, "n0", fk, s)
		n, err := w.ex.queryInt64(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n > 0 {
			return &SchemaError{Table: c.Name, Column: col, Msg: fmt.Sprintf("foreign key %s references %s with ON DELETE SET NULL but the column is NOT NULL: %d live rows cannot be cleared; make the column nullable or override the rule (WithRelationRule(%q, %q, ...))",
				fk.Name, fk.Parent, n, c.Name, fk.Parent)}
		}
	}
	if !w.restore {
		b := newBuilder(d, 256)
		recordNulled(b, func() { w.opStampArg(b) }, "n0", c, fk)
		b.ident(c.Name)
		b.WriteString(" n0 WHERE ")
		b.qualified("n0", c.SoftCol)
		b.WriteString(" IS NULL AND ")
		w.parentRows(b, "n0", fk, s)
		recorded, err := w.ex.execN(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if recorded > 0 && preLocks(d) {
			// The rows to clear, locked in key order before the UPDATE
			// (which takes them in the order its plan reads them): a hot
			// parent's children are many, and restores lock the same rows
			// as parents in key order.
			if _, err := w.db.lockRows(ctx, w.ex, c, func(b *sqlBuilder, alias string) {
				b.qualified(alias, c.SoftCol)
				b.WriteString(" IS NULL AND ")
				w.parentRows(b, alias, fk, s)
			}); err != nil {
				return err
			}
		}
		b = newBuilder(d, 256)
		b.WriteString("UPDATE ")
		b.ident(c.Name)
		b.WriteString(" SET ")
		b.ident(col)
		b.WriteString(" = ")
		if fk.Rule == SetDefault {
			b.WriteString("DEFAULT")
		} else {
			b.WriteString("NULL")
		}
		if d.UpdateJoin() {
			// MySQL cannot read the UPDATE target in a subquery: go through
			// the rows just recorded instead, joined on the child's key.
			b = newBuilder(d, 256)
			b.WriteString("UPDATE softdelete_nulled sn JOIN ")
			b.ident(c.Name)
			b.WriteString(" c0 ON ")
			b.qualified("c0", c.PK[0])
			b.WriteString(" = ")
			w.fromText(b, c, c.PK[0], "sn", "row_key", c, fk)
			b.WriteString(" SET ")
			b.qualified("c0", col)
			if fk.Rule == SetDefault {
				b.WriteString(" = DEFAULT")
			} else {
				b.WriteString(" = NULL")
			}
			b.WriteString(" WHERE sn.stamp = ")
			w.opStampArg(b)
			b.WriteString(" AND sn.child_table = ")
			b.arg(c.Name)
			b.WriteString(" AND sn.fk_name = ")
			b.arg(fk.Name)
			b.WriteString(" AND ")
			b.qualified("c0", c.SoftCol)
			b.WriteString(" IS NULL")
		} else {
			b.WriteString(" WHERE ")
			b.ident(c.SoftCol)
			b.WriteString(" IS NULL AND ")
			w.parentRows(b, d.Quote(c.Name), fk, s)
		}
		n, err := w.ex.execN(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n > 0 {
			if w.nulled == nil {
				w.nulled = map[string]int64{}
			}
			w.nulled[c.Name+"."+col] += n
		}
		return nil
	}
	// Restore: rows recorded for this stamp whose old parent is alive
	// again get their reference back. Every lookup goes through a key: the
	// child by its primary key, the parent by the referenced key, the
	// stored text converted to the column's type (never the column to
	// text, which reads the whole table).
	colType := ""
	if cc, ok := c.column(col); ok {
		colType = cc.Type
	}
	mysqlSelf := d.UpdateJoin() && (s.tables[c.Name] || s.t.Name == c.Name)
	parentBack := func(b *sqlBuilder, sn string, withSel bool) {
		b.qualified("sp", fk.ParentCols[0])
		b.WriteString(" = ")
		w.fromText(b, s.t, fk.ParentCols[0], sn, "old_values", c, fk)
		b.WriteString(" AND ")
		w.doneCond(b, "sp", s.t)
		if s.sel != nil && withSel {
			b.WriteString(" AND ")
			s.sel(b, "sp")
		}
	}
	ours := func(b *sqlBuilder, sn string) {
		b.WriteString(sn + ".stamp = ")
		w.opStampArg(b)
		b.WriteString(" AND " + sn + ".child_table = ")
		b.arg(c.Name)
		b.WriteString(" AND " + sn + ".fk_name = ")
		b.arg(fk.Name)
	}
	relink := true
	if preLocks(d) {
		// The rows recorded for this stamp, locked in key order before the
		// UPDATE (see the delete's side above); none: nothing to put back.
		n, err := w.db.lockRows(ctx, w.ex, c, func(b *sqlBuilder, alias string) {
			b.qualified(alias, col)
			b.WriteString(" IS NULL AND ")
			b.qualified(alias, c.PK[0])
			b.WriteString(" IN (SELECT ")
			w.fromText(b, c, c.PK[0], "sl", "row_key", c, fk)
			b.WriteString(" FROM softdelete_nulled sl WHERE ")
			ours(b, "sl")
			b.WriteString(")")
		})
		if err != nil {
			return err
		}
		relink = n > 0
	}
	b := newBuilder(d, 512)
	b.WriteString("UPDATE ")
	if d.UpdateJoin() {
		b.WriteString("softdelete_nulled sn JOIN ")
		b.ident(c.Name)
		b.WriteString(" c0 ON ")
		b.qualified("c0", c.PK[0])
		b.WriteString(" = ")
		w.fromText(b, c, c.PK[0], "sn", "row_key", c, fk)
		b.WriteString(" JOIN ")
		b.ident(s.t.Name)
		b.WriteString(" sp ON ")
		parentBack(b, "sn", !mysqlSelf)
		b.WriteString(" SET ")
		b.qualified("c0", col)
		b.WriteString(" = " + nulledValue(d, colType, "sn.old_values") + " WHERE ")
		ours(b, "sn")
		b.WriteString(" AND ")
		b.qualified("c0", col)
		b.WriteString(" IS NULL")
	} else {
		self := d.Quote(c.Name)
		b.ident(c.Name)
		b.WriteString(" SET ")
		b.ident(col)
		b.WriteString(" = ")
		pre, suf := d.CastWrap(colType)
		b.WriteString(pre + nulledValue(d, colType, "sn.old_values") + suf)
		b.WriteString(" FROM softdelete_nulled sn WHERE ")
		b.qualified(self, c.PK[0])
		b.WriteString(" = ")
		w.fromText(b, c, c.PK[0], "sn", "row_key", c, fk)
		b.WriteString(" AND ")
		ours(b, "sn")
		b.WriteString(" AND ")
		b.qualified(self, col)
		b.WriteString(" IS NULL AND EXISTS (SELECT 1 FROM ")
		b.ident(s.t.Name)
		b.WriteString(" sp WHERE ")
		parentBack(b, "sn", true)
		b.WriteString(")")
	}
	if relink {
		if _, err := w.ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	b = newBuilder(d, 256)
	b.WriteString("DELETE FROM softdelete_nulled WHERE ")
	ours(b, "softdelete_nulled")
	b.WriteString(" AND EXISTS (SELECT 1 FROM ")
	b.ident(s.t.Name)
	b.WriteString(" sp WHERE ")
	parentBack(b, "softdelete_nulled", true)
	b.WriteString(")")
	_, err := w.ex.exec(ctx, b.String(), b.args...)
	return err
}

// preLocks reports whether an operation locks rows ahead of the
// statements that need them, to keep one lock order: the SET NULL steps
// lock the rows they change in key order before their UPDATE, and a
// restore share-locks its children's other parents before its own rows
// (lockSiblingParents). Where the dialect has row locks and locks only the
// rows a locking read returns (PostgreSQL; measured there: most deadlocks
// of the full-size stress run were these UPDATEs against restores
// share-locking the same orders). MariaDB locks every row a locking read
// reads, its subqueries' too (the rows about to be restored, share-locked
// and then upgraded), and its UPDATE ... JOIN drives from the bookkeeping
// rows: left as it was.
func preLocks(d dialect) bool {
	return d.RowLock(true, "x0") != "" && !d.UpdateJoin()
}

// fromText writes field of the SET NULL bookkeeping row sn (text) converted
// to the type of column col of t, so that comparing it with the column
// reads the column's index. The conversion is guarded by the row's child
// table and key (fk nil: the table alone), so that a row of another
// table, whose text may not convert, is never converted whatever order the
// database evaluates in.
func (w *walk) fromText(b *sqlBuilder, t *table, col, sn, field string, c *table, fk *foreignKey) {
	w.db.fromText(b, t, col, sn, field, c, fk)
}

func (db *DB) fromText(b *sqlBuilder, t *table, col, sn, field string, c *table, fk *foreignKey) {
	typ := ""
	if cc, ok := t.column(col); ok {
		typ = cc.Type
	}
	if v := nulledValue(db.dialect, typ, sn+"."+field); v != sn+"."+field {
		b.WriteString(v)
		return
	}
	to := db.dialect.TextKeyCast(typ)
	if to == "" {
		b.WriteString(sn + "." + field)
		return
	}
	b.WriteString("CASE WHEN " + sn + ".child_table = ")
	b.arg(c.Name)
	if fk != nil {
		b.WriteString(" AND " + sn + ".fk_name = ")
		b.arg(fk.Name)
	}
	b.WriteString(" THEN CAST(" + sn + "." + field + " AS " + to + ") END")
}

var errDryRun = errors.New("softdelete: dry run")

// deleteRows soft-deletes the alive rows of t matching root (nil: all) and
// everything the foreign keys cascade to, as one logged operation.
func (db *DB) deleteRows(ctx context.Context, ex *executor, t *table, root pred, o opOptions) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if !t.soft() {
		return nil, &SchemaError{Table: t.Name, Msg: "table has no soft-delete column"}
	}
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	if err := db.stampCheck(s, t, OpDelete); err != nil {
		return nil, err
	}
	if !o.dryRun && fastKeys(t, o) != nil && db.fastCall(ex) && db.fastInfo(s, t).deleteOK {
		return db.fastDelete(ctx, ex, s, t, o.keys) // fastpath.go
	}
	var op *Operation
	for attempt := 0; ; attempt++ {
		op = nil
		err = ex.inTx(ctx, func(ex *executor) error {
			w := &walk{db: db, ex: ex, s: s, stamp: db.opStamp(), counts: map[string]int64{}}
			b := newBuilder(db.dialect, 256)
			b.WriteString("UPDATE ")
			b.ident(t.Name)
			b.WriteString(" SET ")
			b.ident(t.SoftCol)
			b.WriteString(" = ")
			w.stampArg(b, t)
			b.WriteString(" WHERE ")
			b.ident(t.SoftCol)
			b.WriteString(" IS NULL")
			if root != nil {
				b.WriteString(" AND (")
				root(b, "")
				b.WriteString(")")
			}
			n, err := ex.execN(ctx, b.String(), b.args...)
			if err != nil {
				return err
			}
			op = &Operation{Kind: OpDelete, Table: t.Name, Key: keyText(o.key), Counts: w.counts}
			if n == 0 {
				return nil
			}
			w.counts[t.Name] = n
			rs := step{t: t, tables: map[string]bool{}}
			if o.key != nil {
				rs.sel = root
			}
			if err := w.run(ctx, rs); err != nil {
				return err
			}
			stamp := w.stamp
			op.Stamp = &stamp
			op.Nulled = w.nulled
			op.rules = ruleRecord(s) // so that any process undoes it by the same rules
			ev := &Event{keys: db.stampKeys(ex, s, ourStamp(stamp))}
			if o.dryRun {
				return db.planHooks(ctx, ex, op, ev)
			}
			return db.recordOp(ctx, ex, op, ev)
		})
		if err == errDryRun {
			return op, nil
		}
		var ce *ConflictError
		if errors.As(err, &ce) && ex.tx == nil && attempt < 3 {
			continue // another process used the same stamp: take a new one
		}
		if err != nil {
			return nil, err
		}
		return op, nil
	}
}

// hardDeleteRows removes rows of t for good; the database's foreign keys
// apply. The SET NULL bookkeeping of the rows removed (the database's
// CASCADE included) goes with them.
func (db *DB) hardDeleteRows(ctx context.Context, ex *executor, t *table, root pred, o opOptions) (int64, error) {
	op, err := db.hardDelete(ctx, ex, t, root, o)
	if op == nil {
		return 0, err
	}
	return op.Counts[t.Name], err
}

// hardDelete is hardDeleteRows returning the logged operation (nil when no
// row matched).
func (db *DB) hardDelete(ctx context.Context, ex *executor, t *table, root pred, o opOptions) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	var done *Operation
	sel := func(b *sqlBuilder, alias string) {
		b.WriteString("1=1")
		if t.soft() && o.onlyDeleted {
			b.WriteString(" AND ")
			b.qualified(alias, t.SoftCol)
			b.WriteString(" IS NOT NULL")
		}
		if t.soft() && o.onlyAlive {
			b.WriteString(" AND ")
			b.qualified(alias, t.SoftCol)
			b.WriteString(" IS NULL")
		}
		if root != nil {
			b.WriteString(" AND (")
			root(b, alias)
			b.WriteString(")")
		}
	}
	err = ex.inTx(ctx, func(ex *executor) error {
		op := &Operation{Kind: OpHardDelete, Table: t.Name, Key: keyText(o.key)}
		ev := &Event{Op: op, Tx: ex.tx, keys: func(ctx context.Context, table string, batch int, fn func([][]any) error) error {
			if table != t.Name {
				return nil
			}
			return db.streamKeys(ctx, ex, t, sel, batch, fn)
		}}
		if err := db.runBefore(ctx, ev); err != nil {
			return err
		}
		n, err := db.removeForGood(ctx, ex, s, tableRows(t, sel), func(b *sqlBuilder) {
			b.WriteString("DELETE FROM ")
			b.ident(t.Name)
			b.WriteString(" WHERE ")
			sel(b, "")
		})
		if err != nil {
			if errors.Is(err, ErrRestricted) {
				return fmt.Errorf("%w (hard delete from %s)", err, t.Name)
			}
			return err
		}
		if n == 0 {
			return nil
		}
		op.Counts = map[string]int64{t.Name: n}
		if err := db.recordOp(ctx, ex, op, ev); err != nil {
			return err
		}
		done = op
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// restoreRow restores the row of t with primary key id (single column)
// and what its delete hid.
func (db *DB) restoreRow(ctx context.Context, ex *executor, t *table, id any, withParents bool) (*Operation, error) {
	if len(t.PK) != 1 {
		return nil, invalidf("table %s needs a single-column primary key here (it has %d columns); use RestoreKey", t.Name, len(t.PK))
	}
	return db.restoreKey(ctx, ex, t, []any{id}, withParents)
}

// restoreKey restores one row by its primary key values.
func (db *DB) restoreKey(ctx context.Context, ex *executor, t *table, key []any, withParents bool) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if !t.soft() {
		return nil, &SchemaError{Table: t.Name, Msg: "table has no soft-delete column"}
	}
	if len(key) != len(t.PK) {
		return nil, invalidf("table %s has a %d-column primary key, got %d values", t.Name, len(t.PK), len(key))
	}
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	if db.fastCall(ex) && !planningRestore(ctx) {
		s, err := db.schemaFor(ctx, ex)
		if err != nil {
			return nil, err
		}
		if db.fastInfo(s, t).restoreOK {
			if op, ok, err := db.fastRestore(ctx, ex, s, t, key); ok || err != nil { // fastpath.go
				return op, err
			}
		}
	}
	var op *Operation
	err := ex.inRestoreTx(ctx, func(ex *executor) error {
		var err error
		op, err = db.restoreKeyTx(ctx, ex, t, key, withParents, map[string]bool{})
		return err
	})
	return op, err
}

// visiting holds the rows whose restore is in progress up the call chain
// (RestoreWithParents through a cycle of foreign keys).
func (db *DB) restoreKeyTx(ctx context.Context, ex *executor, t *table, key []any, withParents bool, visiting map[string]bool) (*Operation, error) {
	self := t.Name + "\x00" + keyText(keyValue(key))
	if len(visiting) > 64 {
		return nil, fmt.Errorf("softdelete: restoring parents of %s went deeper than 64 levels", t.Name)
	}
	visiting[self] = true
	defer delete(visiting, self)
	parentsRestored := false
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	if err := db.stampCheck(s, t, OpRestore); err != nil {
		return nil, err
	}
	kp := tableKeyPred(t, key)
	if withParents {
		// Hidden parents first, top-down, each a locked step of its own.
		if parentsRestored, err = db.restoreParentsFirst(ctx, ex, s, t, kp, visiting); err != nil {
			return nil, err
		}
	}
	if err := db.lockSiblingParents(ctx, ex, s, t, kp); err != nil {
		return nil, err
	}
	// Share-lock the row's parents, then lock the row itself (the order in
	// which a parent's delete takes them): a concurrent delete of a parent
	// waits for this restore and then hides the row again with its
	// cascade, or goes first, and then this restore sees the parent
	// deleted.
	type hiddenParents struct {
		fk   *foreignKey
		p    *table
		keys [][]any
	}
	var hidden []hiddenParents
	for _, fk := range t.Out {
		p := s.tables[fk.Parent]
		if p == nil || !p.soft() {
			continue
		}
		pkeys, err := db.deletedParents(ctx, ex, t, fk, p, kp, true)
		if err != nil {
			return nil, err
		}
		if db.clusterOn() {
			// The share lock is node-local on a cluster (cluster.go): a
			// delete of the parent on another node, which does not see this
			// row come back, must write the same lock row.
			if err := db.lockReferenced(ctx, ex, t, fk, p, kp); err != nil {
				return nil, err
			}
		}
		if len(pkeys) > 0 && !detachable(fk, t) {
			hidden = append(hidden, hiddenParents{fk: fk, p: p, keys: pkeys})
		}
	}
	// The row's stamp identifies the operation that hid it. The row is
	// locked: a concurrent restore, or a restore and delete again, goes
	// first or waits, and the stamp read is the one the row has now.
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT ")
	b.WriteString(db.stampReadExpr("r0", t))
	b.WriteString(", " + db.hidingOp("r0", t, "id") + ", " + db.hidingOp("r0", t, "rules") + " FROM ")
	b.ident(t.Name)
	b.WriteString(" r0 WHERE ")
	kp(b, "r0")
	b.WriteString(db.dialect.RowLock(true, "r0"))
	var st stamp
	var deleted bool
	var target sql.NullInt64
	var rules sql.NullString
	if err := ex.queryRow(ctx, b.String(), b.args, stampScanner{db.dialect, &st, &deleted}, &target, &rules); err != nil {
		return nil, err
	}
	if !deleted {
		if parentsRestored {
			// Restoring a parent brought this row back (same operation).
			return &Operation{Kind: OpRestore, Table: t.Name, Key: keyText(keyValue(key)), Counts: map[string]int64{}}, nil
		}
		return nil, ErrNotDeleted
	}
	// Follow the rules the delete that hid the row followed.
	if s, t, err = replayFor(s, t, rules.String); err != nil {
		return nil, err
	}
	w := &walk{db: db, ex: ex, s: s, stamp: st.at, raw: st.raw, restore: true, counts: map[string]int64{}}
	op := &Operation{Kind: OpRestore, Table: t.Name, Key: keyText(keyValue(key)), Counts: w.counts, TargetOp: target.Int64}
	// A row changed while waiting for the lock is read in its new version,
	// but the subquery may not see the operation's log row yet.
	op.target, op.targetKnown = st.at, target.Valid
	ev := &Event{Op: op, Tx: ex.tx, keys: db.stampKeys(ex, s, st), DryRun: planningRestore(ctx)}
	w.hookKeys(ev)
	rootSel := func(b *sqlBuilder, alias string) {
		w.fromCond(b, alias, t)
		b.WriteString(" AND ")
		kp(b, alias)
	}
	if err := w.lockRestored(ctx, t, rootSel); err != nil {
		return nil, err
	}
	// A SET NULL parent that the row's own operation hides is not cleared
	// (detach clears references to parents another operation hides: the
	// parent's delete would have cleared them). It normally comes back with
	// the row; when it does not (another tool moved the row under another
	// CASCADE parent), it is a hidden parent like any other.
	for _, fk := range t.Out {
		p := s.tables[fk.Parent]
		if p == nil || !p.soft() || !detachable(fk, t) {
			continue
		}
		pkeys, err := w.sameStampParents(ctx, t, fk, p, rootSel)
		if err != nil {
			return nil, err
		}
		if len(pkeys) > 0 {
			hidden = append(hidden, hiddenParents{fk: fk, p: p, keys: pkeys})
		}
	}
	// Parents first: a restored row must not point at a deleted parent.
	for _, h := range hidden {
		fk, p := h.fk, h.p
		if !withParents {
			return nil, &ParentDeletedError{Table: t.Name, Columns: fk.ChildCols, ParentTable: p.Name}
		}
		for _, pk := range h.keys {
			if visiting[p.Name+"\x00"+keyText(keyValue(pk))] {
				continue // a cycle: that row's restore is under way up the chain
			}
			if _, err := db.restoreKeyTx(ctx, ex, p, pk, true, visiting); err != nil && !errors.Is(err, ErrNotDeleted) {
				return nil, err
			}
			parentsRestored = true
		}
	}
	if err := db.uniqueConflicts(ctx, ex, t, rootSel); err != nil {
		return nil, err
	}
	if err := w.detach(ctx, t, rootSel, nil, nil); err != nil {
		return nil, err
	}
	n, err := w.runRestore(ctx, step{t: t, sel: kp, tables: map[string]bool{}}, func() (int64, error) {
		return w.restoreRoots(ctx, t, rootSel)
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		if parentsRestored {
			// Restoring a parent brought this row back (same operation).
			return &Operation{Kind: OpRestore, Table: t.Name, Key: keyText(keyValue(key)), Counts: map[string]int64{}}, nil
		}
		return nil, ErrNotDeleted // restored concurrently
	}
	if err := db.recordRestore(ctx, ex, op, ev, len(visiting) > 1); err != nil {
		return nil, err
	}
	return op, nil
}

// lockSiblingParents, before a restore locks its rows (the rows of t
// selected by sel), share-locks the other parents of their hidden
// children in tables whose names sort before t's: the parents a restore
// checks are locked in one global order, table name, then key. A child
// with two parents (items under orders and products) otherwise made a
// restore of an order (its row, then the products of its items) and a
// restore of a product (its row, then the orders of its items) each hold
// its own row and wait for the other's. Hidden children of any operation
// count (a superset of the rows the restore brings back: the stamp is read
// with the row's lock, after this).
func (db *DB) lockSiblingParents(ctx context.Context, ex *executor, s *schema, t *table, sel pred) error {
	if !preLocks(db.dialect) {
		return nil
	}
	for _, fk := range t.In {
		c := s.tables[fk.Child]
		if c == nil || !c.soft() || c.Name == t.Name || fk.Rule != Cascade {
			continue
		}
		for _, f2 := range c.Out {
			p2 := s.tables[f2.Parent]
			if f2 == fk || p2 == nil || !p2.soft() || p2.Name >= t.Name {
				continue
			}
			b := newBuilder(db.dialect, 256)
			b.WriteString("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ")
			referencedRows(b, "sp", f2, c.Name, p2, func(b *sqlBuilder, alias string) {
				b.qualified(alias, c.SoftCol)
				b.WriteString(" IS NOT NULL AND ")
				refersTo(b, alias, fk, t.Name, sel)
			})
			lockOrder(b, "sp", p2)
			b.WriteString(db.dialect.RowLock(false, "sp"))
			b.WriteString(") z")
			if _, err := ex.queryInt64(ctx, b.String(), b.args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// restoreParentsFirst is the first part of RestoreWithParents: before the
// row (selected by kp) is locked, its hidden parents are restored, each by
// a restore of its own that restores its own hidden parents first, so the
// restores run top-down, parent before child, and each locks its row and
// then the rows below it: the order in which a cascade delete of an
// ancestor takes its locks. (Locking the row first and then walking up to
// its parents took the locks bottom-up, and a share lock on a parent then
// upgraded by that parent's restore: deadlocks with a cascade delete and
// with another RestoreWithParents under the same parent.)
//
// The looks here do not lock: a parent hidden after them is found by the
// locking read that follows in restoreKeyTx, which restores it then. It
// reports whether it restored a parent.
func (db *DB) restoreParentsFirst(ctx context.Context, ex *executor, s *schema, t *table, kp pred, visiting map[string]bool) (bool, error) {
	type hiddenParent struct {
		p   *table
		key []any
	}
	var hidden, cascading []hiddenParent
	for _, fk := range t.Out {
		p := s.tables[fk.Parent]
		if p == nil || !p.soft() || detachable(fk, t) {
			continue
		}
		pkeys, err := db.deletedParents(ctx, ex, t, fk, p, kp, false)
		if err != nil {
			return false, err
		}
		for _, pk := range pkeys {
			// A CASCADE parent's restore can bring this row back, which
			// is refused while a RESTRICT / NO ACTION parent is still
			// hidden: those come back first (in the order of t.Out, which
			// differs per dialect, film_category restored its film first
			// on MariaDB and was refused for its hidden category).
			if fk.Rule == Cascade {
				cascading = append(cascading, hiddenParent{p: p, key: pk})
			} else {
				hidden = append(hidden, hiddenParent{p: p, key: pk})
			}
		}
	}
	hidden = append(hidden, cascading...)
	if len(hidden) == 0 {
		return false, nil
	}
	// Only a deleted row's parents are restored.
	st, err := db.rowState(ctx, ex, t, kp)
	if err != nil || st != rowDeleted {
		return false, err // the locking read says what the row is
	}
	restored := false
	for _, h := range hidden {
		if visiting[h.p.Name+"\x00"+keyText(keyValue(h.key))] {
			continue // a cycle: that row's restore is under way up the chain
		}
		if _, err := db.restoreKeyTx(ctx, ex, h.p, h.key, true, visiting); err != nil && !errors.Is(err, ErrNotDeleted) {
			return false, err
		}
		restored = true
	}
	return restored, nil
}

// deletedParents share-locks the rows of p referenced via fk by the rows
// of t selected by sel (one row: at most one parent per key) and returns
// the keys of those that are soft-deleted. A locking read sees the latest
// committed state of the parents. With lock false it only reads.
func (db *DB) deletedParents(ctx context.Context, ex *executor, t *table, fk *foreignKey, p *table, sel pred, lock bool) ([][]any, error) {
	b := newBuilder(db.dialect, 256)
	b.WriteString("SELECT ")
	b.identList("dp", p.PK)
	b.WriteString(", CASE WHEN ")
	b.qualified("dp", p.SoftCol)
	b.WriteString(" IS NULL THEN 0 ELSE 1 END FROM ")
	referencedRows(b, "dp", fk, t.Name, p, sel)
	if lock {
		// A parent in the same table (a tree) is locked for update: it is
		// the row a restore of its own subtree locks for update, and on
		// MariaDB the tree's walk (UPDATE ... JOIN, which locks every row it
		// reads) would wait for a share lock held by a restore that waits
		// for it.
		lockOrder(b, "dp", p)
		b.WriteString(db.dialect.RowLock(p.Name == t.Name, "dp"))
	}
	rows, err := ex.query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		dest := make([]any, len(p.PK)+1)
		ptrs := make([]any, len(dest))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, db.translate(err)
		}
		if fmt.Sprint(dest[len(p.PK)]) == "1" {
			key := dest[:len(p.PK)]
			for i, k := range key {
				if bs, ok := k.([]byte); ok {
					key[i] = string(bs)
				}
			}
			out = append(out, key)
		}
	}
	return out, db.translate(closeRows(rows))
}

// restoreRows restores the soft-deleted rows of t matching root, each with
// what its own delete hid: one walk per distinct stamp among them (so the
// cost grows with the number of operations involved, not rows).
func (db *DB) restoreRows(ctx context.Context, ex *executor, t *table, root pred, o opOptions) (*Operation, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if err := db.opsFor(ctx, ex); err != nil {
		return nil, err
	}
	s, err := db.schemaFor(ctx, ex)
	if err != nil {
		return nil, err
	}
	if err := db.stampCheck(s, t, OpRestore); err != nil {
		return nil, err
	}
	total := &Operation{Kind: OpRestore, Table: t.Name, Counts: map[string]int64{}}
	err = ex.inRestoreTx(ctx, func(ex *executor) error {
		clear(total.Counts) // a retried attempt counts afresh
		b := newBuilder(db.dialect, 256)
		b.WriteString("SELECT DISTINCT ")
		b.WriteString(db.stampReadExpr("", t))
		b.WriteString(" FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		b.ident(t.SoftCol)
		b.WriteString(" IS NOT NULL AND (")
		root(b, "")
		b.WriteString(")")
		rows, err := ex.query(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		var stamps []stamp
		for rows.Next() {
			var st stamp
			var ok bool
			if err := rows.Scan(stampScanner{db.dialect, &st, &ok}); err != nil {
				rows.Close()
				return db.translate(err)
			}
			if ok {
				stamps = append(stamps, st)
			}
		}
		if err := closeRows(rows); err != nil {
			return db.translate(err)
		}
		for _, st := range stamps {
			// Each stamp's delete is walked by the rules it recorded.
			s, t, err := db.opSchema(ctx, ex, s, t, st.at)
			if err != nil {
				return err
			}
			op, err := db.restoreStampAt(ctx, ex, s, t, st, root, OpRestore)
			if err != nil {
				return err
			}
			for k, v := range op.Counts {
				total.Counts[k] += v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return total, nil
}

// restoreStamp restores the rows of t with the given stamp that match root
// (nil: all of them), then walks to the rows their delete hid.
func (db *DB) restoreStamp(ctx context.Context, ex *executor, s *schema, t *table, stamp time.Time, root pred, kind string) (*Operation, error) {
	return db.restoreStampAt(ctx, ex, s, t, ourStamp(stamp), root, kind)
}

// restoreStampAt is restoreStamp for a stamp as read from a row.
func (db *DB) restoreStampAt(ctx context.Context, ex *executor, s *schema, t *table, st stamp, root pred, kind string) (*Operation, error) {
	w := &walk{db: db, ex: ex, s: s, stamp: st.at, raw: st.raw, restore: true, counts: map[string]int64{}}
	op := &Operation{Kind: kind, Table: t.Name, Counts: w.counts}
	op.target = st.at
	ev := &Event{Op: op, Tx: ex.tx, keys: db.stampKeys(ex, s, st)}
	w.hookKeys(ev)
	sel := func(b *sqlBuilder, alias string) {
		w.fromCond(b, alias, t)
		if root != nil {
			b.WriteString(" AND (")
			root(b, alias)
			b.WriteString(")")
		}
	}
	if err := db.lockSiblingParents(ctx, ex, s, t, sel); err != nil {
		return nil, err
	}
	// Share-lock the parents of the rows to restore, then lock the rows
	// (see restoreKeyTx).
	for _, fk := range t.Out {
		p := s.tables[fk.Parent]
		if p == nil || !p.soft() {
			continue
		}
		other, same, err := w.lockParents(ctx, t, fk, p, sel)
		if err != nil {
			return nil, err
		}
		if fk.Parent == t.Name && root == nil {
			// A self-reference (a tree): parents carrying this stamp are
			// rows of t with the stamp, restored by this same operation.
			same = 0
		}
		if other+same > 0 && !detachable(fk, t) {
			return nil, &ParentDeletedError{Table: t.Name, Columns: fk.ChildCols, ParentTable: p.Name}
		}
		if same > 0 {
			// A SET NULL parent this stamp hides is not cleared: it must
			// come back in this walk (a cycle), or the restore is refused
			// (sameStampChecks), like a CASCADE parent.
			if err := w.rememberSame(ctx, t, fk, p); err != nil {
				return nil, err
			}
		}
	}
	// The rows are locked before the bottom-up updates (which change
	// children first): a restore that is handing a row over to this stamp
	// share-locks its parent among these rows, and then finishes first.
	// Locks are taken top-down (roots, then the other parents of each
	// level, then the level), so two restores do not wait for each other
	// in a circle.
	if _, err := db.lockRows(ctx, ex, t, sel); err != nil {
		return nil, err
	}
	if err := w.lockRestored(ctx, t, sel); err != nil {
		return nil, err
	}
	if err := db.uniqueConflicts(ctx, ex, t, sel); err != nil {
		return nil, err
	}
	if err := w.detach(ctx, t, sel, nil, nil); err != nil {
		return nil, err
	}
	var rootSel pred
	if root != nil {
		// While the roots still carry the stamp, the caller's condition
		// selects exactly them (even one that reads deleted_at). Once they
		// are restored it may no longer hold: the levels that continue
		// top-down then take the rows this walk restored (marked), which
		// are the selected roots and the rows restored below them.
		rootSel = func(b *sqlBuilder, alias string) {
			if !w.pending {
				b.WriteString("1=1")
				return
			}
			b.WriteString("(")
			root(b, alias)
			b.WriteString(")")
		}
	}
	if _, err := w.runRestore(ctx, step{t: t, sel: rootSel, tables: map[string]bool{}}, func() (int64, error) {
		return w.restoreRoots(ctx, t, sel)
	}); err != nil {
		return nil, err
	}
	if err := db.recordOp(ctx, ex, op, ev); err != nil {
		return nil, err
	}
	return op, nil
}

func keyValue(key []any) any {
	if len(key) == 1 {
		return key[0]
	}
	return key
}

func keyText(k any) string {
	switch v := k.(type) {
	case nil:
		return ""
	case []any:
		s := "("
		for i, x := range v {
			if i > 0 {
				s += ","
			}
			if b, ok := x.([]byte); ok {
				x = string(b)
			}
			s += fmt.Sprint(x)
		}
		return s + ")"
	case []byte:
		return string(v)
	}
	return fmt.Sprint(k)
}
