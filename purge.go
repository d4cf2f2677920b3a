package softdelete

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PurgePolicy says what Purge removes for good.
type PurgePolicy struct {
	// OlderThan: rows soft-deleted longer ago than this are purged.
	// Required unless Before is set.
	OlderThan time.Duration
	// Before, if set, is the cut-off itself (overrides OlderThan).
	Before time.Time
	// Tables limits the purge to these tables (default: every table with a
	// soft-delete column).
	Tables []string
	// Retention overrides OlderThan per table, or opts a table out.
	Retention map[string]Retention
	// BatchSize caps the rows of one batch (default 1000). Each batch is one
	// transaction over a primary-key range.
	BatchSize int
	// MaxBatchTime is the time one batch should take (default 100ms):
	// slower batches halve the next batch size, fast ones grow it back.
	MaxBatchTime time.Duration
	// DryRun runs the purge itself inside one transaction and rolls it
	// back: the same batches, the same "kept because referenced" checks,
	// children before parents, so its counts are the real purge's. It runs
	// no hooks, writes nothing that stays, and holds the locks of the rows
	// it would remove until it ends.
	DryRun bool
	// Progress, if set, is called after every batch.
	Progress func(PurgeProgress)
}

// Retention is a table's own purge rule.
type Retention struct {
	OlderThan time.Duration // 0: the policy's
	Skip      bool          // never purge this table
}

// PurgeProgress reports a purge under way.
type PurgeProgress struct {
	Table        string
	Done, Total  int64 // rows purged so far and rows due, all tables
	TableDone    int64
	Rate         float64 // rows per second
	ETA          time.Duration
	Batches      int
	LastBatch    time.Duration
	LongestBatch time.Duration
}

// PurgeResult sums up a purge.
type PurgeResult struct {
	Counts  map[string]int64 // rows purged (or that would be, for a dry run) per table
	Blocked map[string]int64 // due rows kept because rows that stay reference them
	// Skipped lists the soft-deletable tables this purge cannot reach, and
	// why (a table without a primary key cannot be purged in batches).
	Skipped      map[string]string
	Batches      int
	LongestBatch time.Duration
	Elapsed      time.Duration
	DryRun       bool
}

// Purge removes for good the rows soft-deleted before the cut-off, children
// before parents, in primary-key-range batches of bounded size (composite
// keys too: ranges of key tuples), each its own transaction and its own
// logged operation. It can be killed at any point and run again: it
// reaches the same end state and leaves no orphan. Several purgers may run
// at once (they take turns per table through row locks on a lease table,
// FOR UPDATE SKIP LOCKED; no advisory locks). A row restored while a purge
// runs is never purged: every DELETE re-checks deleted_at. A due row that
// a row that stays (alive, not due yet, or in a table this purge does not
// reach) still references is kept (Blocked) until that changes. Tables
// that reference each other are purged when every row of a reference
// cycle is due: the cycle's nullable references among due rows are
// cleared and the rows removed in one transaction, which is rolled back
// (and the rows reported Blocked) unless every due row of those tables
// could go.
func (db *DB) Purge(ctx context.Context, p PurgePolicy) (*PurgeResult, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	if p.OlderThan <= 0 && p.Before.IsZero() {
		return nil, invalidf("purge needs OlderThan > 0 or Before")
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 1000
	}
	if p.MaxBatchTime <= 0 {
		p.MaxBatchTime = 100 * time.Millisecond
	}
	if err := db.ensureOps(ctx); err != nil {
		return nil, err
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.Retention) > 0 {
		// Tables named by the user, matched by the database's case rules.
		ret := make(map[string]Retention, len(p.Retention))
		for n, r := range p.Retention {
			if _, exact := s.tables[n]; exact {
				ret[n] = r
			} else if _, set := ret[s.canonical(n)]; !set {
				ret[s.canonical(n)] = r
			}
		}
		p.Retention = ret
	}
	plan, skipped, err := purgePlan(s, p)
	if err != nil {
		return nil, err
	}
	now := db.timestamp()
	cutoffs := map[string]time.Time{}
	for _, comp := range plan {
		for _, t := range comp {
			c := p.Before
			if c.IsZero() {
				c = now.Add(-p.OlderThan)
			}
			if r, ok := p.Retention[t.Name]; ok && r.OlderThan > 0 {
				c = now.Add(-r.OlderThan)
			}
			cutoffs[t.Name] = c.UTC()
		}
	}
	res := &PurgeResult{Counts: map[string]int64{}, Blocked: map[string]int64{}, Skipped: skipped, DryRun: p.DryRun}
	start := time.Now()
	pr := &purger{db: db, ex: db.exec(), s: s, p: p, cutoffs: cutoffs, res: res, dry: p.DryRun, start: start}
	if p.Progress != nil {
		// Totals only feed progress: a full count costs a scan per table.
		for _, comp := range plan {
			for _, t := range comp {
				n, err := pr.dueCount(ctx, t)
				if err != nil {
					return nil, err
				}
				pr.total += n
			}
		}
	}
	if p.DryRun {
		// The real computation, rolled back.
		err := db.exec().inTx(ctx, func(ex *executor) error {
			// A transaction retried after a deadlock starts over.
			res.Counts, res.Blocked, res.Batches, res.LongestBatch, pr.done = map[string]int64{}, map[string]int64{}, 0, 0, 0
			pr.ex = ex
			if err := pr.run(ctx, plan); err != nil {
				return err
			}
			return errDryRun
		})
		res.Elapsed = time.Since(start)
		if err != errDryRun {
			return nil, err
		}
		return res, nil
	}
	var all []*table
	for _, comp := range plan {
		all = append(all, comp...)
	}
	if err := pr.leases(ctx, all); err != nil {
		return nil, err
	}
	err = pr.run(ctx, plan)
	res.Elapsed = time.Since(start)
	return res, err
}

