package softdelete

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// adoptCatalog is everything adopt may change in a schema, as the catalog
// tells it: the tables (softdelete_adoptions, the journal, left out), their
// columns, indexes (with their definitions), foreign keys and triggers.
func adoptCatalog(t testing.TB, db *DB) string {
	t.Helper()
	var b strings.Builder
	var tq, trq string
	switch db.Dialect() {
	case "postgres":
		tq = `SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v') ORDER BY 1`
		trq = `SELECT c.relname::text || ' ' || t.tgname::text || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal ORDER BY 1`
	case "mysql":
		tq = `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`
		trq = `SELECT CONCAT(EVENT_OBJECT_TABLE, ' ', TRIGGER_NAME, ' ', ACTION_TIMING, ' ', EVENT_MANIPULATION, ' ', ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1`
	default:
		tq = `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY 1`
		trq = `SELECT tbl_name || ' ' || name || ' ' || sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1`
	}
	for _, q := range []string{tq, trq} {
		rows, err := db.SQL().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s, adoptJournal) && s != "sqlite_sequence" {
				b.WriteString(s + "\n")
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	idx := indexBodies(t, db)
	delete(idx, adoptJournal)
	var names []string
	for n := range idx {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s: %q\n", n, idx[n])
	}
	fp := fingerprint(t, db)
	if i := strings.Index(fp, "table "+adoptJournal+"\n"); i >= 0 {
		j := strings.Index(fp[i+1:], "\ntable ")
		if j < 0 {
			fp = fp[:i]
		} else {
			fp = fp[:i] + fp[i+1+j+1:]
		}
	}
	b.WriteString(fp)
	return b.String()
}

// TestAdoptFaultsSample injects a fault (a failing statement, a cancelled
// context, on PostgreSQL and MariaDB a killed connection) at the k-th
// statement of adopt (plan and apply) on Chinook and of its down migration
// (Adopted, then its Down); on SQLite also on tables adopt rebuilds (inline
// UNIQUE constraints). After each: either the schema is exactly as before
// (PostgreSQL and SQLite: always), or (MariaDB, whose DDL commits) the
// error says how to go on and running the same direction again reaches
// the schema of a run without a fault; the down migration of what is
// recorded then gives back the original schema and leaves no record;
// doctor is quiet after adopt.
//
// Positions by default: PostgreSQL every statement (the killed connection
// every third), SQLite every third (modernc's SQLite is slow under -race;
// the rebuild case every statement), MariaDB (3-10 s per fault: DDL, and
// information_schema on a busy server) an error at the rehearsal's
// clean-up and at the first journal update, a cancel at a middle one, a
// kill at the last; SOFTDELETE_ADVERSARIAL=full: every statement.
//
// Before the fixes that came with it, it found: an error for a migration
// that was committed (the schema read after it failed); rehearsal copies
// left in the database, which the next adopt then tried to adopt; steps
// applied but not recorded (a journal update cut by the fault: the
// recorded down missed them); a MariaDB down migration that stopped
// part-way could not be run again (nothing recorded its progress); on
// SQLite a failed trigger look-up planned a different migration, after
// which adopt could not finish.
func TestAdoptFaultsSample(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			adoptFaults(t, "chinook", d)
			if d == "sqlite" {
				adoptFaults(t, "rebuild", d)
			}
		})
	}
}

