package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Shared parts of the permanent adversarial suites (issue 8, acceptance
// (b) stress_test.go and (c) faults_test.go): one schema with every kind
// of relation, an error classifier, violation tallies and an invariant
// checker that reads the database (and the operations log through the
// public API), never in-memory state built while goroutines raced.
//
// Size: SOFTDELETE_ADVERSARIAL=full runs the large sizes of the issue;
// SOFTDELETE_ADVERSARIAL_SEED=n repeats a run's random choices.
// Strictness: every violation category fails the test unless it is listed
// in advKnownOpen (an open bug, named there); SOFTDELETE_ADVERSARIAL_STRICT=1
// makes every category fail.

// The schema: customers -> orders -> items (CASCADE chain), items ->
// products (CASCADE, a second parent), orders -> coupons (SET NULL),
// invoices -> customers (RESTRICT), nodes -> nodes (CASCADE tree), and
// customers.email unique among alive rows (made so by adopt).
var advDDL = []string{
	`CREATE TABLE customers (id {id}, email {text} NOT NULL, name {text} NOT NULL, deleted_at {ts} NULL, UNIQUE (email))`,
	`CREATE TABLE coupons (id {id}, code {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE products (id {id}, name {text} NOT NULL, deleted_at {ts} NULL)`,
	`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, coupon_id {big} NULL, note {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
	  FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL)`,
	`CREATE TABLE items (id {id}, order_id {big} NOT NULL, product_id {big} NOT NULL, qty {big} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
	  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE)`,
	`CREATE TABLE invoices (id {id}, customer_id {big} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT)`,
	`CREATE TABLE nodes (id {id}, parent_id {big} NULL, name {text} NOT NULL, deleted_at {ts} NULL,
	  FOREIGN KEY (parent_id) REFERENCES nodes (id) ON DELETE CASCADE)`,
}

// advTables lists the user tables, parents before children.
var advTables = []string{"customers", "coupons", "products", "orders", "items", "invoices", "nodes"}

// advFK is one foreign key of the schema, for the orphan check.
type advFK struct{ child, col, parent, rule string }

var advFKs = []advFK{
	{"orders", "customer_id", "customers", "CASCADE"},
	{"orders", "coupon_id", "coupons", "SET NULL"},
	{"items", "order_id", "orders", "CASCADE"},
	{"items", "product_id", "products", "CASCADE"},
	{"invoices", "customer_id", "customers", "RESTRICT"},
	{"nodes", "parent_id", "nodes", "CASCADE"},
}

type advCustomer struct {
	ID        int64      `db:"id"`
	Email     string     `db:"email"`
	Name      string     `db:"name"`
	DeletedAt *time.Time `db:"deleted_at"`
}

type advOrder struct {
	ID         int64      `db:"id"`
	CustomerID int64      `db:"customer_id"`
	CouponID   *int64     `db:"coupon_id"`
	Note       string     `db:"note"`
	DeletedAt  *time.Time `db:"deleted_at"`
}

type advItem struct {
	ID        int64      `db:"id"`
	OrderID   int64      `db:"order_id"`
	ProductID int64      `db:"product_id"`
	Qty       int64      `db:"qty"`
	DeletedAt *time.Time `db:"deleted_at"`
}

type advNode struct {
	ID        int64      `db:"id"`
	ParentID  *int64     `db:"parent_id"`
	Name      string     `db:"name"`
	DeletedAt *time.Time `db:"deleted_at"`
}

type advInvoice struct {
	ID         int64      `db:"id"`
	CustomerID int64      `db:"customer_id"`
	DeletedAt  *time.Time `db:"deleted_at"`
}

// advSchema creates the tables and makes customers.email unique among
// alive rows the library's own way (adopt).
func advSchema(t testing.TB, db *DB) {
	t.Helper()
	ddl(t, db, advDDL...)
	ctx := context.Background()
	m, err := db.Adopt(ctx, AdoptOptions{Tables: []string{"customers"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("%v\n%s", err, Script(m.Up))
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

// advSeedSize says how much data advSeed writes.
type advSeedSize struct {
	customers, ordersPer, itemsPer, products, coupons, nodes int
}

// advSeed (re)writes the data with raw SQL: it empties the user tables and
// the SET NULL bookkeeping, then inserts rows with fixed ids:
// customer c has orders c*100+j, order o has items o*10+k, every third
// customer has a live invoice (RESTRICT), orders use coupons round-robin
// (every fourth has none), items use products round-robin, nodes form a
// tree (node i's parent is i/3, node 1 is the root of ids 1..nodes).
func advSeed(t testing.TB, db *DB, z advSeedSize) {
	t.Helper()
	sq := db.SQL()
	for i := len(advTables) - 1; i >= 0; i-- {
		if advTables[i] == "nodes" {
			advExec(t, sq, "UPDATE nodes SET parent_id = NULL")
		}
		advExec(t, sq, "DELETE FROM "+advTables[i])
	}
	if _, err := sq.Exec("DELETE FROM softdelete_nulled"); err != nil && !strings.Contains(err.Error(), "softdelete_nulled") {
		t.Fatal(err)
	}
	var b strings.Builder
	flush := func(table, cols string) {
		if b.Len() == 0 {
			return
		}
		advExec(t, sq, "INSERT INTO "+table+" ("+cols+") VALUES "+b.String())
		b.Reset()
	}
	add := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, format, args...)
	}
	for c := 1; c <= z.coupons; c++ {
		add("(%d, 'C%d')", c, c)
	}
	flush("coupons", "id, code")
	for p := 1; p <= z.products; p++ {
		add("(%d, 'p%d')", p, p)
	}
	flush("products", "id, name")
	for c := 1; c <= z.customers; c++ {
		add("(%d, 'c%d@x', 'c%d')", c, c, c)
	}
	flush("customers", "id, email, name")
	for c := 1; c <= z.customers; c++ {
		if c%3 == 0 {
			add("(%d, %d)", c, c)
		}
	}
	flush("invoices", "id, customer_id")
	n := 0
	for c := 1; c <= z.customers; c++ {
		for j := 0; j < z.ordersPer; j++ {
			o := c*100 + j
			coupon := "NULL"
			if z.coupons > 0 && n%4 != 3 {
				coupon = fmt.Sprint(n%z.coupons + 1)
			}
			add("(%d, %d, %s, 'n')", o, c, coupon)
			n++
		}
	}
	flush("orders", "id, customer_id, coupon_id, note")
	n = 0
	for c := 1; c <= z.customers; c++ {
		for j := 0; j < z.ordersPer; j++ {
			o := c*100 + j
			for k := 0; k < z.itemsPer; k++ {
				add("(%d, %d, %d, 1)", o*10+k, o, n%z.products+1)
				n++
			}
		}
	}
	flush("items", "id, order_id, product_id, qty")
	for i := 1; i <= z.nodes; i++ {
		parent := "NULL"
		if i > 1 {
			parent = fmt.Sprint(i / 3)
			if i/3 == 0 {
				parent = "1"
			}
		}
		add("(%d, %s, 'n%d')", i, parent, i)
	}
	flush("nodes", "id, parent_id, name")
	if db.Dialect() == "postgres" { // identity columns: continue after the fixed ids
		for _, tbl := range advTables {
			advExec(t, sq, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)", tbl, tbl))
		}
	}
}

func advExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// ---- errors ----

// advSentinels are the errors the library may return; anything else that
// comes back from a public call is a raw error (a violation).
var advSentinels = []struct {
	name string
	err  error
}{
	{"ErrNotFound", ErrNotFound}, {"ErrDeleted", ErrDeleted}, {"ErrNotDeleted", ErrNotDeleted},
	{"ErrRestricted", ErrRestricted}, {"ErrParentDeleted", ErrParentDeleted}, {"ErrConflict", ErrConflict},
	{"ErrInvalid", ErrInvalid}, {"ErrVetoed", ErrVetoed}, {"ErrClosed", ErrClosed}, {"ErrSchema", ErrSchema},
	{"ErrBusy", ErrBusy}, {"ErrConnLost", ErrConnLost}, {"ErrStampPrecision", ErrStampPrecision},
	// DeadlineExceeded first: an operation cut by its deadline inside its
	// own transaction reports both (the transaction's context is canceled
	// when the caller's deadline passes), and it is a slow operation.
	{"context.DeadlineExceeded", context.DeadlineExceeded}, {"context.Canceled", context.Canceled},
}

// advClass names the sentinel err matches, or "" for a raw error.
func advClass(err error) string {
	if err == nil {
		return "ok"
	}
	for _, s := range advSentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return ""
}

// ---- tallies ----

// advKnownOpen lists violation categories that fail today because of an
// open bug of issue 8 (being fixed this session); they are reported, not
// failed, unless SOFTDELETE_ADVERSARIAL_STRICT=1. Every other category is
// strict. Remove an entry when its fix lands.
var advKnownOpen = map[string]string{
	// Empty: undo-misses-rows and rwp-parent-deleted (F6) were MariaDB
	// restores reading, at REPEATABLE READ, the snapshot taken before the
	// delete they waited for committed (TestRestoreAfterWaitingForADeleteSeesItsRows);
	// alive-unique-duplicate on SQLite was the check racing a Save.
}

// galeraKnownOpen: invariant violations still seen on a Galera cluster,
// reported in the log, not failed, until fixed. undone-op-still-hides,
// undo-misses-rows and hidden-under-older-op are gone from it: they were
// write skew between a restore on one node and an undo, restore or delete
// on another that wrote no common row (cluster.go's lock rows now cover
// the rows a restore brings back and the parents a one-row restore checks;
// TestGaleraUndoRacesHandOver, TestGaleraRestoreRacesParentDelete).
// delete-row-not-found is strict too: a Delete whose UPDATE finds no alive
// row (the row may not have reached its node yet) reads the row's state
// outside the transaction, where the test's wsrep_sync_wait=1 waits for
// the cluster (a causal read), and tries again while the row is alive; so
// ErrNotFound means the row does not exist anywhere.
var galeraKnownOpen = map[string]string{}

func advStrict() bool { return os.Getenv("SOFTDELETE_ADVERSARIAL_STRICT") == "1" }

func advFull() bool { return os.Getenv("SOFTDELETE_ADVERSARIAL") == "full" }

// advSize reads SOFTDELETE_ADVERSARIAL=GxN (goroutines x operations), if set.
func advSize() (g, n int, ok bool) {
	_, err := fmt.Sscanf(os.Getenv("SOFTDELETE_ADVERSARIAL"), "%dx%d", &g, &n)
	return g, n, err == nil && g > 0 && n > 0
}

// advTally counts events and violations of one dialect's run.
type advTally struct {
	mu       sync.Mutex
	dialect  string
	counts   map[string]int      // events: operations by kind and outcome, faults, ...
	viol     map[string]int      // violations by category
	examples map[string][]string // first few examples per category
	slowest  string              // the slowest operation, if any took over 5s
	slowDur  time.Duration
}

// slow remembers the slowest operation.
func (a *advTally) slow(what string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d > a.slowDur {
		a.slowest, a.slowDur = what, d
	}
}

func newTally(dialect string) *advTally {
	return &advTally{dialect: dialect, counts: map[string]int{}, viol: map[string]int{}, examples: map[string][]string{}}
}

func (a *advTally) count(key string, n int) {
	a.mu.Lock()
	a.counts[key] += n
	a.mu.Unlock()
}

// violation records one broken invariant of category cat.
func (a *advTally) violation(cat, format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.viol[cat]++
	if len(a.examples[cat]) < 5 {
		a.examples[cat] = append(a.examples[cat], fmt.Sprintf(format, args...))
	}
}

func (a *advTally) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, v := range a.viol {
		n += v
	}
	return n
}

// report logs the figures and fails the test for every strict category
// with violations.
func (a *advTally) report(t testing.TB, what string) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", what, a.dialect)
	keys := make([]string, 0, len(a.counts))
	for k := range a.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, a.counts[k])
	}
	total := 0
	for _, v := range a.viol {
		total += v
	}
	if a.slowest != "" {
		fmt.Fprintf(&b, "\n  slowest operation: %s", a.slowest)
	}
	fmt.Fprintf(&b, "\n  violations=%d", total)
	cats := make([]string, 0, len(a.viol))
	for k := range a.viol {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	var failed []string
	for _, c := range cats {
		bug, known := advKnownOpen[c]
		if !known && a.dialect == "galera" {
			bug, known = galeraKnownOpen[c]
		}
		tag := "STRICT"
		if known && !advStrict() {
			tag = "known open: " + bug
		} else {
			failed = append(failed, c)
		}
		fmt.Fprintf(&b, "\n  %s: %d (%s)", c, a.viol[c], tag)
		for _, e := range a.examples[c] {
			fmt.Fprintf(&b, "\n    e.g. %s", e)
		}
	}
	t.Log(b.String())
	if len(failed) > 0 {
		t.Errorf("%s %s: violations in %s (see the log above)", what, a.dialect, strings.Join(failed, ", "))
	}
}

