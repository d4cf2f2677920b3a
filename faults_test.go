package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAdversarialFaults is acceptance (c) of issue 8: a fault at every
// statement of delete (cascade, SET NULL, tree, two parents), restore,
// restore with parents, undo, bulk delete, bulk restore, DeleteTx and UndoTx
// inside the caller's transaction (savepoints), and purge. Faults:
// the statement fails (hook error), the context is cancelled, the deadline
// expires (a context whose Done fires at that statement), the connection
// is killed from outside (PostgreSQL pg_terminate_backend, MariaDB KILL),
// and the deadline expires during COMMIT. After each: the operation either
// failed and changed nothing at all (every column of every table, the log
// included) or succeeded completely; the error is typed; and the next call,
// without a fault, works. Purge is batched, so for it "all or nothing" is
// per batch: every row is either as before or purged, and the next purge
// reaches the same end state as a purge without faults.
//
// Default (CI): every statement for the hook error, every other statement
// for cancel and deadline (alternating), every fourth for the killed
// connection (reconnecting is slow), 3 commit races per operation; for
// purge (re-seeded per fault) every other statement for the error and every
// sixth for the others. SOFTDELETE_ADVERSARIAL=full: every statement for
// every fault, 12 commit races.
func TestAdversarialFaults(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			advFaults(t, d)
		})
	}
}

var errAdvInjected = errors.New("adversarial: injected statement fault")

// advTrigCtx is a context whose Done fires when fire is called, with
// DeadlineExceeded: a deadline that expires at an exact statement.
type advTrigCtx struct {
	context.Context
	done chan struct{}
	once sync.Once
	err  error
}

func newTrigCtx(err error) *advTrigCtx {
	return &advTrigCtx{Context: context.Background(), done: make(chan struct{}), err: err}
}

func (c *advTrigCtx) Done() <-chan struct{} { return c.done }
func (c *advTrigCtx) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}
func (c *advTrigCtx) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }
func (c *advTrigCtx) fire()                       { c.once.Do(func() { close(c.done) }) }

// advInjector fails, cancels or kills at the k-th statement.
type advInjector struct {
	mu     sync.Mutex
	n      int
	target int
	mode   string
	fired  bool
	ctx    *advTrigCtx
	delay  time.Duration // commit mode: fire this long after the last statement
	kill   func() error
}

func (in *advInjector) arm(mode string, k int, ctx *advTrigCtx) {
	in.mu.Lock()
	in.n, in.target, in.mode, in.fired, in.ctx = 0, k, mode, false, ctx
	in.mu.Unlock()
}

func (in *advInjector) disarm() (fired bool, n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	fired, n = in.fired, in.n
	in.target, in.ctx = 0, nil
	return fired, n
}

func (in *advInjector) hook(ctx context.Context, q string, args []any) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.target == 0 {
		return nil
	}
	in.n++
	if in.n != in.target {
		return nil
	}
	in.fired = true
	switch in.mode {
	case "error":
		return errAdvInjected
	case "cancel", "deadline":
		in.ctx.fire()
	case "commit":
		c, d := in.ctx, in.delay
		go func() { time.Sleep(d); c.fire() }()
	case "kill":
		if err := in.kill(); err != nil {
			return fmt.Errorf("adversarial: killing the connection failed: %v", err)
		}
	}
	return nil
}

// advScenario is one operation under faults: prepare brings the seeded
// data to the state before it, do runs it, reverse brings the state after
// it back to a state before it (new operation ids and stamps allowed).
type advScenario struct {
	name    string
	prepare func(ctx context.Context) error
	do      func(ctx context.Context) error
	reverse func(ctx context.Context) error
}

