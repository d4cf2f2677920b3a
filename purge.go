package softdelete

import (
	"context"
	"encoding/json"
	"fmt"
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
	// DryRun counts what would be purged and changes nothing.
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
	Counts       map[string]int64 // rows purged (or due, for a dry run) per table
	Blocked      map[string]int64 // due rows kept because rows that are not due reference them
	Batches      int
	LongestBatch time.Duration
	Elapsed      time.Duration
	DryRun       bool
}

// Purge removes for good the rows soft-deleted before the cut-off, children
// before parents, in primary-key-range batches of bounded size, each its
// own transaction and its own logged operation. It can be killed at any
// point and run again: it reaches the same end state and leaves no
// orphan. Several purgers may run at once (they take turns per table
// through row locks on a lease table, FOR UPDATE SKIP LOCKED; no advisory
// locks). A row restored while a purge runs is never purged: every DELETE
// re-checks deleted_at. A due row that a live row, or a deleted row that is
// not due yet, still references is kept (Blocked) until that changes.
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
	order, err := purgeOrder(s, p)
	if err != nil {
		return nil, err
	}
	now := db.timestamp()
	cutoffs := map[string]time.Time{}
	for _, t := range order {
		c := p.Before
		if c.IsZero() {
			c = now.Add(-p.OlderThan)
		}
		if r, ok := p.Retention[t.Name]; ok && r.OlderThan > 0 {
			c = now.Add(-r.OlderThan)
		}
		cutoffs[t.Name] = c.UTC()
	}
	res := &PurgeResult{Counts: map[string]int64{}, Blocked: map[string]int64{}, DryRun: p.DryRun}
	start := time.Now()
	pr := &purger{db: db, s: s, p: p, cutoffs: cutoffs, res: res}
	for _, t := range order {
		if p.Progress == nil && !p.DryRun {
			break // totals only feed progress and dry runs: a full count costs a scan per table
		}
		n, err := pr.due(ctx, t, false)
		if err != nil {
			return nil, err
		}
		pr.total += n
		if p.DryRun {
			res.Counts[t.Name] = n
			b, err := pr.due(ctx, t, true)
			if err != nil {
				return nil, err
			}
			if b < n {
				res.Blocked[t.Name] = n - b
				res.Counts[t.Name] = b
			}
		}
	}
	if p.DryRun {
		res.Elapsed = time.Since(start)
		return res, nil
	}
	if err := pr.leases(ctx, order); err != nil {
		return nil, err
	}
	pr.start = start
	for _, t := range order {
		// A table that references itself may need more than one pass:
		// children with higher keys hold their parents back.
		for {
			n, kept, err := pr.table(ctx, t)
			if err != nil {
				res.Elapsed = time.Since(start)
				return res, err
			}
			if n == 0 || kept == 0 || !selfReferencing(t) {
				if kept > 0 {
					res.Blocked[t.Name] = kept
				}
				break
			}
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func selfReferencing(t *table) bool {
	for _, fk := range t.Out {
		if fk.Parent == t.Name {
			return true
		}
	}
	return false
}

// purgeOrder lists the tables to purge, children before parents.
func purgeOrder(s *schema, p PurgePolicy) ([]*table, error) {
	var names []string
	if len(p.Tables) > 0 {
		for _, n := range p.Tables {
			t := s.tables[n]
			if t == nil {
				return nil, &SchemaError{Table: n, Msg: "no such table"}
			}
			if !t.soft() {
				return nil, &SchemaError{Table: n, Msg: "table has no soft-delete column"}
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
	in := map[string]bool{}
	for _, n := range names {
		if r, ok := p.Retention[n]; ok && r.Skip {
			continue
		}
		if len(s.tables[n].PK) != 1 {
			continue // key-range batches need a single-column key
		}
		in[n] = true
	}
	// Depth-first: a table comes after every table that references it.
	var out []*table
	state := map[string]int{}
	var visit func(n string)
	visit = func(n string) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		for _, fk := range s.tables[n].In {
			if in[fk.Child] && fk.Child != n {
				visit(fk.Child)
			}
		}
		state[n] = 2
		out = append(out, s.tables[n])
	}
	for _, n := range names {
		if in[n] {
			visit(n)
		}
	}
	return out, nil
}

type purger struct {
	db      *DB
	s       *schema
	p       PurgePolicy
	cutoffs map[string]time.Time
	res     *PurgeResult
	total   int64
	done    int64
	start   time.Time
}

// leases makes sure each table has its lease row.
func (pr *purger) leases(ctx context.Context, order []*table) error {
	if pr.db.dialect.SkipLocked() == "" {
		return nil
	}
	pre, suf := pr.db.dialect.InsertIgnore()
	for _, t := range order {
		b := newBuilder(pr.db.dialect, 128)
		b.WriteString(pre + " softdelete_purge_lease (name) VALUES (")
		b.arg(t.Name)
		b.WriteString(")" + suf)
		if _, err := pr.db.exec().exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
	}
	return nil
}

// dueCond writes the condition of a row of t that this purge removes:
// deleted before the cut-off and referenced by no row that stays. With
// dryRun, rows that children-first purging would remove do not count as
// staying.
func (pr *purger) dueCond(b *sqlBuilder, t *table, alias string, dryRun bool) {
	pr.dueCondFor(b, t, alias, dryRun, false)
}

// dueCondFor is dueCond; inMySQLDelete leaves out the self-reference
// check, which the MySQL DELETE does with an anti-join instead.
func (pr *purger) dueCondFor(b *sqlBuilder, t *table, alias string, dryRun, inMySQLDelete bool) {
	pr.db.stampBefore(b, alias, t, pr.cutoffs[t.Name])
	for _, fk := range t.In {
		c := pr.s.tables[fk.Child]
		if c == nil {
			continue
		}
		if !c.soft() && (fk.Schema == Cascade || fk.Schema == SetNull || fk.Schema == SetDefault) {
			continue // the database applies the rule on purge
		}
		if fk.Child == t.Name && inMySQLDelete {
			continue // handled by the anti-join in the DELETE
		}
		inner := b.alias()
		b.WriteString(" AND NOT EXISTS (SELECT 1 FROM ")
		b.ident(c.Name)
		b.WriteString(" " + inner + " WHERE ")
		joinOn(b, alias, fk.ParentCols, inner, fk.ChildCols)
		if dryRun && c.soft() {
			if cut, ok := pr.cutoffs[c.Name]; ok {
				b.WriteString(" AND NOT (")
				pr.db.stampBefore(b, inner, c, cut)
				b.WriteString(")")
			}
		}
		b.WriteString(")")
	}
}

// due counts the rows of t deleted before its cut-off (blocked: and not
// held back by referencing rows).
func (pr *purger) due(ctx context.Context, t *table, blocked bool) (int64, error) {
	b := newBuilder(pr.db.dialect, 256)
	b.WriteString("SELECT COUNT(*) FROM ")
	b.ident(t.Name)
	b.WriteString(" r0 WHERE ")
	if blocked {
		pr.dueCond(b, t, "r0", true)
	} else {
		pr.db.stampBefore(b, "r0", t, pr.cutoffs[t.Name])
	}
	return pr.db.exec().queryInt64(ctx, b.String(), b.args...)
}

// table purges t batch by batch and returns the rows removed and the due
// rows it had to keep (still referenced). An integer key is walked in key
// ranges whose width adapts to how many rows the last range held, so a
// batch needs no query to find its range; other keys take the next
// BatchSize due keys.
func (pr *purger) table(ctx context.Context, t *table) (purged, kept int64, err error) {
	size := pr.p.BatchSize
	var lo any // exclusive lower bound of the next key range
	intKey, keyMax := pr.integerKey(t)
	var width int64
	if intKey {
		first, err := pr.nextDue(ctx, t, nil)
		if err != nil || first == nil {
			return 0, 0, err
		}
		if first.(int64) == math.MinInt64 {
			intKey = false // no exclusive bound below it: take the general path
		} else {
			lo, width = first.(int64)-1, int64(size)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return purged, kept, err
		}
		var fixedHi any
		if intKey {
			l := lo.(int64)
			if l >= keyMax {
				break // the whole key space is done
			}
			h := keyMax // saturate instead of overflowing
			if l <= keyMax-width {
				h = l + width
			}
			fixedHi = h
		}
		began := time.Now()
		var n, due int64
		var hi any
		var busy bool
		if fixedHi != nil && pr.oneStatement() {
			hi, due = fixedHi, -1
			n, busy, err = pr.statementBatch(ctx, t, lo, hi)
		} else {
			n, due, hi, busy, err = pr.batch(ctx, t, lo, size, fixedHi)
		}
		if err != nil {
			return purged, kept, err
		}
		if busy {
			// Another purger holds this table's lease, or the lease row is
			// gone: put it back (a no-op if it exists) and take turns.
			if err := pr.leases(ctx, []*table{t}); err != nil {
				return purged, kept, err
			}
			select {
			case <-ctx.Done():
				return purged, kept, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if hi == nil {
			return purged, kept, nil
		}
		lo = hi
		if intKey && n == 0 {
			// An empty range: jump to the next due key.
			next, err := pr.nextDue(ctx, t, hi)
			if err != nil {
				return purged, kept, err
			}
			if next == nil {
				if pr.canBlock(t) {
					kept, err = pr.due(ctx, t, false)
				}
				return purged, kept, err
			}
			lo = next.(int64) - 1 // next > hi >= MinInt64, so no overflow
			width = int64(size)
			continue
		}
		if intKey {
			// Aim the next range at about size rows.
			width = max(1, min(width*int64(size)/max(n, 1), int64(size)*4))
		}
		took := time.Since(began)
		purged += n
		if due >= 0 {
			kept += due - n
		}
		pr.done += n
		pr.res.Counts[t.Name] += n
		pr.res.Batches++
		if took > pr.res.LongestBatch {
			pr.res.LongestBatch = took
		}
		switch {
		case took > pr.p.MaxBatchTime && size > 10:
			size /= 2
			width = max(1, width/2)
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
			pr.p.Progress(PurgeProgress{Table: t.Name, Done: pr.done, Total: pr.total, TableDone: purged, Rate: rate, ETA: eta,
				Batches: pr.res.Batches, LastBatch: took, LongestBatch: pr.res.LongestBatch})
		}
	}
	// The key space ended at its largest value.
	if pr.canBlock(t) {
		kept, err = pr.due(ctx, t, false)
	}
	return purged, kept, err
}

// integerKey reports whether t's single key column is an integer, and
// the largest value a bound for it may take (PostgreSQL checks bound
// parameters against the column's own type).
func (pr *purger) integerKey(t *table) (bool, int64) {
	c, _ := t.column(t.PK[0])
	typ := strings.ToLower(strings.TrimSpace(c.Type))
	if !intTypeRE.MatchString(typ) {
		return false, 0
	}
	if pr.db.Dialect() == "postgres" {
		switch {
		case strings.HasPrefix(typ, "smallint"):
			return true, math.MaxInt16
		case strings.HasPrefix(typ, "integer"), typ == "int", typ == "int4", typ == "serial":
			return true, math.MaxInt32
		}
	}
	return true, math.MaxInt64
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

// nextDue returns the lowest key above after (nil: any) of a row of t
// deleted before the cut-off, or nil.
func (pr *purger) nextDue(ctx context.Context, t *table, after any) (any, error) {
	b := newBuilder(pr.db.dialect, 128)
	b.WriteString("SELECT MIN(")
	b.ident(t.PK[0])
	b.WriteString(") FROM ")
	b.ident(t.Name)
	b.WriteString(" WHERE ")
	pr.db.stampBefore(b, "", t, pr.cutoffs[t.Name])
	if after != nil {
		b.WriteString(" AND ")
		b.ident(t.PK[0])
		b.WriteString(" > ")
		b.arg(after)
	}
	var v any
	if err := pr.db.exec().queryRow(ctx, b.String(), b.args, &v); err != nil {
		return nil, err
	}
	switch k := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return strconv.ParseInt(string(k), 10, 64)
	case int64:
		return k, nil
	}
	return nil, fmt.Errorf("softdelete: unexpected key type %T in %s", v, t.Name)
}

// batch purges one key range of t in one transaction. hi is the range's
// upper key (nil when nothing is left); busy means another purger holds
// the lease.
// A non-nil fixedHi gives the range itself (integer keys); due is then -1.
func (pr *purger) batch(ctx context.Context, t *table, lo any, size int, fixedHi any) (n, due int64, hi any, busy bool, err error) {
	db := pr.db
	pk := t.PK[0]
	err = db.exec().inTx(ctx, func(ex *executor) error {
		if sl := db.dialect.SkipLocked(); sl != "" {
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
		rangeCond := func(b *sqlBuilder, alias string) {
			db.stampBefore(b, alias, t, pr.cutoffs[t.Name])
			if lo != nil {
				b.WriteString(" AND ")
				b.qualified(alias, pk)
				b.WriteString(" > ")
				b.arg(lo)
			}
		}
		if fixedHi != nil {
			hi, due = fixedHi, -1
			return pr.deleteRange(ctx, ex, t, lo, hi, &n)
		}
		// The upper key of the next range of due rows, and how many there are.
		b := newBuilder(db.dialect, 256)
		b.WriteString("SELECT MAX(k), COUNT(*) FROM (SELECT ")
		b.ident(pk)
		b.WriteString(" AS k FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		rangeCond(b, "")
		b.WriteString(" ORDER BY ")
		b.ident(pk)
		b.WriteString(" LIMIT ")
		b.arg(int64(size))
		b.WriteString(") r")
		var top any
		if err := ex.queryRow(ctx, b.String(), b.args, &top, &due); err != nil {
			return err
		}
		if top == nil {
			return nil
		}
		if bs, ok := top.([]byte); ok {
			top = string(bs)
		}
		hi = top
		return pr.deleteRange(ctx, ex, t, lo, hi, &n)
	})
	return n, due, hi, busy, err
}

func keyOrStart(k any) any {
	if k == nil {
		return "start"
	}
	return k
}

// inRange selects the due rows of t with keys in (lo, hi].
func (pr *purger) inRange(t *table, lo, hi any) pred {
	pk := t.PK[0]
	antiJoin := pr.db.dialect.UpdateJoin() && selfReferencing(t)
	return func(b *sqlBuilder, alias string) {
		pr.dueCondFor(b, t, alias, false, antiJoin && alias == "d0")
		if lo != nil {
			b.WriteString(" AND ")
			b.qualified(alias, pk)
			b.WriteString(" > ")
			b.arg(lo)
		}
		b.WriteString(" AND ")
		b.qualified(alias, pk)
		b.WriteString(" <= ")
		b.arg(hi)
	}
}

// oneStatement reports whether a batch can be one statement: a writable
// CTE (PostgreSQL) takes the lease, deletes and logs at once, so the batch
// is its own transaction without BEGIN and COMMIT round trips. Hooks need
// the multi-statement path (they run between the steps).
func (pr *purger) oneStatement() bool {
	return pr.db.dialect.WritableCTE() && len(pr.db.hookList()) == 0
}

// statementBatch purges the due rows of t in (lo, hi] with one statement:
// lease row lock (SKIP LOCKED), DELETE and operations-log row.
func (pr *purger) statementBatch(ctx context.Context, t *table, lo, hi any) (n int64, busy bool, err error) {
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
	b.WriteString(" RETURNING 1), c AS (SELECT COUNT(*) AS n FROM d), o AS (")
	b.WriteString("INSERT INTO softdelete_operations (kind, root_table, root_key, actor, reason, created_at, rows_total, counts, outcome) SELECT ")
	b.arg(OpPurge)
	b.WriteString(", ")
	b.arg(t.Name)
	b.WriteString(", ")
	b.arg(fmt.Sprintf("(%v, %v]", keyOrStart(lo), hi))
	b.WriteString(", ")
	b.arg(ctxString(ctx, actorKey))
	b.WriteString(", ")
	b.arg(ctxString(ctx, reasonKey))
	b.WriteString(", CAST(")
	b.arg(at)
	b.WriteString(" AS TIMESTAMPTZ), c.n, ")
	b.arg("{" + string(prefix) + ":")
	b.WriteString(" || c.n || '}', 'done' FROM c WHERE c.n > 0 RETURNING id) SELECT (SELECT COUNT(*) FROM l), c.n FROM c")
	var leased int64
	err = db.exec().queryRow(ctx, b.String(), b.args, &leased, &n)
	return n, leased == 0, err
}

// deleteRange deletes the due rows of t in (lo, hi] inside the batch's
// transaction and logs the batch.
func (pr *purger) deleteRange(ctx context.Context, ex *executor, t *table, lo, hi any, n *int64) error {
	db := pr.db
	pk := t.PK[0]
	inRange := pr.inRange(t, lo, hi)
	op := &Operation{Kind: OpPurge, Table: t.Name, Key: fmt.Sprintf("(%v, %v]", keyOrStart(lo), hi)}
	ev := &Event{Op: op, Tx: ex.tx, keys: func(ctx context.Context, table string, batch int, fn func([][]any) error) error {
		if table != t.Name {
			return nil
		}
		return db.streamKeys(ctx, ex, t, inRange, batch, fn)
	}}
	if err := db.runBefore(ctx, ev); err != nil {
		return err
	}
	b := newBuilder(db.dialect, 512)
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
			b.qualified(a, pk)
			b.WriteString(" IS NULL")
		}
	} else {
		self := db.dialect.Quote(t.Name)
		b.WriteString("DELETE FROM ")
		b.ident(t.Name)
		b.WriteString(" WHERE ")
		inRange(b, self)
	}
	var err error
	*n, err = ex.execN(ctx, b.String(), b.args...)
	if err != nil {
		return err
	}
	if *n == 0 {
		return nil
	}
	op.Counts = map[string]int64{t.Name: *n}
	return db.recordOp(ctx, ex, op, ev)
}
