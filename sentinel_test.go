package softdelete

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Markers other tools store in deleted_at for "no instant": doctor reports
// each kind with its count and an UPDATE that clears exactly those rows,
// and stays quiet about ordinary stamps (the first due instant, 0001-01-02,
// and the microsecond after the epoch included); purge never removes them
// (but the epoch as a time, 1970-01-01 00:00:00, is an instant and due, and
// a zero day on MariaDB is a date, and due); the fixes make the rows alive
// again.
func TestSentinelStamps(t *testing.T) {
	cases := []struct {
		dialect, typ string
		ordinary     []string   // stamps that are deletion times (all due a year from now)
		kinds        [][]string // per sentinelKinds entry, the values of that kind
		due          []bool     // per kind: a purge removes them
	}{
		{"sqlite", "DATETIME",
			[]string{"'2024-01-02 03:04:05'", "1704164645", "2460311", "'0001-01-02 00:00:00'", "'1970-01-01 00:00:01'", "'1970-01-01 00:00:00.001'"},
			[][]string{
				{"'0001-01-01 00:00:00 +0000 UTC'", "'0001-01-01T00:00:00Z'", "'0001-01-01 00:00:00.5+00:00'"},
				{"0", "0.0"},
				{"1", "1721426"},
				{"'1970-01-01 00:00:00'", "'1970-01-01T00:00:00Z'"},
			}, []bool{false, false, false, true}},
		{"postgres", "timestamptz",
			[]string{"'2024-01-02 03:04:05+00'", "'0001-01-02 00:00:00+00'", "'1970-01-01 00:00:00.000001+00'", "'1969-12-31 23:59:59+00'"},
			[][]string{
				{"'0001-01-01 00:00:00+00'", "'0001-01-01 00:00:00.5+00'", "'0044-03-15 12:00:00+00 BC'"},
				{"'1970-01-01 00:00:00+00'"},
				{"'-infinity'"},
				{"'infinity'"},
			}, []bool{false, true, false, false}},
		{"postgres", "timestamp",
			[]string{"'2024-01-02 03:04:05'", "'0001-01-02 00:00:00'", "'1970-01-01 00:00:00.000001'"},
			[][]string{
				{"'0001-01-01 00:00:00'", "'0001-01-01 00:00:00.999999'"},
				{"'1970-01-01 00:00:00'"},
				{"'-infinity'"},
				{"'infinity'"},
			}, []bool{false, true, false, false}},
		{"mysql", "DATETIME(6)",
			[]string{"'2024-01-02 03:04:05.123456'", "'0001-01-02 00:00:00'", "'1970-01-01 00:00:00.000001'"},
			[][]string{
				{"'0000-00-00 00:00:00'", "'0000-00-00 00:00:00.000000'"},
				{"'2024-01-00 00:00:00'", "'2024-00-00 00:00:00'"},
				{"'0001-01-01 00:00:00'", "'0001-01-01 00:00:00.5'"},
				{"'1970-01-01 00:00:00'"},
			}, []bool{false, true, false, true}},
		{"mysql", "TIMESTAMP(6) NULL DEFAULT NULL",
			[]string{"'2024-01-02 03:04:05.123456'", "'1970-01-01 00:00:01'"},
			[][]string{{"'0000-00-00 00:00:00'"}},
			[]bool{false}},
	}
	for _, tc := range cases {
		t.Run(tc.dialect+" "+tc.typ, func(t *testing.T) {
			t.Parallel()
			testSentinelStamps(t, tc.dialect, tc.typ, tc.ordinary, tc.kinds, tc.due)
		})
	}
}