// ---- invariants ----

// advIDs returns the ids of a table: alive and hidden.
func advIDs(t testing.TB, db *DB, table string) (alive, hidden map[int64]bool) {
	t.Helper()
	rows, err := db.SQL().Query("SELECT id, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	alive, hidden = map[int64]bool{}, map[int64]bool{}
	for rows.Next() {
		var id int64
		var d int
		if err := rows.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		if d == 0 {
			alive[id] = true
		} else {
			hidden[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return alive, hidden
}

// advStatus is a fingerprint of which rows exist and are alive, plus the
// columns a soft delete may change other than the stamp (SET NULL
// references): equal before and after an operation and its inverse.
func advStatus(t testing.TB, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range advTables {
		extra := ""
		if tbl == "orders" {
			extra = ", COALESCE(coupon_id, 0)"
		}
		lines := advLines(t, db, "SELECT id, CASE WHEN deleted_at IS NULL THEN 'alive' ELSE 'hidden' END"+extra+" FROM "+tbl)
		fmt.Fprintf(&b, "%s: %s\n", tbl, strings.Join(lines, " "))
	}
	return b.String()
}

// advFingerprint is every column of every row of the user tables and of
// softdelete's own tables: equal before and after a failed operation.
func advFingerprint(t testing.TB, db *DB) string {
	t.Helper()
	var b strings.Builder
	tables := append(append([]string{}, advTables...), "softdelete_operations", "softdelete_nulled")
	for _, tbl := range tables {
		lines := advLines(t, db, "SELECT * FROM "+tbl)
		fmt.Fprintf(&b, "%s:\n  %s\n", tbl, strings.Join(lines, "\n  "))
	}
	return b.String()
}

// advLines runs q and returns its rows as sorted text lines.
func advLines(t testing.TB, db *DB, q string) []string {
	t.Helper()
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				vals[i] = tm.UTC().Format(time.RFC3339Nano)
			}
		}
		out = append(out, strings.TrimSpace(fmtRow(vals)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// advStatusDiff describes how two advStatus fingerprints differ.
func advStatusDiff(before, after string) string {
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for i := range bl {
		if i < len(al) && bl[i] != al[i] {
			bs, as := map[string]bool{}, map[string]bool{}
			for _, f := range strings.Fields(bl[i]) {
				bs[f] = true
			}
			for _, f := range strings.Fields(al[i]) {
				as[f] = true
			}
			var gone, came []string
			for f := range bs {
				if !as[f] {
					gone = append(gone, f)
				}
			}
			for f := range as {
				if !bs[f] {
					came = append(came, f)
				}
			}
			sort.Strings(gone)
			sort.Strings(came)
			out = append(out, fmt.Sprintf("%s -%v +%v", strings.Fields(bl[i])[0], gone, came))
		}
	}
	return strings.Join(out, "; ")
}

// advCheckState checks the invariants that hold in every committed state:
// no live row references a hidden parent (any rule), no two live rows
// share an alive-only unique key. It returns the number of violations.
func advCheckState(t testing.TB, db *DB, a *advTally, when string) int {
	t.Helper()
	n := 0
	for _, fk := range advFKs {
		q := fmt.Sprintf("SELECT c.id, p.id FROM %s c JOIN %s p ON p.id = c.%s WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL", fk.child, fk.parent, fk.col)
		for _, l := range advLines(t, db, q) {
			a.violation("live-under-hidden-parent", "%s: live %s %s -> hidden %s (%s)", when, fk.child, strings.Fields(l)[0], fk.parent, fk.rule)
			n++
		}
	}
	for _, l := range advLines(t, db, "SELECT email, COUNT(*) FROM customers WHERE deleted_at IS NULL GROUP BY email HAVING COUNT(*) > 1") {
		a.violation("alive-unique-duplicate", "%s: email %s", when, l)
		n++
	}
	return n
}

// advOpRows returns, per table, the keys of the rows delete operation id
// still hides (OperationKeys, the public API).
func advOpRows(ctx context.Context, db *DB, id int64, tables ...string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(tables) == 0 {
		tables = advTables
	}
	for _, tbl := range tables {
		err := db.OperationKeys(ctx, id, tbl, 1000, func(keys [][]any) error {
			for _, k := range keys {
				v, err := advInt(k[0])
				if err != nil {
					return err
				}
				out[tbl] = append(out[tbl], v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func advInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case []byte:
		var n int64
		_, err := fmt.Sscan(string(x), &n)
		return n, err
	case string:
		var n int64
		_, err := fmt.Sscan(x, &n)
		return n, err
	}
	return 0, fmt.Errorf("key %T %v is not an integer", v, v)
}

// advDeleteOps lists every delete operation of the log (newest first).
func advDeleteOps(ctx context.Context, db *DB) ([]Operation, error) {
	var out []Operation
	var before int64
	for {
		ops, err := db.Operations(ctx, OpFilter{Kind: OpDelete, Limit: 500, BeforeID: before})
		if err != nil {
			return nil, err
		}
		out = append(out, ops...)
		if len(ops) < 500 {
			return out, nil
		}
		before = ops[len(ops)-1].ID
	}
}

// advCheckOwnership checks, through the log and OperationKeys, that every
// hidden row is hidden by exactly one delete operation that was not undone,
// that undone operations hide nothing, and that no hidden row sits under a
// parent hidden by an older operation (a child is hidden before its parent
// only if it was alive under a hidden parent at some moment: a transient
// "live row under a hidden parent" that a later delete covered up). It
// returns the operations that still hide rows (newest first) with their
// rows.
func advCheckOwnership(t testing.TB, ctx context.Context, db *DB, a *advTally, when string) ([]Operation, map[int64]map[string][]int64) {
	t.Helper()
	ops, err := advDeleteOps(ctx, db)
	if err != nil {
		t.Fatalf("listing operations: %v", err)
	}
	owner := map[string]int64{} // table/id -> op
	rowsOf := map[int64]map[string][]int64{}
	var live []Operation
	for _, op := range ops {
		rows, err := advOpRows(ctx, db, op.ID, advOpTables(op)...)
		if err != nil {
			t.Fatalf("OperationKeys(%d): %v", op.ID, err)
		}
		n := 0
		for tbl, ids := range rows {
			for _, id := range ids {
				k := fmt.Sprintf("%s/%d", tbl, id)
				if o, dup := owner[k]; dup {
					a.violation("row-owned-twice", "%s: %s hidden by operations %d and %d", when, k, o, op.ID)
				}
				owner[k] = op.ID
				n++
			}
		}
		if op.UndoneBy != 0 && n > 0 {
			a.violation("undone-op-still-hides", "%s: operation %d (%s %s, undone by %d) still hides %v", when, op.ID, op.Table, op.Key, op.UndoneBy, rows)
		}
		if op.UndoneBy == 0 && n > 0 {
			live = append(live, op)
			rowsOf[op.ID] = rows
		}
	}
	for _, tbl := range advTables {
		_, hidden := advIDs(t, db, tbl)
		for id := range hidden {
			if _, ok := owner[fmt.Sprintf("%s/%d", tbl, id)]; !ok {
				a.violation("hidden-row-without-operation", "%s: %s %d is hidden but no delete operation of the log hides it", when, tbl, id)
			}
		}
	}
	// A child with two hidden parents passes, when one parent comes back,
	// to the operation hiding the other: it is fine as long as one of its
	// hidden parents belongs to its own operation or a newer one.
	type older struct {
		ok   bool
		desc string
	}
	children := map[string]*older{}
	var order []string
	for _, fk := range advFKs {
		if fk.rule == "SET NULL" {
			continue
		}
		q := fmt.Sprintf("SELECT c.id, p.id FROM %s c JOIN %s p ON p.id = c.%s WHERE c.deleted_at IS NOT NULL AND p.deleted_at IS NOT NULL", fk.child, fk.parent, fk.col)
		for _, l := range advLines(t, db, q) {
			f := strings.Fields(l)
			ck := fk.child + "/" + f[0]
			oc, op := owner[ck], owner[fk.parent+"/"+f[1]]
			if oc == 0 || op == 0 {
				continue
			}
			c := children[ck]
			if c == nil {
				c = &older{}
				children[ck] = c
				order = append(order, ck)
			}
			if op >= oc {
				c.ok = true
			} else if c.desc == "" {
				c.desc = fmt.Sprintf("%s %s (operation %d) under %s %s hidden earlier by operation %d", fk.child, f[0], oc, fk.parent, f[1], op)
			}
		}
	}
	for _, ck := range order {
		if c := children[ck]; !c.ok {
			a.violation("hidden-under-older-op", "%s: %s: the child was alive under a hidden parent in between", when, c.desc)
		}
	}
	return live, rowsOf
}

// advOpTables lists the tables where a delete operation can hide rows: the
// tables it hid rows in, and items for an operation on its parents (a row
// whose other parent is hidden passes to that parent's operation).
func advOpTables(op Operation) []string {
	var out []string
	items := false
	for _, tbl := range advTables {
		if op.Counts[tbl] > 0 {
			out = append(out, tbl)
			items = items || tbl == "items"
		}
		if tbl == "customers" || tbl == "orders" || tbl == "products" {
			if op.Counts[tbl] > 0 && !items {
				items = true
				out = append(out, "items")
			}
		}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, tbl := range out {
		if !seen[tbl] {
			seen[tbl] = true
			uniq = append(uniq, tbl)
		}
	}
	return uniq
}

// advHiddenParent reports whether the row has a hidden parent through a
// CASCADE or RESTRICT foreign key.
func advHiddenParent(t testing.TB, db *DB, table string, id int64) bool {
	t.Helper()
	for _, fk := range advFKs {
		if fk.child != table || fk.rule == "SET NULL" {
			continue
		}
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s c JOIN %s p ON p.id = c.%s WHERE c.id = %d AND p.deleted_at IS NOT NULL", fk.child, fk.parent, fk.col, id)
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// advUndoAll undoes every operation that still hides rows, newest first,
// in passes until no more succeed, and checks that each Undo brings back
// exactly that operation's rows (less rows that stay hidden under another
// hidden parent and pass to its operation) or, refused, changes nothing.
// In a correct run one pass undoes everything but conflicts.
func advUndoAll(t testing.TB, ctx context.Context, db *DB, a *advTally) {
	t.Helper()
	live, _ := advCheckOwnership(t, ctx, db, a, "before the final undo")
	for pass := 1; len(live) > 0; pass++ {
		var next []Operation
		for _, op := range live {
			if !advUndoOne(t, ctx, db, a, op, pass) {
				next = append(next, op)
			}
		}
		if len(next) == len(live) {
			break
		}
		if pass > 1 {
			a.count("final-undo-extra-passes", 1)
		}
		live = next
	}
	// Why are the rest refused? Who hides the parents of their rows?
	owner := map[string]int64{}
	rowsOf := map[int64]map[string][]int64{}
	for _, op := range live {
		rows, _ := advOpRows(ctx, db, op.ID, advOpTables(op)...)
		rowsOf[op.ID] = rows
		for tbl, ids := range rows {
			for _, id := range ids {
				owner[fmt.Sprintf("%s/%d", tbl, id)] = op.ID
			}
		}
	}
	for _, op := range live {
		rows := rowsOf[op.ID]
		_, err := db.Undo(ctx, op.ID)
		switch advClass(err) {
		case "ErrConflict":
			a.count("final-undo-refused-conflict", 1)
			continue
		case "ErrNotDeleted":
			a.violation("undo-misses-rows", "Undo(%d) of %s %s says nothing is left to undo, but the operation still hides %v", op.ID, op.Table, op.Key, rows)
			continue
		case "ErrParentDeleted":
			same, other := false, false
			var pe *ParentDeletedError
			errors.As(err, &pe)
			for _, fk := range advFKs {
				if fk.rule == "SET NULL" || pe == nil || fk.child != pe.Table || fk.parent != pe.ParentTable {
					continue
				}
				for _, id := range rows[fk.child] {
					for _, l := range advLines(t, db, fmt.Sprintf("SELECT p.id FROM %s c JOIN %s p ON p.id = c.%s WHERE c.id = %d AND p.deleted_at IS NOT NULL", fk.child, fk.parent, fk.col, id)) {
						switch o := owner[fk.parent+"/"+l]; {
						case o == op.ID:
							same = true
						case o != 0:
							other = true
						}
					}
				}
			}
			switch {
			case same:
				a.violation("undo-refused-tree", "Undo(%d) of %s %s hiding %v: %v (the hidden parent belongs to the same operation)", op.ID, op.Table, op.Key, rows, err)
				continue
			case other:
				a.count("final-undo-blocked-by-refused", 1) // its parent's own undo was refused
				continue
			}
		}
		a.violation("final-undo-refused", "Undo(%d) of %s %s hiding %v refused after every other undo: %v", op.ID, op.Table, op.Key, rows, err)
	}
	advCheckState(t, db, a, "after undoing everything")
	live, _ = advCheckOwnership(t, ctx, db, a, "after the final undo")
	a.count("ops-left-after-final-undo", len(live))
}

// advUndoOne undoes one operation and checks the result; false if refused.
func advUndoOne(t testing.TB, ctx context.Context, db *DB, a *advTally, op Operation, pass int) bool {
	t.Helper()
	rows, err := advOpRows(ctx, db, op.ID, advOpTables(op)...)
	if err != nil {
		t.Fatalf("OperationKeys(%d): %v", op.ID, err)
	}
	// Large runs compare counts (alive rows per table, log rows) instead of
	// every row: the log alone has thousands of rows.
	cheap := advLarge()
	var beforeFP, before string
	if cheap {
		beforeFP = advCounts(t, db)
	} else {
		beforeFP, before = advFingerprint(t, db), advStatus(t, db)
	}
	res, err := db.Undo(ctx, op.ID)
	a.count("final-undo-calls", 1)
	if err != nil {
		cls := advClass(err)
		if cls == "" {
			a.violation("raw-error", "final Undo(%d): %v", op.ID, err)
		}
		if cheap {
			if got := advCounts(t, db); got != beforeFP {
				a.violation("partial-state", "refused final Undo(%d) (%v) changed counts: %s -> %s", op.ID, err, beforeFP, got)
			}
		} else if got := advFingerprint(t, db); got != beforeFP {
			a.violation("partial-state", "refused final Undo(%d) (%v) changed: %s", op.ID, err, advStatusDiff(before, advStatus(t, db)))
		}
		return false
	}
	a.count("final-undo-ok", 1)
	want := map[string]bool{}
	var sum int64
	for tbl, ids := range rows {
		for _, id := range ids {
			want[fmt.Sprintf("%s/%d", tbl, id)] = true
			sum++
		}
	}
	for _, tbl := range advTables {
		alive, _ := advIDs(t, db, tbl)
		for _, id := range rows[tbl] {
			if !alive[id] {
				if advHiddenParent(t, db, tbl, id) {
					a.count("final-undo-transfers", 1) // stays hidden under another hidden parent
					sum--
					continue
				}
				a.violation("undo-not-exact", "Undo(%d) left %s %d hidden (no hidden parent)", op.ID, tbl, id)
			}
		}
	}
	if cheap {
		// Alive rows grew by exactly the rows that came back.
		var grew int64
		bc, ac := advAliveCounts(beforeFP), advAliveCounts(advCounts(t, db))
		for tbl := range ac {
			grew += ac[tbl] - bc[tbl]
		}
		if grew != sum {
			a.violation("undo-not-exact", "Undo(%d): %d rows came alive, %d of its rows came back", op.ID, grew, sum)
		}
	}
	bl, al := strings.Split(before, "\n"), strings.Split(advStatus(t, db), "\n")
	if cheap {
		bl = nil
	}
	for i := range bl {
		if i >= len(al) || bl[i] == al[i] {
			continue
		}
		tbl := strings.TrimSuffix(strings.Fields(bl[i])[0], ":")
		bs := map[string]string{}
		for _, f := range advStatusRows(bl[i]) {
			bs[f[0]] = f[1]
		}
		for _, f := range advStatusRows(al[i]) {
			if bs[f[0]] != f[1] && f[1] == "alive" && !want[tbl+"/"+f[0]] {
				a.violation("undo-not-exact", "Undo(%d) brought back %s %s, which the operation did not hide", op.ID, tbl, f[0])
			}
		}
	}
	if res.Rows != sum {
		a.violation("undo-count", "Undo(%d) reported %d rows (%v); %d of its rows came back", op.ID, res.Rows, res.Counts, sum)
	}
	return true
}

// advLarge reports a run sized by SOFTDELETE_ADVERSARIAL (full or GxN).
func advLarge() bool {
	_, _, sized := advSize()
	return advFull() || sized
}

// advCounts is "table=alive/total ..." for the user tables and the row
// count of the log and the SET NULL bookkeeping.
func advCounts(t testing.TB, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range advTables {
		var alive, total int64
		if err := db.SQL().QueryRow("SELECT COUNT(CASE WHEN deleted_at IS NULL THEN 1 END), COUNT(*) FROM "+tbl).Scan(&alive, &total); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d/%d ", tbl, alive, total)
	}
	for _, tbl := range []string{"softdelete_operations", "softdelete_nulled"} {
		var n int64
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", tbl, n)
	}
	return strings.TrimSpace(b.String())
}

// advAliveCounts reads the alive counts back from advCounts.
func advAliveCounts(s string) map[string]int64 {
	out := map[string]int64{}
	for _, f := range strings.Fields(s) {
		var name string
		var alive, total int64
		if k, v, ok := strings.Cut(f, "="); ok {
			name = k
			if _, err := fmt.Sscanf(v, "%d/%d", &alive, &total); err == nil {
				out[name] = alive
			}
		}
	}
	return out
}

// advStatusRows splits an advStatus line into (id, state) pairs.
func advStatusRows(line string) [][2]string {
	f := strings.Fields(line)
	var out [][2]string
	// line: "table: id state [coupon] id state [coupon] ..."; orders carry a third column.
	step := 2
	if strings.HasPrefix(line, "orders:") {
		step = 3
	}
	for i := 1; i+1 < len(f); i += step {
		out = append(out, [2]string{f[i], f[i+1]})
	}
	return out
}
