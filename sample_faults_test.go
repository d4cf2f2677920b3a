package softdelete

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSampleTreeFaults injects a fault (a failing statement, a cancelled
// context, on PostgreSQL and MariaDB a killed connection) at the k-th
// statement of a cascade delete of a tree on Chinook (an employee, the
// employees under it through Employee.ReportsTo, their customers, invoices
// and invoice lines), of its undo, of a restore of the root and of a
// restore with parents of an invoice line deep in it, and of a SET NULL
// delete (a genre; its tracks' references cleared) and its undo. After each: an
// error left every column of every row of the tree's tables and of
// softdelete's own tables as it was; a success left the state of a run
// without a fault; the next call without a fault succeeds and gives that
// state. Before the fault the same operation runs without one; the
// statement count is each operation's own.
func TestSampleTreeFaults(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			sampleTreeFaults(t, d)
		})
	}
}

func sampleTreeFaults(t *testing.T, dialect string) {
	ctx := context.Background()
	start := time.Now()
	u := loadSample(t, "chinook", dialect)
	n := func(camel, snake string) string {
		if dialect == "postgres" {
			return snake
		}
		return camel
	}
	{
		db, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err == nil {
			err = db.ApplyMigration(ctx, m, false)
		}
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	app := randName()
	if dialect == "postgres" {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set("application_name", app)
		pu.RawQuery = q.Encode()
		u = pu.String()
	}
	employee, customer, invoice, line := n("Employee", "employee"), n("Customer", "customer"), n("Invoice", "invoice"), n("InvoiceLine", "invoice_line")
	genre, track := n("Genre", "genre"), n("Track", "track")
	in := &advInjector{}
	db, err := Open(u, WithStatementHook(in.hook),
		WithRelationRule(track, genre, SetNull),
		WithRelationRule(employee, employee, Cascade),
		WithRelationRule(customer, employee, Cascade),
		WithRelationRule(invoice, customer, Cascade),
		WithRelationRule(line, invoice, Cascade))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	modes := []string{"error", "cancel"}
	if dialect != "sqlite" {
		modes = append(modes, "kill")
		in.kill = advKiller(t, dialect, u, app)
	}
	q := db.dialect.Quote
	tables := []string{employee, customer, invoice, line, genre, track}
	// dump: every column of every row of the tree's tables and of
	// softdelete's own; status: the rows and whether each is alive.
	dump := func() string {
		var b strings.Builder
		for _, tbl := range append(append([]string{}, tables...), "softdelete_operations", "softdelete_nulled") {
			fmt.Fprintf(&b, "%s:\n  %s\n", tbl, strings.Join(advLines(t, db, "SELECT * FROM "+q(tbl)), "\n  "))
		}
		return b.String()
	}
	status := func() string {
		var b strings.Builder
		for _, tbl := range tables {
			ti, err := db.tableInfo(ctx, tbl)
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, c := range ti.Columns {
				if c.Name != ti.SoftCol {
					cols = append(cols, q(c.Name))
				}
			}
			lines := advLines(t, db, "SELECT "+strings.Join(cols, ", ")+", CASE WHEN "+q(ti.SoftCol)+" IS NULL THEN 'alive' ELSE 'hidden' END FROM "+q(tbl))
			fmt.Fprintf(&b, "%s: %s\n", tbl, strings.Join(lines, " | "))
		}
		return b.String()
	}
	count := func(query string) int64 {
		var v int64
		if err := db.SQL().QueryRow(query).Scan(&v); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	// The deepest invoice line under employee 2 (for the restore with
	// parents: line, invoice, customer, employee 3..5, employee 2).
	deep := count("SELECT MAX(l." + q(n("InvoiceLineId", "invoice_line_id")) + ") FROM " + q(line) + " l JOIN " + q(invoice) + " i ON i." +
		q(n("InvoiceId", "invoice_id")) + " = l." + q(n("InvoiceId", "invoice_id")) + " JOIN " + q(customer) + " c ON c." +
		q(n("CustomerId", "customer_id")) + " = i." + q(n("CustomerId", "customer_id")) + " WHERE c." + q(n("SupportRepId", "support_rep_id")) + " = 3")
	noFault := func(f func() error) {
		t.Helper()
		in.disarm()
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	lastDelete := func() int64 {
		t.Helper()
		ops, err := db.Operations(context.Background(), OpFilter{Kind: OpDelete, Limit: 1})
		if err != nil || len(ops) == 0 {
			t.Fatalf("no delete to undo: %v", err)
		}
		return ops[0].ID
	}
	del := func(ctx context.Context) error { _, err := db.Delete(ctx, employee, 2); return err }
	undo := func(ctx context.Context) error {
		// The look-up is not a statement of the operation.
		in.mu.Lock()
		target := in.target
		in.target = 0
		in.mu.Unlock()
		id := lastDelete()
		in.mu.Lock()
		in.target = target
		in.mu.Unlock()
		_, err := db.Undo(ctx, id)
		return err
	}
	delGenre := func(ctx context.Context) error { _, err := db.Delete(ctx, genre, 2); return err }
	type scenario struct {
		name        string
		prepare, do func(ctx context.Context) error
		reverse     func(ctx context.Context) error
	}
	scenarios := []scenario{
		{"delete employee 2", nil, del, undo},
		{"delete genre 2 (SET NULL on its tracks)", nil, delGenre, undo},
		{"undo the delete of genre 2", delGenre, undo, delGenre},
		{"undo the delete of employee 2", del, undo, del},
		{"restore employee 2", del, func(ctx context.Context) error { _, err := db.Restore(ctx, employee, 2); return err }, del},
		{fmt.Sprintf("restore with parents invoice line %d", deep), del, func(ctx context.Context) error {
			_, err := db.RestoreWithParents(ctx, line, deep)
			return err
		}, func(ctx context.Context) error {
			// Back to employee 2's tree hidden: restore the rest, delete again.
			if _, err := db.Restore(ctx, employee, 2); err != nil && !errors.Is(err, ErrNotDeleted) {
				return err
			}
			return del(ctx)
		}},
	}
	faults, absorbed := 0, 0
	for _, sc := range scenarios {
		if sc.prepare != nil {
			noFault(func() error { return sc.prepare(ctx) })
		}
		pre := status()
		in.arm("count", 1<<30, nil)
		err := sc.do(ctx)
		_, nStmts := in.disarm()
		if err != nil {
			t.Fatalf("%s without a fault: %v", sc.name, err)
		}
		post := status()
		if post == pre {
			t.Fatalf("%s changes nothing", sc.name)
		}
		noFault(func() error { return sc.reverse(ctx) })
		if got := status(); got != pre {
			t.Fatalf("%s: reverse: %s", sc.name, advStatusDiff(pre, got))
		}
		t.Logf("%s: %d statements", sc.name, nStmts)
		for mi, mode := range modes {
			// By default every third statement, the modes interleaved, and
			// the killed connection at every sixth (reconnecting is slow);
			// SOFTDELETE_ADVERSARIAL=full: every statement.
			stride, first := 3, 1+mi
			if mode == "kill" {
				stride, first = 6, 1+len(sc.name)%6
			}
			if advFull() {
				stride, first = 1, 1
			}
			for k := first; k <= nStmts; k += stride {
				what := fmt.Sprintf("%s: %s at statement %d of %d", sc.name, mode, k, nStmts)
				before := dump()
				var fctx context.Context = ctx
				var tc *advTrigCtx
				if mode == "cancel" {
					tc = newTrigCtx(context.Canceled)
					fctx = tc
				}
				in.arm(mode, k, tc)
				err := sc.do(fctx)
				fired, _ := in.disarm()
				if tc != nil {
					tc.fire()
				}
				faults++
				if err == nil || !fired {
					absorbed++
					if got := status(); got != post {
						t.Errorf("%s: succeeded (fault fired: %v) but left: %s", what, fired, advStatusDiff(post, got))
					}
					noFault(func() error { return sc.reverse(ctx) })
					continue
				}
				switch cls := advClass(err); {
				case errors.Is(err, errAdvInjected), cls == "context.Canceled", advBusy(err):
				case mode == "kill" && cls == "ErrConnLost", cls == "ErrConnLost" && advCtxErr(err):
				default:
					t.Errorf("%s: untyped or unexpected error (%s): %v", what, cls, err)
				}
				if got := dump(); got != before {
					t.Errorf("%s: failed (%v) but changed: %s", what, err, advFingerprintDiff(before, got))
					if status() == post {
						noFault(func() error { return sc.reverse(ctx) })
					}
					if got := status(); got != pre {
						t.Fatalf("%s: cannot go on from: %s", what, advStatusDiff(pre, got))
					}
				}
				// The retry, without a fault.
				if err := sc.do(ctx); err != nil {
					t.Errorf("%s: the retry failed: %v", what, err)
					continue
				}
				if got := status(); got != post {
					t.Errorf("%s: the retry left: %s", what, advStatusDiff(post, got))
				}
				noFault(func() error { return sc.reverse(ctx) })
				if got := status(); got != pre {
					t.Fatalf("%s: reverse: %s", what, advStatusDiff(pre, got))
				}
			}
		}
		if sc.prepare != nil {
			// Back to the tree alive for the next scenario.
			in.disarm()
			if _, err := db.Restore(ctx, employee, 2); err != nil && !errors.Is(err, ErrNotDeleted) {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%s: %d faults (%d absorbed) in %v", dialect, faults, absorbed, time.Since(start))
}

// advKiller returns a function that kills the connections of the test
// database u (PostgreSQL: by application_name app).
func advKiller(t *testing.T, dialect, u, app string) func() error {
	adm, err := admin(dialect)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(mustParse(u).Path, "/")
	return func() error {
		ctx := context.Background()
		if dialect == "postgres" {
			_, err := adm.SQL().ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app)
			return err
		}
		rows, err := adm.SQL().QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", dbName)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if _, err := adm.SQL().ExecContext(ctx, fmt.Sprintf("KILL %d", id)); err != nil && !strings.Contains(err.Error(), "Unknown thread") {
				return err
			}
		}
		return nil
	}
}

// TestSamplePurgeFaults purges a hidden tree on Chinook (an employee's
// subtree with its customers, invoices and lines, and a few invoices of
// other customers) in small batches with a fault (a failing statement, a
// cancelled context, on PostgreSQL and MariaDB a killed connection) at the
// k-th statement of one purger while a second purger runs at the same
// time. After each: every row is as before or purged, no alive row is
// gone, the rows gone are exactly those the purge operations in the log
// count (each batch is all or nothing, its log row with it), and a purge
// run again reaches the end state of a purge without faults.
func TestSamplePurgeFaults(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			samplePurgeFaults(t, d)
		})
	}
}