// run purges the tables of plan, one group of tables that reference each
// other at a time, children before parents.
func (pr *purger) run(ctx context.Context, plan [][]*table) error {
	for _, comp := range plan {
		cyclic := len(comp) > 1 || selfReferencing(comp[0])
		// Rows of a group can hold each other back: pass again while a
		// pass removed something.
		if _, err := pr.passes(ctx, comp, cyclic); err != nil {
			return err
		}
		if cyclic {
			if err := pr.breakCycles(ctx, comp); err != nil {
				return err
			}
		}
		for _, t := range comp {
			if !pr.canBlock(t) {
				continue
			}
			kept, err := pr.dueCount(ctx, t)
			if err != nil {
				return err
			}
			if kept > 0 {
				pr.res.Blocked[t.Name] = kept
			}
		}
	}
	return nil
}

// passes purges the tables of comp, again and again while again is set and
// a pass removed rows.
func (pr *purger) passes(ctx context.Context, comp []*table, again bool) (int64, error) {
	var total int64
	for {
		var n int64
		for _, t := range comp {
			m, err := pr.table(ctx, t)
			if err != nil {
				return total, err
			}
			n += m
		}
		total += n
		if !again || n == 0 {
			return total, nil
		}
	}
}

var errCycleKept = errors.New("softdelete: cycle kept")

// breakCycles purges the due rows of a group of tables that reference each
// other (or of a table that references itself) which plain passes left
// because they reference each other in a cycle. The rows to keep are the
// due rows a row that stays reaches through references (a recursive query
// over the group's due rows); every other due row goes. In one
// transaction, the nullable references inside the group held by due rows
// that go are cleared, which breaks their cycles, and the group is purged
// again. Should anything but the rows to keep be left, it all rolls back
// and the rows stay Blocked: a reference is never cleared on a row that
// stays. Groups whose tables do not all have a one-column integer key are
// left as they are.
func (pr *purger) breakCycles(ctx context.Context, comp []*table) error {
	idx := map[string]int{}
	for i, t := range comp {
		if _, ok := pr.integerKey(t); !ok {
			return nil
		}
		idx[t.Name] = i
	}
	type edge struct {
		c  *table
		fk *foreignKey
	}
	var edges []edge
	for _, c := range comp {
		for _, fk := range c.Out {
			if _, in := idx[fk.Parent]; in && nullableCols(c, fk.ChildCols) {
				edges = append(edges, edge{c, fk})
			}
		}
	}
	if len(edges) == 0 {
		return nil
	}
	var left int64
	for _, t := range comp {
		n, err := pr.dueCount(ctx, t)
		if err != nil {
			return err
		}
		left += n
	}
	if left == 0 {
		return nil
	}
	b := newBuilder(pr.db.dialect, 1024)
	b.WriteString("SELECT COUNT(*) FROM (")
	pr.keptRows(b, comp, idx)
	b.WriteString(") x")
	keep, err := pr.ex.queryInt64(ctx, b.String(), b.args...)
	if err != nil {
		return err
	}
	if keep >= left {
		return nil // every due row left is held by a row that stays
	}
	saved := *pr.res
	saved.Counts = maps.Clone(pr.res.Counts)
	savedDone := pr.done
	reset := func() {
		*pr.res = saved
		pr.res.Counts = maps.Clone(saved.Counts)
		pr.done = savedDone
	}
	err = pr.ex.inTx(ctx, func(ex *executor) error {
		reset() // a transaction retried after a deadlock starts over
		outer := pr.ex
		pr.ex = ex
		defer func() { pr.ex = outer }()
		for _, e := range edges {
			if err := pr.clearCycleRefs(ctx, comp, idx, e.c, e.fk); err != nil {
				return err
			}
		}
		if _, err := pr.passes(ctx, comp, true); err != nil {
			return err
		}
		var n int64
		for _, t := range comp {
			m, err := pr.dueCount(ctx, t)
			if err != nil {
				return err
			}
			n += m
		}
		if n != keep {
			return errCycleKept
		}
		return nil
	})
	if err == errCycleKept {
		reset()
		return nil
	}
	return err
}

func nullableCols(t *table, cols []string) bool {
	for _, n := range cols {
		c, ok := t.column(n)
		if !ok || c.NotNull || c.pkPos > 0 || c.Generated {
			return false
		}
	}
	return true
}

// intKey writes the key expression as a 64-bit integer.
func (pr *purger) intKey(b *sqlBuilder, alias string, t *table) {
	to := pr.db.dialect.Facts().Int64Cast
	if to == "" {
		b.qualified(alias, t.PK[0])
		return
	}
	b.WriteString("CAST(")
	b.qualified(alias, t.PK[0])
	b.WriteString(" AS " + to + ")")
}