func advFaults(t *testing.T, dialect string) {
	full := advFull()
	u := testURL(t, dialect)
	app := randName()
	if dialect == "postgres" {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set("application_name", app)
		pu.RawQuery = q.Encode()
		u = pu.String()
	}
	in := &advInjector{}
	db, err := Open(u, WithStatementHook(in.hook))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	modes := []string{"error", "cancel", "deadline"}
	if dialect != "sqlite" {
		adm, err := admin(dialect)
		if err != nil {
			t.Fatal(err)
		}
		modes = append(modes, "kill")
		dbName := strings.TrimPrefix(mustParse(u).Path, "/")
		in.kill = func() error {
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
	advSchema(t, db)
	seed := advSeedSize{customers: 12, ordersPer: 2, itemsPer: 2, products: 4, coupons: 3, nodes: 15}
	orders, err := NewManager[advOrder](db, "orders")
	if err != nil {
		t.Fatal(err)
	}
	a := newTally(dialect)
	name := "TestAdversarialFaults/" + dialect
	stop := advWatchdog(name, map[bool]time.Duration{false: 8 * time.Minute, true: 60 * time.Minute}[full])
	defer stop()

	del := func(table string, id int64) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := db.Delete(ctx, table, id)
			return err
		}
	}
	// The newest delete of the log is the one to undo (read from the log,
	// so that a delete that reported an error but committed is found too).
	undoLast := func(ctx context.Context) error {
		in.mu.Lock()
		target := in.target
		in.target = 0 // the look-up is not a statement of the operation
		in.mu.Unlock()
		ops, err := db.Operations(context.Background(), OpFilter{Kind: OpDelete, Limit: 1})
		in.mu.Lock()
		in.target = target
		in.mu.Unlock()
		if err != nil {
			return err
		}
		if len(ops) == 0 {
			return fmt.Errorf("no delete to undo")
		}
		_, err = db.Undo(ctx, ops[0].ID)
		return err
	}
	restore := func(table string, id int64) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := db.Restore(ctx, table, id)
			return err
		}
	}
	bulkDelete := func(ids ...int64) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := orders.Where("customer_id IN (?)", ids).Delete(ctx)
			return err
		}
	}
	bulkRestore := func(ids ...int64) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := orders.OnlyDeleted().Where("customer_id IN (?)", ids).Restore(ctx)
			return err
		}
	}
	nothing := func(context.Context) error { return nil }
	// inTx runs fn in the caller's transaction and commits whatever the
	// operation left there: a failed operation must have left nothing
	// (its savepoint), so the commit changes nothing. The transaction
	// outlives the operation's context (a cancelled or expired operation
	// inside a longer unit of work).
	inTx := func(fn func(ctx context.Context, tx *sql.Tx) error) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			tx, err := db.SQL().BeginTx(context.Background(), nil)
			if err != nil {
				return err
			}
			if err := fn(ctx, tx); err != nil {
				if cerr := tx.Commit(); cerr != nil {
					return fmt.Errorf("%w (and the caller's commit failed: %v)", err, cerr)
				}
				return err
			}
			return tx.Commit()
		}
	}
	lastDelete := func() int64 {
		ops, err := db.Operations(context.Background(), OpFilter{Kind: OpDelete, Limit: 1})
		if err != nil || len(ops) == 0 {
			t.Fatalf("no delete to undo: %v", err)
		}
		return ops[0].ID
	}
	scenarios := []advScenario{
		{"delete cascade customers 1", nothing, del("customers", 1), undoLast},
		{"delete SET NULL coupons 1", nothing, del("coupons", 1), undoLast},
		{"delete two-parent products 1", nothing, del("products", 1), undoLast},
		{"delete tree nodes 2", nothing, del("nodes", 2), restore("nodes", 2)},
		{"restore customers 2", del("customers", 2), restore("customers", 2), del("customers", 2)},
		{"restore with parents items 4000", del("customers", 4), func(ctx context.Context) error {
			_, err := db.RestoreWithParents(ctx, "items", 4000)
			return err
		}, del("customers", 4)},
		{"undo customers 5", del("customers", 5), undoLast, del("customers", 5)},
		{"bulk delete orders of customers 7, 8", nothing, bulkDelete(7, 8), bulkRestore(7, 8)},
		{"bulk restore orders of customers 10, 11", bulkDelete(10, 11), bulkRestore(10, 11), bulkDelete(10, 11)},
		{"DeleteTx customers 1 in the caller's transaction", nothing, inTx(func(ctx context.Context, tx *sql.Tx) error {
			_, err := db.DeleteTx(ctx, tx, "customers", 1)
			return err
		}), undoLast},
		{"UndoTx customers 5 in the caller's transaction", del("customers", 5), func(ctx context.Context) error {
			in.mu.Lock()
			target := in.target
			in.target = 0 // the look-up is not a statement of the operation
			in.mu.Unlock()
			id := lastDelete()
			in.mu.Lock()
			in.target = target
			in.mu.Unlock()
			return inTx(func(ctx context.Context, tx *sql.Tx) error {
				_, err := db.UndoTx(ctx, tx, id)
				return err
			})(ctx)
		}, del("customers", 5)},
	}
	for _, sc := range scenarios {
		advSeed(t, db, seed)
		ctx := context.Background()
		if err := sc.prepare(ctx); err != nil {
			t.Fatalf("%s: prepare: %v", sc.name, err)
		}
		pre := advStatus(t, db)
		// The operation without a fault gives the state after it.
		if err := sc.do(ctx); err != nil {
			t.Fatalf("%s: without a fault: %v", sc.name, err)
		}
		post := advStatus(t, db)
		if post == pre {
			t.Fatalf("%s changes nothing", sc.name)
		}
		if err := sc.reverse(ctx); err != nil {
			t.Fatalf("%s: reverse: %v", sc.name, err)
		}
		if got := advStatus(t, db); got != pre {
			t.Fatalf("%s: reverse does not restore the state: %s", sc.name, advStatusDiff(pre, got))
		}
		for _, mode := range append(modes, "commit") {
			modeStart := time.Now()
			step, offset := 1, 0
			if !full && (mode == "cancel" || mode == "deadline") {
				step = 2
				if mode == "deadline" {
					offset = 1
				}
			}
			if !full && mode == "kill" {
				step, offset = 4, len(sc.name)%4 // reconnecting is slow: a quarter of the statements by default
			}
			tries := 200
			if mode == "commit" {
				tries = map[bool]int{false: 3, true: 12}[full]
			}
			for k, try := 1+offset, 0; try < tries; k, try = k+step, try+1 {
				what := fmt.Sprintf("%s: %s at statement %d", sc.name, mode, k)
				if mode == "commit" {
					what = fmt.Sprintf("%s: deadline %dµs after the last statement", sc.name, try*300)
				}
				if !advFaultOnce(t, db, in, a, sc, mode, k, try, pre, post, what) {
					break
				}
			}
			a.count("ms."+mode, int(time.Since(modeStart).Milliseconds()))
		}
	}
	advPurgeFaults(t, db, in, a, modes, seed)
	a.report(t, name)
}