func testSentinelStamps(t *testing.T, dialect, typ string, ordinary []string, kinds [][]string, due []bool) {
	ctx := context.Background()
	db := openTest(t, dialect)
	ddl(t, db, `CREATE TABLE things (id {id}, name {text} NOT NULL, deleted_at `+typ+`)`,
		`CREATE TABLE parents (id {id}, name {text} NOT NULL, deleted_at `+typ+`)`,
		`CREATE TABLE kids (id {id}, parent_id {big} NOT NULL, name {text} NOT NULL, deleted_at `+typ+`,
		  FOREIGN KEY (parent_id) REFERENCES parents(id) ON DELETE CASCADE)`,
		`CREATE INDEX kids_parent ON kids (parent_id)`)
	// The other tool's writes: MariaDB's permissive sql_mode stores zero
	// dates; UTC, so TIMESTAMP literals are UTC.
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if dialect == "mysql" {
		if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = '', time_zone = '+00:00'"); err != nil {
			t.Fatal(err)
		}
	}
	other := func(q string, args ...any) {
		t.Helper()
		q = fmt.Sprintf(q, args...)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// things: id 1.. ordinary, 100*(k+1)+j the j-th value of kind k, and
	// alive rows.
	for i, v := range ordinary {
		other("INSERT INTO things (id, name, deleted_at) VALUES (%d, 'o', %s)", i+1, v)
	}
	other("INSERT INTO things (id, name, deleted_at) VALUES (50, 'alive', NULL), (51, 'alive', NULL)")
	sentinelFindings := func() []Finding {
		t.Helper()
		rep, err := db.DoctorReportFor(ctx, "things")
		if err != nil {
			t.Fatal(err)
		}
		var out []Finding
		for _, f := range rep.Findings {
			if strings.Contains(f.Problem, "marker for no deletion time") || strings.Contains(f.Problem, "could not read") {
				out = append(out, f)
			}
		}
		return out
	}
	if fs := sentinelFindings(); len(fs) != 0 {
		t.Fatalf("doctor on ordinary stamps reports %+v", fs)
	}
	for k, vs := range kinds {
		for j, v := range vs {
			other("INSERT INTO things (id, name, deleted_at) VALUES (%d, 's', %s)", 100*(k+1)+j, v)
		}
	}
	s, err := db.loadSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := s.lookup("things")
	if err != nil {
		t.Fatal(err)
	}
	want := db.sentinelKinds(tb, db.dialect.Quote("deleted_at"))
	if len(want) != len(kinds) {
		t.Fatalf("%d kinds, the test has %d", len(want), len(kinds))
	}
	// check: doctor reports each kind left with its count, and nothing else.
	check := func(when string, left func(k int) bool) []Finding {
		t.Helper()
		fs := sentinelFindings()
		var got []Finding
		for k, kind := range want {
			var f *Finding
			for i := range fs {
				if strings.Contains(fs[i].Problem, " "+kind.what+" in deleted_at") {
					f = &fs[i]
				}
			}
			if !left(k) {
				if f != nil {
					t.Errorf("%s: doctor reports %q", when, f.Problem)
				}
				continue
			}
			n := fmt.Sprintf("%d rows hold ", len(kinds[k]))
			if len(kinds[k]) == 1 {
				n = "1 row holds "
			}
			switch {
			case f == nil:
				t.Errorf("%s: doctor does not report %s (%v); findings %+v", when, kind.what, kinds[k], fs)
			case !strings.HasPrefix(f.Problem, n) || !strings.Contains(f.Problem, "hidden from Manager reads") || f.Severity != kind.sev || f.Table != "things":
				t.Errorf("%s: finding %+v, want %q, hidden from Manager reads, %s", when, f, n, kind.sev)
			case !strings.Contains(f.Fix, "UPDATE "+db.dialect.Quote("things")+" SET "+db.dialect.Quote("deleted_at")+" = NULL WHERE "+kind.cond+";"):
				t.Errorf("%s: fix %q", when, f.Fix)
			default:
				got = append(got, *f)
			}
		}
		if len(fs) != len(got) {
			t.Errorf("%s: doctor reports %d findings, want %d: %+v", when, len(fs), len(got), fs)
		}
		return got
	}
	check("before the purge", func(int) bool { return true })

	// parents and kids: a parent hidden with a marker whose kid is due,
	// and a due parent whose kid holds a marker (the parent is blocked).
	marker, old := kinds[0][0], ordinary[0]
	other("INSERT INTO parents (id, name, deleted_at) VALUES (1, 'p', %s), (2, 'p', %s), (3, 'p', NULL)", marker, old)
	other("INSERT INTO kids (id, parent_id, name, deleted_at) VALUES (1, 1, 'k', %s), (2, 2, 'k', %s), (3, 3, 'k', %s)", old, marker, marker)

	res, err := db.Purge(ctx, PurgePolicy{Before: time.Now().Add(365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ordinary {
		if rowExists(t, db, "things", int64(i+1)) {
			t.Errorf("purge left the row stamped %s", v)
		}
	}
	for k, vs := range kinds {
		for j, v := range vs {
			if got := rowExists(t, db, "things", int64(100*(k+1)+j)); got == due[k] {
				t.Errorf("purge: row stamped %s exists %v, want %v", v, got, !due[k])
			}
		}
	}
	for _, id := range []int64{50, 51} {
		assertAlive(t, db, "things", id, true)
	}
	if rowExists(t, db, "kids", 1) || !rowExists(t, db, "parents", 1) {
		t.Errorf("purge: the due kid of a parent stamped %s must go, the parent stay", marker)
	}
	if !rowExists(t, db, "parents", 2) || !rowExists(t, db, "kids", 2) || res.Blocked["parents"] != 1 {
		t.Errorf("purge: a due parent under a kid stamped %s: parent %v kid %v, blocked %v; want both kept, one blocked",
			marker, rowExists(t, db, "parents", 2), rowExists(t, db, "kids", 2), res.Blocked)
	}
	assertAlive(t, db, "parents", 3, true)
	// A second purge removes nothing more.
	res, err = db.Purge(ctx, PurgePolicy{Before: time.Now().Add(365 * 24 * time.Hour)})
	if err != nil || len(res.Counts) != 0 && sumCounts(res.Counts) != 0 {
		t.Errorf("second purge: %+v, %v; want nothing", res, err)
	}

	// The fixes doctor gives make exactly those rows alive.
	fs := check("after the purge", func(k int) bool { return !due[k] })
	m, err := NewManager[stampUser](db, "things")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		_, q, _ := strings.Cut(f.Fix, ": ")
		q, _, _ = strings.Cut(q, "; if these rows")
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("fix %q: %v", q, err)
		}
	}
	for k, vs := range kinds {
		for j := range vs {
			if id := int64(100*(k+1) + j); !due[k] {
				if _, err := m.Get(ctx, id); err != nil {
					t.Errorf("after the fixes, Get(%d) (was %s) = %v", id, vs[j], err)
				}
			}
		}
	}
	if fs := sentinelFindings(); len(fs) != 0 {
		t.Errorf("doctor after the fixes reports %+v", fs)
	}
	if _, err := m.Get(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(1) = %v, want ErrNotFound (purged)", err)
	}
}

func sumCounts(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Doctor's probe counts at most sentinelCap+1 rows per table and says so.
func TestSentinelProbeCap(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ddl(t, db, `CREATE TABLE things (id {id}, deleted_at {ts})`)
		insertSeries(t, db, sentinelCap+50, "INSERT INTO things (id, deleted_at) SELECT %[1]s, %[3]s %[2]s")
		zero := map[string]string{"sqlite": "0", "postgres": "'-infinity'", "mysql": "'1970-01-01 00:00:00'"}[db.Dialect()]
		if _, err := db.SQL().ExecContext(ctx, "UPDATE things SET deleted_at = "+zero); err != nil {
			t.Fatal(err)
		}
		fs, err := db.Doctor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d of the first %d rows with such values", sentinelCap+1, sentinelCap+1)
		if len(fs) != 1 || !strings.HasPrefix(fs[0].Problem, want) {
			t.Errorf("findings %+v, want one starting %q", fs, want)
		}
	})
}
