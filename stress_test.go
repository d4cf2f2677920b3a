package softdelete

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAdversarialStress is acceptance (b) of issue 8: goroutines run random
// operations (create, save, delete, cascade delete, restore, restore with
// parents, undo, bulk delete and restore, unique key reuse) through two DB
// handles on the same database; then the invariants are checked in SQL and
// through the operations log: no live row references a hidden parent, no
// two live rows share an alive-only unique key, no row is lost, every
// hidden row belongs to exactly one delete operation that was not undone,
// every such operation's Undo brings back exactly its rows, no raw driver
// error escapes, nothing hangs.
//
// Default: 8 goroutines x 60 operations per dialect. SOFTDELETE_ADVERSARIAL=full:
// 64 x 500 (more data too); SOFTDELETE_ADVERSARIAL=16x200: that size. SOFTDELETE_ADVERSARIAL_SEED=n repeats the random choices (the
// interleaving still varies).
func TestAdversarialStress(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			advStress(t, d)
		})
	}
}

type advStressSize struct {
	goroutines, ops int
	seed            advSeedSize
	timeout         time.Duration
}

func advStressConfig() advStressSize {
	if advFull() {
		return advStressSize{64, 500, advSeedSize{customers: 60, ordersPer: 3, itemsPer: 3, products: 10, coupons: 6, nodes: 120}, 40 * time.Minute}
	}
	c := advStressSize{8, 60, advSeedSize{customers: 12, ordersPer: 2, itemsPer: 2, products: 4, coupons: 3, nodes: 24}, 4 * time.Minute}
	if g, n, ok := advSize(); ok {
		c.goroutines, c.ops, c.timeout = g, n, 60*time.Minute
	}
	return c
}

func advSeedValue(t testing.TB) int64 {
	if s := os.Getenv("SOFTDELETE_ADVERSARIAL_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("SOFTDELETE_ADVERSARIAL_SEED: %v", err)
		}
		return n
	}
	return time.Now().UnixNano() % 1_000_000
}

// advWatchdog dumps every goroutine and aborts the test binary if done is
// not called within d: a hang must not pass as a slow test.
func advWatchdog(name string, d time.Duration) (done func()) {
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 1<<22)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "\n%s: HANG: not finished after %v; goroutines:\n%s\n", name, d, buf[:n])
		panic(name + ": hang (goroutine dump above)")
	})
	return func() { timer.Stop() }
}

// advIDSet is the ids known to exist (seeded or created): rows are never
// removed for good in the stress run, so each must still exist at the end.
type advIDSet struct {
	mu  sync.Mutex
	ids map[string][]int64
}

func (s *advIDSet) add(table string, id int64) {
	s.mu.Lock()
	s.ids[table] = append(s.ids[table], id)
	s.mu.Unlock()
}

func (s *advIDSet) pick(rng *rand.Rand, table string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.ids[table]
	if len(ids) == 0 {
		return 1
	}
	return ids[rng.Intn(len(ids))]
}

func (s *advIDSet) picks(rng *rand.Rand, table string, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = s.pick(rng, table)
	}
	return out
}

// advHandle is one DB handle with its managers.
type advHandle struct {
	db        *DB
	customers *Manager[advCustomer]
	orders    *Manager[advOrder]
	items     *Manager[advItem]
	nodes     *Manager[advNode]
	invoices  *Manager[advInvoice]
}

func newAdvHandle(t testing.TB, db *DB) *advHandle {
	t.Helper()
	h := &advHandle{db: db}
	var err error
	if h.customers, err = NewManager[advCustomer](db, "customers"); err != nil {
		t.Fatal(err)
	}
	if h.orders, err = NewManager[advOrder](db, "orders"); err != nil {
		t.Fatal(err)
	}
	if h.items, err = NewManager[advItem](db, "items"); err != nil {
		t.Fatal(err)
	}
	if h.nodes, err = NewManager[advNode](db, "nodes"); err != nil {
		t.Fatal(err)
	}
	if h.invoices, err = NewManager[advInvoice](db, "invoices"); err != nil {
		t.Fatal(err)
	}
	return h
}

// advAllowed lists the sentinels each kind of operation may return under
// races; another sentinel is an "unexpected-error" violation.
var advAllowed = map[string][]string{
	"create":               {"ErrConflict", "ErrParentDeleted"},
	"save":                 {"ErrNotFound", "ErrDeleted", "ErrConflict", "ErrParentDeleted"},
	"delete":               {"ErrDeleted", "ErrRestricted"}, // rows are never removed: ErrNotFound is wrong
	"cascade-delete":       {"ErrDeleted", "ErrRestricted"},
	"restore":              {"ErrNotDeleted", "ErrParentDeleted", "ErrConflict"},
	"restore-with-parents": {"ErrNotDeleted", "ErrConflict"},
	"undo":                 {"ErrNotDeleted", "ErrParentDeleted", "ErrConflict"},
	"bulk-delete":          {"ErrRestricted"},
	"bulk-restore":         {"ErrParentDeleted", "ErrConflict"},
	"unique-reuse":         {"ErrConflict", "ErrNotDeleted", "ErrParentDeleted"},
}