// advFaultOnce injects one fault into one run of the scenario and checks
// the outcome, the next call and the way back. It returns false when the
// operation finished before the k-th statement (no more statements).
func advFaultOnce(t *testing.T, db *DB, in *advInjector, a *advTally, sc advScenario, mode string, k, try int, pre, post, what string) bool {
	t.Helper()
	before := advFingerprint(t, db)
	var ctx context.Context = context.Background()
	var tc *advTrigCtx
	switch mode {
	case "cancel":
		tc = newTrigCtx(context.Canceled)
	case "deadline", "commit":
		tc = newTrigCtx(context.DeadlineExceeded)
	}
	if tc != nil {
		ctx = tc
	}
	target := k
	if mode == "commit" {
		// Count the statements once, then fire after the last one.
		in.arm("count", 1<<30, nil)
		_ = sc.do(context.Background())
		_, n := in.disarm()
		if err := sc.reverse(context.Background()); err != nil {
			t.Fatalf("%s: reverse: %v", what, err)
		}
		before = advFingerprint(t, db)
		target = n
		in.delay = time.Duration(try*300) * time.Microsecond
	}
	in.arm(mode, target, tc)
	err := sc.do(ctx)
	fired, _ := in.disarm()
	if tc != nil {
		tc.fire()
	}
	if !fired {
		if err != nil {
			a.violation("clean-run-failed", "%s: the operation failed without a fault: %v", what, err)
		}
		if err == nil && advStatus(t, db) != post {
			a.violation("wrong-result", "%s: without a fault the state is not the expected one", what)
		}
		if err == nil {
			if rerr := sc.reverse(context.Background()); rerr != nil {
				t.Fatalf("%s: reverse: %v", what, rerr)
			}
		}
		return false
	}
	a.count("faults."+mode, 1)
	if err == nil {
		// The fault was absorbed (a retry on a fresh connection, or the
		// commit won the race): the change must be complete.
		a.count("absorbed."+mode, 1)
		if got := advStatus(t, db); got != post {
			a.violation("partial-state", "%s: succeeded but the change is incomplete: %s", what, advStatusDiff(post, got))
		}
		if rerr := sc.reverse(context.Background()); rerr != nil {
			a.violation("next-call-fails", "%s: reversing after an absorbed fault: %v", what, rerr)
			return false
		}
		return true
	}
	switch cls := advClass(err); {
	case errors.Is(err, errAdvInjected), cls == "context.Canceled", cls == "context.DeadlineExceeded", advBusy(err):
	case mode == "kill" && cls == "ErrConnLost", cls == "ErrConnLost" && advCtxErr(err):
	case cls == "":
		a.violation("raw-error", "%s: %v", what, err)
	default:
		a.violation("unexpected-error", "%s: %s: %v", what, cls, err)
	}
	if got := advFingerprint(t, db); got != before {
		cat := "partial-state"
		if advStatus(t, db) == post {
			cat = "error-but-committed"
		}
		a.violation(cat, "%s returned %v but changed: %s", what, err, advFingerprintDiff(before, got))
		a.count("partial."+mode, 1)
		// Get back to the state before the operation, whatever it is.
		if advStatus(t, db) == post {
			if rerr := sc.reverse(context.Background()); rerr != nil {
				t.Fatalf("%s: reverse after a partial state: %v", what, rerr)
			}
		}
		if advStatus(t, db) != pre {
			t.Fatalf("%s: cannot continue from a partial state:\n%s", what, advStatusDiff(pre, advStatus(t, db)))
		}
	}
	// The next call, without a fault, works.
	if err := sc.do(context.Background()); err != nil {
		a.violation("next-call-fails", "%s: the next call failed: %v", what, err)
		return true
	}
	if got := advStatus(t, db); got != post {
		a.violation("wrong-result", "%s: the next call left the wrong state: %s", what, advStatusDiff(post, got))
	}
	if err := sc.reverse(context.Background()); err != nil {
		t.Fatalf("%s: reverse: %v", what, err)
	}
	if got := advStatus(t, db); got != pre {
		t.Fatalf("%s: reverse does not restore the state: %s", what, advStatusDiff(pre, got))
	}
	return true
}

