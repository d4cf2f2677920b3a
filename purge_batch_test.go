package softdelete

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// purgeStmtLog records the statements sent through the executor seam, with
// their arguments.
type purgeStmtLog struct {
	mu   sync.Mutex
	q    []string
	args [][]any
}

func (l *purgeStmtLog) hook(_ context.Context, q string, args []any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.q = append(l.q, q)
	l.args = append(l.args, append([]any(nil), args...))
	return nil
}

func (l *purgeStmtLog) reset() {
	l.mu.Lock()
	l.q, l.args = nil, nil
	l.mu.Unlock()
}

// TestPurgeParentBatchWork: the batches of a parent table whose soft
// children reference it through an indexed ON DELETE CASCADE key keep
// every parent a child still references (reading the child's index over
// the batch's key range: on PostgreSQL never a join that reads the whole
// child table, whatever the planner would estimate), and do no bookkeeping work for
// children the CASCADE could take with them (it takes none: a parent
// with a child left is kept). On SQLite, where the batch's transaction is
// the only writer, the bookkeeping cleanup is skipped when no bookkeeping
// names a row of the table, and done when some does. Every batch but a
// table's last holds BatchSize due rows (the first range is found by a
// query), and on PostgreSQL no statement is spent on an empty range at the
// end.
func TestPurgeParentBatchWork(t *testing.T) {
	for _, withBookkeeping := range []bool{false, true} {
		t.Run(fmt.Sprintf("bookkeeping=%v", withBookkeeping), func(t *testing.T) {
			for _, d := range allDialects {
				t.Run(d, func(t *testing.T) {
					t.Parallel()
					testPurgeParentBatchWork(t, d, withBookkeeping)
				})
			}
		})
	}
}

