package softdelete

// BenchmarkPurge measures retention purge (db.Purge) of a large number of
// soft-deleted parent rows with their children, on every dialect, against
// the same work written by hand, and the latency of concurrent reads of
// alive rows while the purge runs.
//
//	go test -run '^$' -bench BenchmarkPurge -benchtime=1x -timeout 60m .
//
// It runs only with -bench; plain `go test` never starts it.
//
// Data, per dialect (a fresh database or schema from the test harness):
// orders(id, customer_id, note, created_at, updated_at, deleted_at) and
// items(id, order_id -> orders ON DELETE CASCADE, sku, qty, created_at,
// updated_at, deleted_at) with an index on items(order_id). 2N orders,
// 9 items each; every odd order is soft-deleted in 2020 together with its
// items (same stamp), every even order and its items are alive. N is
// 100,000 by default, so 1,000,000 rows are due (100k orders + 900k items)
// and 1,000,000 alive rows must survive. PURGE_BENCH_ORDERS=<N> or
// PURGE_BENCH_ORDERS_<DIALECT>=<N> (SQLITE, POSTGRES, MYSQL) change N.
// The data is added with set-based INSERT ... SELECT (PostgreSQL
// generate_series, SQLite recursive CTE, MariaDB seq_1_to_N of the
// Sequence engine).
//
// One iteration runs these phases, each on an identical new copy of the
// data (tables dropped, created, seeded and settled: ANALYZE, plus VACUUM
// and CHECKPOINT on PostgreSQL, a WAL checkpoint on SQLite, waiting for
// InnoDB purge on MariaDB):
//
//	sd      db.Purge(ctx, PurgePolicy{Before: cut}) (BatchSize 1000 default)
//	hw100   hand-written: per order-key range holding 100 due orders
//	        (≈1,000 rows, the same transaction size as softdelete's), in one
//	        transaction, DELETE FROM items WHERE order_id IN (SELECT id FROM
//	        orders WHERE id > lo AND id <= hi AND deleted_at < cut), then
//	        DELETE FROM orders WHERE id > lo AND id <= hi AND deleted_at < cut
//	        (on MariaDB the items statement is DELETE i FROM items i JOIN
//	        orders o ON o.id = i.order_id WHERE o.id > lo AND o.id <= hi AND
//	        o.deleted_at < cut: MariaDB 10.11 runs the IN form as a full scan
//	        of items per batch)
//	hw1000  the same with ranges holding 1,000 due orders (≈10,000 rows)
//
// PURGE_BENCH_HW=100,1000 lists the hand-written batch sizes (due orders
// per range). The phase order rotates between iterations.
//
// Before each timed phase the benchmark waits (polling every 20 s, at most
// 15 minutes) until no other Go benchmark binary (a process with a
// -test.bench argument found by pgrep -f test.bench, other than this one)
// runs; it logs the wait and whether another one showed up during the
// phase.
//
// Reads: a second *DB on the same database (another application
// instance) reads alive orders with a Manager,
// m.Where("id > ?", x).OrderBy("id").Limit(50).All(ctx) for random x, one
// read every 2 ms (paced, not a busy loop), first for 3 s with nothing
// else running (baseline), then during the purge. Latency p50/p99 is
// reported for both. Each read checks it got 50 alive orders.
//
// After every phase the benchmark checks that exactly the due rows are
// gone: N orders and 9N items left, all alive, no orphan item.
//
// With -v it also logs, per phase, the machine's CPU use and this
// process's (CPU time, Go allocations, GCs), and for softdelete every
// distinct statement it sent (captured with WithStatementHook) with the
// time until the next one was sent, the batches and reads while items and
// then orders were purged, and the slowest reads with the statement in
// flight when they began.
//
// Investigation knobs (extra phases, not part of the default run):
// PURGE_BENCH_SD_BATCH=<n> (softdelete with BatchSize n, phase sd<n>),
// PURGE_BENCH_SD_MAXBATCH=<ms> (MaxBatchTime, phase sdt<ms>),
// PURGE_BENCH_SD_DUTY=<percent> (a pause after every batch in Progress so
// the purge works that share of the time, phase sdp<percent>),
// PURGE_BENCH_HW_EXTRA=<k> (k extra SELECT 1 round trips per hand-written
// batch).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	purgeBenchItemsPerOrder = 9
	purgeBenchReadEvery     = 2 * time.Millisecond
	purgeBenchBaseline      = 3 * time.Second
	purgeBenchSeedChunk     = 20000 // orders per items INSERT
)

