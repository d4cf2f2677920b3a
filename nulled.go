package softdelete

import (
	"context"
	"fmt"
	"slices"
)

// The SET NULL bookkeeping (softdelete_nulled) names rows by key: the
// child whose reference a delete cleared (row_key) and the parent it
// pointed at (old_values, under the stamp of the delete that hid it). A
// key names a row only while that row exists: once a row is removed for
// good (a second Delete, HardDelete, the database's ON DELETE CASCADE of
// one, Purge) a new row may take its key, and a restore must never put a
// reference back on it, nor point one at it. So removing rows for good
// deletes their bookkeeping in the same transaction, set-based: the rows
// are found by the same condition as the DELETE (or, on PostgreSQL, from
// what the DELETE returns, in the same statement), the bookkeeping by its
// indexes (child_table, row_key) and (stamp).

// goneRows are rows about to be removed for good: those of t in the FROM
// item from writes (under alias) where cond holds (nil: all of them).
type goneRows struct {
	t    *table
	from func(b *sqlBuilder, alias string)
	cond pred
	// kept, if set, names the foreign keys through which the database's
	// CASCADE removes nothing with these rows: cond keeps every row that
	// a row of fk's child references (the purge's NOT EXISTS), so no
	// bookkeeping of children goes with them through fk.
	kept func(fk *foreignKey) bool
}

func tableRows(t *table, cond pred) goneRows {
	return goneRows{t: t, cond: cond, from: func(b *sqlBuilder, alias string) {
		b.ident(t.Name)
		b.WriteString(" " + alias)
	}}
}

func (g goneRows) where(b *sqlBuilder, alias string) {
	if g.cond == nil {
		b.WriteString("1=1")
		return
	}
	g.cond(b, alias)
}

// nulledChild reports whether the bookkeeping can name rows of t as
// children (whatever the rules: another process may have cleared a
// reference under WithRelationRule).
func nulledChild(s *schema, t *table) bool {
	if !t.soft() || len(t.PK) != 1 {
		return false
	}
	for _, fk := range t.Out {
		if p := s.tables[fk.Parent]; p != nil && p.soft() && len(fk.ChildCols) == 1 {
			return true
		}
	}
	return false
}

// nulledParent reports whether the bookkeeping of fk can name rows of p
// as the parent a cleared reference pointed at.
func nulledParent(s *schema, p *table, fk *foreignKey) bool {
	c := s.tables[fk.Child]
	return p.soft() && c != nil && c.soft() && len(fk.ChildCols) == 1 && len(c.PK) == 1
}

// nulledReach reports whether removing rows of t can remove bookkeeping:
// theirs, or that of the rows the database's CASCADE removes with them.
func nulledReach(s *schema, t *table, seen map[string]bool) bool {
	if seen[t.Name] {
		return false
	}
	seen[t.Name] = true
	if nulledChild(s, t) {
		return true
	}
	for _, fk := range t.In {
		if nulledParent(s, t, fk) {
			return true
		}
	}
	for _, fk := range t.In {
		if c := s.tables[fk.Child]; c != nil && fk.Schema == Cascade && nulledReach(s, c, seen) {
			return true
		}
	}
	return false
}

// nulledCleanup is what removing rows for good does to the bookkeeping:
// statements run before the DELETE (or as part of it), and tables swept
// after it.
type nulledCleanup struct {
	stmts []func(b *sqlBuilder) // each writes one DELETE FROM softdelete_nulled
	sweep []*table              // reached through a cycle or deeper than maxSelDepth
	named []string              // the child_table values stmts delete
}

func (nc *nulledCleanup) empty() bool { return len(nc.stmts) == 0 && len(nc.sweep) == 0 }