// keptRows writes a query of the due rows of the group comp that must stay,
// as (tn, k): the table's position in comp and its key. They are the due
// rows referenced by a row that stays (alive, not due, or in another
// table: those were purged first, so what is left there stays), and, over
// and over, the due rows that a kept row references.
func (pr *purger) keptRows(b *sqlBuilder, comp []*table, idx map[string]int) {
	b.WriteString("WITH RECURSIVE softdelete_e (ct, ck, pt, pk) AS (")
	first := true
	for _, c := range comp {
		for _, fk := range c.Out {
			pi, in := idx[fk.Parent]
			if !in {
				continue
			}
			p := comp[pi]
			if !first {
				b.WriteString(" UNION ALL ")
			}
			first = false
			fmt.Fprintf(b, "SELECT %d, ", idx[c.Name])
			pr.intKey(b, "c0", c)
			fmt.Fprintf(b, ", %d, ", pi)
			pr.intKey(b, "p0", p)
			b.WriteString(" FROM ")
			b.ident(c.Name)
			b.WriteString(" c0 JOIN ")
			b.ident(p.Name)
			b.WriteString(" p0 ON ")
			joinOn(b, "p0", fk.ParentCols, "c0", fk.ChildCols)
			b.WriteString(" WHERE ")
			pr.dueStamp(b, c, "c0")
			b.WriteString(" AND ")
			pr.dueStamp(b, p, "p0")
		}
	}
	b.WriteString("), softdelete_k (tn, k) AS (SELECT a.tn, a.k FROM (")
	first = true
	for i, t := range comp {
		for _, fk := range t.In {
			c := pr.s.tables[fk.Child]
			if c == nil || (!c.soft() && (fk.Schema == Cascade || fk.Schema == SetNull || fk.Schema == SetDefault)) {
				continue
			}
			if !first {
				b.WriteString(" UNION ")
			}
			first = false
			fmt.Fprintf(b, "SELECT %d AS tn, ", i)
			pr.intKey(b, "t0", t)
			b.WriteString(" AS k FROM ")
			b.ident(t.Name)
			b.WriteString(" t0 WHERE ")
			pr.dueStamp(b, t, "t0")
			b.WriteString(" AND EXISTS (SELECT 1 FROM ")
			b.ident(c.Name)
			b.WriteString(" c0 WHERE ")
			joinOn(b, "t0", fk.ParentCols, "c0", fk.ChildCols)
			if _, in := idx[c.Name]; in {
				b.WriteString(" AND NOT (")
				pr.dueStamp(b, c, "c0")
				b.WriteString(")")
			}
			b.WriteString(")")
		}
	}
	if first { // nothing outside the group can hold a row back
		b.WriteString("SELECT 0 AS tn, ")
		pr.intKey(b, "t0", comp[0])
		b.WriteString(" AS k FROM ")
		b.ident(comp[0].Name)
		b.WriteString(" t0 WHERE 1 = 0")
	}
	b.WriteString(") a UNION SELECT e.pt, e.pk FROM softdelete_k JOIN softdelete_e e ON e.ct = softdelete_k.tn AND e.ck = softdelete_k.k")
	b.WriteString(") SELECT tn, k FROM softdelete_k")
}

// clearCycleRefs sets to NULL the references of fk held by due rows of c
// that go (not kept) to due rows of fk's parent.
func (pr *purger) clearCycleRefs(ctx context.Context, comp []*table, idx map[string]int, c *table, fk *foreignKey) error {
	d := pr.db.dialect
	p := pr.s.tables[fk.Parent]
	b := newBuilder(d, 1024)
	b.WriteString("UPDATE ")
	b.ident(c.Name)
	self := d.Quote(c.Name)
	if d.UpdateJoin() {
		self = "c0"
		b.WriteString(" c0 JOIN ")
		b.ident(p.Name)
		b.WriteString(" p0 ON ")
		joinOn(b, "p0", fk.ParentCols, "c0", fk.ChildCols)
		b.WriteString(" SET ")
		for i, col := range fk.ChildCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.qualified("c0", col)
			b.WriteString(" = NULL")
		}
		b.WriteString(" WHERE ")
		pr.dueStamp(b, p, "p0")
	} else {
		b.WriteString(" SET ")
		for i, col := range fk.ChildCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.ident(col)
			b.WriteString(" = NULL")
		}
		b.WriteString(" WHERE EXISTS (SELECT 1 FROM ")
		b.ident(p.Name)
		b.WriteString(" p0 WHERE ")
		joinOn(b, "p0", fk.ParentCols, self, fk.ChildCols)
		b.WriteString(" AND ")
		pr.dueStamp(b, p, "p0")
		b.WriteString(")")
	}
	b.WriteString(" AND ")
	pr.dueStamp(b, c, self)
	b.WriteString(" AND ")
	b.qualified(self, c.PK[0])
	b.WriteString(" NOT IN (SELECT x.k FROM (")
	pr.keptRows(b, comp, idx)
	fmt.Fprintf(b, ") x WHERE x.tn = %d)", idx[c.Name])
	_, err := pr.ex.exec(ctx, b.String(), b.args...)
	return err
}

func selfReferencing(t *table) bool {
	for _, fk := range t.Out {
		if fk.Parent == t.Name {
			return true
		}
	}
	return false
}