func samplePurgeFaults(t *testing.T, dialect string) {
	ctx := context.Background()
	start := time.Now()
	u := loadSample(t, "chinook", dialect)
	n := func(camel, snake string) string {
		if dialect == "postgres" {
			return snake
		}
		return camel
	}
	{
		db, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err == nil {
			err = db.ApplyMigration(ctx, m, false)
		}
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	app := randName()
	if dialect == "postgres" {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set("application_name", app)
		pu.RawQuery = q.Encode()
		u = pu.String()
	}
	employee, customer, invoice, line := n("Employee", "employee"), n("Customer", "customer"), n("Invoice", "invoice"), n("InvoiceLine", "invoice_line")
	rules := []Option{
		WithRelationRule(employee, employee, Cascade),
		WithRelationRule(customer, employee, Cascade),
		WithRelationRule(invoice, customer, Cascade),
		WithRelationRule(line, invoice, Cascade),
	}
	in := &advInjector{}
	db, err := Open(u, append([]Option{WithStatementHook(in.hook)}, rules...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := Open(u, rules...)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	modes := []string{"error", "cancel"}
	if dialect != "sqlite" {
		modes = append(modes, "kill")
		in.kill = advKiller(t, dialect, u, app)
	}
	q := db.dialect.Quote
	tables := []string{employee, customer, invoice, line}
	keys := map[string]string{employee: n("EmployeeId", "employee_id"), customer: n("CustomerId", "customer_id"),
		invoice: n("InvoiceId", "invoice_id"), line: n("InvoiceLineId", "invoice_line_id")}

	// The hidden rows: employee 2's tree and invoices 1..40 (of other
	// customers too).
	if _, err := db.Delete(ctx, employee, 2); err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 40; id++ {
		if _, err := db.Delete(ctx, invoice, id); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDeleted) {
			t.Fatal(err)
		}
	}
	// Backups of the four tables: purged rows come back from them.
	for _, tbl := range tables {
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE "+q("bak_"+tbl)+" AS SELECT * FROM "+q(tbl)); err != nil {
			t.Fatal(err)
		}
	}
	refill := func() {
		t.Helper()
		for _, tbl := range tables { // parents first
			k := q(keys[tbl])
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO "+q(tbl)+" SELECT * FROM "+q("bak_"+tbl)+" b WHERE NOT EXISTS (SELECT 1 FROM "+
				q(tbl)+" x WHERE x."+k+" = b."+k+") ORDER BY b."+k); err != nil {
				t.Fatalf("refill %s: %v", tbl, err)
			}
		}
	}
	// rows: per table, each row's key and whether it is alive.
	rows := func() map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, tbl := range tables {
			out[tbl] = map[string]bool{}
			for _, l := range advLines(t, db, "SELECT "+q(keys[tbl])+", CASE WHEN deleted_at IS NULL THEN 'alive' ELSE 'hidden' END FROM "+q(tbl)) {
				out[tbl][l] = true
			}
		}
		return out
	}
	subset := func(a, b map[string]map[string]bool) (string, bool) {
		for tbl, rs := range a {
			for r := range rs {
				if !b[tbl][r] {
					return tbl + " " + r, false
				}
			}
		}
		return "", true
	}
	lastOp := func() int64 {
		var id int64
		if err := db.SQL().QueryRow("SELECT COALESCE(MAX(id), 0) FROM softdelete_operations").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// logged sums the counts of the purge operations after id.
	logged := func(after int64) map[string]int64 {
		in.mu.Lock()
		target := in.target
		in.target = 0
		in.mu.Unlock()
		defer func() { in.mu.Lock(); in.target = target; in.mu.Unlock() }()
		ops, err := db.Operations(ctx, OpFilter{Kind: OpPurge, Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, op := range ops {
			if op.ID > after {
				for tbl, c := range op.Counts {
					out[strings.ToLower(tbl)] += c
				}
			}
		}
		return out
	}
	gone := func(pre, mid map[string]map[string]bool) map[string]int64 {
		out := map[string]int64{}
		for tbl, rs := range pre {
			if d := int64(len(rs) - len(mid[tbl])); d != 0 {
				out[strings.ToLower(tbl)] = d
			}
		}
		return out
	}
	policy := PurgePolicy{Before: time.Now().Add(time.Hour), BatchSize: 250}
	pre := rows()
	in.arm("count", 1<<30, nil)
	res, err := db.Purge(ctx, policy)
	_, nStmts := in.disarm()
	if err != nil {
		t.Fatal(err)
	}
	post := rows()
	if fmt.Sprint(gone(pre, post)) == "map[]" {
		t.Fatal("the purge purged nothing")
	}
	t.Logf("purge: %d statements, %d batches, %v", nStmts, res.Batches, gone(pre, post))
	faults := 0
	for _, mode := range modes {
		// By default the error at every other statement, the others at
		// every third and fifth; SOFTDELETE_ADVERSARIAL=full: every one.
		stride := map[string]int{"error": 2, "cancel": 3, "kill": 5}[mode]
		first := 1 + len(mode)%stride
		if advFull() {
			stride, first = 1, 1
		}
		for k := first; k <= nStmts; k += stride {
			what := fmt.Sprintf("purge: %s at statement %d of %d", mode, k, nStmts)
			refill()
			if got := rows(); fmt.Sprint(got) != fmt.Sprint(pre) {
				t.Fatalf("%s: refill did not give back the rows before the purge", what)
			}
			mark := lastOp()
			var fctx context.Context = ctx
			var tc *advTrigCtx
			if mode == "cancel" {
				tc = newTrigCtx(context.Canceled)
				fctx = tc
			}
			in.arm(mode, k, tc)
			done := make(chan error, 1)
			go func() { _, err := other.Purge(ctx, policy); done <- err }()
			_, err := db.Purge(fctx, policy)
			fired, _ := in.disarm()
			if tc != nil {
				tc.fire()
			}
			oerr := <-done
			// The kill also hits the other purger's connections.
			if oerr != nil && !(mode == "kill" && errors.Is(oerr, ErrConnLost)) {
				t.Errorf("%s: the other purger failed: %v", what, oerr)
			}
			if fired {
				faults++
			}
			if err != nil {
				switch cls := advClass(err); {
				case errors.Is(err, errAdvInjected), cls == "context.Canceled", advBusy(err):
				case mode == "kill" && cls == "ErrConnLost", cls == "ErrConnLost" && advCtxErr(err):
				default:
					t.Errorf("%s: untyped or unexpected error (%s): %v", what, cls, err)
				}
			}
			mid := rows()
			if r, ok := subset(mid, pre); !ok {
				t.Errorf("%s (%v): a row is not as before: %s", what, err, r)
			}
			if r, ok := subset(post, mid); !ok {
				t.Errorf("%s (%v): a row that stays is gone: %s", what, err, r)
			}
			if g, l := gone(pre, mid), logged(mark); fmt.Sprint(g) != fmt.Sprint(l) {
				t.Errorf("%s (%v): rows gone %v, the log's purge operations count %v", what, err, g, l)
			}
			if _, err := db.Purge(ctx, policy); err != nil {
				t.Errorf("%s: the next purge failed: %v", what, err)
			}
			if got := rows(); fmt.Sprint(got) != fmt.Sprint(post) {
				r, _ := subset(got, post)
				t.Errorf("%s: the next purge did not reach the end state (%s)", what, r)
			}
			if g, l := gone(pre, rows()), logged(mark); fmt.Sprint(g) != fmt.Sprint(l) {
				t.Errorf("%s: after the next purge: rows gone %v, the log's purge operations count %v", what, g, l)
			}
		}
	}
	var leases, names int64
	if err := db.SQL().QueryRow("SELECT COUNT(*), COUNT(DISTINCT name) FROM softdelete_purge_lease").Scan(&leases, &names); err != nil || leases != names {
		t.Errorf("lease rows: %d rows, %d names (%v)", leases, names, err)
	}
	t.Logf("%s: %d faults in %v", dialect, faults, time.Since(start))
}
