package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestAdversarialInjection is the permanent injection suite of issue 8:
// every payload of expressionPayloads goes through every string an
// application may pass on from its users — Where expressions and their
// arguments, OrderBy keys, In columns and keys, table names at every
// table-level entry point, actor and reason — on each database. Each must
// be refused (ErrInvalid, ErrSchema, ...) before anything is sent, or be
// treated as data (an argument, or an expression over the table's own
// columns rendered from its parse tree); the statements sent must have
// the shape of a benign call's, and the rows must not change when the
// call should not change them. SOFTDELETE_ADVERSARIAL=full runs a larger
// corpus. A summary line per database gives the counts.
func TestAdversarialInjection(t *testing.T) {
	payloads := expressionPayloads(adversarialFull)
	if len(payloads) < 500 {
		t.Fatalf("only %d payloads", len(payloads))
	}
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := &suite{t: t, payloads: payloads}
			s.db, s.m, s.log = gadgets(t, d, 6)
			s.run()
		})
	}
}

type suite struct {
	t        *testing.T
	db       *DB
	m        *Manager[Gadget]
	log      *stmtLog
	payloads []string
	ctx      context.Context
	before   string
	// counts
	refused, data, accepted, dbRefused, executed int
	bad                                          []string
}

func (s *suite) fail(format string, args ...any) {
	s.executed++
	if len(s.bad) < 25 {
		s.bad = append(s.bad, fmt.Sprintf(format, args...))
	}
}

// state lists every row as id:a (alive) or id:d (deleted).
func (s *suite) state(q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) string {
	rows, err := q.QueryContext(context.Background(), "SELECT id, CASE WHEN deleted_at IS NULL THEN 'a' ELSE 'd' END FROM gadgets ORDER BY id")
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d:%s ", id, st)
	}
	return b.String()
}

func (s *suite) run() {
	s.ctx = context.Background()
	s.before = s.state(s.db.SQL())
	start := time.Now()
	for _, part := range []struct {
		name string
		fn   func()
	}{{"where", s.whereExpressions}, {"args", s.whereArguments}, {"orderBy/In", s.orderByAndIn},
		{"tables", s.tableNames}, {"actor", s.actorAndReason}} {
		t0 := time.Now()
		part.fn()
		s.t.Logf("%s: %s in %v", s.db.Dialect(), part.name, time.Since(t0).Round(time.Millisecond))
	}
	if after := s.state(s.db.SQL()); after != s.before {
		s.fail("rows changed over the suite: %s -> %s", s.before, after)
	}
	line := fmt.Sprintf("adversarial %s: %d payloads, %d calls: %d refused, %d treated as data, %d accepted as expressions over the table's own columns (%d of those refused by the database), %d executed as SQL (%v)",
		s.db.Dialect(), len(s.payloads), s.refused+s.data+s.accepted, s.refused, s.data, s.accepted, s.dbRefused, s.executed, time.Since(start).Round(time.Millisecond))
	fmt.Println(line)
	s.t.Log(line)
	for _, b := range s.bad {
		s.t.Error(b)
	}
}

// refusedBefore reports whether err refuses the input and nothing was sent.
func (s *suite) refusedBefore(what, p string, err error, sentinels ...error) bool {
	for _, e := range sentinels {
		if errors.Is(err, e) {
			sent := s.log.take()
			if len(sent) > 0 {
				s.fail("%s(%q) was refused (%v) after sending %q", what, p, err, sent)
			}
			return true
		}
	}
	return false
}