// advFingerprintDiff shows the lines that differ between two fingerprints.
func advFingerprintDiff(before, after string) string {
	bs, as := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		bs[l] = true
	}
	for _, l := range strings.Split(after, "\n") {
		as[l] = true
	}
	var out []string
	for _, l := range strings.Split(before, "\n") {
		if !as[l] {
			out = append(out, "-"+strings.TrimSpace(l))
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !bs[l] {
			out = append(out, "+"+strings.TrimSpace(l))
		}
	}
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("... %d more", len(out)-8))
	}
	return strings.Join(out, " | ")
}

// advPurgeFaults injects every fault at every statement of a purge of
// several hidden trees in small batches.
func advPurgeFaults(t *testing.T, db *DB, in *advInjector, a *advTally, modes []string, seed advSeedSize) {
	t.Helper()
	ctx := context.Background()
	prepare := func() {
		advSeed(t, db, seed)
		for _, d := range []struct {
			table string
			id    int64
		}{{"customers", 1}, {"products", 2}, {"nodes", 2}, {"coupons", 1}, {"customers", 5}} {
			if _, err := db.Delete(ctx, d.table, d.id); err != nil {
				t.Fatalf("purge prepare: delete %s %d: %v", d.table, d.id, err)
			}
		}
	}
	policy := func() PurgePolicy {
		return PurgePolicy{Before: time.Now().Add(time.Hour), BatchSize: map[bool]int{false: 10, true: 3}[advFull()]}
	}
	prepare()
	pre := advStatus(t, db)
	in.arm("count", 1<<30, nil)
	_, err := db.Purge(ctx, policy())
	_, n := in.disarm()
	a.count("purge-statements", n)
	if err != nil {
		t.Fatalf("purge without a fault: %v", err)
	}
	post := advStatus(t, db)
	if post == pre {
		t.Fatal("purge purged nothing")
	}
	preRows := map[string]bool{}
	for _, l := range strings.Split(pre, "\n") {
		preRows[l] = true
	}
	for _, mode := range modes {
		modeStart := time.Now()
		for k := 1; k < 400; k++ {
			// By default a purge takes the error at every other statement
			// and the other faults at every sixth (each run re-seeds).
			if stride := map[string]int{"error": 2}[mode]; !advFull() && k%max(stride, 6) != map[string]int{"error": 1, "cancel": 2, "deadline": 4, "kill": 5}[mode]%max(stride, 6) {
				continue
			}
			what := fmt.Sprintf("purge: %s at statement %d", mode, k)
			prepare()
			var pctx context.Context = ctx
			var tc *advTrigCtx
			switch mode {
			case "cancel":
				tc = newTrigCtx(context.Canceled)
			case "deadline":
				tc = newTrigCtx(context.DeadlineExceeded)
			}
			if tc != nil {
				pctx = tc
			}
			in.arm(mode, k, tc)
			_, err := db.Purge(pctx, policy())
			fired, _ := in.disarm()
			if tc != nil {
				tc.fire()
			}
			if !fired {
				if err != nil {
					a.violation("clean-run-failed", "%s: purge failed without a fault: %v", what, err)
				} else if got := advStatus(t, db); got != post {
					a.violation("wrong-result", "%s: %s", what, advStatusDiff(post, got))
				}
				break
			}
			a.count("faults."+mode, 1)
			if err != nil {
				switch cls := advClass(err); {
				case errors.Is(err, errAdvInjected), cls == "context.Canceled", cls == "context.DeadlineExceeded", advBusy(err):
				case mode == "kill" && cls == "ErrConnLost", cls == "ErrConnLost" && advCtxErr(err):
				case cls == "":
					a.violation("raw-error", "%s: %v", what, err)
				default:
					a.violation("unexpected-error", "%s: %s: %v", what, cls, err)
				}
			}
			// Every row is as before or purged (batches are atomic).
			mid := advStatus(t, db)
			if advCheckState(t, db, a, what) > 0 {
				a.count("partial.purge", 1)
			}
			if !advPurgeBetween(pre, mid, post) {
				a.violation("partial-state", "%s: a row is neither as before nor purged: %s", what, advStatusDiff(pre, mid))
			}
			// The next purge reaches the end state of a purge without faults.
			if _, err := db.Purge(ctx, policy()); err != nil {
				a.violation("next-call-fails", "%s: the next purge failed: %v", what, err)
				continue
			}
			if got := advStatus(t, db); got != post {
				a.violation("purge-diverges", "%s: after the next purge: %s", what, advStatusDiff(post, got))
			}
		}
		a.count("ms.purge."+mode, int(time.Since(modeStart).Milliseconds()))
	}
}

