package softdelete

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMultiProcess: four app instances as four processes (this test binary
// re-run as workers: separate DB handles, schema caches and stamp clocks,
// the clocks skewed by up to ±3 s with WithClock) run the issue-8 stress
// workload against one database while each also purges, all at the same
// time. Due rows are the archive table's (hidden an hour before the cut-off
// by a writer outside softdelete); the workload's own rows are never due.
// Then: the stress invariants (no live row under a hidden parent, no
// duplicate alive-only key, every delete operation hides exactly its rows
// and undoes exactly), every due row purged once and logged once, no stamp
// shared by two operations. PostgreSQL by default (the case);
// SOFTDELETE_MULTIPROCESS_DIALECTS=postgres,mysql,sqlite adds others.
// Size: SOFTDELETE_ADVERSARIAL (as the stress test: default 4 workers x 2
// goroutines x 60 operations).
func TestMultiProcess(t *testing.T) {
	if os.Getenv("SOFTDELETE_MP_WORKER") != "" {
		t.Skip("worker")
	}
	dialects := []string{"postgres"}
	if s := os.Getenv("SOFTDELETE_MULTIPROCESS_DIALECTS"); s != "" {
		dialects = strings.Split(s, ",")
	}
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) { multiProcess(t, d) })
	}
}

type mpReport struct {
	Counts     map[string]int      `json:"counts"`
	Violations map[string]int      `json:"violations"`
	Examples   map[string][]string `json:"examples"`
	Purged     map[string]int64    `json:"purged"`
}

const mpArchiveRows = 900