// shapeError checks a statement outside literals and quoted names:
// balanced parentheses, no separator, comment, variable or numbered
// parameter.
func shapeError(stmt, dialect string) string {
	depth := 0
	for i := 0; i < len(stmt); i++ {
		c := stmt[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for ; j < len(stmt); j++ {
				if stmt[j] == c {
					if j+1 < len(stmt) && stmt[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(stmt) {
				return "unterminated quote"
			}
			i = j
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return "unbalanced ')'"
			}
		case c == ';' || c == '#' || c == '@' || c == '\\' || c >= 0x80 || c == 0:
			return fmt.Sprintf("%q outside literals", c)
		case c == '-' && i+1 < len(stmt) && stmt[i+1] == '-', c == '/' && i+1 < len(stmt) && stmt[i+1] == '*':
			return "comment"
		case c == ':' && i+1 < len(stmt) && stmt[i+1] == '=':
			return "assignment"
		case c == '?' && i+1 < len(stmt) && stmt[i+1] >= '0' && stmt[i+1] <= '9':
			return "numbered ? parameter"
		case c == '$' && (dialect != "postgres" || i+1 >= len(stmt) || stmt[i+1] < '0' || stmt[i+1] > '9'):
			return "'$' outside a placeholder"
		}
	}
	if depth != 0 {
		return "unbalanced '('"
	}
	return ""
}

// inTx runs fn on the manager bound to a transaction that is rolled back,
// and returns the rows as fn left them.
func (s *suite) inTx(fn func(m *Manager[Gadget]) error) (string, error) {
	tx, err := s.db.SQL().BeginTx(s.ctx, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	defer tx.Rollback()
	err = fn(s.m.WithTx(tx))
	return s.state(tx), err
}

func aliveOf(state string) []string {
	var out []string
	for _, f := range strings.Fields(state) {
		if strings.HasSuffix(f, ":a") {
			out = append(out, strings.TrimSuffix(f, ":a"))
		}
	}
	return out
}

func idsOf(state string) []string {
	var out []string
	for _, f := range strings.Fields(state) {
		out = append(out, f[:strings.IndexByte(f, ':')])
	}
	return out
}

func deletedOf(state string) []string {
	var out []string
	for _, f := range strings.Fields(state) {
		if strings.HasSuffix(f, ":d") {
			out = append(out, strings.TrimSuffix(f, ":d"))
		}
	}
	return out
}

func sameList(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func hasString(list []string, x string) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// whereExpressions sends each payload as a Where expression through the
// reads and (in a rolled-back transaction) the bulk verbs.
func (s *suite) whereExpressions() {
	// The statement for a benign expression fixes what surrounds the
	// condition.
	if _, err := s.m.Where("id = ?", int64(1)).All(s.ctx); err != nil {
		s.t.Fatal(err)
	}
	benign := s.log.take()[0]
	prefix := benign[:strings.LastIndex(benign, " AND (")+len(" AND (")]
	for _, p := range s.payloads {
		e, perr := parseExpr(p, "gadgets", s.m.cols, s.db.dialect)
		args := []any{}
		if perr == nil {
			for i := 0; i < e.nph; i++ {
				args = append(args, "x")
			}
		}
		rows, err := s.m.Where(p, args...).All(s.ctx)
		if s.refusedBefore("Where", p, err, ErrInvalid) {
			if perr == nil {
				s.fail("Where(%q) refused at run time but parsed: %v", p, err)
			}
			// Every other verb refuses it too, before sending anything.
			for _, v := range []func() error{
				func() error { _, err := s.m.Where(p).Count(s.ctx); return err },
				func() error { _, err := s.m.OnlyDeleted().Where(p).Delete(s.ctx); return err },
				func() error { _, err := s.m.Where(p).Delete(s.ctx); return err },
				func() error { _, err := s.m.OnlyDeleted().Where(p).Restore(s.ctx); return err },
				func() error { _, err := s.m.AllWithDeleted().Where(p).HardDelete(s.ctx); return err },
			} {
				if err := v(); !s.refusedBefore("Where verb", p, err, ErrInvalid) {
					s.fail("Where(%q): a verb did not refuse it: %v", p, err)
				}
			}
			s.refused++
			continue
		}
		if perr != nil {
			s.fail("Where(%q) ran although it does not parse (%v): err %v", p, perr, err)
			continue
		}
		s.accepted++
		// The statement is the benign one's prefix, the tree's rendering
		// and the closing parenthesis: nothing else.
		b := newBuilder(s.db.dialect, 64)
		e.render(b, "", args)
		sent := s.log.take()
		if len(sent) != 1 || !strings.HasPrefix(sent[0], prefix) || sent[0] != prefix+b.String()+")" {
			s.fail("Where(%q).All sent %q, want %q", p, sent, prefix+b.String()+")")
		}
		for _, st := range sent {
			if msg := shapeError(st, s.db.Dialect()); msg != "" {
				s.fail("Where(%q): %s in %q", p, msg, st)
			}
		}
		if err != nil {
			s.dbRefused++
		}
		for _, r := range rows {
			if r.DeletedAt != nil {
				s.fail("Where(%q).All returned deleted row %d", p, r.ID)
			}
		}
		if rows, err := s.m.OnlyDeleted().Where(p, args...).All(s.ctx); err == nil {
			for _, r := range rows {
				if r.DeletedAt == nil {
					s.fail("OnlyDeleted().Where(%q).All returned live row %d", p, r.ID)
				}
			}
		}
		before := s.before
		check := func(verb string, after string, err error, ok func(after string) bool) {
			for _, st := range s.log.take() {
				if msg := shapeError(st, s.db.Dialect()); msg != "" {
					s.fail("%s(%q): %s in %q", verb, p, msg, st)
				}
			}
			if err != nil && errors.Is(err, ErrInvalid) {
				s.fail("%s(%q): ErrInvalid after parsing: %v", verb, p, err)
			}
			if !ok(after) {
				s.fail("%s(%q) changed rows outside its scope: %s -> %s", verb, p, before, after)
			}
		}
		after, err := s.inTx(func(m *Manager[Gadget]) error { _, err := m.OnlyDeleted().Where(p, args...).Delete(s.ctx); return err })
		check("OnlyDeleted().Where().Delete", after, err, func(a string) bool { return sameList(aliveOf(a), aliveOf(before)) })
		after, err = s.inTx(func(m *Manager[Gadget]) error { _, err := m.Where(p, args...).Delete(s.ctx); return err })
		check("Where().Delete", after, err, func(a string) bool {
			if !sameList(idsOf(a), idsOf(before)) {
				return false
			}
			for _, id := range deletedOf(before) {
				if !hasString(deletedOf(a), id) {
					return false
				}
			}
			return true
		})
		after, err = s.inTx(func(m *Manager[Gadget]) error { _, err := m.OnlyDeleted().Where(p, args...).Restore(s.ctx); return err })
		check("OnlyDeleted().Where().Restore", after, err, func(a string) bool {
			if !sameList(idsOf(a), idsOf(before)) {
				return false
			}
			for _, id := range aliveOf(before) {
				if !hasString(aliveOf(a), id) {
					return false
				}
			}
			return true
		})
		after, err = s.inTx(func(m *Manager[Gadget]) error { _, err := m.Where(p, args...).Restore(s.ctx); return err })
		check("Where().Restore", after, err, func(a string) bool {
			return sameList(aliveOf(a), aliveOf(before)) || len(aliveOf(a)) >= len(aliveOf(before))
		})
	}
}

// sameStatements runs call with a benign value and with each payload and
// requires the same statement texts (values are bound, never written).
func (s *suite) sameStatements(what string, call func(v string) error, okErr ...error) {
	if err := call("benign"); err != nil {
		s.t.Fatalf("%s(benign): %v", what, err)
	}
	benign := s.log.take()
	for _, p := range s.payloads {
		err := call(p)
		if err != nil {
			if s.refusedBefore(what, p, err, okErr...) {
				s.refused++
				continue
			}
			s.log.take()
			s.fail("%s(%q): raw error %v", what, p, err)
			continue
		}
		sent := s.log.take()
		if strings.Join(sent, "\n") != strings.Join(benign, "\n") {
			s.fail("%s(%q) sent %q, benign sent %q", what, p, sent, benign)
			continue
		}
		s.data++
	}
}

func (s *suite) whereArguments() {
	s.sameStatements("Where(name = ?).All", func(v string) error {
		rows, err := s.m.Where("name = ?", v).All(s.ctx)
		if err == nil && len(rows) > 0 {
			return fmt.Errorf("%d rows", len(rows))
		}
		return err
	}, ErrInvalid)
	s.sameStatements("Where(name IN (?)).Count", func(v string) error {
		n, err := s.m.Where("name IN (?) OR version = ?", []string{v, "zz"}, v).Count(s.ctx)
		if err == nil && n > 0 {
			return fmt.Errorf("count %d", n)
		}
		return err
	}, ErrInvalid)
	s.sameStatements("Where(name = ?).Delete", func(v string) error {
		n, err := s.m.Where("name = ? AND id > ?", v, int64(0)).Delete(s.ctx)
		if err == nil && n > 0 {
			return fmt.Errorf("deleted %d", n)
		}
		return err
	}, ErrInvalid)
	s.sameStatements("In(name).All", func(v string) error {
		_, err := s.m.In("name", []string{v}).All(s.ctx)
		return err
	}, ErrInvalid)
}

func (s *suite) orderByAndIn() {
	for _, p := range s.payloads {
		for _, v := range []struct {
			what string
			run  func() error
		}{
			{"OrderBy", func() error { _, err := s.m.OrderBy(p).All(s.ctx); return err }},
			{"OrderBy(-)", func() error { _, err := s.m.OrderBy("-" + p).All(s.ctx); return err }},
			{"In(col)", func() error { _, err := s.m.In(p, []int64{1}).All(s.ctx); return err }},
		} {
			if err := v.run(); s.refusedBefore(v.what, p, err, ErrInvalid) {
				s.refused++
			} else {
				s.log.take()
				s.fail("%s(%q) was not refused: %v", v.what, p, err)
			}
		}
	}
}

// tableStride: an unknown table name makes the library read the schema
// again (the table may have been created since), which takes tens of
// milliseconds on PostgreSQL and MariaDB; by default those take every
// 4th (SQLite), 8th (PostgreSQL) or 80th (MariaDB) payload through the table-name entry points, the full corpus with
// SOFTDELETE_ADVERSARIAL=full.
func (s *suite) tableStride() int {
	if adversarialFull {
		return 1
	}
	if s.db.Dialect() == "sqlite" {
		return 4
	}
	if s.db.Dialect() == "mysql" {
		return 80
	}
	return 8
}

// tableNames sends each payload as the table name of every table-level
// entry point: it must be refused, and the statements sent (reading the
// schema again, for a table created since) must be those a benign unknown
// name sends.
func (s *suite) tableNames() {
	op, err := s.db.Delete(s.ctx, "gadgets", int64(1))
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.db.Restore(s.ctx, "gadgets", int64(1)); err != nil {
		s.t.Fatal(err)
	}
	calls := []struct {
		what string
		run  func(table string) error
	}{
		{"db.Delete", func(tb string) error { _, err := s.db.Delete(s.ctx, tb, int64(1)); return err }},
		{"db.DeleteTx", func(tb string) error {
			tx, err := s.db.SQL().BeginTx(s.ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			_, err = s.db.DeleteTx(s.ctx, tx, tb, int64(1))
			return err
		}},
		{"db.Restore", func(tb string) error { _, err := s.db.Restore(s.ctx, tb, int64(1)); return err }},
		{"db.RestoreWithParents", func(tb string) error { _, err := s.db.RestoreWithParents(s.ctx, tb, int64(1)); return err }},
		{"db.PlanDelete", func(tb string) error { _, err := s.db.PlanDelete(s.ctx, tb, int64(1)); return err }},
		{"db.OperationKeys", func(tb string) error {
			return s.db.OperationKeys(s.ctx, op.ID, tb, 10, func([][]any) error { return nil })
		}},
		{"db.Purge", func(tb string) error {
			_, err := s.db.Purge(s.ctx, PurgePolicy{Tables: []string{tb}, OlderThan: time.Hour})
			return err
		}},
		{"NewManager", func(tb string) error { _, err := NewManager[Gadget](s.db, tb); return err }},
		{"db.Operations(Table)", func(tb string) error {
			ops, err := s.db.Operations(s.ctx, OpFilter{Table: tb})
			if err == nil && len(ops) > 0 {
				return fmt.Errorf("%d operations", len(ops))
			}
			return err
		}},
		{"db.Operations(Actor)", func(tb string) error {
			ops, err := s.db.Operations(s.ctx, OpFilter{Actor: tb})
			if err == nil && len(ops) > 0 {
				return fmt.Errorf("%d operations", len(ops))
			}
			return err
		}},
	}
	s.log.take()
	for _, c := range calls {
		known := map[string]bool{}
		for _, benign := range []string{"no_such_table", "gadgets_x"} {
			if err := c.run(benign); err != nil && !errors.Is(err, ErrSchema) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound) {
				s.t.Fatalf("%s(%q): %v", c.what, benign, err)
			}
			for _, st := range s.log.take() {
				known[st] = true
			}
		}
		for i, p := range s.payloads {
			if i%s.tableStride() != 0 {
				continue
			}
			if p == "" && strings.HasPrefix(c.what, "db.Operations") {
				continue // an empty filter is no filter
			}
			err := c.run(p)
			sent := s.log.take()
			for _, st := range sent {
				if !known[st] {
					s.fail("%s(%q) sent a statement no benign name sends: %q", c.what, p, st)
				}
			}
			switch {
			case err == nil:
				s.data++
			case errors.Is(err, ErrSchema), errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
				s.refused++
			default:
				s.fail("%s(%q): raw error %v", c.what, p, err)
			}
		}
	}
	if after := s.state(s.db.SQL()); after != s.before {
		s.fail("table-name payloads changed rows: %s -> %s", s.before, after)
	}
}

// actorAndReason deletes and restores one row with each payload as actor
// and reason: stored as data (or refused), same statements as a benign
// actor's.
func (s *suite) actorAndReason() {
	id2 := nthID(s.t, s.db, 1)
	run := func(v string) error {
		ctx := WithReason(WithActor(s.ctx, v), v)
		if _, err := s.db.Delete(ctx, "gadgets", id2); err != nil {
			return err
		}
		_, err := s.db.Restore(ctx, "gadgets", id2)
		return err
	}
	if err := run("alice"); err != nil {
		s.t.Fatal(err)
	}
	benign := s.log.take()
	for _, p := range s.payloads {
		err := run(p)
		sent := s.log.take()
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				s.refused++
			} else {
				s.fail("actor/reason %q: raw error %v", p, err)
			}
			if after := s.state(s.db.SQL()); after != s.before {
				s.fail("actor/reason %q: failed call changed rows: %s", p, after)
				s.t.FailNow()
			}
			continue
		}
		if len(sent) != len(benign) {
			s.fail("actor/reason %q sent %d statements, benign %d", p, len(sent), len(benign))
			continue
		}
		for i := range sent {
			if sent[i] != benign[i] && !sameUpToNumbers(sent[i], benign[i]) {
				s.fail("actor/reason %q: statement %q differs from benign %q", p, sent[i], benign[i])
			}
		}
		s.data++
	}
	sort.Strings(s.bad)
}

// sameUpToNumbers compares statements ignoring digits (savepoint names
// and the like are numbered).
func sameUpToNumbers(a, b string) bool {
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	return strip(a) == strip(b)
}