func testPurgeParentBatchWork(t *testing.T, dialect string, withBookkeeping bool) {
	ctx := context.Background()
	var log purgeStmtLog
	db := openTest(t, dialect, WithStatementHook(log.hook))
	if err := db.ensureOps(ctx); err != nil {
		t.Fatal(err)
	}
	ddl(t, db,
		`CREATE TABLE porders (id {big} NOT NULL PRIMARY KEY, note {text} NOT NULL, deleted_at {ts} NULL)`,
		`CREATE TABLE pitems (id {big} NOT NULL PRIMARY KEY, order_id {big} NOT NULL, deleted_at {ts} NULL,
		  FOREIGN KEY (order_id) REFERENCES porders (id) ON DELETE CASCADE)`,
		`CREATE INDEX pitems_order_id ON pitems (order_id)`)
	const n = 3000
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var os, is []string
	for i := 1; i <= n; i++ {
		due := i%2 == 1
		os = append(os, fmt.Sprintf("(%d, 'o', %s)", i, map[bool]string{true: "X", false: "NULL"}[due]))
		is = append(is, fmt.Sprintf("(%d, %d, %s)", i, i, map[bool]string{true: "X", false: "NULL"}[due]))
	}
	// Order 7 is due but its item is alive: the order must stay (and its
	// item with it). Item 8 is due, its order is alive: the item goes.
	ins := func(table string, rows []string) {
		t.Helper()
		for len(rows) > 0 {
			k := min(len(rows), 500)
			q := "INSERT INTO " + table + " VALUES " + strings.Join(rows[:k], ", ")
			var args []any
			for range strings.Count(q, "X") {
				args = append(args, db.dialect.TimeArg(old))
			}
			q = strings.ReplaceAll(q, "X", "?")
			if db.Dialect() == "postgres" {
				for i := 1; strings.Contains(q, "?"); i++ {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
				}
			}
			exec(t, db, q, args...)
			rows = rows[k:]
		}
	}
	ins("porders", os)
	ins("pitems", is)
	exec(t, db, "UPDATE pitems SET deleted_at = NULL WHERE id = 7")
	exec(t, db, "UPDATE pitems SET deleted_at = "+db.ph(1)+" WHERE id = 8", db.dialect.TimeArg(old))
	if withBookkeeping {
		// Bookkeeping naming due item 9 (to go with it) and alive item
		// 10 (to stay).
		for _, k := range []string{"9", "10"} {
			exec(t, db, "INSERT INTO softdelete_nulled (stamp, child_table, fk_name, row_key, old_values) VALUES ("+
				db.ph(1)+", 'pitems', 'fk_x', "+db.ph(2)+", '1')", db.dialect.TimeArg(old), k)
		}
	}
	switch db.Dialect() {
	case "postgres":
		exec(t, db, "ANALYZE porders")
		exec(t, db, "ANALYZE pitems")
	case "mysql":
		exec(t, db, "ANALYZE TABLE porders, pitems")
	default:
		exec(t, db, "ANALYZE")
	}
	log.reset()
	res, err := db.Purge(ctx, PurgePolicy{Before: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Tables: []string{"porders", "pitems"}, BatchSize: 500,
		// No batch is slow enough to halve the next one: the count of
		// batches does not depend on the machine's load (-race, CI).
		MaxBatchTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["pitems"] != n/2 || res.Counts["porders"] != n/2-1 || res.Blocked["porders"] != 1 {
		t.Fatalf("purged %v, blocked %v: want %d items, %d orders, order 7 blocked", res.Counts, res.Blocked, n/2, n/2-1)
	}
	// Every other key is due: the first range of each table holds 500 due
	// rows and the next ones too (one of the orders' is blocked).
	if res.Batches != 6 {
		t.Errorf("%d batches for %d rows in batches of 500, want 6", res.Batches, n-1)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM porders WHERE id = 7") + count(t, db, "SELECT COUNT(*) FROM pitems WHERE id = 7"); got != 2 {
		t.Fatalf("order 7 or its alive item is gone")
	}
	if got := count(t, db, "SELECT COUNT(*) FROM pitems i WHERE NOT EXISTS (SELECT 1 FROM porders o WHERE o.id = i.order_id)"); got != 0 {
		t.Fatalf("%d orphan items", got)
	}
	if withBookkeeping {
		if got := idList(t, db, "SELECT row_key FROM softdelete_nulled ORDER BY row_key"); got != "10" {
			t.Fatalf("bookkeeping left: %q, want that of alive item 10 only", got)
		}
	}

	d := db.dialect
	var parentBatch string
	var parentArgs []any
	var cleanups int
	for i, q := range log.q {
		if strings.Contains(q, "softdelete_nulled") && strings.Contains(q, d.Quote("order_id")+" IN (SELECT") {
			t.Errorf("bookkeeping cleanup for children the CASCADE cannot take: %s", q)
		}
		if strings.Contains(q, "DELETE FROM softdelete_nulled") || strings.Contains(q, "DELETE sn FROM softdelete_nulled") {
			cleanups++
		}
		if parentBatch == "" && strings.Contains(q, "DELETE FROM "+d.Quote("porders")) {
			parentBatch, parentArgs = q, log.args[i]
		}
	}
	// The NOT EXISTS bounds the child's key by the batch's range.
	if parentBatch == "" || !strings.Contains(parentBatch, "."+d.Quote("order_id")+" <= ") {
		t.Errorf("parent batch does not bound the child's key by its range: %s", parentBatch)
	}
	if db.Dialect() == "sqlite" {
		if withBookkeeping && cleanups == 0 {
			t.Error("no bookkeeping cleanup although bookkeeping names a purged row")
		}
		if !withBookkeeping && cleanups != 0 {
			t.Errorf("%d bookkeeping cleanups although no bookkeeping names a row", cleanups)
		}
	}
	if db.Dialect() == "postgres" {
		// One statement per batch, and none for an empty range at the end
		// (the batch statement tells where the next due key is).
		var batches int
		for _, q := range log.q {
			if strings.Contains(q, "DELETE FROM "+d.Quote("porders")) || strings.Contains(q, "DELETE FROM "+d.Quote("pitems")) {
				batches++
			}
		}
		if batches != res.Batches {
			t.Errorf("%d batch statements for %d batches", batches, res.Batches)
		}
		if parentBatch == "" {
			t.Fatal("no parent batch seen")
		}
		// The plan of the first parent batch, on the data as it is now.
		rows, err := db.SQL().QueryContext(ctx, "EXPLAIN "+parentBatch, parentArgs...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(l + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if p := plan.String(); strings.Contains(p, "Seq Scan on pitems") || !strings.Contains(p, "pitems_order_id") {
			t.Errorf("parent batch does not read the child's index over the batch's range only:\n%s\n%s", parentBatch, p)
		}
	}
}

// TestPurgeTextKeyOtherCollation: a parent with a text key whose child's
// foreign key column has another collation (PostgreSQL and SQLite allow
// it; MariaDB refuses such a foreign key). The keys order differently in
// the two collations ('B' < 'a' in the parent's, 'a' < 'B' in the
// child's), so a batch bound on the child's column in the parent's key
// range missed the child of the second batch's row: the purge took both
// parents and their ON DELETE CASCADE took the alive children with them.
func TestPurgeTextKeyOtherCollation(t *testing.T) {
	for _, d := range allDialects {
		if d == "mysql" {
			continue
		}
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, d)
			ctx := context.Background()
			if d == "postgres" {
				// The database's own collation (C.UTF-8 here) for the key,
				// ICU's for the child (a column's collation wins over the
				// default in the join, so the two can meet).
				var bytewise, icu bool
				if err := db.SQL().QueryRowContext(ctx, "SELECT 'B' < 'a', EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')").Scan(&bytewise, &icu); err != nil {
					t.Fatal(err)
				}
				if !bytewise || !icu {
					t.Skip("needs a bytewise default collation and ICU")
				}
				ddl(t, db, `CREATE TABLE cparents (id text PRIMARY KEY, deleted_at {ts} NULL)`,
					`CREATE TABLE ckids (id {id}, parent_id text COLLATE "und-x-icu" REFERENCES cparents (id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			} else {
				ddl(t, db, `CREATE TABLE cparents (id TEXT COLLATE NOCASE PRIMARY KEY, deleted_at {ts} NULL)`,
					`CREATE TABLE ckids (id {id}, parent_id TEXT REFERENCES cparents (id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
			}
			ddl(t, db, `CREATE INDEX ckids_parent ON ckids (parent_id)`)
			exec(t, db, "INSERT INTO cparents (id, deleted_at) VALUES ('B', '2000-01-01 00:00:00'), ('a', '2000-01-01 00:00:00')")
			exec(t, db, "INSERT INTO ckids (parent_id) VALUES ('a'), ('B')")
			if err := db.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), BatchSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			kids, parents := count(t, db, "SELECT COUNT(*) FROM ckids"), count(t, db, "SELECT COUNT(*) FROM cparents")
			if kids != 2 || parents != 2 || res.Counts["cparents"] != 0 {
				t.Fatalf("purged %v: %d of 2 alive children and %d of 2 referenced parents left", res.Counts, kids, parents)
			}
		})
	}
}

// TestPurgeIntegerKeyTextChild (SQLite; PostgreSQL and MariaDB refuse such
// a foreign key): a TEXT child column holding '10' references the integer
// key 10 (the foreign key and the join compare numerically), but a batch
// bound written on that column compared as text ('10' > '5' is false), so
// the range (5, 10] saw no child of row 10, purged it, and the ON DELETE
// CASCADE took the alive child.
func TestPurgeIntegerKeyTextChild(t *testing.T) {
	db := openTest(t, "sqlite")
	ctx := context.Background()
	ddl(t, db, `CREATE TABLE tparents (id INTEGER PRIMARY KEY, deleted_at {ts} NULL)`,
		`CREATE TABLE tkids (id {id}, parent_id TEXT REFERENCES tparents (id) ON DELETE CASCADE, deleted_at {ts} NULL)`,
		`CREATE INDEX tkids_parent ON tkids (parent_id)`)
	for i := 1; i <= 30; i++ {
		exec(t, db, "INSERT INTO tparents (id, deleted_at) VALUES (?, '2000-01-01 00:00:00')", i)
	}
	exec(t, db, "INSERT INTO tkids (parent_id) VALUES ('3'), ('10'), ('25')")
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	kids, parents := count(t, db, "SELECT COUNT(*) FROM tkids"), count(t, db, "SELECT COUNT(*) FROM tparents")
	if kids != 3 || parents != 3 || res.Counts["tparents"] != 27 {
		t.Fatalf("purged %v: %d of 3 alive children and %d of 3 referenced parents left", res.Counts, kids, parents)
	}
}

// TestPurgeUnsignedKey (MariaDB): a BIGINT UNSIGNED key (what many
// frameworks make an id) comes back from the driver as uint64, which the
// integer walk did not read: every purge of such a table failed with
// "unexpected key type uint64" and purged nothing. Keys above MaxInt64 are
// purged too, and a referenced one is kept.
func TestPurgeUnsignedKey(t *testing.T) {
	if !slices.Contains(allDialects, "mysql") {
		t.Skip("MariaDB only")
	}
	db := openTest(t, "mysql")
	ctx := context.Background()
	ddl(t, db, `CREATE TABLE uparents (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, deleted_at {ts} NULL)`,
		`CREATE TABLE ukids (id {id}, parent_id BIGINT UNSIGNED, deleted_at {ts} NULL,
		  FOREIGN KEY (parent_id) REFERENCES uparents (id) ON DELETE CASCADE)`,
		`CREATE TABLE usmall (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, deleted_at {ts} NULL)`)
	exec(t, db, `INSERT INTO uparents (id, deleted_at) VALUES (1, '2000-01-01'), (2, '2000-01-01'), (3, NULL),
		(9223372036854775806, '2000-01-01'), (9223372036854775808, '2000-01-01'), (9223372036854775809, '2000-01-01'),
		(18446744073709551615, '2000-01-01')`)
	exec(t, db, "INSERT INTO ukids (parent_id) VALUES (9223372036854775808)")
	exec(t, db, "INSERT INTO usmall (id, deleted_at) VALUES (1, '2000-01-01'), (2, NULL), (4294967295, '2000-01-01')")
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := db.Purge(ctx, PurgePolicy{Before: time.Now(), BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := db.SQL().QueryContext(ctx, "SELECT CAST(id AS CHAR) FROM uparents ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		left = append(left, s)
	}
	rows.Close()
	if strings.Join(left, " ") != "3 9223372036854775808" || res.Counts["uparents"] != 5 || res.Counts["usmall"] != 2 ||
		count(t, db, "SELECT COUNT(*) FROM ukids") != 1 || count(t, db, "SELECT COUNT(*) FROM usmall") != 1 {
		t.Fatalf("purged %v, blocked %v: uparents left %v, usmall %d", res.Counts, res.Blocked, left, count(t, db, "SELECT COUNT(*) FROM usmall"))
	}
}

// TestCollationMismatchIsSchemaError: PostgreSQL accepts a foreign key
// between text columns of two different explicit collations, but cannot
// compare them in a join (SQLSTATE 42P22, "could not determine which
// collation to use"). softdelete's operations join parent and child, so on
// such a schema they fail; the error is ErrSchema naming the cause and
// the fix, and nothing changes.
func TestCollationMismatchIsSchemaError(t *testing.T) {
	db := openTest(t, "postgres")
	ctx := context.Background()
	var icu bool
	if err := db.SQL().QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')").Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if !icu {
		t.Skip("needs ICU")
	}
	ddl(t, db, `CREATE TABLE xparents (id text COLLATE "C" PRIMARY KEY, deleted_at {ts} NULL)`,
		`CREATE TABLE xkids (id {id}, parent_id text COLLATE "und-x-icu" REFERENCES xparents (id) ON DELETE CASCADE, deleted_at {ts} NULL)`)
	exec(t, db, "INSERT INTO xparents (id) VALUES ('a'), ('b')")
	exec(t, db, "INSERT INTO xkids (parent_id) VALUES ('a'), ('b')")
	exec(t, db, "UPDATE xkids SET deleted_at = '2020-01-01 00:00:00+00' WHERE parent_id = 'b'")
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db, "xparents", "xkids")
	_, err := db.Delete(ctx, "xparents", "a")
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "collation") {
		t.Fatalf("Delete: %v, want ErrSchema naming the collations", err)
	}
	_, err = db.Restore(ctx, "xkids", int64(2))
	if err != nil && (!errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "collation")) {
		t.Fatalf("Restore: %v, want ErrSchema naming the collations (or success)", err)
	}
	if err == nil {
		exec(t, db, "UPDATE xkids SET deleted_at = '2020-01-01 00:00:00+00' WHERE id = 2")
	}
	if after := snapshot(t, db, "xparents", "xkids"); after != before {
		t.Fatalf("the data changed:\n%s\nwant\n%s", after, before)
	}
}

// TestPurgeDueEstimateGenericPlan: on PostgreSQL the purge's statements
// are prepared and cached (pgx), so after five executions they run a
// generic plan, which does not know the cut-off. The due condition must not
// read as a closed range there: a second bound on the stamp (the lower
// bound that keeps "no instant" markers, firstDue) paired with the cut-off
// parameter was estimated at 0.5 % of the rows, and the parent batches
// chose a per-row nested-loop anti-join instead of the merge over their key
// range (1.27x the hand-written loop against 1.07x). The estimate of the
// due condition alone must stay that of one open inequality (a third).
func TestPurgeDueEstimateGenericPlan(t *testing.T) {
	db := openTest(t, "postgres")
	ctx := context.Background()
	for _, typ := range []string{"timestamptz", "timestamp", "date"} {
		t.Run(typ, func(t *testing.T) {
			name := "est_" + typ
			ddl(t, db, "CREATE TABLE "+name+" (id bigint PRIMARY KEY, deleted_at "+typ+" NULL)")
			exec(t, db, "INSERT INTO "+name+" SELECT g, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 10000) g")
			exec(t, db, "ANALYZE "+name)
			if err := db.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			s, err := db.loadSchema(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b := newBuilder(db.dialect, 256)
			b.WriteString("SELECT 1 FROM " + name + " WHERE ")
			db.stampBefore(b, "", s.tables[name], time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			conn, err := db.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, q := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE due_est AS " + b.String()} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			defer conn.ExecContext(ctx, "DEALLOCATE due_est")
			var plan string
			if err := conn.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) EXECUTE due_est('2024-01-01 00:00:00+00')").Scan(&plan); err != nil {
				t.Fatal(err)
			}
			var p []struct {
				Plan struct {
					Rows float64 `json:"Plan Rows"`
				} `json:"Plan"`
			}
			if err := json.Unmarshal([]byte(plan), &p); err != nil || len(p) == 0 {
				t.Fatalf("plan %s: %v", plan, err)
			}
			if got := p[0].Plan.Rows; got < 1000 {
				t.Fatalf("generic plan estimates %v of 10,000 rows due (a closed range's 0.5 %%?); want an open inequality's third\n%s\n%s", got, b.String(), plan)
			}
		})
	}
}