func advStress(t *testing.T, dialect string) {
	u := testURL(t, dialect)
	advStressOn(t, dialect, []string{u, u}, nil)
}

// advStressOn runs the stress workload through one DB handle per URL (the
// same database: two handles on one server, or one per node of a
// cluster); settle, if set, waits until every handle sees every commit
// before the invariants are checked (on every handle).
func advStressOn(t *testing.T, dialect string, urls []string, settle func()) []*DB {
	cfg := advStressConfig()
	seed := advSeedValue(t)
	var dbs []*DB
	for _, u := range urls {
		db, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	db1 := dbs[0]
	advSchema(t, db1)
	advSeed(t, db1, cfg.seed)
	if settle != nil {
		settle()
	}
	var handles []*advHandle
	for _, db := range dbs {
		if err := db.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		handles = append(handles, newAdvHandle(t, db))
	}
	known := &advIDSet{ids: map[string][]int64{}}
	for _, tbl := range advTables {
		alive, _ := advIDs(t, db1, tbl)
		for id := range alive {
			known.add(tbl, id)
		}
	}
	a := newTally(dialect)
	name := fmt.Sprintf("TestAdversarialStress/%s seed=%d", dialect, seed)
	t.Logf("%s: %d goroutines x %d operations", name, cfg.goroutines, cfg.ops)
	stop := advWatchdog(name, cfg.timeout)
	defer stop()

	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < cfg.goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed*1000 + int64(g)))
			h := handles[g%len(handles)]
			for i := 0; i < cfg.ops; i++ {
				advStressOp(rng, h, known, cfg, a, g, i)
			}
		}(g)
	}
	wg.Wait()
	a.count("seconds", int(time.Since(start).Seconds()))

	ctx := context.Background()
	if settle != nil {
		settle()
	}
	for i, db := range dbs {
		if i == 0 || urls[i] != urls[0] {
			advCheckState(t, db, a, fmt.Sprintf("after the run, seen through handle %d", i+1))
		}
	}
	// No row is lost: nothing in the run removes rows for good.
	for _, tbl := range advTables {
		alive, hidden := advIDs(t, db1, tbl)
		known.mu.Lock()
		for _, id := range known.ids[tbl] {
			if !alive[id] && !hidden[id] {
				a.violation("row-lost", "%s %d no longer exists (nothing asked for a hard delete)", tbl, id)
			}
		}
		known.mu.Unlock()
	}
	advUndoAll(t, ctx, db1, a)
	a.report(t, name)
	return dbs
}