// advPurgeBetween reports whether every row of mid is a row of pre (as it
// was) and every row of post is in mid: a purge in progress only removes
// rows that the complete purge removes.
func advPurgeBetween(pre, mid, post string) bool {
	pl, ml, ol := strings.Split(pre, "\n"), strings.Split(mid, "\n"), strings.Split(post, "\n")
	for i := range pl {
		if i >= len(ml) || i >= len(ol) {
			return false
		}
		prow, mrow, orow := advRowSet(pl[i]), advRowSet(ml[i]), advRowSet(ol[i])
		for r := range mrow {
			if !prow[r] {
				return false
			}
		}
		for r := range orow {
			if !mrow[r] {
				return false
			}
		}
	}
	return true
}

// advRowSet splits an advStatus line into its rows.
func advRowSet(line string) map[string]bool {
	out := map[string]bool{}
	f := strings.Fields(line)
	if len(f) == 0 {
		return out
	}
	step := 2
	if f[0] == "orders:" {
		step = 3
	}
	for i := 1; i+step-1 < len(f); i += step {
		out[strings.Join(f[i:i+step], " ")] = true
	}
	return out
}

// advCtxErr: the caller's cancel or deadline caused the error. pgx answers
// a context that ends during a statement by closing the connection, so the
// error can be ErrConnLost as well; the state check that follows still
// requires all or nothing.
func advCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