// nulledFor plans the cleanup for the rows root and the rows the
// database's ON DELETE CASCADE removes with them, level by level, each
// level selected through the keys of the one above (as a delete's walk
// does). A table reached again through a cycle (a tree), or deeper than
// maxSelDepth, is swept after the DELETE instead: its bookkeeping that
// names a row that no longer exists goes.
func (db *DB) nulledFor(s *schema, root goneRows) *nulledCleanup {
	nc := &nulledCleanup{}
	swept := map[string]bool{}
	var sweep func(t *table)
	sweep = func(t *table) {
		if swept[t.Name] {
			return
		}
		swept[t.Name] = true
		nc.sweep = append(nc.sweep, t)
		for _, fk := range t.In {
			if c := s.tables[fk.Child]; c != nil && fk.Schema == Cascade {
				sweep(c)
			}
		}
	}
	var visit func(g goneRows, depth int, path map[string]bool)
	visit = func(g goneRows, depth int, path map[string]bool) {
		t := g.t
		if nulledChild(s, t) {
			nc.stmts = append(nc.stmts, func(b *sqlBuilder) { db.forgetChildren(b, g) })
			nc.named = append(nc.named, t.Name)
		}
		for _, fk := range t.In {
			if nulledParent(s, t, fk) {
				nc.stmts = append(nc.stmts, func(b *sqlBuilder) { db.forgetParents(b, g, fk) })
				nc.named = append(nc.named, fk.Child)
			}
		}
		for _, fk := range t.In {
			c := s.tables[fk.Child]
			if c == nil || fk.Schema != Cascade || (g.kept != nil && g.kept(fk)) || !nulledReach(s, c, map[string]bool{}) {
				continue
			}
			if path[c.Name] || depth >= maxSelDepth {
				sweep(c)
				continue
			}
			cg := tableRows(c, func(b *sqlBuilder, alias string) { goneReferencing(b, alias, fk, g) })
			next := map[string]bool{c.Name: true}
			for n := range path {
				next[n] = true
			}
			visit(cg, depth+1, next)
		}
	}
	visit(root, 0, map[string]bool{root.t.Name: true})
	return nc
}

// goneReferencing writes "(alias.c1, ...) IN (SELECT x.p1, ... FROM <g>
// x WHERE <g's condition>)": the rows of fk.Child that reference rows g.
func goneReferencing(b *sqlBuilder, alias string, fk *foreignKey, g goneRows) {
	inSelect(b, alias, fk.ChildCols, fk.ParentCols, g.from, g.where)
}

// forgetChildren deletes the bookkeeping that names rows g as children.
func (db *DB) forgetChildren(b *sqlBuilder, g goneRows) {
	d := db.dialect
	x := b.alias()
	key := nulledText(d, g.t, g.t.PK[0], x, true)
	if d.UpdateJoin() {
		b.WriteString("DELETE sn FROM softdelete_nulled sn JOIN ")
		g.from(b, x)
		b.WriteString(" ON sn.row_key = " + key + " WHERE sn.child_table = ")
		b.arg(g.t.Name)
		b.WriteString(" AND ")
		g.where(b, x)
		return
	}
	b.WriteString("DELETE FROM softdelete_nulled WHERE child_table = ")
	b.arg(g.t.Name)
	b.WriteString(" AND row_key IN (SELECT " + key + " FROM ")
	g.from(b, x)
	b.WriteString(" WHERE ")
	g.where(b, x)
	b.WriteString(")")
}

// forgetParents deletes the bookkeeping of fk that names soft-deleted rows
// g as the parent a cleared reference pointed at (found by their stamp).
func (db *DB) forgetParents(b *sqlBuilder, g goneRows, fk *foreignKey) {
	d := db.dialect
	p := g.t
	x := b.alias()
	old := nulledText(d, p, fk.ParentCols[0], x, true)
	if d.UpdateJoin() {
		b.WriteString("DELETE sn FROM softdelete_nulled sn JOIN ")
		g.from(b, x)
		b.WriteString(" ON sn.stamp = " + db.stampCopy(x, p, nil) + " WHERE sn.child_table = ")
		b.arg(fk.Child)
		b.WriteString(" AND sn.fk_name = ")
		b.arg(fk.Name)
		b.WriteString(" AND sn.old_values = " + old + " AND ")
		b.qualified(x, p.SoftCol)
		b.WriteString(" IS NOT NULL AND ")
		g.where(b, x)
		return
	}
	b.WriteString("DELETE FROM softdelete_nulled WHERE child_table = ")
	b.arg(fk.Child)
	b.WriteString(" AND fk_name = ")
	b.arg(fk.Name)
	b.WriteString(" AND (stamp, old_values) IN (SELECT " + db.stampCopy(x, p, nil) + ", " + old + " FROM ")
	g.from(b, x)
	b.WriteString(" WHERE ")
	b.qualified(x, p.SoftCol)
	b.WriteString(" IS NOT NULL AND ")
	g.where(b, x)
	b.WriteString(")")
}