// advStressOp runs one random operation and classifies its outcome.
func advStressOp(rng *rand.Rand, h *advHandle, known *advIDSet, cfg advStressSize, a *advTally, g, i int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	db := h.db
	emails := 2 * cfg.seed.customers
	var kind, what string
	var err error
	switch r := rng.Intn(100); {
	case r < 16:
		kind = "create"
		switch rng.Intn(5) {
		case 0:
			c := &advCustomer{Email: fmt.Sprintf("e%d@x", rng.Intn(emails)), Name: "new"}
			what = "customer " + c.Email
			if err = h.customers.Create(ctx, c); err == nil {
				known.add("customers", c.ID)
			}
		case 1:
			o := &advOrder{CustomerID: known.pick(rng, "customers"), Note: "new"}
			if rng.Intn(2) == 0 {
				cp := int64(rng.Intn(cfg.seed.coupons) + 1)
				o.CouponID = &cp
			}
			what = fmt.Sprintf("order under customer %d", o.CustomerID)
			if err = h.orders.Create(ctx, o); err == nil {
				known.add("orders", o.ID)
			}
		case 2:
			it := &advItem{OrderID: known.pick(rng, "orders"), ProductID: int64(rng.Intn(cfg.seed.products) + 1), Qty: 1}
			what = fmt.Sprintf("item under order %d product %d", it.OrderID, it.ProductID)
			if err = h.items.Create(ctx, it); err == nil {
				known.add("items", it.ID)
			}
		case 3:
			p := known.pick(rng, "nodes")
			n := &advNode{ParentID: &p, Name: "new"}
			what = fmt.Sprintf("node under %d", p)
			if err = h.nodes.Create(ctx, n); err == nil {
				known.add("nodes", n.ID)
			}
		default:
			inv := &advInvoice{CustomerID: known.pick(rng, "customers")}
			what = fmt.Sprintf("invoice of customer %d", inv.CustomerID)
			if err = h.invoices.Create(ctx, inv); err == nil {
				known.add("invoices", inv.ID)
			}
		}
	case r < 28:
		kind = "save"
		switch rng.Intn(4) {
		case 0:
			id := known.pick(rng, "customers")
			what = fmt.Sprintf("customer %d", id)
			var c *advCustomer
			if c, err = h.customers.Get(ctx, id); err == nil {
				c.Email = fmt.Sprintf("e%d@x", rng.Intn(emails))
				err = h.customers.Save(ctx, c)
			}
		case 1:
			id := known.pick(rng, "orders")
			what = fmt.Sprintf("order %d", id)
			var o *advOrder
			if o, err = h.orders.Get(ctx, id); err == nil {
				if rng.Intn(2) == 0 {
					cp := int64(rng.Intn(cfg.seed.coupons) + 1)
					o.CouponID = &cp
				} else {
					o.CustomerID = known.pick(rng, "customers")
				}
				err = h.orders.Save(ctx, o)
			}
		case 2:
			id := known.pick(rng, "items")
			what = fmt.Sprintf("item %d", id)
			var it *advItem
			if it, err = h.items.Get(ctx, id); err == nil {
				it.Qty++
				err = h.items.Save(ctx, it)
			}
		default:
			id := known.pick(rng, "nodes")
			what = fmt.Sprintf("node %d", id)
			var n *advNode
			if n, err = h.nodes.Get(ctx, id); err == nil {
				n.Name = fmt.Sprintf("n%d.%d", g, i)
				err = h.nodes.Save(ctx, n)
			}
		}
	case r < 44:
		kind = "delete"
		tbl := []string{"orders", "items", "products", "coupons", "nodes", "invoices"}[rng.Intn(6)]
		id := known.pick(rng, tbl)
		what = fmt.Sprintf("%s %d", tbl, id)
		var op *Operation
		if op, err = db.Delete(ctx, tbl, id); err == nil {
			advCheckDeleteOp(a, op, tbl, what)
		}
	case r < 54:
		kind = "cascade-delete"
		tbl := "customers"
		if rng.Intn(3) == 0 {
			tbl = "nodes"
		}
		id := known.pick(rng, tbl)
		what = fmt.Sprintf("%s %d", tbl, id)
		var op *Operation
		if op, err = db.Delete(ctx, tbl, id); err == nil {
			advCheckDeleteOp(a, op, tbl, what)
		}
	case r < 66:
		kind = "restore"
		tbl := advTables[rng.Intn(len(advTables))]
		id := known.pick(rng, tbl)
		what = fmt.Sprintf("%s %d", tbl, id)
		_, err = db.Restore(ctx, tbl, id)
	case r < 72:
		kind = "restore-with-parents"
		tbl := []string{"orders", "items", "nodes", "invoices"}[rng.Intn(4)]
		id := known.pick(rng, tbl)
		what = fmt.Sprintf("%s %d", tbl, id)
		_, err = db.RestoreWithParents(ctx, tbl, id)
	case r < 82:
		kind = "undo"
		var ops []Operation
		if ops, err = db.Operations(ctx, OpFilter{Trash: true, Limit: 30}); err == nil {
			if len(ops) == 0 {
				what = "nothing in the trash"
				break
			}
			op := ops[rng.Intn(len(ops))]
			what = fmt.Sprintf("operation %d (%s %s)", op.ID, op.Table, op.Key)
			_, err = db.Undo(ctx, op.ID)
		}
	case r < 88:
		kind = "bulk-delete"
		switch rng.Intn(3) {
		case 0:
			ids := known.picks(rng, "orders", 1+rng.Intn(4))
			what = fmt.Sprintf("orders %v", ids)
			_, err = h.orders.Where("id IN (?)", ids).Delete(ctx)
		case 1:
			ids := known.picks(rng, "nodes", 1+rng.Intn(4))
			what = fmt.Sprintf("nodes %v", ids)
			_, err = h.nodes.Where("id IN (?)", ids).Delete(ctx)
		default:
			c := known.pick(rng, "customers")
			what = fmt.Sprintf("orders of customer %d", c)
			_, err = h.orders.Where("customer_id = ?", c).Delete(ctx)
		}
	case r < 94:
		kind = "bulk-restore"
		switch rng.Intn(3) {
		case 0:
			ids := known.picks(rng, "orders", 1+rng.Intn(4))
			what = fmt.Sprintf("orders %v", ids)
			_, err = h.orders.OnlyDeleted().Where("id IN (?)", ids).Restore(ctx)
		case 1:
			ids := known.picks(rng, "nodes", 1+rng.Intn(4))
			what = fmt.Sprintf("nodes %v", ids)
			_, err = h.nodes.OnlyDeleted().Where("id IN (?)", ids).Restore(ctx)
		default:
			ids := known.picks(rng, "customers", 1+rng.Intn(3))
			what = fmt.Sprintf("customers %v", ids)
			_, err = h.customers.OnlyDeleted().Where("id IN (?)", ids).Restore(ctx)
		}
	default:
		kind = "unique-reuse"
		id := known.pick(rng, "customers")
		what = fmt.Sprintf("email of customer %d", id)
		var c *advCustomer
		if c, err = h.customers.AllWithDeleted().Where("id = ?", id).First(ctx); err != nil {
			break
		}
		n := &advCustomer{Email: c.Email, Name: "reuse"}
		err = h.customers.Create(ctx, n)
		if err == nil {
			known.add("customers", n.ID)
			if c.DeletedAt != nil {
				// The old row's email is taken by a live row now: its
				// restore must be refused (unless n went away meanwhile).
				_, err = db.Restore(ctx, "customers", id)
				if err == nil {
					// It may come back: n's email may have changed (Save)
					// or n been deleted meanwhile. What must hold is read in
					// one statement: no other live row holds the restored
					// row's email now. (Looking at n afterwards raced with a
					// Save giving n another email: false alarms on SQLite
					// and, at READ COMMITTED, on MariaDB.)
					var dup int
					q := "SELECT COUNT(*) FROM customers a JOIN customers b ON b.email = a.email AND b.id <> a.id WHERE a.id = ? AND a.deleted_at IS NULL AND b.deleted_at IS NULL"
					if db.Dialect() == "postgres" {
						q = strings.ReplaceAll(q, "?", "$1")
					}
					if e2 := db.SQL().QueryRowContext(ctx, q, id).Scan(&dup); e2 == nil && dup > 0 {
						a.violation("alive-unique-duplicate", "restored customer %d: %d other live customers hold its email (%s, taken by customer %d before the restore)", id, dup, c.Email, n.ID)
					}
				}
			}
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		a.count("over-5s."+kind, 1)
		a.slow(fmt.Sprintf("g%d op%d %s %s: %v (%v)", g, i, kind, what, d.Round(time.Millisecond), err), d)
	}
	advOutcome(a, kind, what, err, g, i)
}

// advCheckDeleteOp checks what a successful delete reports.
func advCheckDeleteOp(a *advTally, op *Operation, table, what string) {
	if op == nil || op.ID == 0 || op.Stamp == nil || op.Counts[table] < 1 || (table != "nodes" && op.Counts[table] != 1) {
		a.violation("delete-report", "delete %s returned %+v", what, op)
	}
}

// advOutcome counts an operation's outcome and records raw or unexpected
// errors.
func advOutcome(a *advTally, kind, what string, err error, g, i int) {
	a.count("ops", 1)
	cls := advClass(err)
	switch {
	case err == nil:
		a.count(kind+".ok", 1)
		return
	case cls == "":
		a.violation("raw-error", "g%d op%d %s %s: %v", g, i, kind, what, err)
		return
	case cls == "context.DeadlineExceeded":
		a.violation("slow-op", "g%d op%d %s %s took over 60s: %v", g, i, kind, what, err)
		return
	}
	if advBusy(err) {
		a.count(kind+".busy", 1)
		return
	}
	if kind == "create" && cls == "ErrNotFound" {
		a.violation("create-parent-vanished", "g%d op%d %s %s: %v", g, i, kind, what, err)
		return
	}
	if (kind == "delete" || kind == "cascade-delete") && cls == "ErrNotFound" {
		a.violation("delete-row-not-found", "g%d op%d %s %s: %v", g, i, kind, what, err)
		return
	}
	if kind == "restore-with-parents" && cls == "ErrParentDeleted" {
		a.violation("rwp-parent-deleted", "g%d op%d %s %s: %v", g, i, kind, what, err)
		return
	}
	for _, ok := range advAllowed[kind] {
		if ok == cls {
			a.count(kind+"."+cls, 1)
			return
		}
	}
	a.violation("unexpected-error", "g%d op%d %s %s: %s: %v", g, i, kind, what, cls, err)
}

// advBusy reports a typed "busy, retries exhausted" error, which any
// operation may return under contention.
func advBusy(err error) bool {
	return errors.Is(err, ErrBusy)
}
