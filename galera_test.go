package softdelete

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The multi-primary tests run on a MariaDB Galera cluster whose nodes
// SOFTDELETE_TEST_GALERA lists (comma-separated mysql:// URLs; .ci/run
// starts one with scripts/galera.sh). Each node is one app instance: its own
// DB handle, schema cache and stamp clock.

// galeraURLs creates a fresh database through node 1, waits until every node
// has it, and returns its URL on each node; it is dropped when the test ends.
func galeraURLs(t *testing.T) []string {
	t.Helper()
	env := os.Getenv("SOFTDELETE_TEST_GALERA")
	if env == "" {
		t.Skip("SOFTDELETE_TEST_GALERA not set (scripts/galera.sh start; see .ci/run)")
	}
	nodes := strings.Split(env, ",")
	adm, err := Open(nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	name := randName()
	if _, err := adm.SQL().Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("galera node 1 unreachable (%v): start the cluster with scripts/galera.sh start", err)
	}
	t.Cleanup(func() {
		if adm, err := Open(nodes[0]); err == nil {
			adm.SQL().Exec("DROP DATABASE " + name)
			adm.Close()
		}
	})
	var out []string
	for _, n := range nodes {
		u, err := url.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		// DDL reaches the other nodes a moment later: wait for it.
		db, err := Open(n)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			var got string
			err := db.SQL().QueryRow("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&got)
			if err == nil {
				break
			}
			if i > 300 {
				t.Fatalf("database %s did not reach %s: %v", name, RedactURL(n), err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		db.Close()
		u.Path = "/" + name
		// Causal reads: the app instances hand ids to each other (the
		// stress workload's shared id set), as apps behind one load
		// balancer do.
		q := u.Query()
		q.Set("wsrep_sync_wait", "1")
		u.RawQuery = q.Encode()
		out = append(out, u.String())
	}
	return out
}

// galeraSettle waits until every node has applied every write set (equal
// wsrep_last_committed, empty receive queues), so that reads on any node
// see the same data.
func galeraSettle(t testing.TB, dbs []*DB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var seen []string
		same := true
		for _, db := range dbs {
			var name, committed, queue string
			if err := db.SQL().QueryRow("SHOW STATUS LIKE 'wsrep_last_committed'").Scan(&name, &committed); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL().QueryRow("SHOW STATUS LIKE 'wsrep_local_recv_queue'").Scan(&name, &queue); err != nil {
				t.Fatal(err)
			}
			if queue != "0" || (len(seen) > 0 && seen[0] != committed) {
				same = false
			}
			seen = append(seen, committed)
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("galera nodes did not converge in 60s: last committed %v", seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// galeraCertFailures returns, per node, wsrep_local_cert_failures +
// wsrep_local_bf_aborts (cumulative since the node started).
func galeraCertFailures(t testing.TB, dbs []*DB) []int64 {
	t.Helper()
	var out []int64
	for _, db := range dbs {
		var n int64
		if err := db.SQL().QueryRow("SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// galeraChecksums compares the content of every table on every node (every
// column of every row in primary-key order; CHECKSUM TABLE is not used:
// it reads the rows' virtual columns too, which differ in memory between
// nodes); a difference is reported with the first row that differs.
func galeraChecksums(t testing.TB, dbs []*DB, a *advTally) {
	t.Helper()
	tables := append(append([]string{}, advTables...), "softdelete_operations", "softdelete_nulled")
	for _, tbl := range tables {
		var first []string
		for i, db := range dbs {
			rows := advLines(t, db, "SELECT * FROM "+tbl+" ORDER BY id")
			if i == 0 {
				first = rows
				continue
			}
			if len(rows) != len(first) {
				a.violation("nodes-differ", "%s: node 1 has %d rows, node %d %d", tbl, len(first), i+1, len(rows))
				continue
			}
			for j := range rows {
				if rows[j] != first[j] {
					a.violation("nodes-differ", "%s: node 1 %q, node %d %q", tbl, first[j], i+1, rows[j])
					break
				}
			}
		}
	}
}

// TestGaleraMultiPrimary: the stress workload of issue 8 (create, save,
// delete, cascade, restore, restore with parents, undo, bulk, unique key
// reuse) spread over three app instances, one per node; certification
// failures are retried by the library or surface as ErrBusy. Then, on every
// node: no live row under a hidden parent, no duplicate alive-only key,
// every delete operation hides exactly its rows and undoes exactly; the
// nodes hold identical data. Then three purgers, one per node, over the same
// due rows: each row purged once, logged once.
func TestGaleraMultiPrimary(t *testing.T) {
	urls := galeraURLs(t)
	var dbs []*DB
	settle := func() { galeraSettle(t, dbs) }
	// advStressOn opens its handles before it calls settle; give it a view
	// of them through a second set opened here for the checks.
	for _, u := range urls {
		db, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	certBefore := galeraCertFailures(t, dbs)
	handles := advStressOn(t, "galera", urls, settle)
	if t.Failed() {
		return
	}
	ctx := context.Background()
	a := newTally("galera")
	settle()
	for i, n := range galeraCertFailures(t, dbs) {
		// Conflicts refused at COMMIT (certification) or aborted by a
		// replicated write set (brute force), on each node, during the run:
		// the library retried them (or returned ErrBusy, counted as *.busy
		// in the stress figures above).
		a.count(fmt.Sprintf("node%d-cert-failures+bf-aborts", i+1), int(n-certBefore[i]))
	}
	galeraChecksums(t, dbs, a)

	// Hide a share of the data again through every node, then purge it from
	// three nodes at once.
	for i, db := range handles {
		for _, tbl := range []string{"customers", "nodes"} {
			alive, _ := advIDs(t, db, tbl)
			n := 0
			for id := range alive {
				if int(id)%len(handles) != i || n >= 8 {
					continue
				}
				n++
				if _, err := db.Delete(ctx, tbl, id); err != nil && !advBusy(err) && advClass(err) != "ErrDeleted" && advClass(err) != "ErrRestricted" {
					a.violation("unexpected-error", "delete %s %d: %v", tbl, id, err)
				}
			}
		}
	}
	settle()
	due := map[string]int64{}
	for _, tbl := range advTables {
		_, hidden := advIDs(t, dbs[0], tbl)
		due[tbl] = int64(len(hidden))
	}
	var (
		mu     sync.Mutex
		purged = map[string]int64{}
		wg     sync.WaitGroup
	)
	for i, db := range handles {
		wg.Add(1)
		go func(i int, db *DB) {
			defer wg.Done()
			for attempt := 1; ; attempt++ {
				res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Hour), BatchSize: 7})
				if res != nil {
					mu.Lock()
					for tbl, n := range res.Counts {
						purged[tbl] += n
					}
					mu.Unlock()
				}
				if err == nil {
					return
				}
				if advBusy(err) && attempt < 10 {
					a.count("purge-busy-retried", 1)
					continue
				}
				a.violation("purge-error", "purger %d: %v", i+1, err)
				return
			}
		}(i, db)
	}
	wg.Wait()
	settle()
	logged := map[string]int64{}
	ops, err := dbs[0].Operations(ctx, OpFilter{Kind: OpPurge, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		for tbl, n := range op.Counts {
			logged[tbl] += n
		}
	}
	for _, tbl := range advTables {
		_, hidden := advIDs(t, dbs[0], tbl)
		blocked := int64(len(hidden))
		if purged[tbl] != logged[tbl] {
			a.violation("purge-log-mismatch", "%s: purgers report %d rows, the log %d", tbl, purged[tbl], logged[tbl])
		}
		if purged[tbl]+blocked != due[tbl] {
			a.violation("purge-count", "%s: %d due, %d purged + %d still hidden", tbl, due[tbl], purged[tbl], blocked)
		}
		a.count("purged-"+tbl, int(purged[tbl]))
	}
	for i, db := range dbs {
		advCheckState(t, db, a, fmt.Sprintf("after the purge, node %d", i+1))
	}
	galeraChecksums(t, dbs, a)
	a.report(t, "TestGaleraMultiPrimary purge")
}

// TestGaleraNodeKill: node 2 is killed (SIGKILL) in the middle of a cascade
// delete, a restore and a purge batch run through it. The survivors keep
// serving (a read and a write on nodes 1 and 3), the operation is all or
// nothing (no write set of an unfinished transaction leaves a node), node 2
// rejoins (IST) with identical data, and the same call through it then
// works. Needs scripts/galera.sh and the right to run it (root).
func TestGaleraNodeKill(t *testing.T) {
	urls := galeraURLs(t)
	if len(urls) < 3 {
		t.Skip("needs 3 nodes")
	}
	script, err := filepath.Abs("scripts/galera.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Skip("scripts/galera.sh not found")
	}
	if out, err := osexec.Command(script, "start-node", "2").CombinedOutput(); err != nil {
		t.Fatalf("node 2 is down and does not start: %v\n%s", err, out)
	}
	ctx := context.Background()
	var (
		mu     sync.Mutex
		n      int
		target int // kill node 2 before its target-th statement (0: never)
	)
	hook := func(ctx context.Context, q string, args []any) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		if target > 0 && n == target {
			target = 0
			if out, err := osexec.Command(script, "kill", "2").CombinedOutput(); err != nil {
				return fmt.Errorf("galera.sh kill 2: %v: %s", err, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	}
	db1, err := Open(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	db2, err := Open(urls[1], WithStatementHook(hook), WithRetry(1))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	db3, err := Open(urls[2])
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	dbs := []*DB{db1, db2, db3}
	advSchema(t, db1)
	advSeed(t, db1, advSeedSize{customers: 12, ordersPer: 2, itemsPer: 2, products: 4, coupons: 3, nodes: 24})
	galeraSettle(t, dbs)
	for _, db := range dbs[1:] {
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a := newTally("galera")
	// Customers without a live invoice (every third has one: RESTRICT).
	free := []int64{1, 2, 4, 5, 7, 8, 10, 11}
	next := func() int64 { id := free[0]; free = free[1:]; return id }
	// Delete one customer through node 1 for the restores below.
	hidden := []int64{next(), next(), next()}
	for _, id := range hidden {
		if _, err := db1.Delete(ctx, "customers", id); err != nil {
			t.Fatal(err)
		}
	}
	galeraSettle(t, dbs)
	// count the statements of each operation, without a fault
	measure := func(run func() error) int {
		mu.Lock()
		n = 0
		mu.Unlock()
		if err := run(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return n
	}
	id := next()
	nDelete := measure(func() error { _, err := db2.Delete(ctx, "customers", id); return err })
	nRestore := measure(func() error { _, err := db2.Restore(ctx, "customers", id); return err })
	galeraSettle(t, dbs)
	type trial struct {
		what string
		at   int
		run  func() error
	}
	var trials []trial
	for _, at := range []int{1, nDelete - 1} {
		id := next()
		trials = append(trials, trial{fmt.Sprintf("cascade delete of customer %d", id), at, func() error { _, err := db2.Delete(ctx, "customers", id); return err }})
	}
	for _, at := range []int{1, nRestore} {
		id := hidden[0]
		hidden = hidden[1:]
		trials = append(trials, trial{fmt.Sprintf("restore of customer %d", id), at, func() error { _, err := db2.Restore(ctx, "customers", id); return err }})
	}
	for _, at := range []int{2, 4} {
		trials = append(trials, trial{"purge", at, func() error {
			_, err := db2.Purge(ctx, PurgePolicy{Before: time.Now().Add(time.Hour), BatchSize: 3})
			return err
		}})
	}
	for _, tr := range trials {
		before := advFingerprint(t, db1)
		mu.Lock()
		n, target = 0, tr.at
		mu.Unlock()
		err := tr.run()
		mu.Lock()
		fired := target == 0
		target = 0
		mu.Unlock()
		if !fired {
			t.Logf("%s: ended before statement %d; node 2 not killed", tr.what, tr.at)
			galeraSettle(t, dbs)
			continue
		}
		a.count("node-kills", 1)
		if err == nil {
			a.violation("kill-unnoticed", "%s: node 2 killed before statement %d, yet the call succeeded", tr.what, tr.at)
		} else if c := advClass(err); c != "ErrConnLost" && c != "ErrBusy" {
			a.violation("untyped-error", "%s, node 2 killed before statement %d: %v (%s)", tr.what, tr.at, err, c)
		}
		// The survivors serve reads and writes, and saw nothing of it.
		galeraSettle(t, []*DB{db1, db3})
		for i, db := range []*DB{db1, db3} {
			if after := advFingerprint(t, db); after != before {
				a.violation("partial-state", "%s, killed at statement %d: node %d changed:\n%s", tr.what, tr.at, 2*i+1, galeraDiff(before, after))
			}
		}
		if _, err := db3.SQL().ExecContext(ctx, "UPDATE products SET name = name WHERE id = 1"); err != nil {
			a.violation("survivor-refused", "node 3 refused a write with node 2 down: %v", err)
		}
		start := time.Now()
		if out, err := osexec.Command(script, "start-node", "2").CombinedOutput(); err != nil {
			t.Fatalf("node 2 did not rejoin: %v\n%s", err, out)
		}
		a.count("rejoin-ms-max", 0)
		if ms := int(time.Since(start).Milliseconds()); ms > a.counts["rejoin-ms-max"] {
			a.counts["rejoin-ms-max"] = ms
		}
		galeraSettle(t, dbs)
		galeraChecksums(t, dbs, a)
		// The same call through the rejoined node works.
		if err := tr.run(); err != nil {
			a.violation("next-call-fails", "%s after node 2 rejoined: %v", tr.what, err)
		}
		galeraSettle(t, dbs)
	}
	for i, db := range dbs {
		advCheckState(t, db, a, fmt.Sprintf("after the kills, node %d", i+1))
	}
	galeraChecksums(t, dbs, a)
	a.report(t, "TestGaleraNodeKill")
}

// galeraDiff lists the lines of two fingerprints that differ.
func galeraDiff(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	in := map[string]bool{}
	for _, l := range b {
		in[l] = true
	}
	out := map[string]bool{}
	for _, l := range a {
		out[l] = true
	}
	var d []string
	for _, l := range b {
		if !out[l] {
			d = append(d, "- "+l)
		}
	}
	for _, l := range a {
		if !in[l] {
			d = append(d, "+ "+l)
		}
	}
	return strings.Join(d, "\n")
}

// galeraPause is a statement hook that, once armed, holds the first
// statement starting with match until released: the operation's
// transaction has then done everything before it and is open on its node.
type galeraPause struct {
	mu      sync.Mutex
	match   string
	reached chan struct{}
	release chan struct{}
}

func (p *galeraPause) arm(match string, release chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.match, p.reached, p.release = match, make(chan struct{}), release
}

func (p *galeraPause) hook(ctx context.Context, q string, args []any) error {
	p.mu.Lock()
	if p.match == "" || !strings.HasPrefix(q, p.match) {
		p.mu.Unlock()
		return nil
	}
	p.match = ""
	reached, release := p.reached, p.release
	p.mu.Unlock()
	close(reached)
	<-release
	return nil
}

// galeraRace runs one operation through each handle of dbs (one per node)
// and holds each before its last statement (the one starting with
// match[i]) until all are there: all have read what they decide on, none
// has committed. Then all go on at once, and their COMMITs meet in the
// cluster. A transaction that certification lets through with another
// replicated meanwhile is no longer refused by the row locks it took on
// its own node (it replays after the other one applies): two that
// decided on what the other changes, and write no common row, both
// commit (write skew), unless they write a common lock row (cluster.go).
func galeraRace(t *testing.T, dbs []*DB, pauses []*galeraPause, match []string, ops []func() error) []error {
	t.Helper()
	release := make(chan struct{})
	done := make([]chan error, len(ops))
	for i, op := range ops {
		pauses[i].arm(match[i], release)
		done[i] = make(chan error, 1)
		go func() { done[i] <- op() }()
	}
	for i := range ops {
		select {
		case <-pauses[i].reached:
		case err := <-done[i]:
			close(release)
			t.Fatalf("the operation on node %d ended before its statement %q: %v", i+1, match[i], err)
		case <-time.After(60 * time.Second):
			close(release)
			t.Fatalf("the operation on node %d did not reach its statement %q", i+1, match[i])
		}
	}
	close(release)
	errs := make([]error, len(ops))
	for i := range ops {
		select {
		case errs[i] = <-done[i]:
		case <-time.After(60 * time.Second):
			t.Fatalf("the operation on node %d did not end", i+1)
		}
	}
	galeraSettle(t, dbs)
	return errs
}

// galeraRaceSetup opens one handle per node on the first two nodes, each
// with a pause hook, over the small adversarial data set: item 1000 is
// under order 100 (customer 1) and product 1.
func galeraRaceSetup(t *testing.T) ([]*DB, []*galeraPause) {
	t.Helper()
	urls := galeraURLs(t)
	if len(urls) < 2 {
		t.Skip("needs 2 nodes")
	}
	var dbs []*DB
	var pauses []*galeraPause
	for _, u := range urls[:2] {
		p := &galeraPause{}
		db, err := Open(u, WithStatementHook(p.hook))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		pauses = append(pauses, p)
	}
	advSchema(t, dbs[0])
	galeraSettle(t, dbs)
	if err := dbs[1].Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dbs, pauses
}

// galeraRaceCheck checks the invariants on both nodes (every category
// strict).
func galeraRaceCheck(t *testing.T, ctx context.Context, dbs []*DB, a *advTally, when string) {
	t.Helper()
	for i, db := range dbs {
		advCheckState(t, db, a, fmt.Sprintf("%s, node %d", when, i+1))
		advCheckOwnership(t, ctx, db, a, fmt.Sprintf("%s, node %d", when, i+1))
	}
	galeraChecksums(t, dbs, a)
}

// galeraRaceTrials is how many times each race test runs its race.
const galeraRaceTrials = 4

// TestGaleraUndoRacesHandOver: an undo of a product's delete on node 2 and
// a restore of an order on node 1 whose item that product's delete holds.
// The restore hands the item over to the product's operation (it stays
// hidden under the hidden product); the undo, at the same moment on the
// other node, brings the product back and does not see the item handed
// over. Before restores wrote the lock rows of the rows they bring back,
// both committed: the item stayed hidden under its operation, undone, and
// under a live product (undone-op-still-hides at 24x100 on the cluster).
func TestGaleraUndoRacesHandOver(t *testing.T) {
	ctx := context.Background()
	dbs, pauses := galeraRaceSetup(t)
	a := newTally("mysql")
	for trial := 1; trial <= galeraRaceTrials; trial++ {
		advSeed(t, dbs[0], advSeedSize{customers: 3, ordersPer: 2, itemsPer: 2, products: 2, coupons: 2, nodes: 4})
		if _, err := dbs[0].Delete(ctx, "orders", int64(100)); err != nil { // hides order 100, items 1000 and 1001
			t.Fatal(err)
		}
		opProduct, err := dbs[0].Delete(ctx, "products", int64(1)) // hides product 1 and its other items
		if err != nil {
			t.Fatal(err)
		}
		galeraSettle(t, dbs)
		errs := galeraRace(t, dbs, pauses, []string{"INSERT INTO softdelete_operations", "UPDATE softdelete_operations SET undone_by"}, []func() error{
			func() error { _, err := dbs[0].Restore(ctx, "orders", int64(100)); return err },
			func() error { _, err := dbs[1].Undo(ctx, opProduct.ID); return err },
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("trial %d: restore of order 100 on node 1: %v; undo of the delete of product 1 on node 2: %v", trial, errs[0], errs[1])
		}
		// Either order of the two leaves item 1000 alive: the restore first
		// hands it to the product's delete, whose undo then brings it back;
		// the undo first brings the product back, then the restore the item.
		if n := count(t, dbs[0], "SELECT COUNT(*) FROM items WHERE deleted_at IS NOT NULL"); n != 0 {
			a.violation("items-left-hidden", "trial %d: %d items hidden after the restore of order 100 and the undo of product 1's delete", trial, n)
		}
		galeraRaceCheck(t, ctx, dbs, a, fmt.Sprintf("trial %d", trial))
	}
	a.report(t, "TestGaleraUndoRacesHandOver")
}

// TestGaleraRestoreRacesParentDelete: a delete of product 1 on node 2 and
// a restore of its item 1000 (hidden by its own delete) on node 1. The
// restore sees the product alive and brings the item back; the delete,
// at the same moment on the other node, sees the item hidden and leaves
// it out of its cascade. Before a restore of one row wrote the lock rows
// of the parents it checked, both committed: a live item under a hidden
// product.
func TestGaleraRestoreRacesParentDelete(t *testing.T) {
	ctx := context.Background()
	dbs, pauses := galeraRaceSetup(t)
	a := newTally("mysql")
	for trial := 1; trial <= galeraRaceTrials; trial++ {
		advSeed(t, dbs[0], advSeedSize{customers: 3, ordersPer: 2, itemsPer: 2, products: 2, coupons: 2, nodes: 4})
		if _, err := dbs[0].Delete(ctx, "items", int64(1000)); err != nil {
			t.Fatal(err)
		}
		galeraSettle(t, dbs)
		errs := galeraRace(t, dbs, pauses, []string{"INSERT INTO softdelete_operations", "INSERT INTO softdelete_operations"}, []func() error{
			func() error { _, err := dbs[0].Restore(ctx, "items", int64(1000)); return err },
			func() error { _, err := dbs[1].Delete(ctx, "products", int64(1)); return err },
		})
		if errs[0] != nil && !errors.Is(errs[0], ErrParentDeleted) {
			t.Fatalf("trial %d: restore of item 1000 on node 1: %v", trial, errs[0])
		}
		if errs[1] != nil {
			t.Fatalf("trial %d: delete of product 1 on node 2: %v", trial, errs[1])
		}
		if n := count(t, dbs[0], "SELECT COUNT(*) FROM items WHERE product_id = 1 AND deleted_at IS NULL"); n != 0 {
			a.violation("live-under-deleted-product", "trial %d: %d items alive under product 1, deleted", trial, n)
		}
		galeraRaceCheck(t, ctx, dbs, a, fmt.Sprintf("trial %d", trial))
	}
	a.report(t, "TestGaleraRestoreRacesParentDelete")
}

// galeraBetween runs first through dbs[0], holds it before its statement
// starting with match (its transaction open on node 1, everything before
// that statement done), runs second through dbs[1] to the end, waits until
// node 1 has applied what second committed, then lets first go on.
func galeraBetween(t *testing.T, dbs []*DB, pause *galeraPause, match string, first, second func() error) (error, error) {
	t.Helper()
	release := make(chan struct{})
	pause.arm(match, release)
	done := make(chan error, 1)
	go func() { done <- first() }()
	select {
	case <-pause.reached:
	case err := <-done:
		t.Fatalf("the operation on node 1 ended before its statement %q: %v", match, err)
	case <-time.After(60 * time.Second):
		close(release)
		t.Fatalf("the operation on node 1 did not reach its statement %q", match)
	}
	errSecond := second()
	galeraSettle(t, dbs)
	close(release)
	var errFirst error
	select {
	case errFirst = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the operation on node 1 did not end")
	}
	galeraSettle(t, dbs)
	return errFirst, errSecond
}

// TestGaleraDeleteRacesRestrictedRestore: a delete of customer 3 on node 1
// (invoice 3 references it ON DELETE RESTRICT) and a restore of invoice 3
// (hidden by its own delete) on node 2, which commits while the delete is
// open on node 1. The restore writes the lock row of customer 3 (the
// parent it needs alive) and the invoice: no row the delete locked on
// node 1, so node 1 applies it at once. If the delete had already run its
// RESTRICT check (a plain read, which saw no live invoice) and writes its
// lock rows only afterwards, certification has nothing to refuse: the
// restore was applied on node 1 before the delete's write set left it, and
// a live invoice stays under a hidden customer (seen once in
// TestGaleraMultiPrimary at 24x100). The delete must write its lock rows
// before the check and the check read the latest committed rows: the
// restore committed first is then seen, and one committed after the lock
// rows conflicts with them (brute-force abort, retry). Trials alternate
// the hold: before the delete's first lock row, and before its check.
func TestGaleraDeleteRacesRestrictedRestore(t *testing.T) {
	ctx := context.Background()
	dbs, pauses := galeraRaceSetup(t)
	a := newTally("mysql")
	for trial := 1; trial <= galeraRaceTrials; trial++ {
		advSeed(t, dbs[0], advSeedSize{customers: 3, ordersPer: 2, itemsPer: 2, products: 2, coupons: 2, nodes: 4})
		if _, err := dbs[0].Delete(ctx, "invoices", int64(3)); err != nil {
			t.Fatal(err)
		}
		galeraSettle(t, dbs)
		match := "INSERT INTO softdelete_locks"
		if trial%2 == 0 {
			match = "SELECT COUNT(*) FROM `invoices`"
		}
		errDelete, errRestore := galeraBetween(t, dbs, pauses[0], match,
			func() error { _, err := dbs[0].Delete(ctx, "customers", int64(3)); return err },
			func() error { _, err := dbs[1].Restore(ctx, "invoices", int64(3)); return err })
		if errRestore != nil {
			t.Fatalf("trial %d: restore of invoice 3 on node 2 (customer 3 alive there): %v", trial, errRestore)
		}
		if errDelete != nil && !errors.Is(errDelete, ErrRestricted) {
			t.Fatalf("trial %d (held before %q): delete of customer 3 on node 1: %v", trial, match, errDelete)
		}
		if errDelete == nil {
			a.violation("restrict-ignored", "trial %d (held before %q): the delete of customer 3 committed after the restore of invoice 3 was applied on its node", trial, match)
		}
		galeraRaceCheck(t, ctx, dbs, a, fmt.Sprintf("trial %d", trial))
	}
	a.report(t, "TestGaleraDeleteRacesRestrictedRestore")
}

// TestGaleraDeleteTxRestrictReadsLatest: the same race through DeleteTx in
// the caller's REPEATABLE READ transaction on node 1, whose snapshot was
// taken (by an earlier read) before the restore of invoice 3 on node 2
// committed and was applied there. A RESTRICT check that read the
// snapshot saw invoice 3 hidden, and certification let the delete commit
// (the restore was applied on node 1 before the delete's write set left
// it): the check reads the latest committed rows (LatestRead).
func TestGaleraDeleteTxRestrictReadsLatest(t *testing.T) {
	ctx := context.Background()
	dbs, _ := galeraRaceSetup(t)
	a := newTally("mysql")
	for trial := 1; trial <= 2; trial++ {
		advSeed(t, dbs[0], advSeedSize{customers: 3, ordersPer: 2, itemsPer: 2, products: 2, coupons: 2, nodes: 4})
		if _, err := dbs[0].Delete(ctx, "invoices", int64(3)); err != nil {
			t.Fatal(err)
		}
		galeraSettle(t, dbs)
		tx, err := dbs[0].SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM invoices WHERE deleted_at IS NULL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := dbs[1].Restore(ctx, "invoices", int64(3)); err != nil {
			t.Fatalf("trial %d: restore of invoice 3 on node 2: %v", trial, err)
		}
		galeraSettle(t, dbs)
		_, err = dbs[0].DeleteTx(ctx, tx, "customers", int64(3))
		switch {
		case err == nil:
			if cerr := tx.Commit(); cerr == nil {
				a.violation("restrict-ignored", "trial %d: DeleteTx of customer 3 committed after the restore of invoice 3 was applied on its node", trial)
			} else if !advBusy(cerr) {
				t.Fatalf("trial %d: commit: %v", trial, cerr)
			}
		case errors.Is(err, ErrRestricted):
			tx.Rollback()
		default:
			tx.Rollback()
			t.Fatalf("trial %d: DeleteTx of customer 3 on node 1: %v", trial, err)
		}
		galeraSettle(t, dbs)
		galeraRaceCheck(t, ctx, dbs, a, fmt.Sprintf("trial %d", trial))
	}
	a.report(t, "TestGaleraDeleteTxRestrictReadsLatest")
}