// purgePlan lists the tables to purge in groups that reference each other
// (strongly connected components of the foreign-key graph), children
// before parents, and the soft-deletable tables it cannot purge, with why.
func purgePlan(s *schema, p PurgePolicy) ([][]*table, map[string]string, error) {
	var names []string
	if len(p.Tables) > 0 {
		for _, n := range p.Tables {
			t, err := s.lookup(n)
			if err != nil {
				return nil, nil, err
			}
			n = t.Name
			if !t.soft() {
				return nil, nil, &SchemaError{Table: n, Msg: "table has no soft-delete column"}
			}
			if len(t.PK) == 0 {
				return nil, nil, &SchemaError{Table: n, Msg: "table has no primary key: purge removes rows in key-range batches and cannot purge it"}
			}
			names = append(names, n)
		}
	} else {
		for n, t := range s.tables {
			if t.soft() {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	in := map[string]bool{}
	skipped := map[string]string{}
	for _, n := range names {
		if r, ok := p.Retention[n]; ok && r.Skip {
			continue
		}
		if len(s.tables[n].PK) == 0 {
			skipped[n] = "no primary key: purge removes rows in key-range batches"
			continue
		}
		in[n] = true
	}
	// Tarjan: a component is complete only after every component its
	// children are in, so components come out children first.
	var out [][]*table
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	next := 0
	var visit func(n string)
	visit = func(n string) {
		index[n], low[n] = next, next
		next++
		stack = append(stack, n)
		onStack[n] = true
		for _, fk := range s.tables[n].In {
			c := fk.Child
			if !in[c] {
				continue
			}
			if _, seen := index[c]; !seen {
				visit(c)
				low[n] = min(low[n], low[c])
			} else if onStack[c] {
				low[n] = min(low[n], index[c])
			}
		}
		if low[n] == index[n] {
			var comp []*table
			for {
				m := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[m] = false
				comp = append(comp, s.tables[m])
				if m == n {
					break
				}
			}
			slices.SortFunc(comp, func(a, b *table) int { return strings.Compare(a.Name, b.Name) })
			out = append(out, comp)
		}
	}
	for _, n := range names {
		if _, seen := index[n]; in[n] && !seen {
			visit(n)
		}
	}
	return out, skipped, nil
}

type purger struct {
	db      *DB
	ex      *executor // the pool, or the dry run's (or a cycle's) transaction
	s       *schema
	p       PurgePolicy
	cutoffs map[string]time.Time
	res     *PurgeResult
	dry     bool
	total   int64
	done    int64
	start   time.Time
}

// leases makes sure each table has its lease row.
func (pr *purger) leases(ctx context.Context, order []*table) error {
	if pr.db.dialect.SkipLocked() == "" || pr.dry {
		return nil
	}
	pre, suf := pr.db.dialect.InsertIgnore()
	for _, t := range order {
		b := newBuilder(pr.db.dialect, 128)
		b.WriteString(pre + " softdelete_purge_lease (name) VALUES (")
		b.arg(t.Name)
		b.WriteString(")" + suf)
		if _, err := pr.ex.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	return nil
}

// dueStamp writes the condition of a row of t deleted before t's cut-off.
func (pr *purger) dueStamp(b *sqlBuilder, t *table, alias string) {
	pr.db.stampBefore(b, alias, t, pr.cutoffs[t.Name])
}

// dueCond writes the condition of a row of t that this purge removes now:
// deleted before the cut-off and referenced by no row at all (the tables
// that reference t were purged first, so the rows left there stay).
// inMySQLDelete leaves out the self-reference check, which the MySQL
// DELETE does with an anti-join instead.
//
// lo and hi (nil: open) bound the batch's key range: where fk references
// t's one integer key column, the child rows that can reference a row of
// the range have their key in it too, and the NOT EXISTS says so, so the
// database reads the child's index over that range once (a merge of two
// index ranges) instead of probing it per row. Only an integer key and an
// integer child column: a text key's range is in the parent's collation,
// but the bound on the child's column compares in the child's, which may
// order differently (PostgreSQL and SQLite let a foreign key join columns
// of different collations); and a SQLite child column of another type
// (TEXT holding '10' references the key 10) compares with the bound as
// text ('10' < '5'). A row whose child falls outside the bound would look
// unreferenced.
func (pr *purger) dueCond(b *sqlBuilder, t *table, alias string, inMySQLDelete bool, lo, hi []any) {
	pr.dueStamp(b, t, alias)
	_, intKey := pr.integerKey(t)
	for _, fk := range t.In {
		if !pr.guarded(fk) {
			continue // the database applies the rule on purge
		}
		c := pr.s.tables[fk.Child]
		if fk.Child == t.Name && inMySQLDelete {
			continue // handled by the anti-join in the DELETE
		}
		inner := b.alias()
		b.WriteString(" AND NOT EXISTS (SELECT 1 FROM ")
		b.ident(c.Name)
		b.WriteString(" " + inner + " WHERE ")
		joinOn(b, alias, fk.ParentCols, inner, fk.ChildCols)
		if intKey && len(fk.ParentCols) == 1 && fk.ParentCols[0] == t.PK[0] && (lo != nil || hi != nil) && c.indexedBy(fk.ChildCols) && c.integerColumn(fk.ChildCols[0]) {
			col, _ := t.column(t.PK[0])
			pre, suf := pr.db.dialect.CastWrap(col.Type) // the parent's key type: the bound may not fit the child's
			for i, v := range [][]any{lo, hi} {
				if v == nil {
					continue
				}
				b.WriteString(" AND ")
				b.qualified(inner, fk.ChildCols[0])
				b.WriteString([]string{" > ", " <= "}[i] + pre)
				b.arg(v[0])
				b.WriteString(suf)
			}
		} else if c.indexedBy(fk.ChildCols) {
			// One index probe per row, like the foreign key's own check:
			// a hash join would read the whole child table every batch.
			b.WriteString(pr.db.dialect.ProbeEach())
		}
		b.WriteString(")")
	}
}

// guarded reports whether a purge DELETE keeps the rows that rows of fk's
// child reference (a NOT EXISTS, or MySQL's anti-join for a table that
// references itself): always, unless the child has no soft-delete column
// and the database applies fk's rule on purge. Through a guarded foreign
// key, the database's CASCADE removes nothing.
func (pr *purger) guarded(fk *foreignKey) bool {
	c := pr.s.tables[fk.Child]
	return c != nil && (c.soft() || !(fk.Schema == Cascade || fk.Schema == SetNull || fk.Schema == SetDefault))
}

// gone is the rows of t that a purge DELETE selects with cond.
func (pr *purger) gone(t *table, cond pred) goneRows {
	g := tableRows(t, cond)
	g.kept = pr.guarded
	return g
}

// indexedBy reports whether a plain index of t (not partial, no
// expression) starts with the columns cols, in any order.
func (t *table) indexedBy(cols []string) bool {
	for _, ix := range t.Indexes {
		if ix.Declared || ix.Expr || ix.Partial || ix.Kind != "" || len(ix.Columns) < len(cols) {
			continue
		}
		lead := ix.Columns[:len(cols)]
		if !slices.ContainsFunc(cols, func(c string) bool { return !slices.Contains(lead, c) }) {
			return true
		}
	}
	return false
}

// dueCount counts the rows of t deleted before its cut-off.
func (pr *purger) dueCount(ctx context.Context, t *table) (int64, error) {
	b := newBuilder(pr.db.dialect, 256)
	b.WriteString("SELECT COUNT(*) FROM ")
	b.ident(t.Name)
	b.WriteString(" r0 WHERE ")
	pr.dueStamp(b, t, "r0")
	return pr.ex.queryInt64(ctx, b.String(), b.args...)
}

// table purges t batch by batch and returns the rows removed. An integer
// key is walked in key ranges whose width adapts to how many rows the last
// range held, so a batch needs no query to find its range; other keys
// (text, composite) take ranges of key tuples holding BatchSize due rows.
// The first range, and the one after a range with no due row, is found by
// a query: it holds BatchSize due rows (a fixed width would hold half as
// many where half the keys are due, and cost a transaction more).
func (pr *purger) table(ctx context.Context, t *table) (int64, error) {
	key, intKey := pr.integerKey(t)
	if !intKey || key.unsignedBig {
		return pr.tupleTable(ctx, t)
	}
	keyMax := key.max
	size := pr.p.BatchSize
	sp, err := pr.span(ctx, t, nil, size)
	if err != nil || sp == nil {
		return 0, err
	}
	if sp.first <= -keyMax-1 {
		// The type's least value: no exclusive bound below it (PostgreSQL
		// refuses -32769 for a smallint key, and MinInt64-1 overflows).
		return pr.tupleTable(ctx, t)
	}
	lo, width := sp.first-1, sp.width(size)
	spanHi := &sp.last // the first range is the one the query found
	var purged int64
	for lo < keyMax {
		if err := ctx.Err(); err != nil {
			return purged, err
		}
		hi := int64(keyMax) // saturate instead of overflowing
		if lo <= keyMax-width {
			hi = lo + width
		}
		if spanHi != nil {
			hi = *spanHi
		}
		began := time.Now()
		var n int64
		var next *int64
		var busy, ahead bool
		if pr.oneStatement(t) {
			// The statement also returns the next due key after hi.
			n, next, busy, err = pr.statementBatch(ctx, t, []any{lo}, []any{hi})
			ahead = true
		} else {
			n, _, busy, err = pr.batch(ctx, t, []any{lo}, []any{hi}, size)
		}
		if err != nil {
			return purged, err
		}
		if busy {
			if err := pr.wait(ctx, t); err != nil {
				return purged, err
			}
			continue
		}
		spanned := spanHi != nil
		spanHi = nil
		if n > 0 {
			purged += n
			if !spanned {
				// Aim the next range at about size rows.
				width = max(1, min(width, math.MaxInt64/int64(size))*int64(size)/n)
				width = min(width, int64(size)*4)
			}
			var slower bool
			size, slower = pr.account(t, n, purged, time.Since(began), size)
			if slower {
				width = max(1, width/2)
			}
		}
		switch {
		case ahead && next == nil:
			return purged, nil // no due row after hi
		case ahead:
			lo = max(hi, *next-1) // skip keys with no due row; next > hi, so no overflow
		case n == 0:
			// An empty range: the next range holds the next size due rows.
			if sp, err = pr.span(ctx, t, hi, size); err != nil || sp == nil {
				return purged, err
			}
			lo, width, spanHi = sp.first-1, sp.width(size), &sp.last // first > hi >= MinInt64
		default:
			lo = hi
		}
	}
	return purged, nil
}

// keySpan is what span found: the first and last of n due keys.
type keySpan struct{ first, last, n int64 }

// width is the width of a range of size due keys at the density of the
// span (from first to last: n-1 gaps between due keys), at most 4 keys per
// row, as the ranges that follow.
func (k *keySpan) width(size int) int64 {
	if k.n < 2 {
		return int64(size)
	}
	gaps := uint64(k.last) - uint64(k.first)
	if gaps/uint64(k.n-1) >= 4 {
		return int64(size) * 4
	}
	return max(1, int64(gaps*uint64(size)/uint64(k.n-1)))
}

// tupleTable purges t in ranges of key tuples, each holding size due rows.
func (pr *purger) tupleTable(ctx context.Context, t *table) (int64, error) {
	size := pr.p.BatchSize
	var lo []any
	var purged int64
	for {
		if err := ctx.Err(); err != nil {
			return purged, err
		}
		began := time.Now()
		n, hi, busy, err := pr.batch(ctx, t, lo, nil, size)
		if err != nil {
			return purged, err
		}
		if busy {
			if err := pr.wait(ctx, t); err != nil {
				return purged, err
			}
			continue
		}
		if n > 0 {
			purged += n
			size, _ = pr.account(t, n, purged, time.Since(began), size)
		}
		if hi == nil {
			return purged, nil // that was the last range
		}
		lo = hi
	}
}

// wait: another purger holds t's lease, or the lease row is gone. Put it
// back (a no-op if it exists) and take turns.
func (pr *purger) wait(ctx context.Context, t *table) error {
	if err := pr.leases(ctx, []*table{t}); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(20 * time.Millisecond):
		return nil
	}
}

// account records a batch of n rows that took took, reports progress, and
// returns the next batch size (and whether it shrank).
func (pr *purger) account(t *table, n, tableDone int64, took time.Duration, size int) (int, bool) {
	pr.done += n
	pr.res.Counts[t.Name] += n
	pr.res.Batches++
	if took > pr.res.LongestBatch {
		pr.res.LongestBatch = took
	}
	slower := false
	switch {
	case took > pr.p.MaxBatchTime && size > 10:
		size /= 2
		slower = true
	case took < pr.p.MaxBatchTime/4 && size < pr.p.BatchSize:
		size = min(size*2, pr.p.BatchSize)
	}
	if pr.p.Progress != nil {
		el := time.Since(pr.start)
		rate := float64(pr.done) / el.Seconds()
		var eta time.Duration
		if rate > 0 && pr.total > pr.done {
			eta = time.Duration(float64(pr.total-pr.done) / rate * float64(time.Second))
		}
		pr.p.Progress(PurgeProgress{Table: t.Name, Done: pr.done, Total: pr.total, TableDone: tableDone, Rate: rate, ETA: eta,
			Batches: pr.res.Batches, LastBatch: took, LongestBatch: pr.res.LongestBatch})
	}
	return size, slower
}

// keyBounds is what the walk in key ranges needs of t's one integer key
// column.
type keyBounds struct {
	// max is the largest value a bound for it may take (where the
	// database checks bound parameters against the column's own type,
	// rowsDialect.StrictParams: PostgreSQL).
	max int64
	// unsignedBig: a BIGINT UNSIGNED (MariaDB), whose keys may lie above
	// MaxInt64, where the walk in integer ranges stops: its table is
	// walked in key tuples.
	unsignedBig bool
}

// integerKey reports whether t's single key column is an integer, and its
// bounds.
func (pr *purger) integerKey(t *table) (keyBounds, bool) {
	if len(t.PK) != 1 {
		return keyBounds{}, false
	}
	typ, ok := t.integerType(t.PK[0])
	if !ok {
		return keyBounds{}, false
	}
	k := keyBounds{max: math.MaxInt64, unsignedBig: strings.HasPrefix(typ, "bigint") && strings.Contains(typ, "unsigned")}
	if pr.db.dialect.(rowsDialect).StrictParams() {
		switch { // PostgreSQL's names of its narrower integer types
		case strings.HasPrefix(typ, "smallint"):
			k.max = math.MaxInt16
		case strings.HasPrefix(typ, "integer"), typ == "int", typ == "int4", typ == "serial":
			k.max = math.MaxInt32
		}
	}
	return k, true
}

// integerColumn reports whether t's column name has an integer type.
func (t *table) integerColumn(name string) bool {
	_, ok := t.integerType(name)
	return ok
}

// integerType is the type of t's column name, lower-cased and trimmed, and
// whether it is an integer type.
func (t *table) integerType(name string) (string, bool) {
	c, ok := t.column(name)
	typ := strings.ToLower(strings.TrimSpace(c.Type))
	return typ, ok && intTypeRE.MatchString(typ)
}

var intTypeRE = regexp.MustCompile(`^(tiny|small|medium|big)?int(eger|2|4|8)?\b|^(small|big)?serial\b`)

// canBlock reports whether rows of t can be kept back by referencing rows.
func (pr *purger) canBlock(t *table) bool {
	for _, fk := range t.In {
		c := pr.s.tables[fk.Child]
		if c != nil && (c.soft() || fk.Schema == Restrict || fk.Schema == NoAction) {
			return true
		}
	}
	return false
}

// span finds the due rows of t (deleted before the cut-off) after the key
// after (nil: from the start): the first key and the size-th (or the
// last), and how many there are; nil if none. t has one integer key
// column.
func (pr *purger) span(ctx context.Context, t *table, after any, size int) (*keySpan, error) {
	b := newBuilder(pr.db.dialect, 256)
	b.WriteString("SELECT MIN(k), MAX(k), COUNT(*) FROM (SELECT ")
	b.ident(t.PK[0])
	b.WriteString(" AS k FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	pr.dueStamp(b, t, "")
	if after != nil {
		b.WriteString(" AND ")
		b.ident(t.PK[0])
		b.WriteString(" > ")
		b.arg(after)
	}
	b.WriteString(" ORDER BY ")
	b.ident(t.PK[0])
	b.WriteString(" LIMIT ")
	b.arg(int64(size))
	b.WriteString(") r")
	var lo, hi any
	var n int64
	if err := pr.ex.queryRow(ctx, b.String(), b.args, &lo, &hi, &n); err != nil {
		return nil, err
	}
	first, err := keyInt(t, lo)
	if err != nil || first == nil {
		return nil, err
	}
	last, err := keyInt(t, hi)
	if err != nil {
		return nil, err
	}
	return &keySpan{first: *first, last: *last, n: n}, nil
}

// keyInt reads an integer key value (nil: NULL).
func keyInt(t *table, v any) (*int64, error) {
	switch k := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		n, err := strconv.ParseInt(string(k), 10, 64)
		return &n, err
	case int64:
		return &k, nil
	case uint64: // MariaDB's UNSIGNED columns
		if k > math.MaxInt64 {
			return nil, fmt.Errorf("softdelete: key %d of %s out of range", k, t.Name)
		}
		n := int64(k)
		return &n, nil
	}
	return nil, fmt.Errorf("softdelete: unexpected key type %T in %s", v, t.Name)
}

// batch purges one key range of t, (lo, hi], in one transaction. With hi
// nil it first finds the range: up to the size-th due key after lo, or
// everything after lo (the last range; next is then nil). busy means
// another purger holds the lease.
func (pr *purger) batch(ctx context.Context, t *table, lo, hi []any, size int) (n int64, next []any, busy bool, err error) {
	db := pr.db
	err = pr.ex.inTx(ctx, func(ex *executor) error {
		if sl := db.dialect.SkipLocked(); sl != "" && !pr.dry {
			var name string
			err := ex.queryRow(ctx, "SELECT name FROM softdelete_purge_lease WHERE name = "+db.ph(1)+sl, []any{t.Name}, &name)
			if err == ErrNotFound {
				busy = true
				return nil
			}
			if err != nil {
				return err
			}
		}
		if hi != nil {
			next = hi
			return pr.deleteRange(ctx, ex, t, lo, hi, &n)
		}
		// The size-th due key after lo.
		b := newBuilder(db.dialect, 256)
		b.WriteString("SELECT ")
		b.identList("", t.PK)
		b.WriteString(" FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		pr.dueStamp(b, t, "")
		if lo != nil {
			b.WriteString(" AND ")
			keyCmp(b, "", t.PK, lo, true)
		}
		b.WriteString(" ORDER BY ")
		b.identList("", t.PK)
		b.WriteString(" LIMIT 1 OFFSET ")
		b.arg(int64(size - 1))
		rows, err := ex.query(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if rows.Next() {
			next, err = scanKey(rows, len(t.PK))
			if err != nil {
				rows.Close()
				return db.translate(err)
			}
			binaryKeys(t, next)
		}
		if err := closeRows(rows); err != nil {
			return db.translate(err)
		}
		return pr.deleteRange(ctx, ex, t, lo, next, &n)
	})
	return n, next, busy, err
}

// binaryKeys turns back into []byte the values of binary key columns that
// scanKey read as strings: bound as text, a SQLite BLOB key compares as
// greater than every text value, so the next range began where the last
// one did and the purge of a table with a BLOB key never ended.
func binaryKeys(t *table, key []any) {
	for i, name := range t.PK {
		j, ok := t.columnIndex(name)
		if !ok || columnKind(t.Columns[j].Type) != KindBytes {
			continue
		}
		if s, ok := key[i].(string); ok {
			key[i] = []byte(s)
		}
	}
}

// keyCmp writes the comparison of the key tuple cols with vals, in key
// order: after, (cols) > (vals); else (cols) <= (vals). It is spelled out
// column by column, which every database can run as a range of its
// primary-key index.
func keyCmp(b *sqlBuilder, alias string, cols []string, vals []any, after bool) {
	b.WriteString("(")
	for i := range cols {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(")
		for j := 0; j < i; j++ {
			b.qualified(alias, cols[j])
			b.WriteString(" = ")
			b.arg(vals[j])
			b.WriteString(" AND ")
		}
		b.qualified(alias, cols[i])
		switch {
		case after:
			b.WriteString(" > ")
		case i < len(cols)-1:
			b.WriteString(" < ")
		default:
			b.WriteString(" <= ")
		}
		b.arg(vals[i])
		b.WriteString(")")
	}
	b.WriteString(")")
}

// rangeText names a key range for the log: (lo, hi].
func rangeText(lo, hi []any) string {
	k := func(v []any, none string) string {
		switch len(v) {
		case 0:
			return none
		case 1:
			return fmt.Sprint(v[0])
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return "(" + strings.Join(parts, ",") + ")"
	}
	return "(" + k(lo, "start") + ", " + k(hi, "end") + "]"
}

// inRange selects the due rows of t with keys in (lo, hi] (nil: open).
func (pr *purger) inRange(t *table, lo, hi []any) pred {
	antiJoin := pr.db.dialect.UpdateJoin() && selfReferencing(t)
	return func(b *sqlBuilder, alias string) {
		pr.dueCond(b, t, alias, antiJoin && alias == "d0", lo, hi)
		if lo != nil {
			b.WriteString(" AND ")
			keyCmp(b, alias, t.PK, lo, true)
		}
		if hi != nil {
			b.WriteString(" AND ")
			keyCmp(b, alias, t.PK, hi, false)
		}
	}
}

// oneStatement reports whether a batch of t can be one statement: a
// writable CTE (PostgreSQL) takes the lease, deletes, clears the SET NULL
// bookkeeping of the rows deleted and logs at once, so the batch is its
// own transaction without BEGIN and COMMIT round trips. Hooks need the
// multi-statement path (they run between the steps), and so do dry runs
// and cycles (they run inside one transaction), and bookkeeping that is
// swept after the DELETE (a CASCADE below t through a cycle).
func (pr *purger) oneStatement(t *table) bool {
	return pr.db.dialect.WritableCTE() && len(pr.db.hookList()) == 0 && pr.ex.tx == nil && !pr.dry &&
		len(pr.db.nulledFor(pr.s, pr.gone(t, nil)).sweep) == 0
}

// statementBatch purges the due rows of t in (lo, hi] with one statement:
// lease row lock (SKIP LOCKED), DELETE and operations-log row.
func (pr *purger) statementBatch(ctx context.Context, t *table, lo, hi []any) (n int64, next *int64, busy bool, err error) {
	db := pr.db
	self := db.dialect.Quote(t.Name)
	at := db.timestamp()
	prefix, _ := json.Marshal(t.Name)
	b := newBuilder(db.dialect, 768)
	b.WriteString("WITH l AS (SELECT name FROM softdelete_purge_lease WHERE name = ")
	b.arg(t.Name)
	b.WriteString(db.dialect.SkipLocked())
	b.WriteString("), d AS (DELETE FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE EXISTS (SELECT 1 FROM l) AND ")
	pr.inRange(t, lo, hi)(b, self)
	// The rows' SET NULL bookkeeping goes with them (see nulled.go): it
	// reads their columns; otherwise only their number is needed.
	nulled := db.nulledFor(pr.s, goneRows{t: t, kept: pr.guarded, from: func(b *sqlBuilder, alias string) {
		b.WriteString("d " + alias)
	}}).stmts
	if len(nulled) > 0 {
		b.WriteString(" RETURNING *)")
	} else {
		b.WriteString(" RETURNING 1)")
	}
	for i, st := range nulled {
		fmt.Fprintf(b, ", n%d AS (", i)
		st(b)
		b.WriteString(")")
	}
	b.WriteString(", c AS (SELECT COUNT(*) AS n FROM d), o AS (")
	b.WriteString("INSERT INTO softdelete_operations (kind, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome) SELECT ")
	b.arg(OpPurge)
	b.WriteString(", ")
	b.arg(t.Name)
	b.WriteString(", ")
	b.arg(rangeText(lo, hi))
	b.WriteString(", ")
	b.arg(ctxString(ctx, actorKey))
	b.WriteString(", ")
	b.arg(ctxString(ctx, reasonKey))
	b.WriteString(", CAST(")
	b.arg(at)
	b.WriteString(" AS TIMESTAMPTZ), c.n, ")
	b.arg("{" + string(prefix) + ":")
	b.WriteString(" || c.n || '}', 'done' FROM c WHERE c.n > 0 RETURNING id) SELECT (SELECT COUNT(*) FROM l), c.n")
	// The next due key after the range: where the next range starts, or
	// nil when this was the last.
	b.WriteString(", (SELECT MIN(")
	b.ident(t.PK[0])
	b.WriteString(") FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	pr.dueStamp(b, t, "")
	b.WriteString(" AND ")
	b.ident(t.PK[0])
	b.WriteString(" > ")
	b.arg(hi[0])
	b.WriteString(") FROM c")
	var leased int64
	var nx any
	if err = pr.ex.queryRow(ctx, b.String(), b.args, &leased, &n, &nx); err != nil {
		return 0, nil, false, err
	}
	next, err = keyInt(t, nx)
	return n, next, leased == 0, err
}

// deleteRange deletes the due rows of t in (lo, hi] inside the batch's
// transaction and logs the batch (a dry run neither logs nor runs hooks).
func (pr *purger) deleteRange(ctx context.Context, ex *executor, t *table, lo, hi []any, n *int64) error {
	db := pr.db
	inRange := pr.inRange(t, lo, hi)
	op := &Operation{Kind: OpPurge, Table: t.Name, Key: rangeText(lo, hi)}
	ev := &Event{Op: op, Tx: ex.tx, keys: func(ctx context.Context, table string, batch int, fn func([][]any) error) error {
		if table != t.Name {
			return nil
		}
		return db.streamKeys(ctx, ex, t, inRange, batch, fn)
	}}
	if !pr.dry {
		if err := db.runBefore(ctx, ev); err != nil {
			return err
		}
	}
	del := func(b *sqlBuilder) {
		pr.deleteStmt(b, t, inRange)
	}
	var err error
	*n, err = db.removeForGood(ctx, ex, pr.s, pr.gone(t, inRange), del)
	if err != nil {
		return err
	}
	if *n == 0 || pr.dry {
		return nil
	}
	op.Counts = map[string]int64{t.Name: *n}
	return db.recordOp(ctx, ex, op, ev)
}

// deleteStmt writes the DELETE of the rows of t selected by inRange.
func (pr *purger) deleteStmt(b *sqlBuilder, t *table, inRange pred) {
	db := pr.db
	if db.dialect.UpdateJoin() && selfReferencing(t) {
		// MySQL cannot read the DELETE target in a subquery: anti-join
		// the rows that reference a row of the range instead.
		b.WriteString("DELETE d0 FROM ")
		b.ident(t.Name)
		b.WriteString(" d0")
		var nulls []string
		for i, fk := range t.In {
			if fk.Child != t.Name {
				continue
			}
			a := fmt.Sprintf("s%d", i)
			b.WriteString(" LEFT JOIN ")
			b.ident(t.Name)
			b.WriteString(" " + a + " ON ")
			joinOn(b, "d0", fk.ParentCols, a, fk.ChildCols)
			nulls = append(nulls, a)
		}
		b.WriteString(" WHERE ")
		inRange(b, "d0")
		for _, a := range nulls {
			b.WriteString(" AND ")
			b.qualified(a, t.PK[0])
			b.WriteString(" IS NULL")
		}
	} else {
		self := db.dialect.Quote(t.Name)
		b.WriteString("DELETE FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		inRange(b, self)
	}
}