// purgeBenchCut is the purge cut-off: every deleted row of the seed (2020)
// is older.
var purgeBenchCut = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type purgeBenchOrder struct {
	Model
	CustomerID int64
	Note       string
}

func purgeBenchN(dialect string) int {
	for _, k := range []string{"PURGE_BENCH_ORDERS_" + strings.ToUpper(dialect), "PURGE_BENCH_ORDERS"} {
		if v := os.Getenv(k); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 100000
}

func purgeBenchHWSizes() []int {
	v := os.Getenv("PURGE_BENCH_HW")
	if v == "" {
		return []int{100, 1000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func purgeBenchSchema(t testing.TB, db *DB) {
	t.Helper()
	exec(t, db, "DROP TABLE IF EXISTS items")
	exec(t, db, "DROP TABLE IF EXISTS orders")
	ddl(t, db,
		`CREATE TABLE orders (id {id}, customer_id {big} NOT NULL, note {text} NOT NULL,
		  created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE items (id {id}, order_id {big} NOT NULL, sku {text} NOT NULL, qty {big} NOT NULL,
		  created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE)`)
	if db.Dialect() != "mysql" { // MariaDB indexes foreign keys itself
		ddl(t, db, `CREATE INDEX items_order_id ON items (order_id)`)
	}
	if db.Dialect() == "postgres" {
		// Every phase starts from a vacuumed copy; autovacuum waking up in
		// the middle of one timed phase and not another would only add noise.
		exec(t, db, "ALTER TABLE orders SET (autovacuum_enabled = false)")
		exec(t, db, "ALTER TABLE items SET (autovacuum_enabled = false)")
	}
}

// purgeBenchSeed fills orders 1..2n (odd ones deleted in 2020) and 9 items
// per order (item id (order-1)*9+k, the order's stamps).
func purgeBenchSeed(t testing.TB, db *DB, n int) {
	t.Helper()
	total := 2 * n
	var orders string
	items := func(lo, hi int) string { return "" }
	switch db.Dialect() {
	case "postgres":
		orders = fmt.Sprintf(`INSERT INTO orders (id, customer_id, note, created_at, updated_at, deleted_at)
SELECT g, g %% 5000, 'order note ' || g, t, t, CASE WHEN g %% 2 = 1 THEN t + interval '1 day' END
FROM generate_series(1, %d) g CROSS JOIN LATERAL (SELECT timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' AS t) x`, total)
		items = func(lo, hi int) string {
			return fmt.Sprintf(`INSERT INTO items (id, order_id, sku, qty, created_at, updated_at, deleted_at)
SELECT (o.id - 1) * %d + k, o.id, 'SKU-0000000042', k, o.created_at, o.created_at, o.deleted_at
FROM orders o CROSS JOIN generate_series(1, %d) k WHERE o.id > %d AND o.id <= %d ORDER BY o.id, k`,
				purgeBenchItemsPerOrder, purgeBenchItemsPerOrder, lo, hi)
		}
	case "sqlite":
		ts := func(day, g string) string {
			return `strftime('%Y-%m-%d %H:%M:%S', '` + day + `', '+' || ` + g + ` || ' seconds') || '.000000'`
		}
		orders = fmt.Sprintf(`INSERT INTO orders (id, customer_id, note, created_at, updated_at, deleted_at)
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d)
SELECT g, g %% 5000, 'order note ' || g, %s, %s, CASE WHEN g %% 2 = 1 THEN %s END FROM s`,
			total, ts("2020-01-01", "g"), ts("2020-01-01", "g"), ts("2020-01-02", "g"))
		items = func(lo, hi int) string {
			return fmt.Sprintf(`INSERT INTO items (id, order_id, sku, qty, created_at, updated_at, deleted_at)
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < %d)
SELECT (o.id - 1) * %d + k.n, o.id, 'SKU-0000000042', k.n, o.created_at, o.created_at, o.deleted_at
FROM orders o CROSS JOIN k WHERE o.id > %d AND o.id <= %d ORDER BY o.id, k.n`,
				purgeBenchItemsPerOrder, purgeBenchItemsPerOrder, lo, hi)
		}
	case "mysql":
		orders = fmt.Sprintf(`INSERT INTO orders (id, customer_id, note, created_at, updated_at, deleted_at)
SELECT seq, seq %% 5000, CONCAT('order note ', seq), TIMESTAMPADD(SECOND, seq, '2020-01-01 00:00:00'),
 TIMESTAMPADD(SECOND, seq, '2020-01-01 00:00:00'), IF(seq %% 2 = 1, TIMESTAMPADD(SECOND, seq, '2020-01-02 00:00:00'), NULL)
FROM seq_1_to_%d`, total)
		items = func(lo, hi int) string {
			return fmt.Sprintf(`INSERT INTO items (id, order_id, sku, qty, created_at, updated_at, deleted_at)
SELECT (o.id - 1) * %d + k.seq, o.id, 'SKU-0000000042', k.seq, o.created_at, o.created_at, o.deleted_at
FROM orders o JOIN seq_1_to_%d k WHERE o.id > %d AND o.id <= %d ORDER BY o.id, k.seq`,
				purgeBenchItemsPerOrder, purgeBenchItemsPerOrder, lo, hi)
		}
	}
	exec(t, db, orders)
	for lo := 0; lo < total; lo += purgeBenchSeedChunk {
		exec(t, db, items(lo, min(lo+purgeBenchSeedChunk, total)))
	}
}

// purgeBenchSettle leaves the copy in the same state before every phase.
func purgeBenchSettle(t testing.TB, db *DB) {
	t.Helper()
	ctx := context.Background()
	switch db.Dialect() {
	case "postgres":
		exec(t, db, "VACUUM ANALYZE orders, items")
		exec(t, db, "CHECKPOINT")
	case "sqlite":
		exec(t, db, "ANALYZE")
		exec(t, db, "PRAGMA wal_checkpoint(TRUNCATE)")
	case "mysql":
		exec(t, db, "ANALYZE TABLE orders, items")
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			var name string
			var n int64
			if err := db.SQL().QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'").Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			if n < 100 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// purgeBenchOthers lists the other running Go benchmark binaries: processes
// found by `pgrep -f test.bench` that have a -test.bench argument and are
// not this process.
func purgeBenchOthers() []string {
	out, _ := osexec.Command("pgrep", "-f", "test.bench").Output()
	var others []string
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid == os.Getpid() {
			continue
		}
		raw, err := os.ReadFile("/proc/" + f + "/cmdline")
		if err != nil {
			continue // gone
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-test.bench") }) {
			name := args[0]
			if i := strings.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			others = append(others, f+":"+name)
		}
	}
	return others
}

// purgeBenchWaitQuiet waits, polling every 20 s for at most 15 minutes,
// until no other benchmark binary runs. It returns how long it waited and
// whether it gave up.
func purgeBenchWaitQuiet(t testing.TB, phase string) (time.Duration, bool) {
	start := time.Now()
	for {
		o := purgeBenchOthers()
		if len(o) == 0 {
			if w := time.Since(start); w > time.Second {
				t.Logf("%s: waited %v for other benchmarks to finish", phase, w.Round(time.Second))
			}
			return time.Since(start), false
		}
		if time.Since(start) > 15*time.Minute {
			t.Logf("%s: other benchmarks still running after 15 min (%v): running alongside them", phase, o)
			return time.Since(start), true
		}
		t.Logf("%s: other benchmarks running (%v), waiting", phase, o)
		time.Sleep(20 * time.Second)
	}
}

// purgeBenchWatch samples for other benchmark binaries every 2 s until
// stop is called, which returns the ones seen.
func purgeBenchWatch() (stop func() []string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(2 * time.Second)
		defer tk.Stop()
		for {
			for _, o := range purgeBenchOthers() {
				mu.Lock()
				seen[o] = true
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	return func() []string {
		close(done)
		wg.Wait()
		var out []string
		for o := range seen {
			out = append(out, o)
		}
		slices.Sort(out)
		return out
	}
}

// purgeBenchCPU returns the machine's busy and total CPU time (jiffies,
// all cores, from /proc/stat) and this process's CPU time.
func purgeBenchCPU() (busy, total float64, self time.Duration) {
	raw, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(raw), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	// utime and stime, fields 14 and 15 of /proc/self/stat, in USER_HZ
	// (100 per second) ticks; the fields start after the ")" of the name.
	raw, _ = os.ReadFile("/proc/self/stat")
	if i := strings.LastIndexByte(string(raw), ')'); i >= 0 {
		if f := strings.Fields(string(raw[i+1:])); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			self = time.Duration(u+s) * 10 * time.Millisecond
		}
	}
	return busy, total, self
}

func purgeBenchLoadavg() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// purgeBenchReader reads alive orders until ctx ends, one read every
// purgeBenchReadEvery, and returns the latencies.
func purgeBenchReader(ctx context.Context, m *Manager[purgeBenchOrder], maxID int64, seed uint64) ([]time.Duration, []time.Time, error) {
	rng := rand.New(rand.NewPCG(seed, 42))
	var lat []time.Duration
	var at []time.Time
	next := time.Now()
	for ctx.Err() == nil {
		x := rng.Int64N(maxID - 200)
		t0 := time.Now()
		rows, err := m.Where("id > ?", x).OrderBy("id").Limit(50).All(context.Background())
		d := time.Since(t0)
		if err != nil {
			return lat, at, err
		}
		if len(rows) != 50 {
			return lat, at, fmt.Errorf("read id > %d: %d rows, want 50", x, len(rows))
		}
		for _, r := range rows {
			if r.DeletedAt != nil || r.ID%2 != 0 {
				return lat, at, fmt.Errorf("read id > %d: got deleted order %d", x, r.ID)
			}
		}
		lat = append(lat, d)
		at = append(at, t0)
		next = next.Add(purgeBenchReadEvery)
		if w := time.Until(next); w > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(w):
			}
		} else {
			next = time.Now()
		}
	}
	return lat, at, nil
}

// purgeBenchTrace records the statements softdelete sends (with the time
// they were sent) while on.
type purgeBenchTrace struct {
	on atomic.Bool
	mu sync.Mutex
	ev []purgeBenchEv
}

type purgeBenchEv struct {
	q  string
	at time.Time
}

func (tr *purgeBenchTrace) hook(_ context.Context, q string, _ []any) error {
	if tr.on.Load() {
		now := time.Now()
		tr.mu.Lock()
		tr.ev = append(tr.ev, purgeBenchEv{q, now})
		tr.mu.Unlock()
	}
	return nil
}

// profile attributes to each statement the time until the next one was
// sent (so a batch's last statement also carries its COMMIT and the next
// BEGIN) and sums it per distinct statement text.
func (tr *purgeBenchTrace) profile(end time.Time) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	type agg struct {
		n          int
		total, max time.Duration
		first      int
	}
	m := map[string]*agg{}
	var keys []string
	for i, e := range tr.ev {
		to := end
		if i+1 < len(tr.ev) {
			to = tr.ev[i+1].at
		}
		d := to.Sub(e.at)
		a := m[e.q]
		if a == nil {
			a = &agg{first: i}
			m[e.q] = a
			keys = append(keys, e.q)
		}
		a.n++
		a.total += d
		a.max = max(a.max, d)
	}
	slices.SortFunc(keys, func(x, y string) int { return int(m[y].total - m[x].total) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d statements\n", len(tr.ev))
	for _, k := range keys {
		a := m[k]
		fmt.Fprintf(&b, "  %6d x  total %8.1f ms  avg %7.3f ms  max %7.2f ms  %s\n", a.n,
			float64(a.total)/1e6, float64(a.total)/1e6/float64(a.n), float64(a.max)/1e6, strings.Join(strings.Fields(k), " "))
	}
	return b.String()
}

// inFlight returns the statement softdelete had sent last at t.
func (tr *purgeBenchTrace) inFlight(t time.Time) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	j, _ := slices.BinarySearchFunc(tr.ev, t, func(e purgeBenchEv, t time.Time) int { return e.at.Compare(t) })
	if j == 0 {
		return ""
	}
	return tr.ev[j-1].q
}

// slowReads lists the k slowest reads with the statement in flight when
// each began.
func (tr *purgeBenchTrace) slowReads(lat []time.Duration, at []time.Time, k int) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	idx := make([]int, len(lat))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return int(lat[y] - lat[x]) })
	var b strings.Builder
	for _, i := range idx[:min(k, len(idx))] {
		j, _ := slices.BinarySearchFunc(tr.ev, at[i], func(e purgeBenchEv, t time.Time) int { return e.at.Compare(t) })
		what := "(before the first statement)"
		if j > 0 {
			e := tr.ev[j-1]
			q := strings.Join(strings.Fields(e.q), " ")
			what = fmt.Sprintf("+%.1f ms after #%d %.70s", purgeBenchMS(at[i].Sub(e.at)), j-1, q)
		}
		off := time.Duration(0)
		if len(tr.ev) > 0 {
			off = at[i].Sub(tr.ev[0].at)
		}
		fmt.Fprintf(&b, "  %6.2f ms at %7.1f ms: %s\n", purgeBenchMS(lat[i]), purgeBenchMS(off), what)
	}
	return b.String()
}

func purgeBenchPct(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// purgeBenchPhase is the outcome of one timed purge.
type purgeBenchPhase struct {
	name             string
	rows             int64
	elapsed          time.Duration
	batches          int
	longest          time.Duration
	batchTimes       []time.Duration
	batchTables      []string
	readBase, readIn []time.Duration
	readInAt         []time.Time
	ordersFrom       time.Time                // softdelete: when the first orders batch began
	stmtTimes        map[string]time.Duration // hand-written: time per statement kind
	others           []string
	waited           time.Duration
	load             string
	cpuBusy          float64       // machine CPU busy during the purge, 0..1 of all cores
	selfCPU          time.Duration // this process's CPU time during the purge (purger and reader)
	gcs              uint32        // Go GC cycles during the purge
	gcPause          time.Duration // their stop-the-world pauses
	alloc            uint64        // bytes allocated by this process during the purge
}

func (p purgeBenchPhase) String() string {
	return fmt.Sprintf("%-7s rows %d in %7.3f s = %8.0f rows/s, %4d batches, longest %6.1f ms, batch p50 %5.1f ms p99 %5.1f ms; reads base p50 %.2f ms p99 %.2f ms (n=%d), during p50 %.2f ms p99 %.2f ms (n=%d); load %s; others %v",
		p.name, p.rows, p.elapsed.Seconds(), float64(p.rows)/p.elapsed.Seconds(), p.batches, purgeBenchMS(p.longest),
		purgeBenchMS(purgeBenchPct(p.batchTimes, 0.5)), purgeBenchMS(purgeBenchPct(p.batchTimes, 0.99)),
		purgeBenchMS(purgeBenchPct(p.readBase, 0.5)), purgeBenchMS(purgeBenchPct(p.readBase, 0.99)), len(p.readBase),
		purgeBenchMS(purgeBenchPct(p.readIn, 0.5)), purgeBenchMS(purgeBenchPct(p.readIn, 0.99)), len(p.readIn), p.load, p.others)
}

func purgeBenchMS(d time.Duration) float64 { return float64(d) / 1e6 }

func purgeBenchMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	switch n := len(s); {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	default:
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// purgeBenchHand is the hand-written purge: order-key ranges holding
// perBatch due orders (every other order is due, so the range is
// 2*perBatch keys wide), each in one transaction.
func purgeBenchHand(ctx context.Context, db *DB, perBatch int, stmt map[string]time.Duration) (rows int64, batches int, times []time.Duration, err error) {
	q1 := "DELETE FROM items WHERE order_id IN (SELECT id FROM orders WHERE id > $1 AND id <= $2 AND deleted_at < $3)"
	q2 := "DELETE FROM orders WHERE id > $1 AND id <= $2 AND deleted_at < $3"
	qr := "SELECT MIN(id), MAX(id) FROM orders WHERE deleted_at < $1"
	switch db.Dialect() {
	case "mysql":
		// MariaDB 10.11 runs a single-table DELETE ... WHERE x IN (SELECT
		// ...) as a full scan of items with a dependent subquery per row
		// (no semi-join for single-table DELETE before 11.1); the way to
		// write this on MariaDB/MySQL is the multi-table DELETE.
		q1 = "DELETE i FROM items i JOIN orders o ON o.id = i.order_id WHERE o.id > ? AND o.id <= ? AND o.deleted_at < ?"
		r := strings.NewReplacer("$1", "?", "$2", "?", "$3", "?")
		q2, qr = r.Replace(q2), r.Replace(qr)
	case "sqlite":
		r := strings.NewReplacer("$", "?")
		q1, q2, qr = r.Replace(q1), r.Replace(q2), r.Replace(qr)
	}
	cut := db.dialect.TimeArg(purgeBenchCut)
	extra, _ := strconv.Atoi(os.Getenv("PURGE_BENCH_HW_EXTRA"))
	var lo, hi *int64
	if err := db.SQL().QueryRowContext(ctx, qr, cut).Scan(&lo, &hi); err != nil {
		return 0, 0, nil, err
	}
	if lo == nil {
		return 0, 0, nil, nil
	}
	width := int64(2 * perBatch)
	for start := *lo - 1; start < *hi; start += width {
		t0 := time.Now()
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			return rows, batches, times, err
		}
		// PURGE_BENCH_HW_EXTRA=<k> (investigation only) adds k round trips
		// of SELECT 1 per batch, as many as softdelete's extra statements.
		for range extra {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				tx.Rollback()
				return rows, batches, times, err
			}
		}
		var n int64
		for i, q := range []string{q1, q2} {
			ts := time.Now()
			res, err := tx.ExecContext(ctx, q, start, start+width, cut)
			stmt[[]string{"items DELETE", "orders DELETE"}[i]] += time.Since(ts)
			if err != nil {
				tx.Rollback()
				return rows, batches, times, fmt.Errorf("%s: %w", q, err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
		tc := time.Now()
		if err := tx.Commit(); err != nil {
			return rows, batches, times, err
		}
		stmt["COMMIT"] += time.Since(tc)
		times = append(times, time.Since(t0))
		rows += n
		batches++
	}
	return rows, batches, times, nil
}

func BenchmarkPurge(b *testing.B) {
	for _, dialect := range allDialects {
		b.Run(dialect, func(b *testing.B) {
			n := purgeBenchN(dialect)
			b.Run(fmt.Sprintf("rows=%d", n*(1+purgeBenchItemsPerOrder)), func(b *testing.B) {
				benchPurge(b, dialect, n)
			})
		})
	}
}

func benchPurge(b *testing.B, dialect string, n int) {
	ctx := context.Background()
	tr := &purgeBenchTrace{}
	u := testURL(b, dialect)
	db, err := Open(u, WithStatementHook(tr.hook))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rdb, err := Open(u) // the reading application
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rdb.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	want := int64(n * (1 + purgeBenchItemsPerOrder))
	hwSizes := purgeBenchHWSizes()
	phases := []string{"sd"}
	for _, s := range hwSizes {
		phases = append(phases, fmt.Sprintf("hw%d", s))
	}
	// PURGE_BENCH_SD_BATCH=<n>[,<n>...] adds softdelete phases with another
	// BatchSize (for investigation; not part of the default run).
	for _, f := range strings.Split(os.Getenv("PURGE_BENCH_SD_BATCH"), ",") {
		if k, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && k > 0 {
			phases = append(phases, fmt.Sprintf("sd%d", k))
		}
	}
	// PURGE_BENCH_SD_DUTY=<percent> adds a softdelete phase that pauses
	// after every batch (in the Progress callback, outside the batch's
	// transaction) so that the purge works only that share of the time.
	if k, err := strconv.Atoi(os.Getenv("PURGE_BENCH_SD_DUTY")); err == nil && k > 0 && k < 100 {
		phases = append(phases, fmt.Sprintf("sdp%d", k))
	}
	// PURGE_BENCH_SD_MAXBATCH=<ms> adds a softdelete phase with that
	// MaxBatchTime (default 100 ms).
	if k, err := strconv.Atoi(os.Getenv("PURGE_BENCH_SD_MAXBATCH")); err == nil && k > 0 {
		phases = append(phases, fmt.Sprintf("sdt%d", k))
	}

	// prepare gives the phase a new copy of the data and a reader on it.
	prepare := func(name string) *Manager[purgeBenchOrder] {
		t0 := time.Now()
		purgeBenchSchema(b, db)
		purgeBenchSeed(b, db, n)
		seeded := time.Since(t0)
		purgeBenchSettle(b, db)
		b.Logf("%s %s: seeded %d orders + %d items in %v, settled in %v", dialect, name, 2*n, 2*n*purgeBenchItemsPerOrder,
			seeded.Round(time.Millisecond), (time.Since(t0) - seeded).Round(time.Millisecond))
		if err := rdb.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
		m, err := NewManager[purgeBenchOrder](rdb, "orders")
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	// run times one phase with the reader going, after a baseline read.
	run := func(name string, seed uint64) purgeBenchPhase {
		b.StopTimer()
		m := prepare(name)
		p := purgeBenchPhase{name: name}
		p.waited, _ = purgeBenchWaitQuiet(b, dialect+" "+name)
		p.load = purgeBenchLoadavg()
		watch := purgeBenchWatch()
		// Baseline reads: nothing else running.
		bctx, cancel := context.WithTimeout(ctx, purgeBenchBaseline)
		lat, _, err := purgeBenchReader(bctx, m, int64(2*n), seed)
		cancel()
		if err != nil {
			b.Fatalf("baseline read: %v", err)
		}
		p.readBase = lat
		// The purge, with the reader going.
		rctx, stopReader := context.WithCancel(ctx)
		var rlat []time.Duration
		var rat []time.Time
		var rerr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			rlat, rat, rerr = purgeBenchReader(rctx, m, int64(2*n), seed+1)
		}()
		time.Sleep(50 * time.Millisecond) // the reader is under way
		busy0, total0, self0 := purgeBenchCPU()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.StartTimer()
		if strings.HasPrefix(name, "sd") {
			size, _ := strconv.Atoi(strings.TrimPrefix(name, "sd")) // 0: the default
			duty, _ := strconv.Atoi(strings.TrimPrefix(name, "sdp"))
			maxBatch, _ := strconv.Atoi(strings.TrimPrefix(name, "sdt"))
			tr.mu.Lock()
			tr.ev = tr.ev[:0]
			tr.mu.Unlock()
			tr.on.Store(true)
			t0 := time.Now()
			res, err := db.Purge(ctx, PurgePolicy{Before: purgeBenchCut, BatchSize: size, MaxBatchTime: time.Duration(maxBatch) * time.Millisecond, Progress: func(pp PurgeProgress) {
				p.batchTimes = append(p.batchTimes, pp.LastBatch)
				p.batchTables = append(p.batchTables, pp.Table)
				if pp.Table == "orders" && p.ordersFrom.IsZero() {
					p.ordersFrom = time.Now().Add(-pp.LastBatch)
				}
				if duty > 0 {
					time.Sleep(pp.LastBatch * time.Duration(100-duty) / time.Duration(duty))
				}
			}})
			p.elapsed = time.Since(t0)
			tr.on.Store(false)
			if err != nil {
				b.Fatal(err)
			}
			if res.Counts["orders"] != int64(n) || res.Counts["items"] != int64(n*purgeBenchItemsPerOrder) {
				b.Fatalf("softdelete purged %v, blocked %v", res.Counts, res.Blocked)
			}
			p.rows = res.Counts["orders"] + res.Counts["items"]
			p.batches, p.longest = res.Batches, res.LongestBatch
			if testing.Verbose() {
				b.Logf("%s %s statements (time until the next statement):\n%s", dialect, name, tr.profile(t0.Add(p.elapsed)))
			}
		} else {
			per, _ := strconv.Atoi(strings.TrimPrefix(name, "hw"))
			t0 := time.Now()
			p.stmtTimes = map[string]time.Duration{}
			rows, batches, times, err := purgeBenchHand(ctx, db, per, p.stmtTimes)
			p.elapsed = time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			p.rows, p.batches, p.batchTimes = rows, batches, times
			for _, d := range times {
				p.longest = max(p.longest, d)
			}
		}
		b.StopTimer()
		busy1, total1, self1 := purgeBenchCPU()
		runtime.ReadMemStats(&ms1)
		p.gcs, p.gcPause, p.alloc = ms1.NumGC-ms0.NumGC, time.Duration(ms1.PauseTotalNs-ms0.PauseTotalNs), ms1.TotalAlloc-ms0.TotalAlloc
		p.cpuBusy, p.selfCPU = (busy1-busy0)/max(1, total1-total0), self1-self0
		stopReader()
		wg.Wait()
		if rerr != nil {
			b.Fatalf("read during %s: %v", name, rerr)
		}
		p.readIn, p.readInAt = rlat, rat
		if testing.Verbose() && strings.HasPrefix(name, "sd") {
			b.Logf("%s %s slowest reads during the purge (statement softdelete had sent last when the read began):\n%s", dialect, name, tr.slowReads(p.readIn, p.readInAt, 15))
			// The same reads without those that began while softdelete
			// counted the due rows of a table (SELECT COUNT(*)).
			var rest, inCount []time.Duration
			for k, at := range p.readInAt {
				if strings.HasPrefix(tr.inFlight(at), "SELECT COUNT(*)") {
					inCount = append(inCount, p.readIn[k])
				} else {
					rest = append(rest, p.readIn[k])
				}
			}
			b.Logf("%s %s reads that began during a COUNT(*): n=%d p50 %.2f ms p99 %.2f ms; all others: n=%d p50 %.2f ms p99 %.2f ms", dialect, name,
				len(inCount), purgeBenchMS(purgeBenchPct(inCount, 0.5)), purgeBenchMS(purgeBenchPct(inCount, 0.99)),
				len(rest), purgeBenchMS(purgeBenchPct(rest, 0.5)), purgeBenchMS(purgeBenchPct(rest, 0.99)))
		}
		p.others = watch()
		if p.rows != want {
			b.Fatalf("%s purged %d rows, want %d", name, p.rows, want)
		}
		// The alive rows are all there, nothing deleted is left.
		for _, c := range []struct {
			q    string
			want int64
		}{
			{"SELECT COUNT(*) FROM orders", int64(n)},
			{"SELECT COUNT(*) FROM items", int64(n * purgeBenchItemsPerOrder)},
			{"SELECT COUNT(*) FROM orders WHERE deleted_at IS NOT NULL", 0},
			{"SELECT COUNT(*) FROM items WHERE deleted_at IS NOT NULL", 0},
			{"SELECT COUNT(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)", 0},
		} {
			if got := count(b, db, c.q); got != c.want {
				b.Fatalf("after %s: %s = %d, want %d", name, c.q, got, c.want)
			}
		}
		b.Logf("%s %s", dialect, p)
		b.Logf("%s %s CPU during the purge: machine %.0f%% busy (of %d cores), this process %.2f s; Go: %.1f MB allocated, %d GCs, %.2f ms STW",
			dialect, name, 100*p.cpuBusy, runtime.NumCPU(), p.selfCPU.Seconds(), float64(p.alloc)/1e6, p.gcs, purgeBenchMS(p.gcPause))
		b.Logf("%s %s reads: base p90 %.2f ms max %.2f ms; during p90 %.2f ms max %.2f ms", dialect, name,
			purgeBenchMS(purgeBenchPct(p.readBase, 0.9)), purgeBenchMS(purgeBenchPct(p.readBase, 1)),
			purgeBenchMS(purgeBenchPct(p.readIn, 0.9)), purgeBenchMS(purgeBenchPct(p.readIn, 1)))
		if strings.HasPrefix(name, "sd") {
			// Reads and batches while items, then orders, were purged.
			var ri, ro []time.Duration
			for k, at := range p.readInAt {
				if at.Before(p.ordersFrom) {
					ri = append(ri, p.readIn[k])
				} else {
					ro = append(ro, p.readIn[k])
				}
			}
			for _, tbl := range []string{"items", "orders"} {
				var bt []time.Duration
				for k, d := range p.batchTimes {
					if p.batchTables[k] == tbl {
						bt = append(bt, d)
					}
				}
				rr := map[string][]time.Duration{"items": ri, "orders": ro}[tbl]
				b.Logf("%s %s while purging %-6s: %4d batches p50 %5.1f ms p99 %5.1f ms max %5.1f ms; reads p50 %.2f ms p99 %.2f ms (n=%d)",
					dialect, name, tbl, len(bt), purgeBenchMS(purgeBenchPct(bt, 0.5)), purgeBenchMS(purgeBenchPct(bt, 0.99)), purgeBenchMS(purgeBenchPct(bt, 1)),
					purgeBenchMS(purgeBenchPct(rr, 0.5)), purgeBenchMS(purgeBenchPct(rr, 0.99)), len(rr))
			}
		} else {
			b.Logf("%s %s statement time: items DELETE %.0f ms, orders DELETE %.0f ms, COMMIT %.0f ms", dialect, name,
				purgeBenchMS(p.stmtTimes["items DELETE"]), purgeBenchMS(p.stmtTimes["orders DELETE"]), purgeBenchMS(p.stmtTimes["COMMIT"]))
		}
		b.StartTimer()
		return p
	}

	res := map[string][]purgeBenchPhase{}
	i := 0
	for b.Loop() {
		for k := range phases {
			name := phases[(i+k)%len(phases)]
			res[name] = append(res[name], run(name, uint64(i*10+k)))
		}
		i++
	}

	med := func(name string, f func(purgeBenchPhase) float64) float64 {
		var v []float64
		for _, p := range res[name] {
			v = append(v, f(p))
		}
		return purgeBenchMedian(v)
	}
	secs := func(p purgeBenchPhase) float64 { return p.elapsed.Seconds() }
	sd := med("sd", secs)
	b.ReportMetric(float64(want), "rows")
	b.ReportMetric(sd, "sd-s")
	b.ReportMetric(float64(want)/sd, "sd-rows/s")
	b.ReportMetric(med("sd", func(p purgeBenchPhase) float64 { return float64(p.batches) }), "sd-batches")
	b.ReportMetric(med("sd", func(p purgeBenchPhase) float64 { return purgeBenchMS(p.longest) }), "sd-longest-ms")
	for _, s := range hwSizes {
		name := fmt.Sprintf("hw%d", s)
		hw := med(name, secs)
		b.ReportMetric(hw, name+"-s")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(p.longest) }), name+"-longest-ms")
		b.ReportMetric(sd/hw, "sd/"+name)
	}
	for _, name := range phases[1+len(hwSizes):] {
		b.ReportMetric(med(name, secs), name+"-s")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return float64(p.batches) }), name+"-batches")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(p.longest) }), name+"-longest-ms")
	}
	for _, name := range phases {
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(purgeBenchPct(p.readBase, 0.5)) }), name+"-read-base-p50-ms")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(purgeBenchPct(p.readBase, 0.99)) }), name+"-read-base-p99-ms")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(purgeBenchPct(p.readIn, 0.5)) }), name+"-read-p50-ms")
		b.ReportMetric(med(name, func(p purgeBenchPhase) float64 { return purgeBenchMS(purgeBenchPct(p.readIn, 0.99)) }), name+"-read-p99-ms")
	}
}