func adoptFaults(t *testing.T, sample, dialect string) {
	ctx := context.Background()
	start := time.Now()
	var u string
	if sample == "rebuild" {
		// SQLite tables with inline UNIQUE constraints (rebuilt), a trigger,
		// a view and foreign keys between them.
		u = testURL(t, dialect)
		db, err := Open(u)
		if err != nil {
			t.Fatal(err)
		}
		ddl(t, db, `CREATE TABLE teams (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT, UNIQUE (name, slug))`,
			`CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE, email TEXT NOT NULL, CONSTRAINT members_email UNIQUE (email))`,
			`CREATE INDEX members_team ON members (team_id)`,
			`CREATE TABLE audit (id INTEGER PRIMARY KEY, n INTEGER)`,
			`CREATE TRIGGER audit_ai AFTER INSERT ON audit BEGIN UPDATE members SET email = email WHERE id = NEW.n; END`,
			`CREATE VIEW team_members AS SELECT t.slug, m.email FROM teams t JOIN members m ON m.team_id = t.id`,
			`INSERT INTO teams (id, slug, name) VALUES (1, 'a', 'A'), (2, 'b', 'B')`,
			`INSERT INTO members (team_id, email) VALUES (1, 'x@a'), (2, 'y@b')`)
		db.Close()
	} else {
		u = loadSample(t, sample, dialect)
	}
	plainURL := u // the checks' pool: not killed (PostgreSQL), not hooked
	in := &advInjector{}
	modes := []string{"error", "cancel"}
	if dialect != "sqlite" {
		app := randName()
		if dialect == "postgres" {
			pu, _ := url.Parse(u)
			q := pu.Query()
			q.Set("application_name", app)
			pu.RawQuery = q.Encode()
			u = pu.String()
		}
		in.kill = advKiller(t, dialect, u, app)
		modes = append(modes, "kill")
	}
	var rec struct {
		sync.Mutex
		on    bool
		stmts []string
	}
	hook := func(ctx context.Context, q string, args []any) error {
		rec.Lock()
		if rec.on {
			rec.stmts = append(rec.stmts, q)
		}
		rec.Unlock()
		return in.hook(ctx, q, args)
	}
	db, err := Open(u, WithStatementHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plain, err := Open(plainURL)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()

	up := func(ctx context.Context, db *DB) error {
		m, err := db.Adopt(ctx, AdoptOptions{})
		if err != nil {
			return err
		}
		return db.ApplyMigration(ctx, m, false)
	}
	down := func(ctx context.Context, db *DB) error {
		m, err := db.Adopted(ctx)
		if err != nil {
			return err
		}
		return db.ApplyMigration(ctx, m, true)
	}
	// count runs fn without a fault and returns its statements.
	count := func(fn func(context.Context, *DB) error) []string {
		t.Helper()
		rec.Lock()
		rec.on, rec.stmts = true, nil
		rec.Unlock()
		in.arm("count", 1<<30, nil)
		err := fn(ctx, db)
		in.disarm()
		rec.Lock()
		rec.on = false
		stmts := rec.stmts
		rec.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		return stmts
	}
	before := adoptCatalog(t, plain)
	upStmts := count(up)
	after := adoptCatalog(t, plain)
	if after == before {
		t.Fatal("adopt changed nothing")
	}
	quiet(t, plain)
	downStmts := count(down)
	if got := adoptCatalog(t, plain); got != before {
		t.Fatalf("down:\n%s", advFingerprintDiff(before, got))
	}
	t.Logf("%s/%s: adopt %d statements, down %d", sample, dialect, len(upStmts), len(downStmts))

	// positions: every statement, or on MariaDB chosen ones (1-based).
	positions := func(stmts []string, mode string) []int {
		var all []int
		for k := range stmts {
			all = append(all, k+1)
		}
		switch {
		case advFull():
			return all
		case dialect == "postgres":
			if mode == "kill" {
				var some []int
				for _, k := range all {
					if k%3 == 0 || k == len(all) {
						some = append(some, k)
					}
				}
				return some
			}
			return all
		case sample == "rebuild":
			return all
		case dialect == "sqlite":
			// modernc's SQLite is slow under -race: every third statement
			// (the two modes interleaved), and the last one.
			var some []int
			for _, k := range all {
				if k%3 == map[string]int{"error": 1, "cancel": 2}[mode] || k == len(all) {
					some = append(some, k)
				}
			}
			return some
		}
		var ddl, journal []int
		var copies, cleanup int
		for k, s := range stmts {
			switch {
			case strings.HasPrefix(s, "CREATE TABLE `"+rehearsalPrefix):
				copies = k + 1
			case strings.HasPrefix(s, "SET SESSION foreign_key_checks = 0") && copies != 0 && cleanup == 0:
				cleanup = k + 1
			case strings.HasPrefix(s, "ALTER TABLE `") && !strings.HasPrefix(s, "ALTER TABLE `"+rehearsalPrefix):
				ddl = append(ddl, k+1)
			case strings.HasPrefix(s, "UPDATE "+adoptJournal):
				journal = append(journal, k+1)
			}
		}
		if len(ddl) == 0 || len(journal) == 0 || copies == 0 || cleanup == 0 {
			t.Fatalf("the statements of %s are not the expected ones:\n%s", mode, strings.Join(stmts, "\n"))
		}
		switch mode {
		case "error":
			return []int{cleanup, journal[0]}
		case "kill":
			return []int{journal[len(journal)-1]}
		}
		return []int{journal[len(journal)/2]}
	}
	faults := 0
	for _, dir := range []string{"up", "down"} {
		stmts := upStmts
		from, to := before, after
		if dir == "down" {
			stmts = downStmts
			from, to = after, before
		}
		for _, mode := range modes {
			for _, k := range positions(stmts, mode) {
				what := fmt.Sprintf("%s: %s at statement %d of %d (%s)", dir, mode, k, len(stmts), firstLine(stmts[k-1]))
				if dir == "down" {
					if err := up(ctx, plain); err != nil {
						t.Fatalf("%s: setting up: %v", what, err)
					}
				}
				var fctx context.Context = ctx
				var tc *advTrigCtx
				if mode == "cancel" {
					tc = newTrigCtx(context.Canceled)
					fctx = tc
				}
				in.arm(mode, k, tc)
				var err error
				if dir == "up" {
					err = up(fctx, db)
				} else {
					err = down(fctx, db)
				}
				fired, _ := in.disarm()
				if tc != nil {
					tc.fire()
				}
				faults++
				got := adoptCatalog(t, plain)
				switch {
				case !fired || err == nil:
					if got != to {
						t.Errorf("%s: succeeded (fault fired: %v) but the schema is not the expected one: %s", what, fired, advFingerprintDiff(to, got))
					}
				case got == from:
				case got == to:
					t.Errorf("%s: failed (%v) but everything was applied", what, err)
				case dialect != "mysql":
					t.Errorf("%s: failed (%v) and left part of the change: %s", what, err, advFingerprintDiff(from, got))
				case !strings.Contains(err.Error(), " again"):
					t.Errorf("%s: failed part-way with an error that does not say how to go on: %v", what, err)
				}
				// Going on: the same direction again, without a fault.
				if got != to {
					var rerr error
					if dir == "up" {
						rerr = up(ctx, plain)
					} else {
						rerr = down(ctx, plain)
					}
					if rerr != nil {
						t.Errorf("%s (%v): running %s again: %v", what, err, dir, rerr)
					} else if got := adoptCatalog(t, plain); got != to {
						t.Errorf("%s (%v): running %s again left: %s", what, err, dir, advFingerprintDiff(to, got))
					}
				}
				if dir == "up" && adoptCatalog(t, plain) == after {
					quiet(t, plain)
				}
				// Back to the original schema through the recorded down.
				if err := down(ctx, plain); err != nil {
					t.Errorf("%s: the recorded down: %v", what, err)
				}
				if got := adoptCatalog(t, plain); got != before {
					t.Fatalf("%s: the recorded down does not give back the original schema: %s", what, advFingerprintDiff(before, got))
				}
				if rec, err := plain.Adopted(ctx); err != nil || !rec.Empty() {
					t.Errorf("%s: record left after the down: %v %q", what, err, rec.Down)
				}
			}
		}
	}
	t.Logf("%s/%s: %d faults in %v", sample, dialect, faults, time.Since(start))
}