// sweepNulled deletes, after a DELETE, the bookkeeping of t that names a
// row that no longer exists, as child or as parent.
func (db *DB) sweepNulled(ctx context.Context, ex *executor, s *schema, t *table) error {
	d := db.dialect
	type orphan struct {
		c    *table      // the child table named
		fk   *foreignKey // nil: t's rows as children
		col  string      // the column of t the text names
		tbl  *table      // t
		text string      // row_key or old_values
	}
	var list []orphan
	if nulledChild(s, t) {
		list = append(list, orphan{c: t, col: t.PK[0], tbl: t, text: "row_key"})
	}
	for _, fk := range t.In {
		if nulledParent(s, t, fk) {
			list = append(list, orphan{c: s.tables[fk.Child], fk: fk, col: fk.ParentCols[0], tbl: t, text: "old_values"})
		}
	}
	for _, o := range list {
		b := newBuilder(d, 256)
		sn := "sn"
		if !d.UpdateJoin() {
			sn = "softdelete_nulled"
		}
		match := func() {
			b.qualified("x", o.col)
			b.WriteString(" = ")
			db.fromText(b, o.tbl, o.col, sn, o.text, o.c, o.fk)
		}
		mine := func() {
			b.WriteString(sn + ".child_table = ")
			b.arg(o.c.Name)
			if o.fk != nil {
				b.WriteString(" AND " + sn + ".fk_name = ")
				b.arg(o.fk.Name)
			}
		}
		if d.UpdateJoin() {
			b.WriteString("DELETE sn FROM softdelete_nulled sn LEFT JOIN ")
			b.ident(t.Name)
			b.WriteString(" x ON ")
			match()
			b.WriteString(" WHERE ")
			mine()
			b.WriteString(" AND ")
			b.qualified("x", o.col)
			b.WriteString(" IS NULL")
		} else {
			b.WriteString("DELETE FROM softdelete_nulled WHERE ")
			mine()
			b.WriteString(" AND NOT EXISTS (SELECT 1 FROM ")
			b.ident(t.Name)
			b.WriteString(" x WHERE ")
			match()
			b.WriteString(")")
		}
		if _, err := ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	return nil
}

// removeForGood runs del, the DELETE of the rows g, with the cleanup of
// the bookkeeping of every row it removes (the database's CASCADE
// included), in ex's transaction, and returns the rows deleted from g.t.
// On PostgreSQL the cleanup is part of the DELETE's statement, driven by
// the rows it returns; elsewhere it runs just before, on the rows locked
// first (MariaDB) or under SQLite's single writer.
func (db *DB) removeForGood(ctx context.Context, ex *executor, s *schema, g goneRows, del func(b *sqlBuilder)) (int64, error) {
	nc := db.nulledFor(s, g)
	d := db.dialect
	var n int64
	var err error
	switch {
	case len(nc.stmts) > 0 && d.WritableCTE():
		b := newBuilder(d, 1024)
		b.WriteString("WITH softdelete_gone AS (")
		del(b)
		b.WriteString(" RETURNING *)")
		for i, st := range db.goneCleanup(s, g) {
			fmt.Fprintf(b, ", softdelete_n%d AS (", i)
			st(b)
			b.WriteString(")")
		}
		b.WriteString(" SELECT COUNT(*) FROM softdelete_gone")
		n, err = ex.queryInt64(ctx, b.String(), b.args...)
	default:
		stmts := nc.stmts
		if len(stmts) > 0 && d.RowLock(true, "x0") != "" {
			if _, err := db.lockRows(ctx, ex, g.t, g.where); err != nil {
				return 0, err
			}
		} else if len(stmts) > 0 && ex.tx != nil {
			// One writer at a time (SQLite), and this transaction is it:
			// when no bookkeeping names a row of these tables, which one
			// index look tells, the cleanup has nothing to find (each of
			// its statements would select the rows to remove first).
			some, err := db.nulledAny(ctx, ex, nc.named)
			if err != nil {
				return 0, err
			}
			if !some {
				stmts = nil
			}
		}
		for _, st := range stmts {
			b := newBuilder(d, 512)
			st(b)
			if _, err := ex.exec(ctx, b.String(), b.args...); err != nil {
				return 0, err
			}
		}
		b := newBuilder(d, 512)
		del(b)
		n, err = ex.execN(ctx, b.String(), b.args...)
	}
	if err != nil || n == 0 {
		return n, err
	}
	for _, t := range nc.sweep {
		if err := db.sweepNulled(ctx, ex, s, t); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// nulledAny reports whether bookkeeping names rows of the tables named.
func (db *DB) nulledAny(ctx context.Context, ex *executor, named []string) (bool, error) {
	b := newBuilder(db.dialect, 128)
	b.WriteString("SELECT COUNT(*) FROM (SELECT 1 FROM softdelete_nulled WHERE child_table IN (")
	for i, n := range slices.Compact(slices.Sorted(slices.Values(named))) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.arg(n)
	}
	b.WriteString(") LIMIT 1) x")
	n, err := ex.queryInt64(ctx, b.String(), b.args...)
	return n > 0, err
}

// goneCleanup is the cleanup for the rows g that the statement's DELETE
// returns (softdelete_gone), as parts of that statement.
func (db *DB) goneCleanup(s *schema, g goneRows) []func(b *sqlBuilder) {
	return db.nulledFor(s, goneRows{t: g.t, kept: g.kept, from: func(b *sqlBuilder, alias string) {
		b.WriteString("softdelete_gone " + alias)
	}}).stmts
}