func multiProcess(t *testing.T, dialect string) {
	cfg := advStressConfig()
	seed := advSeedValue(t)
	u := testURL(t, dialect)
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	advSchema(t, db)
	advSeed(t, db, cfg.seed)
	ctx := context.Background()
	ddl(t, db, "CREATE TABLE archive (id {id}, body {text}, deleted_at {ts} NULL)")
	old := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	for i := 0; i < mpArchiveRows; i += 100 {
		var b strings.Builder
		b.WriteString("INSERT INTO archive (body, deleted_at) VALUES ")
		var args []any
		for j := 0; j < 100; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "('a', %s)", db.ph(len(args)+1))
			args = append(args, old.Add(time.Duration(i+j)*time.Millisecond))
		}
		if _, err := db.SQL().ExecContext(ctx, b.String(), args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().UTC().Add(-time.Hour)
	workers := 4
	goroutines := max(1, cfg.goroutines/workers)
	skews := []time.Duration{0, -3 * time.Second, 2 * time.Second, -time.Second}
	var wg sync.WaitGroup
	reports := make([]mpReport, workers)
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cmd := osexec.Command(os.Args[0], "-test.run=^TestMultiProcessWorker$", "-test.v")
			cmd.Env = append(os.Environ(),
				"SOFTDELETE_MP_WORKER=1",
				"SOFTDELETE_MP_URL="+u,
				"SOFTDELETE_MP_INDEX="+strconv.Itoa(w),
				"SOFTDELETE_MP_SEED="+strconv.FormatInt(seed*10+int64(w), 10),
				"SOFTDELETE_MP_GOROUTINES="+strconv.Itoa(goroutines),
				"SOFTDELETE_MP_OPS="+strconv.Itoa(cfg.ops),
				"SOFTDELETE_MP_SKEW="+skews[w%len(skews)].String(),
				"SOFTDELETE_MP_CUTOFF="+cutoff.Format(time.RFC3339Nano),
			)
			out, err := cmd.CombinedOutput()
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			found := false
			for sc.Scan() {
				line := sc.Text()
				if i := strings.Index(line, "MPREPORT "); i >= 0 {
					found = json.Unmarshal([]byte(line[i+len("MPREPORT "):]), &reports[w]) == nil
				}
			}
			if err != nil || !found {
				errs[w] = fmt.Errorf("worker %d: %v\n%s", w, err, out)
			}
		}(w)
	}
	wg.Wait()
	a := newTally(dialect)
	for w, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		r := reports[w]
		for k, v := range r.Counts {
			a.count(k, v)
		}
		for k, v := range r.Violations {
			for i := 0; i < v; i++ {
				ex := ""
				if i < len(r.Examples[k]) {
					ex = r.Examples[k][i]
				}
				a.violation(k, "worker %d: %s", w, ex)
			}
		}
	}
	advCheckState(t, db, a, "after the run")
	// Purge: each due row purged once, logged once; nothing else purged.
	var purged int64
	for _, r := range reports {
		purged += r.Purged["archive"]
		for tbl, n := range r.Purged {
			if tbl != "archive" && n > 0 {
				a.violation("purged-not-due", "%d rows of %s purged (none were due)", n, tbl)
			}
		}
	}
	ops, err := db.Operations(ctx, OpFilter{Kind: OpPurge, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var logged int64
	for _, op := range ops {
		logged += op.Counts["archive"]
	}
	left := count(t, db, "SELECT COUNT(*) FROM archive")
	if purged != mpArchiveRows || logged != mpArchiveRows || left != 0 {
		a.violation("purge-count", "%d due rows: purgers report %d, the log %d, %d left", mpArchiveRows, purged, logged, left)
	}
	a.count("purged-archive", int(purged))
	if n := count(t, db, "SELECT COUNT(*) FROM (SELECT stamp FROM softdelete_operations WHERE stamp IS NOT NULL GROUP BY stamp HAVING COUNT(*) > 1) d"); n != 0 {
		a.violation("stamp-shared", "%d stamps shared by two operations", n)
	}
	advUndoAll(t, ctx, db, a)
	a.report(t, fmt.Sprintf("TestMultiProcess/%s seed=%d (%d processes x %d goroutines x %d operations)", dialect, seed, workers, goroutines, cfg.ops))
}

// TestMultiProcessWorker is one app instance of TestMultiProcess (run only
// as its child process).
func TestMultiProcessWorker(t *testing.T) {
	if os.Getenv("SOFTDELETE_MP_WORKER") == "" {
		t.Skip("run by TestMultiProcess")
	}
	env := func(k string) string { return os.Getenv("SOFTDELETE_MP_" + k) }
	seed, _ := strconv.ParseInt(env("SEED"), 10, 64)
	goroutines, _ := strconv.Atoi(env("GOROUTINES"))
	ops, _ := strconv.Atoi(env("OPS"))
	skew, _ := time.ParseDuration(env("SKEW"))
	cutoff, err := time.Parse(time.RFC3339Nano, env("CUTOFF"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(env("URL"), WithClock(func() time.Time { return time.Now().Add(skew) }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := newAdvHandle(t, db)
	known := &advIDSet{ids: map[string][]int64{}}
	for _, tbl := range advTables {
		alive, _ := advIDs(t, db, tbl)
		for id := range alive {
			known.add(tbl, id)
		}
	}
	cfg := advStressConfig()
	cfg.ops = ops
	a := newTally(db.Dialect())
	ctx := context.Background()
	done := make(chan struct{})
	purged := map[string]int64{}
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() { // the purger runs until the workload is over, then once more
		defer pwg.Done()
		last := false
		for {
			select {
			case <-done:
				last = true
			default:
			}
			res, err := db.Purge(ctx, PurgePolicy{Before: cutoff, BatchSize: 25})
			if res != nil {
				for tbl, n := range res.Counts {
					purged[tbl] += n
				}
			}
			if err != nil && !advBusy(err) {
				a.violation("purge-error", "%v", err)
			}
			if last {
				return
			}
			time.Sleep(time.Duration(rand.Intn(20)) * time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed*1000 + int64(g)))
			for i := 0; i < ops; i++ {
				advStressOp(rng, h, known, cfg, a, g, i)
			}
		}(g)
	}
	wg.Wait()
	close(done)
	pwg.Wait()
	a.mu.Lock()
	out, _ := json.Marshal(mpReport{Counts: a.counts, Violations: a.viol, Examples: a.examples, Purged: purged})
	a.mu.Unlock()
	fmt.Printf("MPREPORT %s\n", out)
}
